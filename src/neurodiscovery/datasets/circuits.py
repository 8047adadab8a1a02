"""Seeded task and circuit generators with planted dynamics (flip-flop, low-rank rate RNN).

Both return their ground truth, so fixed-point finders and circuit-inference fits can be
checked against what was planted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.random import as_rng


@dataclass(frozen=True)
class FlipFlopTask:
    """N-bit flip-flop (Sussillo & Barak 2013).

    Attributes
    ----------
    inputs : ndarray, shape (trials, time, bits)
        Sparse ±1 pulses, one channel per bit.
    targets : ndarray, shape (trials, time, bits)
        The sign of each channel's most recent pulse (0 before the first one).
    n_bits : int
    """

    inputs: np.ndarray
    targets: np.ndarray
    n_bits: int


def make_flipflop(n_bits: int = 3, n_trials: int = 256, n_time: int = 100, pulse_prob: float = 0.05,
                  seed: int | None = 0) -> FlipFlopTask:
    """Random ±1 pulses per bit; the target holds the last pulse's sign.

    Every trial starts with a pulse on every bit at t = 0, so all 2**n_bits memory states are visited.
    """
    if n_bits < 1 or n_trials < 1 or n_time < 2 or not 0 < pulse_prob < 1:
        raise InputError("make_flipflop needs n_bits >= 1, n_trials >= 1, n_time >= 2, 0 < pulse_prob < 1")
    rng = as_rng(seed)
    pulses = (rng.random((n_trials, n_time, n_bits)) < pulse_prob).astype(float)
    pulses[:, 0] = 1.0
    inputs = pulses * rng.choice([-1.0, 1.0], size=pulses.shape)
    targets = np.zeros_like(inputs)
    state = np.zeros((n_trials, n_bits))
    for t in range(n_time):
        state = np.where(inputs[:, t] != 0, inputs[:, t], state)
        targets[:, t] = state
    return FlipFlopTask(inputs, targets, int(n_bits))


@dataclass(frozen=True)
class PlantedCircuit:
    """Activity of a low-rank tanh rate network driven by context-dependent inputs.

    Dynamics (Euler, ``alpha = dt / tau``)::

        x[t+1] = x[t] + alpha * (-x[t] + J tanh(x[t]) + B u[t]),   J = m nᵀ / N

    Attributes
    ----------
    activity : ndarray, shape (trials, time, neurons)
        Unit states ``x`` plus Gaussian observation noise.
    clean : ndarray, shape (trials, time, neurons)
        Noise-free ``x``.
    inputs : ndarray, shape (trials, time, 3)
        Two stimulus channels and a tonic context cue (±1 selects which stimulus matters).
    connectivity : ndarray, shape (neurons, neurons)
        Planted ``J``.
    m, n : ndarray, shape (neurons, rank)
        Left (column-space) and right factors of ``J``.
    input_weights : ndarray, shape (neurons, 3)
        ``B``.
    latent_dim : int
        Dimension of the space the activity lives in: ``rank + n_inputs``.
    alpha : float
    """

    activity: np.ndarray
    clean: np.ndarray
    inputs: np.ndarray
    connectivity: np.ndarray
    m: np.ndarray
    n: np.ndarray
    input_weights: np.ndarray
    latent_dim: int
    alpha: float


def make_planted_circuit(n_neurons: int = 60, rank: int = 2, n_trials: int = 120, n_time: int = 60,
                         alpha: float = 0.2, noise_sd: float = 0.05, stim_noise: float = 1.0,
                         seed: int | None = 0) -> PlantedCircuit:
    """Simulate a rank-``rank`` tanh network doing context-dependent integration.

    Each trial presents two noisy stimuli with random means; a tonic context input (±1) and
    context-gated copies decide which stimulus reaches the network strongly. The activity
    starts at 0, so it lives in ``span(m, B)``, of dimension ``rank + 3``.
    """
    if n_neurons < rank + 4 or rank < 1 or n_trials < 2 or n_time < 3:
        raise InputError("make_planted_circuit needs n_neurons >= rank + 4, rank >= 1, n_trials >= 2, n_time >= 3")
    rng = as_rng(seed)
    m = rng.normal(0, 1, (n_neurons, rank))
    # overlap of n with m sets the recurrent gain along m (slow, integrating directions)
    n = 1.8 * m + rng.normal(0, 1, (n_neurons, rank))
    J = m @ n.T / n_neurons
    B = rng.normal(0, 1, (n_neurons, 3))
    ctx = rng.choice([-1.0, 1.0], size=n_trials)
    means = rng.uniform(-1, 1, (n_trials, 2))
    stim = 0.5 * means[:, None, :] + stim_noise * rng.standard_normal((n_trials, n_time, 2))
    gate = np.stack([(ctx > 0), (ctx < 0)], -1).astype(float) * 0.8 + 0.2  # the cued stimulus dominates
    u = np.concatenate([stim * gate[:, None, :], np.broadcast_to(ctx[:, None, None], (n_trials, n_time, 1))], -1)
    u[:, :5] = 0.0  # a quiet start
    x = np.zeros((n_trials, n_time, n_neurons))
    for t in range(1, n_time):
        prev = x[:, t - 1]
        x[:, t] = prev + alpha * (-prev + np.tanh(prev) @ J.T + u[:, t - 1] @ B.T)
    noisy = x + noise_sd * x.std() * rng.standard_normal(x.shape)
    return PlantedCircuit(noisy, x, u, J, m, n, B, int(rank + u.shape[2]), float(alpha))
