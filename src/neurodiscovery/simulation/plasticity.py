"""Synaptic plasticity rules on given spike trains: pair-based STDP (trace form) and Tsodyks–Markram STP.

Both follow NEST's models of the same name event by event (``stdp_synapse``,
``tsodyks_synapse``), so a weight trajectory computed here equals NEST's for the same spikes
(checked in ``tests/simulation/test_sim_plasticity.py``). They act on one synapse given its
pre- and postsynaptic spike times; a projection's :class:`~.synapses.SynapseModel` runs the same rules
on every synapse during a network simulation (:mod:`._plastic`).

STDP (Song, Miller & Abbott 2000; Gütig et al. 2003 weight dependence). A presynaptic trace
``K+`` (time constant ``tau_plus_ms``) and a postsynaptic trace ``K-`` (``tau_minus_ms``) jump
by 1 at each spike. The weight changes only when a presynaptic spike is transmitted (as in
NEST): first potentiation by every postsynaptic spike since the previous presynaptic one,
``w/W <- w/W + lambda (1 - w/W)^mu_plus K+``, then depression
``w/W <- w/W - alpha lambda (w/W)^mu_minus K-``, clipped to ``[0, W]``. ``mu = 0`` is the
additive rule, ``mu = 1`` the multiplicative one. Postsynaptic spikes are seen at the synapse
after the dendritic delay ``delay_ms``.

Tsodyks–Markram short-term plasticity (Tsodyks, Uziel & Markram 2000): resources are
recovered (``x``), active (``y``, decaying with ``tau_psc_ms``) or inactive; each spike uses
the fraction ``u`` of ``x``, ``u`` jumps by ``U (1 - u)`` and decays to 0 with ``tau_fac_ms``,
inactive resources recover with ``tau_rec_ms``; the PSC amplitude is ``weight * u * x``.
"""
from __future__ import annotations

import math

import numpy as np

from .._utils.errors import InputError

__all__ = ["stdp_weights", "tsodyks_amplitudes"]


def _times(t, name: str) -> np.ndarray:
    a = np.asarray(t, float).ravel()
    if a.size and (not np.all(np.isfinite(a)) or np.any(np.diff(a) < 0) or a[0] < 0):
        raise InputError(f"{name} must be finite, >= 0 and sorted (ms)")
    return a


def stdp_weights(pre_ms, post_ms, w0: float, *, delay_ms: float = 1.0, tau_plus_ms: float = 20.0,
                 tau_minus_ms: float = 20.0, lambda_: float = 0.01, alpha: float = 1.0, mu_plus: float = 1.0,
                 mu_minus: float = 1.0, w_max: float = 100.0) -> np.ndarray:
    """Weight after each transmitted presynaptic spike under pair-based STDP (NEST ``stdp_synapse``).

    Parameters
    ----------
    pre_ms : array (n_pre,)
        Presynaptic spike times (ms), sorted.
    post_ms : array (n_post,)
        Postsynaptic spike times (ms), sorted.
    w0 : float
        Initial weight (same unit as ``w_max``, e.g. pA), in ``[0, w_max]``.
    delay_ms : float
        Synaptic delay (ms), used as the dendritic delay.
    tau_plus_ms, tau_minus_ms : float
        Time constants of the pre- and postsynaptic traces (ms).
    lambda_ : float
        Learning rate (dimensionless).
    alpha : float
        Depression / potentiation ratio (dimensionless).
    mu_plus, mu_minus : float
        Weight-dependence exponents: 0 additive, 1 multiplicative.
    w_max : float
        Maximum weight (> 0).

    Returns
    -------
    ndarray (n_pre,)
        Weight after each presynaptic spike (the weight that spike transmits).
    """
    pre, post = _times(pre_ms, "pre_ms"), _times(post_ms, "post_ms")
    for nm, v in (("tau_plus_ms", tau_plus_ms), ("tau_minus_ms", tau_minus_ms), ("w_max", w_max),
                  ("delay_ms", delay_ms)):
        if not (math.isfinite(v) and v > 0):
            raise InputError(f"{nm} must be > 0, got {v}")
    if not 0 <= w0 <= w_max:
        raise InputError(f"w0 must lie in [0, w_max], got {w0}")
    eps = 1e-6  # NEST's stdp_eps (ms): spikes closer than this count as simultaneous
    w, kplus, t_last = float(w0), 0.0, 0.0
    out = np.empty(pre.size)
    for k, t in enumerate(pre):
        # potentiation by the postsynaptic spikes in (t_last - d, t - d], seen d later at the synapse
        sel = post[(post > t_last - delay_ms + eps) & (post <= t - delay_ms + eps)]
        for tp in sel:
            x = w / w_max + lambda_ * (1.0 - w / w_max) ** mu_plus * kplus * math.exp((t_last - (tp + delay_ms))
                                                                                   / tau_plus_ms)
            w = min(x, 1.0) * w_max
        # depression by the postsynaptic trace at t - d (spikes strictly before)
        before = post[post < t - delay_ms - eps]
        kminus = float(np.sum(np.exp((before - (t - delay_ms)) / tau_minus_ms)))
        x = w / w_max - alpha * lambda_ * (w / w_max) ** mu_minus * kminus
        w = max(x, 0.0) * w_max
        out[k] = w
        kplus = kplus * math.exp((t_last - t) / tau_plus_ms) + 1.0
        t_last = t
    return out


def tsodyks_amplitudes(pre_ms, weight: float, *, U: float = 0.5, tau_psc_ms: float = 3.0, tau_rec_ms: float = 800.0,
                       tau_fac_ms: float = 0.0, u0: float | None = None, x0: float = 1.0,
                       y0: float = 0.0) -> np.ndarray:
    """PSC amplitude of each presynaptic spike under Tsodyks–Markram STP (NEST ``tsodyks_synapse``).

    Parameters
    ----------
    pre_ms : array (n_pre,)
        Presynaptic spike times (ms), sorted.
    weight : float
        Amplitude scale (pA): the amplitude is ``weight * u * x``.
    U : float
        Utilisation increment, in (0, 1].
    tau_psc_ms, tau_rec_ms : float
        Decay of active resources (the PSC time constant) and recovery of inactive ones (ms), both > 0.
    tau_fac_ms : float
        Facilitation time constant (ms); 0 means no facilitation (``u`` returns to 0 at once).
    u0, x0, y0 : float
        Initial utilisation (default ``U``), recovered and active fractions.

    Returns
    -------
    ndarray (n_pre,)
        Amplitude (pA) of each spike's PSC.
    """
    pre = _times(pre_ms, "pre_ms")
    if not 0 < U <= 1:
        raise InputError(f"U must be in (0, 1], got {U}")
    if not (tau_psc_ms > 0 and tau_rec_ms > 0 and tau_fac_ms >= 0) or tau_psc_ms == tau_rec_ms:
        raise InputError("tau_psc_ms and tau_rec_ms must be > 0 and different, tau_fac_ms >= 0")
    u = U if u0 is None else float(u0)
    x, y, t_last = float(x0), float(y0), 0.0
    out = np.empty(pre.size)
    for k, t in enumerate(pre):
        h = t - t_last
        puu = 0.0 if tau_fac_ms == 0 else math.exp(-h / tau_fac_ms)
        pyy = math.exp(-h / tau_psc_ms)
        pzz = math.exp(-h / tau_rec_ms)
        pxy = ((pzz - 1.0) * tau_rec_ms - (pyy - 1.0) * tau_psc_ms) / (tau_psc_ms - tau_rec_ms)
        z = 1.0 - x - y
        u *= puu
        x += pxy * y + (1.0 - pzz) * z
        y *= pyy
        u += U * (1.0 - u)
        dy = u * x
        x -= dy
        y += dy
        out[k] = dy * weight
        t_last = t
    return out
