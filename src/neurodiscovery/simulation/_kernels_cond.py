"""Stepping kernel of conductance-based neurons (NEST ``iaf_cond_exp``), integrated as NEST does.

NEST integrates ``iaf_cond_exp`` with GSL's ``gsl_odeiv_evolve_apply`` driving the embedded
Runge–Kutta–Fehlberg 4(5) stepper (``gsl_odeiv_step_rkf45``) under the standard step control
(``gsl_odeiv_control_y_new(1e-3, 0)``: an absolute error of 1e-3 mV per step), substepping
each time step and carrying the adapted step size over to the next one. The equations are
not linear with constant coefficients (the conductances multiply V), so the exact propagators
of ``iaf_psc_exp`` do not apply; these kernels follow the same algorithm operation by
operation (coefficients, error estimate, step growth and shrink rules, the last substep
clipped to the end of the time step), so traces equal NEST's to rounding error. The
tolerance is a parameter: smaller values converge to the exact solution.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_DBL_MIN = 2.2250738585072014e-308
# RKF45 coefficients (Fehlberg; as GSL's rkf45.c)
_A0, _A1, _A2, _A3, _A4 = 1.0 / 4.0, 3.0 / 8.0, 12.0 / 13.0, 1.0, 1.0 / 2.0
_B30, _B31 = 3.0 / 32.0, 9.0 / 32.0
_B40, _B41, _B42 = 1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0
_B50, _B51, _B52, _B53 = 8341.0 / 4104.0, -32832.0 / 4104.0, 29440.0 / 4104.0, -845.0 / 4104.0
_B60, _B61, _B62 = -6080.0 / 20520.0, 41040.0 / 20520.0, -28352.0 / 20520.0
_B63, _B64 = 9295.0 / 20520.0, -5643.0 / 20520.0
_C1, _C3, _C4 = 902880.0 / 7618050.0, 3953664.0 / 7618050.0, 3855735.0 / 7618050.0
_C5, _C6 = -1371249.0 / 7618050.0, 277020.0 / 7618050.0
_E1, _E3, _E4, _E5, _E6 = 1.0 / 360.0, -128.0 / 4275.0, -2197.0 / 75240.0, 1.0 / 50.0, 2.0 / 55.0


@njit(cache=True, inline="always")
def _rhs(v, ge, gi, refr, gl, cm, el, eex, ein, tex, tin, i_tot, vth, vreset):
    """dV/dt (mV/ms), dg_ex/dt, dg_in/dt (nS/ms); V enters as ``min(V, V_th)`` and is frozen while
    refractory (NEST's ``iaf_cond_exp_dynamics``)."""
    vv = vreset if refr else min(v, vth)
    dv = 0.0 if refr else (-(gl * (vv - el)) + i_tot[0] + i_tot[1] - ge * (vv - eex) - gi * (vv - ein)) / cm
    return dv, -ge / tex, -gi / tin


@njit(cache=True)
def cond_step(v, ge, gi, h, refr, gl, cm, el, eex, ein, tex, tin, tol, dt, i_stim, i_e, vth, vreset):
    """Integrate one time step of one neuron; returns ``(V, g_ex, g_in, next substep)``.

    Parameters are the neuron's state (mV, nS), the substep carried over (ms), whether it is
    refractory, the values of its row of ``NeuronParams.cond`` (scalars: passing an array would cost
    a reference count per neuron and step) and the injected and constant currents (pA).
    """
    it = (i_stim, i_e)
    t = 0.0
    while t < dt:
        t0 = t
        h0 = h
        rem = dt - t0
        k1v, k1e, k1i = _rhs(v, ge, gi, refr, gl, cm, el, eex, ein, tex, tin, it, vth, vreset)
        while True:
            final = h0 > rem
            if final:
                h0 = rem
            a = _A0 * h0
            k2v, k2e, k2i = _rhs(v + a * k1v, ge + a * k1e, gi + a * k1i, refr, gl, cm, el, eex, ein, tex, tin,
                                 it, vth, vreset)
            k3v, k3e, k3i = _rhs(v + h0 * (_B30 * k1v + _B31 * k2v), ge + h0 * (_B30 * k1e + _B31 * k2e),
                                 gi + h0 * (_B30 * k1i + _B31 * k2i), refr, gl, cm, el, eex, ein, tex, tin,
                                 it, vth, vreset)
            k4v, k4e, k4i = _rhs(v + h0 * (_B40 * k1v + _B41 * k2v + _B42 * k3v),
                                 ge + h0 * (_B40 * k1e + _B41 * k2e + _B42 * k3e),
                                 gi + h0 * (_B40 * k1i + _B41 * k2i + _B42 * k3i), refr, gl, cm, el, eex, ein,
                                 tex, tin, it, vth, vreset)
            k5v, k5e, k5i = _rhs(v + h0 * (_B50 * k1v + _B51 * k2v + _B52 * k3v + _B53 * k4v),
                                 ge + h0 * (_B50 * k1e + _B51 * k2e + _B52 * k3e + _B53 * k4e),
                                 gi + h0 * (_B50 * k1i + _B51 * k2i + _B52 * k3i + _B53 * k4i), refr, gl, cm,
                                 el, eex, ein, tex, tin, it, vth, vreset)
            k6v, k6e, k6i = _rhs(v + h0 * (_B60 * k1v + _B61 * k2v + _B62 * k3v + _B63 * k4v + _B64 * k5v),
                                 ge + h0 * (_B60 * k1e + _B61 * k2e + _B62 * k3e + _B63 * k4e + _B64 * k5e),
                                 gi + h0 * (_B60 * k1i + _B61 * k2i + _B62 * k3i + _B63 * k4i + _B64 * k5i),
                                 refr, gl, cm, el, eex, ein, tex, tin, it, vth, vreset)
            nv = v + h0 * (_C1 * k1v + _C3 * k3v + _C4 * k4v + _C5 * k5v + _C6 * k6v)
            ne = ge + h0 * (_C1 * k1e + _C3 * k3e + _C4 * k4e + _C5 * k5e + _C6 * k6e)
            ni = gi + h0 * (_C1 * k1i + _C3 * k3i + _C4 * k4i + _C5 * k5i + _C6 * k6i)
            # error estimate: difference of the 4th- and 5th-order solutions; standard control with
            # eps_rel = 0, so each component is measured against the absolute tolerance
            rmax = _DBL_MIN
            for err in (h0 * (_E1 * k1v + _E3 * k3v + _E4 * k4v + _E5 * k5v + _E6 * k6v),
                        h0 * (_E1 * k1e + _E3 * k3e + _E4 * k4e + _E5 * k5e + _E6 * k6e),
                        h0 * (_E1 * k1i + _E3 * k3i + _E4 * k4i + _E5 * k5i + _E6 * k6i)):
                r = abs(err) / tol
                rmax = r if r > rmax else rmax
            tn = dt if final else t0 + h0
            hn = h0
            if rmax > 1.1:  # shrink (at most 5x) and retry, unless that would not move time
                f = 0.9 / rmax ** (1.0 / 5.0)
                hn = (0.2 if f < 0.2 else f) * h0
                if abs(hn) < abs(h0) and tn + hn != tn:
                    h0 = hn
                    continue
                hn = h0
            elif rmax < 0.5:  # grow, at most 5x
                f = 0.9 / rmax ** (1.0 / 6.0)
                f = 5.0 if f > 5.0 else f
                hn = (1.0 if f < 1.0 else f) * h0
            v, ge, gi, t, h = nv, ne, ni, tn, hn
            break
    return v, ge, gi, h


@njit(cache=True)
def update_cond(ys, es, is_, rs, hs, be, bi, cs, has_cur, c, thq, vrq, nr, ieq, out_spk, p, cnt, a):
    """One time step of a segment of ``iaf_cond_exp`` neurons in NEST's order: integrate, add the
    arriving conductances (``be`` excitatory, ``bi`` the negative inhibitory weights), then clamp a
    refractory neuron to reset or emit a spike at threshold. Potentials are stored relative to E_L.
    Returns the updated count of this partition's spikes in ``out_spk[p]``.
    """
    gl, cm, el, eex, ein, tex, tin, tol, dt = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
    vth = thq + el
    vreset = vrq + el
    for k in range(ys.shape[0]):
        refr = rs[k] > 0
        v, ge, gi, h = cond_step(ys[k] + el, es[k], is_[k], hs[k], refr, gl, cm, el, eex, ein, tex, tin, tol, dt,
                                 cs[k] if has_cur else 0.0, ieq, vth, vreset)
        hs[k] = h
        es[k] = ge + np.float64(be[k])
        be[k] = 0.0
        is_[k] = gi - np.float64(bi[k])
        bi[k] = 0.0
        if refr:
            rs[k] -= 1
            v = vreset
        elif v >= vth:
            rs[k] = nr
            v = vreset
            out_spk[p, cnt] = a + k
            cnt += 1
        ys[k] = v - el
    return cnt
