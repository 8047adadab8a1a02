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

import math

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

_U64 = np.uint64
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_XM = np.uint64(0x2545F4914F6CDD1D)
_S12 = np.uint64(12)
_S25 = np.uint64(25)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


# ----------------------------------------------------------------------------- RNG
@njit(cache=True, inline="always")
def _splitmix(x):
    z = x + _GOLD
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def seed_stream(seed, a, b):
    """Well-mixed non-zero 64-bit state for stream (a, b) of ``seed``."""
    s = _splitmix(_splitmix(_splitmix(np.uint64(seed)) ^ np.uint64(a)) ^ np.uint64(b))
    if s == np.uint64(0):
        s = _GOLD
    return s


@njit(cache=True)
def neuron_streams(seed, n):
    """Independent xorshift64* states for the Poisson input of each of ``n`` neurons."""
    out = np.empty(n, np.uint64)
    for j in range(n):
        out[j] = seed_stream(seed, 99991, j)
    return out


@njit(cache=True, inline="always")
def _next(state, i):
    # xorshift64*: 1 ns per draw, state lives in a 1-element slot of an array
    x = state[i]
    x ^= x >> _S12
    x ^= x << _S25
    x ^= x >> _S27
    state[i] = x
    return x * _XM


@njit(cache=True, inline="always")
def uniform(state, i):
    """Uniform float in [0, 1)."""
    return float(_next(state, i) >> _S11) * _INV53


@njit(cache=True, inline="always")
def randint(state, i, n):
    """Uniform int in [0, n) (Lemire-free float method; bias < 2**-40 for n < 2**13... 2**31)."""
    return int(uniform(state, i) * n)


@njit(cache=True, inline="always")
def normal(state, i):
    """Standard normal (Marsaglia polar method, one value per call)."""
    while True:
        v1 = 2.0 * uniform(state, i) - 1.0
        v2 = 2.0 * uniform(state, i) - 1.0
        q = v1 * v1 + v2 * v2
        if 0.0 < q < 1.0:
            return v1 * math.sqrt(-2.0 * math.log(q) / q)


@njit(cache=True, inline="always")
def poisson_small(state, i, lam, exp_mlam):
    """Poisson draw by sequential inversion (exact; cost ~ 1 + lam iterations)."""
    u = uniform(state, i)
    k = 0
    p = exp_mlam
    c = p
    while u > c:
        k += 1
        p *= lam / k
        c += p
        if k > 1000 + 20 * lam:  # numerical tail guard: c stopped growing
            break
    return k


@njit(cache=True)
def poisson_any(state, i, lam):
    """Poisson draw for any rate: inversion for small, split into chunks of <= 30 for large."""
    k = 0
    while lam > 30.0:
        k += poisson_small(state, i, 30.0, math.exp(-30.0))
        lam -= 30.0
    if lam > 0:
        k += poisson_small(state, i, lam, math.exp(-lam))
    return k


# ----------------------------------------------------------------------------- building
@njit(cache=True, inline="always")
def _draw(kind, a, b, sign, st):
    """Draw from distribution kind (0 const, 1 normal, 2 uniform); redraw to keep ``sign``."""
    if kind == 0:
        return a
    for _ in range(1000):
        if kind == 1:
            x = a + b * normal(st, 0)
        else:
            x = a + (b - a) * uniform(st, 0)
        if sign == 0 or (sign > 0 and x >= 0.0) or (sign < 0 and x <= 0.0):
            return x
    return 0.0


@njit(cache=True, inline="always")
def _draw_delay(kind, a, b, dt, max_steps, st):
    """Delay in steps: rounded to the grid, redrawn while < 1 step or > max_steps."""
    if kind == 0:
        return int(round(a / dt))
    for _ in range(10000):
        if kind == 1:
            x = a + b * normal(st, 0)
        else:
            x = a + (b - a) * uniform(st, 0)
        d = int(round(x / dt))
        # NEST: redraw values below one resolution step, then round to the grid
        if x >= dt * (1.0 - 1e-9) and d <= max_steps:
            return d
    return 1


@njit(cache=True, inline="always")
def _wd(wk, wa, wb, wsign, dk, da, db, dt, dmax, wst):
    """Weight (pA) and delay (steps) of one synapse. Scalar arguments only: a numba call
    with many array arguments costs tens of ns, too much per synapse."""
    if wk == 1 and dk == 1:
        # one Box-Muller pair gives the two independent normals (weight, delay); fall back
        # to the redraw loops only when one is rejected
        # Marsaglia polar method: two independent normals, no trigonometry
        while True:
            v1 = 2.0 * uniform(wst, 0) - 1.0
            v2 = 2.0 * uniform(wst, 0) - 1.0
            q = v1 * v1 + v2 * v2
            if 0.0 < q < 1.0:
                break
        f = math.sqrt(-2.0 * math.log(q) / q)
        w = wa + wb * v1 * f
        if not (wsign == 0 or (wsign > 0 and w >= 0.0) or (wsign < 0 and w <= 0.0)):
            w = _draw(wk, wa, wb, wsign, wst)
        x = da + db * v2 * f
        d = int(round(x / dt))
        if not (x >= dt * (1.0 - 1e-9) and d <= dmax):
            d = _draw_delay(dk, da, db, dt, dmax, wst)
    else:
        w = _draw(wk, wa, wb, wsign, wst)
        d = _draw_delay(dk, da, db, dt, dmax, wst)
    return w, d


@njit(cache=True, parallel=True)
def connect_random(fill, rule, param, pre0, npre, post0, npost, autapses, multapses,
                   indeg, part_bounds, counts, cursor, packed, weights, shift, wd, dt, dmax, seed):
    """Count (``fill=False``) or write (``fill=True``) the synapses of one projection.

    rule 0: pairwise Bernoulli with probability ``param`` (geometric skipping, O(k)).
    rule 1: fixed in-degree ``indeg[j - post0]`` per target (used for fixed in-degree and,
    after a multinomial split of the total in Python, for fixed total number).
    Sources of target ``j`` come from stream (seed, 2*proj, j) and weights/delays from
    (seed, 2*proj+1, j), so both passes regenerate identical connectivity and the result is
    independent of the partitioning and of thread count.
    """
    wk, wa, wb, wsign, dk, da, db, proj_id = wd  # WeightDelay bundle
    nparts = part_bounds.shape[0] - 1
    same = pre0 == post0 and npre == npost
    for p in prange(nparts):
        lo = max(post0, part_bounds[p])
        hi = min(post0 + npost, part_bounds[p + 1])
        st = np.empty(1, np.uint64)
        wst = np.empty(1, np.uint64)
        mark = np.zeros(npre if (rule == 1 and not multapses) else 1, np.uint8)
        chosen = np.empty(npre if (rule == 1 and not multapses) else 1, np.int64)
        for j in range(lo, hi):
            st[0] = seed_stream(seed, 2 * proj_id, j)
            wst[0] = seed_stream(seed, 2 * proj_id + 1, j)
            jl = j - post0  # local index of the target; an autapse has source local == jl
            if rule == 0:
                if param <= 0.0:
                    continue
                if param >= 1.0:
                    for s in range(npre):
                        if same and not autapses and s == jl:
                            continue
                        if fill:
                            w, d = _wd(wk, wa, wb, wsign, dk, da, db, dt, dmax, wst)
                            pos = cursor[p, pre0 + s]
                            cursor[p, pre0 + s] = pos + 1
                            packed[pos] = np.int32((j << shift) | d)
                            weights[pos] = np.float32(w)
                        else:
                            counts[p, pre0 + s] += 1
                    continue
                lq = math.log1p(-param)
                s = -1
                while True:
                    u = uniform(st, 0)
                    s += 1 + int(math.log1p(-u) / lq)
                    if s >= npre:
                        break
                    if same and not autapses and s == jl:
                        continue
                    if fill:
                        w, d = _wd(wk, wa, wb, wsign, dk, da, db, dt, dmax, wst)
                        pos = cursor[p, pre0 + s]
                        cursor[p, pre0 + s] = pos + 1
                        packed[pos] = np.int32((j << shift) | d)
                        weights[pos] = np.float32(w)
                    else:
                        counts[p, pre0 + s] += 1
            else:
                k = indeg[jl]
                if multapses:
                    for _ in range(k):
                        s = randint(st, 0, npre)
                        while same and not autapses and s == jl:
                            s = randint(st, 0, npre)
                        if fill:
                            w, d = _wd(wk, wa, wb, wsign, dk, da, db, dt, dmax, wst)
                            pos = cursor[p, pre0 + s]
                            cursor[p, pre0 + s] = pos + 1
                            packed[pos] = np.int32((j << shift) | d)
                            weights[pos] = np.float32(w)
                        else:
                            counts[p, pre0 + s] += 1
                else:
                    # distinct sources by rejection with a mark array (k <= available)
                    if same and not autapses:
                        mark[jl] = 1
                    for m in range(k):
                        s = randint(st, 0, npre)
                        while mark[s] != 0:
                            s = randint(st, 0, npre)
                        mark[s] = 1
                        chosen[m] = s
                    for m in range(k):
                        s = chosen[m]
                        mark[s] = 0
                        if fill:
                            w, d = _wd(wk, wa, wb, wsign, dk, da, db, dt, dmax, wst)
                            pos = cursor[p, pre0 + s]
                            cursor[p, pre0 + s] = pos + 1
                            packed[pos] = np.int32((j << shift) | d)
                            weights[pos] = np.float32(w)
                        else:
                            counts[p, pre0 + s] += 1
                    if same and not autapses:
                        mark[jl] = 0


@njit(cache=True, parallel=True)
def connect_source_major(fill, rule, param, pre0, npre, post0, npost, autapses, split_counts,
                         part_bounds, counts, cursor, packed, weights, shift, wd, dt, dmax, seed):
    """Source-major generation: each source writes its own CSR rows sequentially.

    Used for rules whose distribution is symmetric in source and target, which avoids the
    random scatter of target-major generation (one cache miss per synapse):

    rule 0: pairwise Bernoulli, geometric skipping over the target population
        (stream (seed, 2*proj, source)); ``fill=False`` only counts.
    rule 2: fixed total number with the out-degrees already split per source and target
        partition (``split_counts[i, p]``, multinomial, drawn in Python); targets are
        uniform inside the partition's part of the target population.
    """
    wk, wa, wb, wsign, dk, da, db, proj_id = wd  # WeightDelay bundle
    nparts = part_bounds.shape[0] - 1
    same = pre0 == post0 and npre == npost
    nchunks = min(npre, 64 * nparts)
    for c in prange(nchunks):
        st = np.empty(1, np.uint64)
        wst = np.empty(1, np.uint64)
        i0 = (npre * c) // nchunks
        i1 = (npre * (c + 1)) // nchunks
        for i in range(i0, i1):
            src = pre0 + i
            st[0] = seed_stream(seed, 2 * proj_id, src)
            wst[0] = seed_stream(seed, 2 * proj_id + 1, src)
            if rule == 0:
                if param <= 0.0:
                    continue
                lq = math.log1p(-param) if param < 1.0 else -1e300
                t = -1
                p = 0
                while True:
                    if param >= 1.0:
                        t += 1
                    else:
                        u = uniform(st, 0)
                        t += 1 + int(math.log1p(-u) / lq)
                    if t >= npost:
                        break
                    if same and not autapses and t == i:
                        continue
                    j = post0 + t
                    while j >= part_bounds[p + 1]:
                        p += 1
                    if fill:
                        w, d = _wd(wk, wa, wb, wsign, dk, da, db, dt, dmax, wst)
                        pos = cursor[p, src]
                        cursor[p, src] = pos + 1
                        packed[pos] = np.int32((j << shift) | d)
                        weights[pos] = np.float32(w)
                    else:
                        counts[p, src] += 1
            else:
                for p in range(nparts):
                    m = split_counts[i, p]
                    if m == 0:
                        continue
                    lo = max(post0, part_bounds[p])
                    hi = min(post0 + npost, part_bounds[p + 1])
                    for _ in range(m):
                        j = lo + randint(st, 0, hi - lo)
                        w, d = _wd(wk, wa, wb, wsign, dk, da, db, dt, dmax, wst)
                        pos = cursor[p, src]
                        cursor[p, src] = pos + 1
                        packed[pos] = np.int32((j << shift) | d)
                        weights[pos] = np.float32(w)


@njit(cache=True)
def max_delay(packed, dmask):
    """Longest delay (steps) in the synapse table, without a temporary array."""
    m = 0
    for k in range(packed.shape[0]):
        d = packed[k] & dmask
        if d > m:
            m = d
    return int(m)


@njit(cache=True)
def connect_explicit(fill, src, tgt, w, d, part_bounds, counts, cursor, packed, weights, shift):
    """Count or write explicit synapses (global indices, weights in pA, delays in steps)."""
    nparts = part_bounds.shape[0] - 1
    for i in range(src.shape[0]):
        j = tgt[i]
        p = 0
        while p < nparts - 1 and j >= part_bounds[p + 1]:
            p += 1
        if not fill:
            counts[p, src[i]] += 1
        else:
            pos = cursor[p, src[i]]
            cursor[p, src[i]] = pos + 1
            packed[pos] = np.int32((j << shift) | d[i])
            weights[pos] = np.float32(w[i])


# ----------------------------------------------------------------------------- stepping
@intrinsic
def _prefetch(typingctx, arr, idx):
    """Software prefetch of ``arr[idx]`` into all cache levels (llvm.prefetch)."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = builder.module.declare_intrinsic(
            "llvm.prefetch", fnty=ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]))
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3),
                          ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, parallel=True)
def sort_rows_by_delay(rowptr, syn, dmask, shift, part_bounds, off, max_row):
    """Stable counting sort of every source's row by (delay, target partition), in place.

    ``syn[k] = (target << shift | delay, weight bits)``. Fills ``off[src, d * P + p]`` =
    offset inside the row of the first synapse with delay ``d`` onto partition ``p``;
    ``off[src, L * P]`` is the row length. Synapses with the same key keep their order,
    so each target's summation order does not depend on how partitions map to threads.
    """
    N = rowptr.shape[0] - 1
    P = part_bounds.shape[0] - 1
    G = off.shape[1]
    nchunks = min(N, 256)
    for c in prange(nchunks):
        cnt = np.zeros(G + 1, np.int64)
        key = np.empty(max(max_row, 1), np.int64)
        tmp = np.empty((max(max_row, 1), 2), np.int32)
        for src in range((N * c) // nchunks, (N * (c + 1)) // nchunks):
            a = rowptr[src]
            b = rowptr[src + 1]
            cnt[:] = 0
            for k in range(a, b):
                v = syn[k, 0]
                t = v >> shift
                p = 0
                while t >= part_bounds[p + 1]:
                    p += 1
                g = (v & dmask) * P + p
                key[k - a] = g
                cnt[g + 1] += 1
            for g in range(1, G):
                cnt[g] += cnt[g - 1]
            for g in range(G):
                off[src, g] = cnt[g]
            for k in range(a, b):
                g = key[k - a]
                pos = cnt[g]
                cnt[g] = pos + 1
                tmp[pos, 0] = syn[k, 0]
                tmp[pos, 1] = syn[k, 1]
            for k in range(b - a):
                syn[a + k, 0] = tmp[k, 0]
                syn[a + k, 1] = tmp[k, 1]


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
def _update_part(p, s, s_chunk, seg_lo, seg_hi, seg_pop, y, iex, iin, ref,
                 P22, P21ex, P21in, P20, P11ex, P11in, th, vr, nref, ie,
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


# The stepping kernels take the bundles of ._bundles and unpack them into locals once per
# call, so the inner loops compile to the same code as with plain arguments.
@njit(cache=True)
def run_serial(s0, s1, s_chunk0, parts, prm, state, ext, cur_amp, dlv, buf, rec, n_chunks):
    """Run steps [s0, s1) on one thread (``n_chunks`` is ignored). Returns the first step
    not run (< s1 when the spike record buffer is full, so Python can grow it and resume).

    ``parts`` Partitions, ``prm`` NeuronParams, ``state`` NeuronState, ``ext``
    ExternalInput, ``cur_amp`` (steps, inputs) current amplitudes of this chunk, ``dlv``
    Delivery, ``buf`` StepBuffers, ``rec`` RunRecord (see :mod:`._bundles`)."""
    part_bounds, seg_lo, seg_hi, seg_pop = parts
    P22, P21ex, P21in, P20, P11ex, P11in, th, vr, nref, ie, el_of = prm
    y, iex, iin, ref = state
    pois_ptr, pois_cdf, pois_kf, pois_w, rng, cur_ptr, cur_idx, cur_gain, curbuf = ext
    rowptr, off, syn, synw, shift, inp_ex, inp_in, split, hist, hist_n = dlv
    out_spk, out_n, scratch = buf
    rec_mask, rec_t, rec_i, n_rec, st_idx, st_every, st_y, st_iex, st_iin, n_st = rec
    nparts = part_bounds.shape[0] - 1
    cap = rec_t.shape[0]
    for s in range(s0, s1):
        if n_rec[0] + y.shape[0] > cap:
            return s
        _deliver(0, nparts, s, hist, hist_n, rowptr, off, syn, synw, shift,
                 inp_ex, inp_in, split)
        for p in range(nparts):
            _update_part(p, s, s - s_chunk0, seg_lo, seg_hi, seg_pop, y, iex, iin, ref,
                         P22, P21ex, P21in, P20, P11ex, P11in, th, vr, nref, ie,
                         pois_ptr, pois_cdf, pois_kf, pois_w, rng,
                         cur_ptr, cur_idx, cur_gain, cur_amp, curbuf,
                         inp_ex, inp_in, split, out_spk, out_n, scratch)
        _gather(s, nparts, out_spk, out_n, hist, hist_n, rec_mask, rec_t, rec_i, n_rec,
                st_idx, st_every, st_y, st_iex, st_iin, n_st, y, iex, iin, el_of)
    return s1


@njit(cache=True, parallel=True)
def run_parallel(s0, s1, s_chunk0, parts, prm, state, ext, cur_amp, dlv, buf, rec, n_chunks):
    """Same as :func:`run_serial` with partitions spread over ``n_chunks`` threads (one
    parallel region per step: each thread delivers into its partitions' targets, then
    updates them). The result does not depend on the number of threads."""
    part_bounds, seg_lo, seg_hi, seg_pop = parts
    P22, P21ex, P21in, P20, P11ex, P11in, th, vr, nref, ie, el_of = prm
    y, iex, iin, ref = state
    pois_ptr, pois_cdf, pois_kf, pois_w, rng, cur_ptr, cur_idx, cur_gain, curbuf = ext
    rowptr, off, syn, synw, shift, inp_ex, inp_in, split, hist, hist_n = dlv
    out_spk, out_n, scratch = buf
    rec_mask, rec_t, rec_i, n_rec, st_idx, st_every, st_y, st_iex, st_iin, n_st = rec
    nparts = part_bounds.shape[0] - 1
    nchunks = max(1, min(n_chunks, nparts))
    cap = rec_t.shape[0]
    for s in range(s0, s1):
        if n_rec[0] + y.shape[0] > cap:
            return s
        for c in prange(nchunks):
            p0 = (nparts * c) // nchunks
            p1 = (nparts * (c + 1)) // nchunks
            _deliver(p0, p1, s, hist, hist_n, rowptr, off, syn, synw, shift,
                     inp_ex, inp_in, split)
            for p in range(p0, p1):
                _update_part(p, s, s - s_chunk0, seg_lo, seg_hi, seg_pop, y, iex, iin, ref,
                             P22, P21ex, P21in, P20, P11ex, P11in, th, vr, nref, ie,
                             pois_ptr, pois_cdf, pois_kf, pois_w, rng,
                             cur_ptr, cur_idx, cur_gain, cur_amp, curbuf,
                             inp_ex, inp_in, split, out_spk, out_n, scratch)
        _gather(s, nparts, out_spk, out_n, hist, hist_n, rec_mask, rec_t, rec_i, n_rec,
                st_idx, st_every, st_y, st_iex, st_iin, n_st, y, iex, iin, el_of)
    return s1
