"""numba kernels of the native engine: random numbers, connection building, time stepping.

Everything here works on flat arrays; :mod:`.engine` prepares them. All kernels are
compiled with ``cache=True`` so a second process starts without re-compiling.

Layout. One CSR row per source holds all its synapses, 8 bytes each (``target << bits |
delay`` and the float32 weight's bits side by side, so delivery streams one array),
sorted by (delay, target partition) with an offset table. Spikes are kept in a short
history and delivered when their delay ends, into one input vector per step: the writes
of a step stay in cache. Neurons are split into ``n_parts`` contiguous partitions (a
fixed function of the network size, not of the thread count); a thread delivers only
into its own partitions' targets and updates them, so there are no atomics or locks.
Every target sums its inputs in the same order whatever the number of threads, and
Poisson input comes from one xorshift stream per neuron, so results do not depend on
the thread count.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

# The build kernels and random streams live in their own modules; the engine reaches every
# kernel through this one (``K.connect_random``, ``K.neuron_streams``, ...).
from ._kernels_build import (  # noqa: F401
    _prefetch,
    connect_explicit,
    connect_random,
    connect_source_major,
    max_delay,
    sort_rows_by_delay,
)
from ._kernels_cond import update_cond
from ._kernels_rng import (  # noqa: F401
    _INV53,
    _S11,
    _S12,
    _S25,
    _S27,
    _XM,
    neuron_streams,
    poisson_any,
    seed_stream,
    uniform,
)
from ._plastic import plastic_step

_AHEAD = 8  # spikes whose synapse groups are prefetched ahead of the one being delivered


@njit(cache=True)
def _deliver(p0, p1, s, hist, hist_n, rowptr, off, syn, synw, shift, inp_ex, inp_in, split):
    """Add to this step's input of partitions [p0, p1) every spike whose delay ends now.

    Spikes are delivered when they arrive, not when they are emitted: for each delay d
    the spikes emitted at step ``s - d`` (kept in the spike history ``hist``) add their
    synapses of delay d onto these partitions (one contiguous group of the sorted row)
    to the single input vector of this step. All writes of a step then hit one N-float
    vector that stays in cache, instead of being scattered over an (L x N) ring buffer
    (one cache miss each); the groups' reads are prefetched a few spikes ahead, because
    each group starts at a random place in the synapse table.
    """
    L = hist.shape[0]
    P = (off.shape[1] - 1) // L
    ushift = np.uint32(shift)
    flat = syn.reshape(-1)
    for d in range(1, L):
        e = s - d
        if e < 0:
            break
        h = e % L
        n = hist_n[h]
        g0 = d * P + p0
        g1 = d * P + p1
        for m in range(min(_AHEAD, n)):
            src = hist[h, m]
            for q in range(rowptr[src] + off[src, g0], rowptr[src] + off[src, g1], 8):
                _prefetch(flat, 2 * q)
        for m in range(n):
            if m + _AHEAD < n:
                src = hist[h, m + _AHEAD]
                for q in range(rowptr[src] + off[src, g0], rowptr[src] + off[src, g1], 8):
                    _prefetch(flat, 2 * q)
            src = hist[h, m]
            base = rowptr[src]
            for k in range(base + off[src, g0], base + off[src, g1]):
                t = np.uint32(syn[k, 0]) >> ushift  # unsigned: no wraparound check
                w = synw[k, 1]
                if split and w < 0:
                    inp_in[t] += w
                else:
                    inp_ex[t] += w


_CHUNK = 256  # neurons per block of Poisson draws


@njit(cache=True)
def _update_part(p, s, s_chunk, seg_lo, seg_hi, seg_pop, y, iex, iin, ref, hint,
                 P22, P21ex, P21in, P20, P11ex, P11in, th, vr, nref, ie, model, cond,
                 pois_ptr, pois_cdf, pois_kf, pois_w, rng,
                 cur_ptr, cur_idx, cur_gain, cur_amp, curbuf,
                 inp_ex, inp_in, split, out_spk, out_n, scratch):
    """Advance the neurons of partition p by one step (NEST iaf_psc_exp order).

    Written as separate passes so that the main update is a branch-free loop the compiler
    vectorises (a conditional store inside it would cost ~4x): Poisson arrivals and
    injected currents are first added to the buffers, then all neurons are propagated,
    then threshold crossings are collected.
    """
    cnt = 0
    bex_row = inp_ex
    bin_row = inp_in
    ub = scratch[p, 0]  # uniforms and counts of one block of neurons (stay in L1)
    cb = scratch[p, 1]
    for g in range(seg_lo[p], seg_hi[p]):
        q = seg_pop[g, 0]
        a = seg_pop[g, 1]
        b = seg_pop[g, 2]
        n = b - a
        # work on slices indexed from 0: with a loop index known to be >= 0 numba drops its
        # negative-index wraparound code and LLVM vectorises the loops (4.5 -> 1 ns/neuron)
        ys = y[a:b]
        es = iex[a:b]
        is_ = iin[a:b]
        rs = ref[a:b]
        cs = curbuf[a:b]
        be = bex_row[a:b]
        bi = bin_row[a:b] if split else bin_row[0:0]
        for r in range(pois_ptr[q], pois_ptr[q + 1]):
            # Poisson counts by inversion of the CDF table, written as loops over neurons
            # that the compiler vectorises: each neuron has its own xorshift64* stream
            # (so draws do not depend on partitions or threads), a uniform u is drawn for
            # every neuron of a block, and the count is the number of CDF entries below u,
            # summed over the first kf entries (which hold all but ~1 % of the mass);
            # the rare u beyond them continue with a scalar search. Exact inversion.
            w = pois_w[r]
            inh = w < 0 and split
            cr = pois_cdf[r]
            kf = pois_kf[r]
            ctail = cr[kf - 1]
            dst = bi if inh else be
            for c0 in range(0, n, _CHUNK):
                m = min(_CHUNK, n - c0)
                st = rng[a + c0:a + c0 + m]
                for k in range(m):
                    x = st[k]
                    x ^= x >> _S12
                    x ^= x << _S25
                    x ^= x >> _S27
                    st[k] = x
                    ub[k] = float((x * _XM) >> _S11) * _INV53
                    cb[k] = 0.0
                for j in range(kf):
                    cj = cr[j]
                    for k in range(m):
                        cb[k] += 1.0 if ub[k] > cj else 0.0
                for k in range(m):
                    if ub[k] > ctail:
                        c = kf
                        while ub[k] > cr[c]:
                            c += 1
                        cb[k] = c
                dd = dst[c0:c0 + m]
                for k in range(m):
                    dd[k] += np.float32(cb[k] * w)
        if cur_ptr[b] > cur_ptr[a]:
            for k in range(n):
                acc = 0.0
                for r in range(cur_ptr[a + k], cur_ptr[a + k + 1]):
                    acc += cur_amp[s_chunk, cur_idx[r]] * cur_gain[r]
                cs[k] = acc
        if model[q] == 1:  # conductance neurons: NEST's adaptive integration, own threshold pass
            cnt = update_cond(ys, es, is_, rs, hint[a:b], be, bi, cs, cur_ptr[b] > cur_ptr[a], cond[q], th[q],
                              vr[q], nref[q], ie[q], out_spk, p, cnt, a)
            continue
        p22 = P22[q]
        p21e = P21ex[q]
        p21i = P21in[q]
        p20 = P20[q]
        p11e = P11ex[q]
        p11i = P11in[q]
        thq = th[q]
        vrq = vr[q]
        nr = nref[q]
        ieq = ie[q]
        has_cur = cur_ptr[b] > cur_ptr[a]
        # four loop versions (synaptic channels split or not, injected current or not)
        # so that no loop reads memory it does not need: at N ~ 1e5 the update is
        # bound by memory traffic, not arithmetic
        if has_cur:
            if split:
                for k in range(n):
                    ine = np.float64(be[k])
                    be[k] = 0.0
                    ini = np.float64(bi[k])
                    bi[k] = 0.0
                    yj = ys[k]
                    ej = es[k]
                    ij = is_[k]
                    rj = rs[k]
                    yn = yj * p22 + ej * p21e + ij * p21i + (ieq + cs[k]) * p20
                    ys[k] = yn if rj == 0 else yj
                    rs[k] = rj - 1 if rj > 0 else 0
                    ej = ej * p11e + ine
                    ij = ij * p11i + ini
                    # flush tiny currents to zero: denormal arithmetic is ~100x slower
                    es[k] = ej if abs(ej) > 1e-200 else 0.0
                    is_[k] = ij if abs(ij) > 1e-200 else 0.0
            else:
                for k in range(n):
                    ine = np.float64(be[k])
                    be[k] = 0.0
                    yj = ys[k]
                    ej = es[k]
                    rj = rs[k]
                    yn = yj * p22 + ej * p21e + (ieq + cs[k]) * p20
                    ys[k] = yn if rj == 0 else yj
                    rs[k] = rj - 1 if rj > 0 else 0
                    ej = ej * p11e + ine
                    es[k] = ej if abs(ej) > 1e-200 else 0.0
        else:
            if split:
                for k in range(n):
                    ine = np.float64(be[k])
                    be[k] = 0.0
                    ini = np.float64(bi[k])
                    bi[k] = 0.0
                    yj = ys[k]
                    ej = es[k]
                    ij = is_[k]
                    rj = rs[k]
                    yn = yj * p22 + ej * p21e + ij * p21i + ieq * p20
                    ys[k] = yn if rj == 0 else yj
                    rs[k] = rj - 1 if rj > 0 else 0
                    ej = ej * p11e + ine
                    ij = ij * p11i + ini
                    # flush tiny currents to zero: denormal arithmetic is ~100x slower
                    es[k] = ej if abs(ej) > 1e-200 else 0.0
                    is_[k] = ij if abs(ij) > 1e-200 else 0.0
            else:
                for k in range(n):
                    ine = np.float64(be[k])
                    be[k] = 0.0
                    yj = ys[k]
                    ej = es[k]
                    rj = rs[k]
                    yn = yj * p22 + ej * p21e + ieq * p20
                    ys[k] = yn if rj == 0 else yj
                    rs[k] = rj - 1 if rj > 0 else 0
                    ej = ej * p11e + ine
                    es[k] = ej if abs(ej) > 1e-200 else 0.0
        for k in range(n):
            if ys[k] >= thq:
                rs[k] = nr
                ys[k] = vrq
                out_spk[p, cnt] = a + k
                cnt += 1
    out_n[p] = cnt


@njit(cache=True)
def _gather(s, nparts, out_spk, out_n, hist, hist_n, rec_mask, rec_t, rec_i, n_rec,
            st_idx, st_every, st_y, st_iex, st_iin, n_st, y, iex, iin, el_of):
    # this step's spikes in partition order (= neuron order) into the spike history, for
    # delivery when their delays end, and for the recorder; serial, but touches only the
    # neurons that fired
    c = 0
    nr = n_rec[0]
    h = s % hist.shape[0]
    row = hist[h]
    for p in range(nparts):
        for m in range(out_n[p]):
            j = out_spk[p, m]
            row[c] = j
            c += 1
            if rec_mask[j]:
                rec_t[nr] = s
                rec_i[nr] = j
                nr += 1
    hist_n[h] = c
    n_rec[0] = nr
    if st_idx.shape[0] > 0 and (s + 1) % st_every == 0:
        row = n_st[0]
        if row < st_y.shape[0]:
            for m in range(st_idx.shape[0]):
                j = st_idx[m]
                st_y[row, m] = y[j] + el_of[j]
                st_iex[row, m] = iex[j]
                st_iin[row, m] = iin[j]
            n_st[0] = row + 1


# The stepping kernels take the fields of the bundles of ._bundles flat, in the bundles' order
# (Partitions, NeuronParams, NeuronState, ExternalInput, the chunk's current amplitudes, Delivery,
# StepBuffers, RunRecord): NativeNetwork._call splats them, and tests/simulation/test_sim_pinned.py
# checks that these signatures list exactly the bundles' field names in that order. Passing the
# NamedTuples themselves cost 10-15 % CPU time (the same run, measured alternately).
@njit(cache=True)
def run_serial(s0, s1, s_chunk0,
               part_bounds, seg_lo, seg_hi, seg_pop,
               P22, P21ex, P21in, P20, P11ex, P11in, th, vr, nref, ie, el_of, model, cond,
               y, iex, iin, ref, hint,
               pois_ptr, pois_cdf, pois_kf, pois_w, rng, cur_ptr, cur_idx, cur_gain, curbuf,
               cur_amp,
               rowptr, off, syn, synw, shift, inp_ex, inp_in, split, hist, hist_n,
               out_spk, out_n, scratch,
               rec_mask, rec_t, rec_i, n_rec, st_idx, st_every, st_y, st_iex, st_iin, n_st,
               pl_rowptr, pl_tgt, pl_d, pl_w, pl_proj, pl_par, pl_type, pl_kplus, pl_tlast, pl_u, pl_x, pl_y,
               pl_targets, ph_t, ph_k, ph_prev, ph_next, ph_last, ph_n, ph_taum, ring_ex, ring_in, tic_step,
               n_chunks):
    """Run steps [s0, s1) on one thread (``n_chunks`` is ignored). Returns the first step
    not run (< s1 when the spike record buffer is full, so Python can grow it and resume).

    The arguments after ``s_chunk0`` are the fields of the bundles (:mod:`._bundles`) in order,
    with ``cur_amp`` (steps, inputs), the current amplitudes of this chunk, after ExternalInput, and
    the plastic synapses (:class:`._plastic.Plastic`) after RunRecord."""
    nparts = part_bounds.shape[0] - 1
    cap = rec_t.shape[0]
    for s in range(s0, s1):
        if n_rec[0] + y.shape[0] > cap or (pl_tgt.shape[0] > 0 and ph_n[0] + y.shape[0] > ph_t.shape[0]):
            return s
        _deliver(0, nparts, s, hist, hist_n, rowptr, off, syn, synw, shift,
                 inp_ex, inp_in, split)
        for p in range(nparts):
            _update_part(p, s, s - s_chunk0, seg_lo, seg_hi, seg_pop, y, iex, iin, ref, hint,
                         P22, P21ex, P21in, P20, P11ex, P11in, th, vr, nref, ie, model, cond,
                         pois_ptr, pois_cdf, pois_kf, pois_w, rng,
                         cur_ptr, cur_idx, cur_gain, cur_amp, curbuf,
                         inp_ex, inp_in, split, out_spk, out_n, scratch)
        _gather(s, nparts, out_spk, out_n, hist, hist_n, rec_mask, rec_t, rec_i, n_rec,
                st_idx, st_every, st_y, st_iex, st_iin, n_st, y, iex, iin, el_of)
        if pl_tgt.shape[0] > 0:  # a call passing ~25 arrays costs ~0.7 us (reference counts) even when idle
            plastic_step(s, hist, hist_n, inp_ex, inp_in, split, pl_rowptr, pl_tgt, pl_d, pl_w, pl_proj, pl_par,
                         pl_type, pl_kplus, pl_tlast, pl_u, pl_x, pl_y, pl_targets, ph_t, ph_k, ph_prev, ph_next,
                         ph_last, ph_n, ph_taum, ring_ex, ring_in, tic_step)
    return s1


@njit(cache=True, parallel=True)
def run_parallel(s0, s1, s_chunk0,
                 part_bounds, seg_lo, seg_hi, seg_pop,
                 P22, P21ex, P21in, P20, P11ex, P11in, th, vr, nref, ie, el_of, model, cond,
                 y, iex, iin, ref, hint,
                 pois_ptr, pois_cdf, pois_kf, pois_w, rng, cur_ptr, cur_idx, cur_gain, curbuf,
                 cur_amp,
                 rowptr, off, syn, synw, shift, inp_ex, inp_in, split, hist, hist_n,
                 out_spk, out_n, scratch,
                 rec_mask, rec_t, rec_i, n_rec, st_idx, st_every, st_y, st_iex, st_iin, n_st,
                 pl_rowptr, pl_tgt, pl_d, pl_w, pl_proj, pl_par, pl_type, pl_kplus, pl_tlast, pl_u, pl_x, pl_y,
                 pl_targets, ph_t, ph_k, ph_prev, ph_next, ph_last, ph_n, ph_taum, ring_ex, ring_in, tic_step,
                 n_chunks):
    """Same as :func:`run_serial` with partitions spread over ``n_chunks`` threads (one
    parallel region per step: each thread delivers into its partitions' targets, then
    updates them). The result does not depend on the number of threads."""
    nparts = part_bounds.shape[0] - 1
    nchunks = max(1, min(n_chunks, nparts))
    cap = rec_t.shape[0]
    for s in range(s0, s1):
        if n_rec[0] + y.shape[0] > cap or (pl_tgt.shape[0] > 0 and ph_n[0] + y.shape[0] > ph_t.shape[0]):
            return s
        for c in prange(nchunks):
            p0 = (nparts * c) // nchunks
            p1 = (nparts * (c + 1)) // nchunks
            _deliver(p0, p1, s, hist, hist_n, rowptr, off, syn, synw, shift,
                     inp_ex, inp_in, split)
            for p in range(p0, p1):
                _update_part(p, s, s - s_chunk0, seg_lo, seg_hi, seg_pop, y, iex, iin, ref, hint,
                             P22, P21ex, P21in, P20, P11ex, P11in, th, vr, nref, ie, model, cond,
                             pois_ptr, pois_cdf, pois_kf, pois_w, rng,
                             cur_ptr, cur_idx, cur_gain, cur_amp, curbuf,
                             inp_ex, inp_in, split, out_spk, out_n, scratch)
        _gather(s, nparts, out_spk, out_n, hist, hist_n, rec_mask, rec_t, rec_i, n_rec,
                st_idx, st_every, st_y, st_iex, st_iin, n_st, y, iex, iin, el_of)
        if pl_tgt.shape[0] > 0:  # a call passing ~25 arrays costs ~0.7 us (reference counts) even when idle
            plastic_step(s, hist, hist_n, inp_ex, inp_in, split, pl_rowptr, pl_tgt, pl_d, pl_w, pl_proj, pl_par,
                         pl_type, pl_kplus, pl_tlast, pl_u, pl_x, pl_y, pl_targets, ph_t, ph_k, ph_prev, ph_next,
                         ph_last, ph_n, ph_taum, ring_ex, ring_in, tic_step)
    return s1
