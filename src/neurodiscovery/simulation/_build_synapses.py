"""Build step "synapses" of the native engine: one connection spec per projection, then the CSR table.

Specs are named records (:mod:`._bundles`); generated projections are drawn by the numba
kernels from per-projection streams, explicit ones here with numpy (salted streams).
"""
from __future__ import annotations

import numpy as np

from ._bundles import SALT_EXPLICIT, SALT_MULTINOMIAL, ExplicitSpec, GeneratedSpec, WeightDelay
from .network import Network

_KIND = {"constant": 0, "normal": 1, "uniform": 2}


def _weight_sign(net: Network, pr) -> int:
    sg = net.population(pr.source).sign
    if sg == "excitatory":
        return 1
    if sg == "inhibitory":
        return -1
    m = pr.weight.mean
    return 1 if m > 0 else -1 if m < 0 else 0


def _explicit_spec(net: Network, i: int, pr, pre0: int, post0: int, dmax: int) -> ExplicitSpec:
    c, dt = pr.connectivity, float(net.dt_ms)
    src = pre0 + np.asarray(c.sources or [], np.int64)
    tgt = post0 + np.asarray(c.targets or [], np.int64)
    erng = np.random.default_rng([net.seed, SALT_EXPLICIT, i])
    w = (np.asarray(c.weights_pa, float) if c.weights_pa is not None
         else _draw_numpy(pr.weight, len(src), erng, _weight_sign(net, pr)))
    d = (np.rint(np.asarray(c.delays_ms, float) / dt).astype(np.int64) if c.delays_ms is not None
         else _draw_delays_numpy(pr.delay, len(src), erng, dt, dmax))
    return ExplicitSpec(src=src, tgt=tgt, w=w.astype(float), d=d.astype(np.int64))


def connection_specs(net: Network, bounds: np.ndarray, dmax: int) -> list:
    """One :class:`ExplicitSpec` or :class:`GeneratedSpec` per projection, in order."""
    off, size = net.offsets(), {p.name: p.n for p in net.populations}
    none2, none1 = np.zeros((1, 1), np.int64), np.zeros(1, np.int64)
    specs = []
    for i, pr in enumerate(net.projections):
        c = pr.connectivity
        pre0, npre, post0, npost = off[pr.source], size[pr.source], off[pr.target], size[pr.target]
        if c.rule == "explicit":
            specs.append(_explicit_spec(net, i, pr, pre0, post0, dmax))
            continue
        wd = WeightDelay(_KIND[pr.weight.kind], float(pr.weight.a), float(pr.weight.b), _weight_sign(net, pr),
                         _KIND[pr.delay.kind], float(pr.delay.a), float(pr.delay.b), i)
        geo = dict(pre0=pre0, npre=npre, post0=post0, npost=npost, autapses=bool(c.allow_autapses),
                   multapses=bool(c.allow_multapses), wd=wd)
        if c.rule == "pairwise_bernoulli":
            specs.append(GeneratedSpec("source", 0, float(c.p), split=none2, indeg=none1, **geo))
        elif c.rule == "fixed_total_number" and (c.allow_autapses or pr.source != pr.target) \
                and c.allow_multapses:
            # n uniform pairs == multinomial out-degrees, each split multinomially over the
            # target partitions, targets uniform inside: generated source-major
            trng = np.random.default_rng([net.seed, SALT_MULTINOMIAL, i])
            outdeg = trng.multinomial(int(c.n), np.full(npre, 1.0 / npre))
            lo = np.clip(bounds[:-1], post0, post0 + npost)
            hi = np.clip(bounds[1:], post0, post0 + npost)
            split = trng.multinomial(outdeg, (hi - lo) / float(npost)).astype(np.int64)  # (npre, nparts)
            specs.append(GeneratedSpec("source", 2, 0.0, split=split, indeg=none1, **geo))
        else:
            if c.rule == "fixed_indegree":
                indeg = np.full(npost, int(c.k), np.int64)
            else:
                # total number without autapses/multapses: in-degrees multinomial, then
                # sources per target (target-major)
                trng = np.random.default_rng([net.seed, SALT_MULTINOMIAL, i])
                indeg = trng.multinomial(int(c.n), np.full(npost, 1.0 / npost)).astype(np.int64)
            specs.append(GeneratedSpec("random", 1, 0.0, split=none2, indeg=indeg, **geo))
    return specs


def _connect(K, spec, fill, bounds, counts, cursor, packed, weights, shift, dt, dmax, seed):
    """Count (``fill=False``) or write the synapses of one spec (two passes regenerate the
    same connectivity from the same streams)."""
    if counts is None:
        counts = np.zeros((1, 1), np.int64)
    if isinstance(spec, ExplicitSpec):
        K.connect_explicit(fill, spec.src, spec.tgt, spec.w, spec.d, bounds, counts, cursor, packed, weights,
                           shift)
        return
    seed = int(seed) & (2**63 - 1)
    if spec.method == "source":
        if spec.rule == 2 and not fill:
            counts[:, spec.pre0:spec.pre0 + spec.npre] += spec.split.T
            return
        K.connect_source_major(fill, spec.rule, spec.param, spec.pre0, spec.npre, spec.post0, spec.npost,
                               spec.autapses, spec.split, bounds, counts, cursor, packed, weights, shift,
                               spec.wd, dt, dmax, seed)
        return
    K.connect_random(fill, spec.rule, spec.param, spec.pre0, spec.npre, spec.post0, spec.npost, spec.autapses,
                     spec.multapses, spec.indeg, bounds, counts, cursor, packed, weights, shift, spec.wd, dt, dmax,
                     seed)


def build_synapses(K, net: Network, specs: list, bounds: np.ndarray, shift: int, dmax: int):
    """One CSR row per source holding its synapses onto every partition (partition sub-rows
    in order); target and weight of a synapse share 8 contiguous bytes so delivery streams
    one array. Returns ``(syn (n_syn, 2) int32, rowptr (N + 1,) int64)``."""
    N, nparts, dt = net.n_neurons, len(bounds) - 1, float(net.dt_ms)
    counts = np.zeros((nparts, N), np.int64)
    cursor = np.zeros((nparts, N), np.int64)
    dummy_i, dummy_f = np.zeros(1, np.int32), np.zeros(1, np.float32)
    for sp in specs:
        _connect(K, sp, False, bounds, counts, cursor, dummy_i, dummy_f, shift, dt, dmax, net.seed)
    rowptr = np.zeros(N + 1, np.int64)
    np.cumsum(counts.sum(axis=0), out=rowptr[1:])
    cursor = np.empty((nparts, N), np.int64)
    cursor[0] = rowptr[:-1]
    for p in range(1, nparts):
        cursor[p] = cursor[p - 1] + counts[p - 1]
    n_syn = int(counts.sum())
    del counts
    syn = np.empty((n_syn, 2), np.int32)
    packed, weights = syn[:, 0], syn[:, 1].view(np.float32)
    for sp in specs:
        _connect(K, sp, True, bounds, None, cursor, packed, weights, shift, dt, dmax, net.seed)
    return syn, rowptr


def _draw_numpy(d, n, rng, sign):
    if d.kind == "constant":
        return np.full(n, d.a)
    out = rng.normal(d.a, d.b, n) if d.kind == "normal" else rng.uniform(d.a, d.b, n)
    for _ in range(100):
        bad = (out < 0) if sign > 0 else (out > 0) if sign < 0 else np.zeros(n, bool)
        if not bad.any():
            break
        m = int(bad.sum())
        out[bad] = rng.normal(d.a, d.b, m) if d.kind == "normal" else rng.uniform(d.a, d.b, m)
    return out


def _draw_delays_numpy(d, n, rng, dt, dmax):
    if d.kind == "constant":
        return np.full(n, int(round(d.a / dt)), np.int64)
    out = np.zeros(n, np.int64)
    todo = np.ones(n, bool)
    while todo.any():
        m = int(todo.sum())
        x = rng.normal(d.a, d.b, m) if d.kind == "normal" else rng.uniform(d.a, d.b, m)
        out[todo] = np.where(x >= dt * (1 - 1e-9), np.rint(x / dt), -1).astype(np.int64)
        todo = (out < 1) | (out > dmax)
    return out
