"""numba kernels of the native engine's build: connection generation and delay-sorted CSR rows.

Split from :mod:`._kernels` (kernel code unchanged): random connectivity (source- or
target-major), explicit synapses, and the counting sort of each source's row by (delay,
target partition) that delivery reads.
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from ._kernels_rng import _wd, randint, seed_stream, uniform


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
