"""Pair-based spike-timing-dependent plasticity in trace form (Song, Miller & Abbott 2000).

Each synapse keeps a presynaptic trace ``x`` (decay ``tau_plus_ms``, +1 per pre spike)
and a postsynaptic trace ``y`` (decay ``tau_minus_ms``, +1 per post spike). A post spike
potentiates by ``a_plus * x``, a pre spike depresses by ``a_minus * y`` (all-to-all
pairing). Signals: the synapse's own pre- and postsynaptic spike history: local.
For one pair with ``dt = t_post - t_pre`` the change is ``a_plus exp(-dt / tau_plus)``
(``dt > 0``) or ``-a_minus exp(dt / tau_minus)`` (``dt < 0``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.validation import check_array, check_positive


@dataclass(frozen=True)
class STDPParams:
    """Window parameters: amplitudes (weight units) and time constants (ms).

    Parameters
    ----------
    a_plus, a_minus : float
        Potentiation and depression amplitudes (weight units, > 0).
    tau_plus_ms, tau_minus_ms : float
        Decay time constants of the potentiation and depression sides (ms).
    """

    a_plus: float = 0.01
    a_minus: float = 0.0105
    tau_plus_ms: float = 20.0
    tau_minus_ms: float = 20.0

    def __post_init__(self):
        for name in ("a_plus", "a_minus", "tau_plus_ms", "tau_minus_ms"):
            check_positive(getattr(self, name), name)


@dataclass(frozen=True)
class STDPWindowFit:
    """Exponentials fitted to a measured window ``dw(dt)`` (``dt = t_post - t_pre``, ms).

    Parameters
    ----------
    a_plus, a_minus : float
        Fitted potentiation and depression amplitudes (weight units).
    tau_plus_ms, tau_minus_ms : float
        Fitted time constants (ms).
    """

    a_plus: float
    tau_plus_ms: float
    a_minus: float
    tau_minus_ms: float


def stdp_weight_change(pre_spikes, post_spikes, dt_ms: float, params: STDPParams = STDPParams(),
                       w_init=0.0, w_min: float | None = None, w_max: float | None = None) -> np.ndarray:
    """Run the trace rule on binned spike trains of many synapses at once.

    Parameters
    ----------
    pre_spikes, post_spikes : array_like of bool, shape (time, synapses)
        Spike in that time bin of width ``dt_ms``.
    dt_ms : float
        Time step (ms).
    params : STDPParams
    w_init : float or ndarray, shape (synapses,)
    w_min, w_max : float, optional
        Hard bounds (none by default, so the window is measured unclipped).

    Returns
    -------
    ndarray, shape (synapses,)
        Final weights.
    """
    pre = check_array(pre_spikes, "pre_spikes (time, synapses)", ndim=2, dtype=bool)
    post = check_array(post_spikes, "post_spikes (time, synapses)", ndim=2, dtype=bool)
    if pre.shape != post.shape:
        raise InputError(f"pre_spikes {pre.shape} and post_spikes {post.shape} must have the same shape")
    dt = check_positive(dt_ms, "dt_ms")
    decay_pre, decay_post = np.exp(-dt / params.tau_plus_ms), np.exp(-dt / params.tau_minus_ms)
    n = pre.shape[1]
    w = np.broadcast_to(np.asarray(w_init, float), (n,)).copy()
    x, y = np.zeros(n), np.zeros(n)
    for t in range(pre.shape[0]):
        x *= decay_pre
        y *= decay_post
        # a pre spike reads the post trace before its own update, and vice versa, so a
        # pair in the same bin counts once in neither direction's favour
        w -= params.a_minus * y * pre[t]
        w += params.a_plus * x * post[t]
        x += pre[t]
        y += post[t]
        if w_min is not None or w_max is not None:
            np.clip(w, w_min, w_max, out=w)
    return w


def stdp_window(delta_t_ms, params: STDPParams = STDPParams(), dt_ms: float = 0.1) -> np.ndarray:
    """Weight change per spike pair as a function of ``dt = t_post - t_pre`` (ms).

    Measured by running :func:`stdp_weight_change` on one pre/post pair per synapse.

    Parameters
    ----------
    delta_t_ms : array_like, shape (pairs,)
        Spike-time differences; each is rounded to the ``dt_ms`` grid.
    params : STDPParams
        Window amplitudes and time constants.
    dt_ms : float
        Simulation time step (ms).

    Returns
    -------
    ndarray, shape (pairs,)
    """
    d = check_array(delta_t_ms, "delta_t_ms", ndim=1, min_len=1)
    lag = np.round(d / dt_ms).astype(int)
    pad = int(np.abs(lag).max()) + 2
    n_t = 2 * pad + 1
    pre = np.zeros((n_t, len(d)), bool)
    post = np.zeros((n_t, len(d)), bool)
    cols = np.arange(len(d))
    pre[pad, cols] = True
    post[pad + lag, cols] = True
    return stdp_weight_change(pre, post, dt_ms, params)


def fit_stdp_window(delta_t_ms, dw) -> STDPWindowFit:
    """Fit ``A exp(-|dt| / tau)`` separately to potentiation (dt > 0) and depression (dt < 0).

    Parameters
    ----------
    delta_t_ms, dw : array_like, shape (pairs,)
        A measured window; needs at least two points on each side.
    """
    from scipy.optimize import curve_fit

    d = check_array(delta_t_ms, "delta_t_ms", ndim=1)
    w = check_array(dw, "dw", ndim=1)
    if len(d) != len(w):
        raise InputError(f"delta_t_ms has {len(d)} values but dw has {len(w)}")
    out = []
    for side, sign in ((d > 0, 1.0), (d < 0, -1.0)):
        if side.sum() < 2:
            raise InputError("fit_stdp_window needs at least two pairs with dt > 0 and two with dt < 0")
        x, y = np.abs(d[side]), sign * w[side]

        def f(t, a, tau):
            return a * np.exp(-t / tau)

        a0 = float(y[np.argmin(x)])
        (a, tau), _ = curve_fit(f, x, y, p0=(a0, max(float(np.median(x)), 1e-3)), maxfev=5000)
        out += [float(a), float(tau)]
    return STDPWindowFit(out[0], out[1], out[2], out[3])
