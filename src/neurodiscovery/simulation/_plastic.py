"""Plastic synapses in the native engine: STDP (NEST ``stdp_synapse``) and Tsodyks–Markram STP
(NEST ``tsodyks_synapse``) on the projections whose :class:`~.synapses.SynapseModel` is plastic.

Their synapses leave the static table (whose delivery stays as fast as before) for a small table
of their own, by source, with float64 weights and per-synapse state. At the end of every step the
kernel :func:`plastic_step` (serial; a no-op without plastic synapses) does what NEST does when a
spike is sent: it appends this step's spikes of STDP targets to their postsynaptic history
(time and trace ``K-``), updates the synapses of every neuron that fired, in NEST's lazy order
(potentiation by each postsynaptic spike since the previous presynaptic one, seen one dendritic
delay later, then depression by ``K-`` at ``t - d``), and puts the transmitted weight into a ring
of future inputs; then it moves the next step's plastic inputs into the input buffers. Times are
NEST's (integer tics of 1 µs), so weights equal NEST's to rounding.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

_EPS = 1e-6  # NEST's stdp_eps (ms): spikes closer than this count as simultaneous
_TICS_PER_MS = 1000.0


class Plastic(NamedTuple):
    """Plastic synapses (CSR by source) with their state, the postsynaptic spike history of STDP
    targets (a list per neuron linked through ``ph_prev``/``ph_next``), and the rings of future inputs.

    ``pl_par`` rows per projection: STDP ``tau_plus, lambda, alpha, mu_plus, mu_minus, w_max`` or
    Tsodyks ``U, tau_psc, tau_rec, tau_fac``; ``pl_type`` 1 = STDP, 2 = Tsodyks.
    """

    pl_rowptr: np.ndarray
    pl_tgt: np.ndarray
    pl_d: np.ndarray
    pl_w: np.ndarray
    pl_proj: np.ndarray
    pl_par: np.ndarray
    pl_type: np.ndarray
    pl_kplus: np.ndarray
    pl_tlast: np.ndarray
    pl_u: np.ndarray
    pl_x: np.ndarray
    pl_y: np.ndarray
    pl_targets: np.ndarray
    ph_t: np.ndarray
    ph_k: np.ndarray
    ph_prev: np.ndarray
    ph_next: np.ndarray
    ph_last: np.ndarray
    ph_n: np.ndarray
    ph_taum: np.ndarray
    ring_ex: np.ndarray
    ring_in: np.ndarray
    tic_step: int


def _params(sm) -> tuple[int, list[float]]:
    if sm.model == "stdp_synapse":
        return 1, [sm.tau_plus_ms, sm.lambda_, sm.alpha, sm.mu_plus, sm.mu_minus, sm.w_max]
    return 2, [sm.U, sm.tau_psc_ms, sm.tau_rec_ms, sm.tau_fac_ms, 0.0, 0.0]


def build_plastic(net, syn: np.ndarray, rowptr: np.ndarray, shift: int, split: bool):
    """Move the synapses of plastic projections out of the static table ``(syn, rowptr)``.

    Returns the static table without them, the :class:`Plastic` bundle and, per plastic projection
    ``(source, target)``, the indices of its synapses in the plastic table.
    """
    N, dt = net.n_neurons, float(net.dt_ms)
    off, size = net.offsets(), {p.name: p.n for p in net.populations}
    src_all = np.repeat(np.arange(N), np.diff(rowptr))
    tgt_all = (syn[:, 0].view(np.uint32) >> np.uint32(shift)).astype(np.int64)
    plastic = np.full(len(syn), -1, np.int64)
    types, pars, taum = [], [], np.zeros(N)
    for j, pr in enumerate(p for p in net.projections if p.synapse.plastic):
        s0, t0 = off[pr.source], off[pr.target]
        m = (src_all >= s0) & (src_all < s0 + size[pr.source]) & (tgt_all >= t0) & (tgt_all < t0 + size[pr.target])
        plastic[m] = j
        ty, pa = _params(pr.synapse)
        types.append(ty)
        pars.append(pa)
        if ty == 1:
            taum[t0:t0 + size[pr.target]] = pr.synapse.tau_minus_ms
    sel = np.flatnonzero(plastic >= 0)
    order = sel[np.lexsort((tgt_all[sel], src_all[sel]))]
    keep = plastic < 0
    new_rowptr = np.zeros(N + 1, np.int64)
    np.cumsum(np.bincount(src_all[keep], minlength=N), out=new_rowptr[1:])
    d = (syn[order, 0] & ((1 << shift) - 1)).astype(np.int64)
    proj = plastic[order]
    pl_rowptr = np.zeros(N + 1, np.int64)
    np.cumsum(np.bincount(src_all[order], minlength=N), out=pl_rowptr[1:])
    plist = [p for p in net.projections if p.synapse.plastic]
    u0 = np.array([(p.synapse.U if p.synapse.u0 is None else p.synapse.u0) for p in plist] or [0.0])[proj]
    n_pl = order.size
    L = int(d.max()) + 1 if n_pl else 1
    bundle = Plastic(
        pl_rowptr=pl_rowptr, pl_tgt=tgt_all[order], pl_d=d, pl_w=syn[order, 1].view(np.float32).astype(np.float64),
        pl_proj=proj, pl_par=np.array(pars or [[0.0] * 6], float), pl_type=np.array(types or [0], np.int64),
        pl_kplus=np.zeros(n_pl), pl_tlast=np.zeros(n_pl), pl_u=u0.astype(float),
        pl_x=np.array([p.synapse.x0 for p in plist] or [0.0])[proj].astype(float),
        pl_y=np.array([p.synapse.y0 for p in plist] or [0.0])[proj].astype(float),
        pl_targets=np.unique(tgt_all[order]),
        ph_t=np.zeros(1024), ph_k=np.zeros(1024), ph_prev=np.zeros(1024, np.int64),
        ph_next=np.zeros(1024, np.int64), ph_last=np.full(N, -1, np.int64), ph_n=np.zeros(1, np.int64),
        ph_taum=taum, ring_ex=np.zeros((L, N if n_pl else 1)), ring_in=np.zeros((L, N if n_pl and split else 1)),
        tic_step=int(round(dt * _TICS_PER_MS)))
    index = {(p.source, p.target): np.flatnonzero(proj == j) for j, p in enumerate(plist)}
    return syn[keep], new_rowptr, bundle, index


def grow_history(b: Plastic, n_neurons: int) -> Plastic:
    """A bundle whose postsynaptic history has room for at least one more step of spikes."""
    if int(b.ph_n[0]) + n_neurons <= b.ph_t.size:
        return b
    n = max(2 * b.ph_t.size, int(b.ph_n[0]) + n_neurons)

    def grow(a):
        out = np.zeros(n, a.dtype)
        out[:a.size] = a
        return out

    return b._replace(ph_t=grow(b.ph_t), ph_k=grow(b.ph_k), ph_prev=grow(b.ph_prev), ph_next=grow(b.ph_next))


@njit(cache=True)
def _stdp(q, t, d, tgt, par, pl_w, pl_kplus, pl_tlast, ph_t, ph_k, ph_prev, ph_next, ph_last, taum):
    """Weight a presynaptic spike at ``t`` transmits over STDP synapse ``q`` (NEST ``stdp_synapse::send``)."""
    tau_p, lam, alpha, mup, mum, wmax = par[0], par[1], par[2], par[3], par[4], par[5]
    w, tl, kp = pl_w[q], pl_tlast[q], pl_kplus[q]
    lo, hi, tk = tl - d + _EPS, t - d + _EPS, t - d
    i = ph_last[tgt]
    first = -1
    kminus = 0.0
    found = False
    while i >= 0 and ph_t[i] >= lo:  # the history in [t_last - d, ...], newest first
        if not found and tk - ph_t[i] > _EPS:
            kminus = ph_k[i] * math.exp((ph_t[i] - tk) / taum)
            found = True
        first = i
        i = ph_prev[i]
    if not found and i >= 0:
        kminus = ph_k[i] * math.exp((ph_t[i] - tk) / taum)
    j = first
    while j >= 0 and ph_t[j] < hi:  # potentiation, oldest first
        nw = w / wmax + lam * (1.0 - w / wmax) ** mup * (kp * math.exp((tl - (ph_t[j] + d)) / tau_p))
        w = nw * wmax if nw < 1.0 else wmax
        j = ph_next[j] if ph_next[j] != j else -1
    nw = w / wmax - alpha * lam * (w / wmax) ** mum * kminus
    w = nw * wmax if nw > 0.0 else 0.0
    pl_w[q] = w
    pl_kplus[q] = kp * math.exp((tl - t) / tau_p) + 1.0
    pl_tlast[q] = t
    return w


@njit(cache=True)
def _tsodyks(q, t, par, pl_w, pl_tlast, pl_u, pl_x, pl_y):
    """Weight a presynaptic spike at ``t`` transmits over Tsodyks synapse ``q`` (NEST ``tsodyks_synapse::send``)."""
    U, tau_psc, tau_rec, tau_fac = par[0], par[1], par[2], par[3]
    h = t - pl_tlast[q]
    puu = 0.0 if tau_fac == 0.0 else math.exp(-h / tau_fac)
    pyy = math.exp(-h / tau_psc)
    pzz = math.exp(-h / tau_rec)
    pxy = ((pzz - 1.0) * tau_rec - (pyy - 1.0) * tau_psc) / (tau_psc - tau_rec)
    pxz = 1.0 - pzz
    x, y, u = pl_x[q], pl_y[q], pl_u[q]
    z = 1.0 - x - y
    u *= puu
    x += pxy * y + pxz * z
    y *= pyy
    u += U * (1.0 - u)
    dy = u * x
    pl_x[q] = x - dy
    pl_y[q] = y + dy
    pl_u[q] = u
    pl_tlast[q] = t
    return dy * pl_w[q]


@njit(cache=True)
def plastic_step(s, hist, hist_n, inp_ex, inp_in, split,
                 pl_rowptr, pl_tgt, pl_d, pl_w, pl_proj, pl_par, pl_type, pl_kplus, pl_tlast, pl_u, pl_x, pl_y,
                 pl_targets, ph_t, ph_k, ph_prev, ph_next, ph_last, ph_n, ph_taum, ring_ex, ring_in, tic_step):
    """End of step ``s``: archive postsynaptic spikes, send this step's spikes over plastic synapses,
    move the next step's plastic inputs into ``inp_ex``/``inp_in``."""
    if pl_tgt.shape[0] == 0:
        return
    L = hist.shape[0]
    h = s % L
    n = hist_n[h]
    t = ((s + 1) * tic_step) / _TICS_PER_MS
    for m in range(n):
        j = hist[h, m]
        tm = ph_taum[j]
        if tm > 0.0:
            i = ph_n[0]
            last = ph_last[j]
            ph_k[i] = 1.0 if last < 0 else ph_k[last] * math.exp((ph_t[last] - t) / tm) + 1.0
            ph_t[i] = t
            ph_prev[i] = last
            ph_next[i] = i  # "no next yet"
            if last >= 0:
                ph_next[last] = i
            ph_last[j] = i
            ph_n[0] = i + 1
    R = ring_ex.shape[0]
    for m in range(n):
        j = hist[h, m]
        for q in range(pl_rowptr[j], pl_rowptr[j + 1]):
            r = pl_proj[q]
            tgt = pl_tgt[q]
            if pl_type[r] == 1:
                d = (pl_d[q] * tic_step) / _TICS_PER_MS
                w = _stdp(q, t, d, tgt, pl_par[r], pl_w, pl_kplus, pl_tlast, ph_t, ph_k, ph_prev, ph_next, ph_last,
                          ph_taum[tgt])
            else:
                w = _tsodyks(q, t, pl_par[r], pl_w, pl_tlast, pl_u, pl_x, pl_y)
            slot = (s + pl_d[q]) % R
            if split and w < 0:
                ring_in[slot, tgt] += w
            else:
                ring_ex[slot, tgt] += w
    slot = (s + 1) % R
    for k in range(pl_targets.shape[0]):
        j = pl_targets[k]
        inp_ex[j] += ring_ex[slot, j]
        ring_ex[slot, j] = 0.0
        if split:
            inp_in[j] += ring_in[slot, j]
            ring_in[slot, j] = 0.0
