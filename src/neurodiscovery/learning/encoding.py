"""Spike-train tasks for spiking networks: latency and rate codes, Randman, digits, MNIST-1D, CSV.

A :class:`SpikeTask` holds binary input spike trains ``(samples, steps, inputs)`` on the time
grid of the network (one entry per ``dt_ms`` step) and integer labels. Everything is made
offline and seeded.

* Latency code: a feature scaled to ``[0, 1]`` on the training part fires one spike at step
  ``round((1 - x) * (n_steps - 1 - tail_steps))`` (strong features fire early); features below
  ``min_value`` stay silent.
* Rate code: each step is an independent Bernoulli draw with probability ``x * max_prob``.
* Randman (Zenke & Vogels 2021): every class is a smooth random ``manifold_dim``-dimensional
  manifold embedded in the ``n_inputs``-dimensional space of spike times; each input neuron
  fires once, at its coordinate on the class manifold at a random point.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError

__all__ = ["ENCODINGS", "SPIKE_TASKS", "SpikeTask", "latency_encode", "rate_encode", "make_randman",
           "load_spike_task"]

ENCODINGS = ("latency", "rate")
SPIKE_TASKS = ("randman", "digits", "mnist1d")


@dataclass(frozen=True)
class SpikeTask:
    """Binary spike-train inputs and labels with a fixed train/test split.

    Attributes
    ----------
    name : str
        Task name.
    X_train, X_test : ndarray, shape (samples, n_steps, n_inputs)
        Input spikes (0/1, float32), one row per time step of ``dt_ms``.
    y_train, y_test : ndarray, shape (samples,)
        Integer class labels ``0 .. n_classes - 1``.
    dt_ms : float
        Time step of the spike trains (ms).
    description : str
        Where the data came from, how it was split and encoded.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    dt_ms: float
    description: str

    @property
    def n_inputs(self) -> int:
        """Number of input channels."""
        return int(self.X_train.shape[2])

    @property
    def n_steps(self) -> int:
        """Number of time steps per sample."""
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes (largest label + 1 over train and test)."""
        return int(max(self.y_train.max(), self.y_test.max()) + 1)


def _scale01(X_train: np.ndarray, X: np.ndarray) -> np.ndarray:
    lo, hi = X_train.min(axis=0), X_train.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return np.clip((X - lo) / span, 0.0, 1.0)


#: silent steps at the end of every sample: a spike reaches the output layer's membrane four steps
#: after it enters (one-step delay + current -> membrane, per layer), so the last input spikes can
#: still change the output
TAIL_STEPS = 5


def latency_encode(x: np.ndarray, n_steps: int, min_value: float = 0.05, tail_steps: int = TAIL_STEPS) -> np.ndarray:
    """One spike per feature at ``round((1 - x) * (n_steps - 1 - tail_steps))``; features below ``min_value`` are silent.

    Parameters
    ----------
    x : ndarray, shape (samples, n_inputs)
        Features scaled to ``[0, 1]`` (dimensionless).
    n_steps : int
        Time steps per sample.
    min_value : float
        Features below this fraction of the range emit no spike.
    tail_steps : int
        Silent steps left at the end of each sample.

    Returns
    -------
    ndarray, shape (samples, n_steps, n_inputs)
        0/1 spikes, float32.
    """
    x = np.asarray(x, float)
    span = _span(n_steps, tail_steps)
    t = np.rint((1.0 - np.clip(x, 0, 1)) * span).astype(int)
    out = np.zeros((x.shape[0], int(n_steps), x.shape[1]), np.float32)
    b, i = np.nonzero(x >= min_value)
    out[b, t[b, i], i] = 1.0
    return out


def _span(n_steps: int, tail_steps: int) -> int:
    span = int(n_steps) - 1 - int(tail_steps)
    if span < 1:
        raise InputError(f"n_steps ({n_steps}) must exceed the {tail_steps} silent tail steps by at least 2")
    return span


def rate_encode(x: np.ndarray, n_steps: int, max_prob: float = 0.5, seed: int = 0,
                tail_steps: int = TAIL_STEPS) -> np.ndarray:
    """Bernoulli spikes with probability ``x * max_prob`` per step (the last ``tail_steps`` steps silent).

    Parameters
    ----------
    x : ndarray, shape (samples, n_inputs)
        Features scaled to ``[0, 1]`` (dimensionless).
    n_steps : int
        Time steps per sample.
    max_prob : float
        Spike probability per step of a feature at 1 (fraction in (0, 1]).
    seed : int
        Seeds the draws.
    tail_steps : int
        Silent steps left at the end of each sample.

    Returns
    -------
    ndarray, shape (samples, n_steps, n_inputs)
        0/1 spikes, float32.
    """
    if not 0 < max_prob <= 1:
        raise InputError(f"max_prob must be in (0, 1], got {max_prob}")
    span = _span(n_steps, tail_steps)
    rng = np.random.default_rng(seed)
    p = np.clip(np.asarray(x, float), 0, 1)[:, None, :] * max_prob
    out = np.zeros((p.shape[0], int(n_steps), p.shape[2]), np.float32)
    out[:, :span + 1] = rng.random((p.shape[0], span + 1, p.shape[2])) < p
    return out


def _randman_coords(rng, n_inputs: int, manifold_dim: int, n_points: int, alpha: float, n_freq: int):
    # y_i(x) = prod_j sum_k a_ijk sin(2 pi (k b_ijk x_j + phi_ijk)), amplitudes falling as 1/k^alpha
    # (Zenke & Vogels 2021, section "Randman"); smoothness grows with alpha
    k = np.arange(1, n_freq + 1)
    amp = rng.uniform(0, 1, (n_inputs, manifold_dim, n_freq)) / k ** alpha
    freq = rng.uniform(0, 1, (n_inputs, manifold_dim, n_freq)) * k
    phase = rng.uniform(0, 1, (n_inputs, manifold_dim, n_freq))
    x = rng.uniform(0, 1, (n_points, manifold_dim))
    arg = 2 * np.pi * (x[:, None, :, None] * freq[None] + phase[None])
    y = np.prod((amp[None] * np.sin(arg)).sum(-1), axis=2)
    lo, hi = y.min(0), y.max(0)
    return (y - lo) / np.where(hi > lo, hi - lo, 1.0)


def make_randman(n_classes: int = 10, n_inputs: int = 20, n_steps: int = 50, manifold_dim: int = 1,
                 samples_per_class: int = 200, alpha: float = 2.0, test_fraction: float = 0.2,
                 seed: int = 0, dt_ms: float = 1.0) -> SpikeTask:
    """Random-manifold spike-time task (Randman, Zenke & Vogels 2021).

    Parameters
    ----------
    n_classes : int
        Number of classes (one random manifold each).
    n_inputs : int
        Input neurons (embedding dimension); each fires exactly one spike per sample.
    n_steps : int
        Time steps per sample; spike times span all but the last :data:`TAIL_STEPS`.
    manifold_dim : int
        Intrinsic dimension of each class manifold (harder when larger).
    samples_per_class : int
        Points drawn per class.
    alpha : float
        Spectral decay of the manifold's Fourier amplitudes (smoother when larger).
    test_fraction : float
        Held-out fraction, stratified.
    seed : int
        Seeds manifolds, points and split.
    dt_ms : float
        Time step the spike trains are meant for (ms).

    Returns
    -------
    SpikeTask
    """
    if n_classes < 2 or n_inputs < 1 or manifold_dim < 1 or samples_per_class < 2:
        raise InputError("randman needs n_classes >= 2, n_inputs >= 1, manifold_dim >= 1, "
                         "samples_per_class >= 2")
    rng = np.random.default_rng(seed)
    X, y = [], []
    for c in range(n_classes):
        u = _randman_coords(rng, n_inputs, manifold_dim, samples_per_class, alpha, 5)
        t = np.rint(u * _span(n_steps, TAIL_STEPS)).astype(int)
        s = np.zeros((samples_per_class, n_steps, n_inputs), np.float32)
        s[np.arange(samples_per_class)[:, None], t, np.arange(n_inputs)[None]] = 1.0
        X.append(s)
        y.append(np.full(samples_per_class, c))
    X, y = np.concatenate(X), np.concatenate(y)
    tr, te = _split(y, test_fraction, rng)
    return SpikeTask("randman", X[tr], y[tr], X[te], y[te], float(dt_ms),
                     f"Randman (Zenke & Vogels 2021): {n_classes} classes, {n_inputs} inputs, "
                     f"{manifold_dim}-D manifolds, alpha {alpha}, {samples_per_class} samples/class, "
                     f"{n_steps} steps of {dt_ms} ms, {1 - test_fraction:.0%}/{test_fraction:.0%} split (seed {seed})")


def _split(y: np.ndarray, test_fraction: float, rng) -> tuple[np.ndarray, np.ndarray]:
    tr, te = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = max(1, int(round(test_fraction * len(idx))))
        te.append(idx[:k])
        tr.append(idx[k:])
    return np.sort(np.concatenate(tr)), np.sort(np.concatenate(te))


def encode_task(task, encoding: str = "latency", n_steps: int = 30, seed: int = 0, dt_ms: float = 1.0,
                max_prob: float = 0.5) -> SpikeTask:
    """Encode a feature :class:`~neurodiscovery.learning.tasks.ClassificationTask` as spike trains.

    Parameters
    ----------
    task : ClassificationTask
        Features and labels (the scaling to [0, 1] uses the training part only).
    encoding : {"latency", "rate"}
        Spike code.
    n_steps : int
        Time steps per sample.
    seed : int
        Seeds the rate code.
    dt_ms : float
        Time step (ms).
    max_prob : float
        Rate code: spike probability per step at the top of the range (fraction).

    Returns
    -------
    SpikeTask
    """
    if encoding not in ENCODINGS:
        raise InputError(f"unknown encoding {encoding!r}; use {' or '.join(ENCODINGS)}")
    Xtr, Xte = _scale01(task.X_train, task.X_train), _scale01(task.X_train, task.X_test)
    if encoding == "latency":
        Str, Ste = latency_encode(Xtr, n_steps), latency_encode(Xte, n_steps)
    else:
        Str = rate_encode(Xtr, n_steps, max_prob, seed)
        Ste = rate_encode(Xte, n_steps, max_prob, seed + 1)
    return SpikeTask(task.name, Str, np.asarray(task.y_train, int), Ste, np.asarray(task.y_test, int),
                     float(dt_ms), f"{task.description}; {encoding}-coded over {n_steps} steps of {dt_ms} ms "
                     "(features min-max scaled on the training part)")


def load_spike_task(name: str, encoding: str = "latency", n_steps: int = 30, seed: int = 0,
                    dt_ms: float = 1.0) -> SpikeTask:
    """A spike task by name: ``randman``, ``digits``, ``mnist1d`` or a CSV path.

    Parameters
    ----------
    name : str
        Task name or CSV path (``label`` column + numeric features; split 80/20, stratified).
    encoding : {"latency", "rate"}
        Spike code of feature tasks (Randman is already spike timing).
    n_steps : int
        Time steps per sample.
    seed : int
        Seeds generator, split and rate code.
    dt_ms : float
        Time step (ms), > 0.

    Returns
    -------
    SpikeTask
    """
    from .tasks import load_csv_task, load_task

    if not (np.isfinite(dt_ms) and dt_ms > 0):
        raise InputError(f"dt_ms must be > 0, got {dt_ms}")
    if encoding not in ENCODINGS:
        raise InputError(f"unknown encoding {encoding!r}; use {' or '.join(ENCODINGS)}")
    name = str(name)
    if name == "randman":
        return make_randman(n_steps=n_steps, seed=seed, dt_ms=dt_ms)
    if name not in SPIKE_TASKS and not name.lower().endswith(".csv"):
        raise InputError(f"unknown task {name!r}; use randman, digits, mnist1d or a CSV file path")
    feats = load_task(name, seed=seed) if name in SPIKE_TASKS else load_csv_task(name, test_fraction=0.2, seed=seed)
    return encode_task(feats, encoding, n_steps, seed, dt_ms)
