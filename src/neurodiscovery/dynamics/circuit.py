"""Circuit inference: fit a tanh rate network to recorded trials by backpropagation through whole trials.

Identifiability
---------------
Recurrent connectivity is **not identifiable from activity alone**. Activity that lives in a
low-dimensional subspace constrains ``W`` only through its action on that subspace: any
change of ``W`` that maps the visited states' ``tanh`` to zero (rows orthogonal to them),
and any re-mixing of units that the readout absorbs (for the latent circuit, an orthogonal
change of latent basis), leaves every trajectory unchanged. What the data do pin down is
reported instead: the column space of ``W`` (where recurrent input lands), its projection
on the activity subspace, the input directions ``B`` and, for the latent circuit, the
embedding subspace ``span(Q)`` and the latent dimension.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.validation import check_array
from .rnn import KIND, build_rate_rnn, check_config

MODELS = ("low_rank", "full_rank", "latent")

@dataclass(frozen=True)
class CircuitFit:
    """A fitted rate network and what it says about the circuit.

    Attributes
    ----------
    model : str
        ``"low_rank"``, ``"full_rank"`` or ``"latent"``.
    connectivity : ndarray, shape (units, units)
        Fitted recurrent matrix ``W`` (units = neurons, or latent units for ``"latent"``).
    input_weights : ndarray, shape (units, n_inputs)
    embedding : ndarray, shape (neurons, n_latent) or None
        Orthonormal ``Q`` of the latent circuit (readout to the recordings).
    column_space : ndarray, shape (neurons, k)
        Orthonormal basis of the dominant directions of the recurrent drive ``W tanh(x)`` along
        the fitted trajectories, in neuron space (``k`` = rank; for the latent circuit ``Q``
        times the latent directions) — the identifiable part of the column space.
    r2_test : float
        Held-out R² on the test trials, each run free from its first recorded bin, pooled
        over neurons and time.
    r2_val : float
        The same on the validation trials.
    n_train, n_val, n_test : int
        Trials in each contiguous block (the last trials are the test block).
    config : dict
        Constructor config of the network (for the checkpoint).
    state_dict : dict
        Fitted tensors.
    train_s : float
        Training wall time (seconds).
    """

    model: str
    connectivity: np.ndarray
    input_weights: np.ndarray
    embedding: np.ndarray | None
    column_space: np.ndarray
    r2_test: float
    r2_val: float
    n_train: int
    n_val: int
    n_test: int
    config: dict
    state_dict: dict
    train_s: float

    def to_json(self) -> dict:
        """JSON-ready summary (fit scores, sizes, column-space angle)."""
        return {"model": self.model, "r2_test": self.r2_test, "r2_val": self.r2_val, "n_units":
                int(self.connectivity.shape[0]), "n_train": self.n_train, "n_val": self.n_val,
                "n_test": self.n_test, "train_s": round(self.train_s, 2),
                "connectivity_singular_values": np.linalg.svd(self.connectivity, compute_uv=False)[:6].tolist()}


def _validate(activity, inputs):
    y = check_array(activity, "activity (trials, time, neurons)", ndim=3)
    if y.shape[1] < 3:
        raise InputError(f"circuit fitting needs at least 3 time bins per trial, got {y.shape[1]}")
    if inputs is None:
        return y, np.zeros(y.shape[:2] + (0,))
    u = check_array(inputs, "inputs (trials, time, n_inputs)", ndim=(2, 3))
    if u.ndim == 2:
        u = u[..., None]
    if u.shape[:2] != y.shape[:2]:
        raise InputError(f"inputs have {u.shape[0]} trials x {u.shape[1]} bins but the activity has "
                         f"{y.shape[0]} x {y.shape[1]}; they must cover the same trials and time bins")
    return y, u


def split_trials(n_trials: int, test_fraction: float = 0.2, val_fraction: float = 0.2):
    """Contiguous train / validation / test blocks of trial indices (the test block last).

    Parameters
    ----------
    n_trials : int
        Number of trials.
    test_fraction, val_fraction : float
        Fractions of the trials in the test and validation blocks.

    Returns
    -------
    train, val, test : ndarray of int
    """
    if n_trials < 3:
        raise InputError(f"{n_trials} trials are fewer than the 3 blocks (train, validation, test) the fit "
                         "needs; record more trials")
    if not (0 < test_fraction < 1 and 0 < val_fraction < 1):
        raise InputError("test_fraction and val_fraction must be in (0, 1)")
    n_test = max(1, round(test_fraction * n_trials))
    n_val = max(1, round(val_fraction * (n_trials - n_test)))
    n_train = n_trials - n_test - n_val
    if n_train < 1:
        raise InputError(f"{n_trials} trials leave none for training after the validation and test blocks")
    idx = np.arange(n_trials)
    return idx[:n_train], idx[n_train:n_train + n_val], idx[n_train + n_val:]


def _r2(pred: np.ndarray, y: np.ndarray) -> float:
    return float(1 - np.sum((pred - y) ** 2) / np.sum((y - y.mean((0, 1))) ** 2))


def simulate_fit(module, activity: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """Free-running prediction of recorded activity ``(trials, time, neurons)``, from each trial's first bin."""
    import torch

    with torch.no_grad():
        y = torch.as_tensor(activity, dtype=torch.float32)
        u = torch.as_tensor(inputs, dtype=torch.float32)
        states = module(u, _initial_state(module, y[:, 0]))
        return module.observe(states).double().numpy()


def score_network(module, activity: np.ndarray, inputs: np.ndarray) -> float:
    """Held-out R² of a rate network: free-running from each trial's first bin, pooled over neurons and time.

    Parameters
    ----------
    module : torch.nn.Module
        A network from :func:`fit_circuit` or :func:`load_circuit`.
    activity : ndarray, shape (trials, time, neurons)
        Recorded activity (z-scored rates, as fitted).
    inputs : ndarray, shape (trials, time, n_inputs)
        The network's inputs on those trials (``n_inputs`` may be 0).

    Returns
    -------
    float
        ``1 − SSE / SS`` around each neuron's mean over trials and time (the ``r2_test`` of :class:`CircuitFit`).
    """
    return _r2(simulate_fit(module, activity, inputs), np.asarray(activity, float))


def _initial_state(module, y0):
    if hasattr(module, "embed"):
        q = module.embed.weight  # (neurons, latent), orthonormal columns
        return (y0 - module.obs_bias) @ q
    return y0


def _one_step_fit(x: np.ndarray, u: np.ndarray, alpha: float, ridge: float):
    """Teacher-forced ridge regression of the Euler update: ``(x[t+1] - (1-alpha) x[t]) / alpha`` on
    ``[tanh(x[t]), u[t], 1]``. Returns ``W`` (units, units), ``B`` (units, n_inputs), ``b`` (units,).
    """
    n = x.shape[2]
    z = ((x[:, 1:] - (1 - alpha) * x[:, :-1]) / alpha).reshape(-1, n)
    feats = np.concatenate([np.tanh(x[:, :-1]).reshape(-1, n), u[:, :-1].reshape(len(z), u.shape[2]),
                            np.ones((len(z), 1))], 1)
    pen = float(ridge) * np.eye(feats.shape[1])
    pen[-1, -1] = 0.0
    coef = np.linalg.solve(feats.T @ feats + pen, feats.T @ z)
    return coef[:n].T, coef[n:n + u.shape[2]].T, coef[-1]


def _initialise(net, y, u, model, rank, alpha, ridge, dims):
    """Start BPTT from a teacher-forced fit to PCA-denoised activity (rank-truncated for ``low_rank``).

    Random starts of a recurrent network fitted by BPTT settle in local minima that share the
    activity but not the circuit; differencing noisy activity, on the other hand, amplifies its
    noise by ``1/alpha``. Denoising to the ``dims`` leading PCs first keeps the regression honest.
    """
    import torch

    flat = y.reshape(-1, y.shape[2])
    mu = flat.mean(0)
    vt = np.linalg.svd(flat - mu, full_matrices=False)[2][:dims]
    if model == "latent":
        x = (y - mu) @ vt.T
    else:
        x = (y - mu) @ vt.T @ vt + mu
    w, b_in, bias = _one_step_fit(x, u, alpha, ridge)
    with torch.no_grad():
        def f32(a):
            return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32)

        if model == "low_rank":
            uu, ss, vv = np.linalg.svd(w)
            root = np.sqrt(ss[:rank] * w.shape[0])
            net.m.copy_(f32(uu[:, :rank] * root))
            net.n.copy_(f32(vv[:rank].T * root))
        else:
            net.w.copy_(f32(w))
        if u.shape[2]:
            net.b_in.copy_(f32(b_in))
        net.bias.copy_(f32(bias))
        if model == "latent":
            net.embed.weight = f32(vt.T)
            net.obs_bias.copy_(f32(mu))


def fit_circuit(activity, inputs=None, *, model: str = "low_rank", rank: int = 2, n_latent: int = 4,
                alpha: float = 0.2, test_fraction: float = 0.2, val_fraction: float = 0.2, lr: float = 1e-2,
                batch_size: int = 32, max_epochs: int = 400, patience: int = 30, weight_decay: float = 0.0,
                time_budget_s: float | None = None, init_ridge: float = 10.0, init_dims: int | None = None,
                seed: int = 0) -> CircuitFit:
    """Fit a tanh rate network to trials of activity, running each trial free from its first bin.

    Parameters
    ----------
    activity : array_like, shape (trials, time, neurons)
        Recorded activity (e.g. smoothed, z-scored rates), modelled as the unit states.
    inputs : array_like, shape (trials, time, n_inputs), optional
        Behavioural or task inputs on the same bins.
    model : {"low_rank", "full_rank", "latent"}
    rank : int
        Rank of ``W`` for ``"low_rank"`` (also the size of the reported column space).
    n_latent : int
        Latent units of ``"latent"``.
    alpha : float
        ``dt / tau`` of the Euler update.
    test_fraction, val_fraction : float
        Last trials held out for testing; of the rest, the last ones validate (early stopping).
    lr, batch_size, max_epochs, patience, weight_decay, time_budget_s : training settings.
    init_ridge : float
        Ridge penalty of the teacher-forced initial fit.
    init_dims : int, optional
        PCs kept to denoise the activity for the initial fit; default ``rank + n_inputs`` (the
        dimension a rank-``rank`` network driven by ``n_inputs`` inputs reaches from rest;
        for ``"full_rank"`` ``rank`` only sets this and the reported column space) and
        ``n_latent`` for ``"latent"``.
    seed : int

    Returns
    -------
    CircuitFit
    """
    import torch

    from .._utils.training import fit_minibatch

    if model not in MODELS:
        raise InputError(f"model must be one of {MODELS}, got {model!r}")
    y, u = _validate(activity, inputs)
    tr, va, te = split_trials(len(y), test_fraction, val_fraction)
    n_obs = y.shape[2]
    if model == "latent" and not 1 <= n_latent <= n_obs:
        raise InputError(f"n_latent must be between 1 and the {n_obs} neurons, got {n_latent}")
    config = {"n_units": n_latent if model == "latent" else n_obs, "n_inputs": int(u.shape[2]), "n_outputs": 0,
              "rank": int(rank) if model == "low_rank" else None, "alpha": float(alpha),
              "n_observed": n_obs if model == "latent" else None, "seed": int(seed)}
    net = build_rate_rnn(config)
    dims = init_dims or {"latent": int(n_latent)}.get(model, int(rank) + u.shape[2])
    _initialise(net, y[tr], u[tr], model, int(rank), float(alpha), init_ridge, min(int(dims), n_obs))
    scale = float(y[tr].var())

    def loss(module, batch, epoch):
        yy, uu = batch
        pred = module.observe(module(uu, _initial_state(module, yy[:, 0])))
        return torch.mean((pred - yy) ** 2) / scale

    def t(a):
        return torch.as_tensor(a, dtype=torch.float32)

    hist = fit_minibatch(net, loss, (t(y[tr]), t(u[tr])), (t(y[va]), t(u[va])), batch_size=batch_size, lr=lr,
                         weight_decay=weight_decay, max_epochs=max_epochs, patience=patience, seed=seed,
                         grad_clip=5.0, time_budget_s=time_budget_s, desc=f"circuit ({model})")
    with torch.no_grad():
        w = net.connectivity().double().numpy()
        b_in = net.b_in.double().numpy()[:, :u.shape[2]]
        q = net.embed.weight.double().numpy() if model == "latent" else None
    k = int(rank) if model != "latent" else min(int(rank), n_latent)
    col = _drive_column_space(net, w, y[tr], u[tr], k)
    if q is not None:
        col = q @ col
    return CircuitFit(model=model, connectivity=w, input_weights=b_in, embedding=q, column_space=col,
                      r2_test=_r2(simulate_fit(net, y[te], u[te]), y[te]),
                      r2_val=_r2(simulate_fit(net, y[va], u[va]), y[va]), n_train=len(tr), n_val=len(va),
                      n_test=len(te), config=config,
                      state_dict={k_: v.detach().clone() for k_, v in net.state_dict().items()}, train_s=hist.wall_s)


def _drive_column_space(net, w: np.ndarray, y: np.ndarray, u: np.ndarray, k: int) -> np.ndarray:
    """Top-``k`` directions of the recurrent drive ``W tanh(x)`` along the model's own training trajectories.

    Only ``W``'s action on the visited states is constrained by data (the identifiable part);
    a full-rank fit is free to grow columns along states it never visits, so its plain SVD
    mixes in unconstrained directions.
    """
    import torch

    with torch.no_grad():
        states = net(torch.as_tensor(u, dtype=torch.float32),
                     _initial_state(net, torch.as_tensor(y[:, 0], dtype=torch.float32))).double().numpy()
    t = np.tanh(states.reshape(-1, states.shape[2]))
    drive = (t - t.mean(0)) @ w.T
    return np.linalg.svd(drive, full_matrices=False)[2][:k].T


def load_circuit(folder, *, n_observed: int | None = None, n_inputs: int | None = None):
    """Rebuild a saved rate network; one clear line when it does not match the data's size.

    Parameters
    ----------
    folder : path
        Checkpoint folder written by :func:`save_circuit`.
    n_observed, n_inputs : int, optional
        Expected numbers of observed units and inputs (checked when given).

    Returns
    -------
    torch.nn.Module
    """
    from .._utils.checkpoint import load_checkpoint

    ck = load_checkpoint(folder, kind=KIND)
    check_config(ck.config, n_inputs=n_inputs, n_observed=n_observed, where=f"checkpoint {folder}")
    net = build_rate_rnn(ck.config)
    net.load_state_dict(ck.state_dict)
    net.eval()
    return net


def save_circuit(fit: CircuitFit, folder) -> None:
    """Write ``fit``'s network in the package's checkpoint format (kind ``"rate_rnn"``).

    Parameters
    ----------
    fit : CircuitFit
        A fitted rate network.
    folder : path
        Checkpoint folder to create.
    """
    from .._utils.checkpoint import save_checkpoint

    save_checkpoint(folder, fit.state_dict, fit.config, kind=KIND,
                    metadata={"model": fit.model, "r2_test": fit.r2_test})


def select_latent_dim(activity, inputs=None, dims=(2, 3, 4, 5, 6, 7, 8), *, tolerance: float = 0.002,
                      **fit_kwargs) -> tuple[int, dict]:
    """Latent-circuit dimension: the smallest ``n_latent`` whose validation R² is within
    ``tolerance`` of the best over ``dims`` (the test block is not read for the choice).

    Parameters
    ----------
    activity : array_like, shape (trials, time, units)
        Activity to fit.
    inputs : array_like, shape (trials, time, n_inputs), optional
        Inputs of the network.
    dims : sequence of int
        Candidate latent dimensions.
    tolerance : float
        Largest shortfall of validation R² (dimensionless) from the best.
    **fit_kwargs
        Passed to :func:`fit_circuit`.

    Returns
    -------
    (int, dict) : the chosen dimension and ``{n_latent: validation R²}``.
    """
    dims = sorted({int(d) for d in dims})
    if not dims:
        raise InputError("dims must list at least one latent dimension")
    scores = {d: fit_circuit(activity, inputs, model="latent", n_latent=d, **fit_kwargs).r2_val for d in dims}
    best = max(scores.values())
    return next(d for d in dims if scores[d] >= best - tolerance), scores
