"""Synapse models of the NEST backend: static, ``stdp_synapse`` and ``tsodyks_synapse`` projections."""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError
from .network import Network

#: RNG salt of weights/delays drawn for explicit projections (one stream per projection index)
_EXPLICIT_SALT = 7919


def _draw(d, sign: int, kind: str, dt: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` numbers from distribution ``d`` with :func:`_param`'s bounds (delays >= dt, weights keep ``sign``)."""
    if d.kind == "constant":
        return np.full(n, float(d.a))
    lo_hi = ((0.0, np.inf) if sign > 0 else (-np.inf, 0.0) if sign < 0 else (-np.inf, np.inf))
    if kind == "delay":
        lo_hi = (dt, np.inf)
    if d.kind == "uniform":
        return rng.uniform(max(d.a, dt) if kind == "delay" else d.a, d.b, n)
    x = rng.normal(d.a, d.b, n)
    bad = (x < lo_hi[0]) | (x > lo_hi[1])
    while bad.any():  # redraw out-of-range values, as NEST's redraw does
        x[bad] = rng.normal(d.a, d.b, int(bad.sum()))
        bad = (x < lo_hi[0]) | (x > lo_hi[1])
    return x


def synapse_params(pr) -> dict:
    """``syn_spec`` entries of projection ``pr`` besides weight and delay (model and plasticity parameters)."""
    sm = pr.synapse
    if sm.model == "stdp_synapse":
        return {"synapse_model": "stdp_synapse", "tau_plus": sm.tau_plus_ms, "lambda": sm.lambda_,
                "alpha": sm.alpha, "mu_plus": sm.mu_plus, "mu_minus": sm.mu_minus, "Wmax": sm.w_max}
    if sm.model == "tsodyks_synapse":
        return {"synapse_model": "tsodyks_synapse", "U": sm.U, "tau_psc": sm.tau_psc_ms, "tau_rec": sm.tau_rec_ms,
                "tau_fac": sm.tau_fac_ms, "u": sm.U if sm.u0 is None else sm.u0, "x": sm.x0, "y": sm.y0}
    return {"synapse_model": "static_synapse"}


def set_tau_minus(net: Network, nodes: dict) -> None:
    """The postsynaptic STDP trace's time constant belongs to NEST's neurons: set it on STDP targets."""
    for pr in net.projections:
        if pr.synapse.model == "stdp_synapse":
            nodes[pr.target].set(tau_minus=float(pr.synapse.tau_minus_ms))


def synapse_state(nest, net: Network, nodes: dict, source: str, target: str) -> dict:
    """Weights (and Tsodyks state) of the plastic projection ``source -> target``, as
    :meth:`~.engine.NativeNetwork.synapse_state` returns them (local indices, sorted by source, target)."""
    pr = next((p for p in net.projections if (p.source, p.target) == (source, target) and p.synapse.plastic), None)
    if pr is None:
        raise InputError(f"no plastic projection {source}->{target}")
    c = nest.GetConnections(nodes[source], nodes[target])
    keys = ["source", "target", "weight"] + (["u", "x", "y"] if pr.synapse.model == "tsodyks_synapse" else [])
    d = c.get(keys)
    src = np.asarray(d["source"]) - int(nodes[source][0].global_id)
    tgt = np.asarray(d["target"]) - int(nodes[target][0].global_id)
    order = np.lexsort((tgt, src))
    out = {"sources": src[order], "targets": tgt[order], "weights": np.asarray(d["weight"], float)[order]}
    for k in keys[3:]:
        out[k] = np.asarray(d[k], float)[order]
    return out
