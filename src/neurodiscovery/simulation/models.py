"""Ready-made networks: Brette et al. 2007 CUBA, a sound textbook cortical column, and the
Potjans & Diesmann 2014 cortical microcircuit.

Every function returns a plain :class:`~.network.Network`, so a model can be saved as
JSON, edited, and run by the native engine or by NEST.
"""
from __future__ import annotations

import math

import numpy as np

from .._utils.errors import InputError
from .network import (
    Connectivity,
    CurrentInput,
    Distribution,
    LIFParams,
    Network,
    PoissonInput,
    Population,
    Projection,
    Recorder,
    VInit,
)

__all__ = ["cuba", "column", "microcircuit", "psp_to_psc", "MICROCIRCUIT_REFERENCE_RATES_HZ",
           "COLUMN_CONNECTION_TABLE"]


def psp_to_psc(c_m_pf: float, tau_m_ms: float, tau_syn_ms: float) -> float:
    """Current jump (pA) that evokes a 1 mV peak PSP in an ``iaf_psc_exp`` neuron.

    The PSP of a current jump ``J`` decaying with ``tau_s`` into a membrane ``tau_m, C`` is
    ``J tau_s tau_m / (C (tau_m - tau_s)) (e^{-t/tau_m} - e^{-t/tau_s})``; its peak is at
    ``t* = tau_s tau_m ln(tau_m/tau_s) / (tau_m - tau_s)``.
    """
    tm, ts, c = float(tau_m_ms), float(tau_syn_ms), float(c_m_pf)
    if abs(tm - ts) < 1e-12:
        return c * math.e / tm  # limit tau_s -> tau_m: PSP = J t/C e^{-t/tau}, peak J tau/(C e)
    tpk = ts * tm * math.log(tm / ts) / (tm - ts)
    peak = ts * tm / (c * (tm - ts)) * (math.exp(-tpk / tm) - math.exp(-tpk / ts))
    return 1.0 / peak


# ----------------------------------------------------------------------------- CUBA
def cuba(n_neurons: int = 4000, indegree: float = 80.0, seed: int = 0,
         dt_ms: float = 0.1, record_fraction: float = 1.0) -> Network:
    """Brette et al. (2007) benchmark 2 (CUBA), as in Brian2's CUBA example.

    80 % excitatory / 20 % inhibitory LIF neurons, ``tau_m`` 20 ms, resting potential
    -49 mV above the -50 mV threshold (so activity is self-sustained without input),
    reset -60 mV, 5 ms refractory, exponential synapses (5 ms excitatory, 10 ms
    inhibitory) with jumps of 1.62 mV / -9 mV in voltage units (here converted to pA with
    ``C_m = 250 pF``), random pairwise connections with probability ``indegree / N``
    (0.02 at N = 4000), delay one step, initial V uniform in [-60, -50] mV.

    Parameters
    ----------
    n_neurons : int
        Total number of neurons (>= 5).
    indegree : float
        Expected number of inputs per neuron (80 in the original).
    """
    n_neurons = int(n_neurons)
    if n_neurons < 5:
        raise InputError(f"cuba needs at least 5 neurons, got {n_neurons}")
    ne = int(round(0.8 * n_neurons))
    ni = n_neurons - ne
    tau_m, c_m = 20.0, 250.0
    to_pa = c_m / tau_m  # a jump of x mV in "ge" (voltage units) is x * C / tau_m pA
    prm = dict(tau_m_ms=tau_m, c_m_pf=c_m, e_l_mv=-49.0, v_th_mv=-50.0, v_reset_mv=-60.0,
               t_ref_ms=5.0, tau_syn_ex_ms=5.0, tau_syn_in_ms=10.0)
    vinit = VInit("uniform", -60.0, -50.0)
    pops = [Population("E", ne, LIFParams(**prm), vinit, "excitatory"),
            Population("I", ni, LIFParams(**prm), VInit("uniform", -60.0, -50.0), "inhibitory")]
    p = min(1.0, float(indegree) / n_neurons)
    we = 60 * 0.27 / 10 * to_pa
    wi = -20 * 4.5 / 10 * to_pa
    projs = []
    for src, w in (("E", we), ("I", wi)):
        for tgt in ("E", "I"):
            projs.append(Projection(src, tgt, Connectivity("pairwise_bernoulli", p=p),
                                    Distribution("constant", w),
                                    Distribution("constant", dt_ms)))
    return Network(populations=pops, projections=projs,
                   recorder=Recorder(spike_fraction=record_fraction), dt_ms=dt_ms, seed=seed,
                   name=f"cuba_{n_neurons}",
                   metadata={"model": "cuba", "n_neurons": n_neurons, "indegree": indegree,
                             "connection_probability": p})


# ----------------------------------------------------------------------------- column
#: (pre layer, post layer) -> connection probability, from the textbook's table; layers are
#: L1, L2/3, L4, L5, L6 (the textbook's sixth group had no connections at all).
COLUMN_CONNECTION_TABLE = {
    ("L1", "L1"): 0.15, ("L1", "L23"): 0.2, ("L23", "L23"): 0.2, ("L23", "L4"): 0.15,
    ("L23", "L5"): 0.1, ("L4", "L23"): 0.05, ("L4", "L4"): 0.15, ("L4", "L5"): 0.2,
    ("L5", "L5"): 0.15, ("L5", "L6"): 0.2, ("L5", "L23"): 0.05, ("L6", "L4"): 0.05,
    ("L6", "L6"): 0.1,
}
_COLUMN_LAYERS = ("L1", "L23", "L4", "L5", "L6")


def column(neurons_per_layer: int = 1000, scale: float = 1.0, seed: int = 0,
           dt_ms: float = 0.1, psp_exc_mv: float = 0.5, g: float = 5.0,
           background_mv: float = 11.0, thalamic_pa: float = 800.0,
           thalamic_period_ms: float = 100.0, thalamic_width_ms: float = 5.0,
           record_fraction: float = 1.0) -> Network:
    """The textbook's layered cortical column, made sound.

    Each layer has a *fixed* 80 % excitatory / 20 % inhibitory split (separate populations,
    so every neuron's outgoing weights have one sign: Dale's law). Layer-to-layer
    connection probabilities follow the textbook table (:data:`COLUMN_CONNECTION_TABLE`)
    for all four E/I combinations. Neurons use the textbook's parameters (rest -70 mV,
    threshold -55 mV, reset -75 mV, ``tau_m`` 20 ms, 2 ms refractory) with 0.5 ms
    exponential synapses; excitatory PSPs are ``psp_exc_mv`` (10 % sd), inhibitory
    ``-g`` times that (g = 5: inhibition-dominated, so rates stay at a few Hz from 200 to
    1000 neurons per layer instead of growing with the in-degree). Independent Poisson background gives every neuron a mean drive of
    ``background_mv`` (the textbook network had no drive and never fired). Thalamic input:
    a fixed random 20 % of L4 (E and I) receives ``thalamic_pa`` (20 % sd across neurons)
    for ``thalamic_width_ms`` every ``thalamic_period_ms``.

    Parameters
    ----------
    neurons_per_layer : int
        Neurons per layer before ``scale``.
    scale : float
        Multiplies the number of neurons; connection probabilities are divided by ``scale``
        (capped at 1) so in-degrees, hence dynamics, are preserved.
    """
    if scale <= 0:
        raise InputError(f"scale must be > 0, got {scale}")
    npl = int(round(neurons_per_layer * scale))
    ne, ni = int(round(0.8 * npl)), npl - int(round(0.8 * npl))
    prm = LIFParams(tau_m_ms=20.0, c_m_pf=250.0, e_l_mv=-70.0, v_th_mv=-55.0,
                    v_reset_mv=-75.0, t_ref_ms=2.0, tau_syn_ex_ms=0.5, tau_syn_in_ms=0.5)
    j_e = psp_exc_mv * psp_to_psc(prm.c_m_pf, prm.tau_m_ms, prm.tau_syn_ex_ms)
    pops = []
    for lay in _COLUMN_LAYERS:
        for typ, n, sign in (("e", ne, "excitatory"), ("i", ni, "inhibitory")):
            pops.append(Population(f"{lay}{typ}", n, LIFParams(**vars(prm)),
                                   VInit("uniform", -70.0, -56.0), sign))
    projs = []
    for (pre, post), p in COLUMN_CONNECTION_TABLE.items():
        p_eff = min(1.0, p / scale)
        for st in ("e", "i"):
            w = j_e if st == "e" else -g * j_e
            d = 1.5 if st == "e" else 0.8
            for tt in ("e", "i"):
                projs.append(Projection(f"{pre}{st}", f"{post}{tt}",
                                        Connectivity("pairwise_bernoulli", p=p_eff),
                                        Distribution("normal", w, abs(w) * 0.1),
                                        Distribution("constant", d)))
    # Poisson background: mean drive mu = rate * J * tau_s * tau_m / C (mV)
    rate = background_mv * prm.c_m_pf / (j_e * prm.tau_syn_ex_ms * prm.tau_m_ms) * 1e3
    pois = [PoissonInput(p.name, rate, j_e) for p in pops]
    cur = [CurrentInput(f"L4{t}", kind="pulses", amplitude_pa=thalamic_pa, start_ms=0.0,
                        period_ms=thalamic_period_ms, width_ms=thalamic_width_ms,
                        fraction=0.2, amplitude_rel_sd=0.2) for t in ("e", "i")]
    return Network(populations=pops, projections=projs, poisson_inputs=pois,
                   current_inputs=cur, recorder=Recorder(spike_fraction=record_fraction),
                   dt_ms=dt_ms, seed=seed, name="column",
                   metadata={"model": "column", "neurons_per_layer": npl, "scale": scale})


# ----------------------------------------------------------------------------- microcircuit
_MC_POPS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
_MC_N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
#: connection probabilities, rows = targets, columns = sources (Potjans & Diesmann 2014)
_MC_CONN = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])
_MC_K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
_MC_V0_MEAN = np.array([-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43])
_MC_V0_SD = np.array([5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48])
#: full-scale population rates (Hz) of NEST's example (reference data)
MICROCIRCUIT_REFERENCE_RATES_HZ = dict(zip(_MC_POPS, (0.903, 2.965, 4.414, 5.876, 7.569,
                                                      8.633, 1.105, 7.829)))


def microcircuit_synapse_numbers(scale: float = 1.0, k_scale: float = 1.0) -> np.ndarray:
    """Number of synapses (targets x sources) of the scaled microcircuit (NEST's formula:
    ``K = ln(1 - C) / ln(1 - 1 / (N_pre N_post))`` at full scale, times ``scale * k_scale``).
    """
    prod = np.outer(_MC_N_FULL, _MC_N_FULL).astype(float)
    full = np.log(1.0 - _MC_CONN) / np.log((prod - 1.0) / prod)
    return np.round(full * scale * k_scale).astype(np.int64), full


def microcircuit(scale: float = 1.0, k_scale: float = 1.0, poisson_input: bool = True,
                 seed: int = 0, dt_ms: float = 0.1, record_fraction: float = 1.0,
                 bg_rate_hz: float = 8.0) -> Network:
    """Potjans & Diesmann (2014) cortical microcircuit (parameters of NEST's example).

    Eight populations (L2/3, L4, L5, L6 x E/I; 77,169 neurons and ~3e8 synapses at full
    scale), ``iaf_psc_exp`` neurons (``tau_m`` 10 ms, ``C_m`` 250 pF, threshold -50 mV,
    reset -65 mV, 2 ms refractory, 0.5 ms synapses), fixed-total-number connectivity from
    the published probability table, PSP 0.15 mV (L4E->L2/3E doubled, inhibition g = -4),
    10 % weight sd, delays 1.5 / 0.75 ms with 50 % sd, Poisson background 8 Hz per external
    input (or the equivalent DC), population-specific initial potentials.

    Parameters
    ----------
    scale : float
        Scales neuron numbers. Synapse numbers scale with it too, so **in-degrees are
        preserved** and the dynamics stay those of the full model.
    k_scale : float
        Additionally scales in-degrees (<= 1); weights are multiplied by ``1/sqrt(k_scale)``
        and a DC compensates the lost mean input (NEST's ``K_scaling``), preserving mean and
        variance of the input to first order.
    poisson_input : bool
        Poisson background (True) or its mean as DC current (False).
    """
    if not 0 < scale <= 1 or not 0 < k_scale <= 1:
        raise InputError(f"scale and k_scale must be in (0, 1], got {scale} and {k_scale}")
    n = np.round(_MC_N_FULL * scale).astype(int)
    empty = [nm for nm, k in zip(_MC_POPS, n) if k < 1]
    if empty:
        raise InputError(f"scale {scale} leaves population(s) {empty} empty; use scale >= "
                         f"{1.0 / _MC_N_FULL.min():.2g}")
    n_syn, full_syn = microcircuit_synapse_numbers(scale, k_scale)
    c_m, tau_m, tau_s = 250.0, 10.0, 0.5
    psc = 0.15 * psp_to_psc(c_m, tau_m, tau_s)
    w = np.tile(np.array([psc, -4 * psc]), 4)[None, :].repeat(8, 0)  # (target, source)
    w[0, 2] = 2 * psc  # L4E -> L2/3E doubled
    w_ext = psc
    k_ext = _MC_K_EXT * k_scale
    dc = np.zeros(8) if poisson_input else bg_rate_hz * _MC_K_EXT * tau_s * 1e-3 * psc
    if k_scale != 1.0:
        rates = np.array([MICROCIRCUIT_REFERENCE_RATES_HZ[p] for p in _MC_POPS])
        indeg = full_syn / _MC_N_FULL[:, None]
        input_rec = np.sum(w * indeg * rates, axis=1)
        dc = dc + 1e-3 * tau_s * (1 - math.sqrt(k_scale)) * input_rec
        if poisson_input:
            dc = dc + 1e-3 * tau_s * (1 - math.sqrt(k_scale)) * psc * _MC_K_EXT * bg_rate_hz
        w = w / math.sqrt(k_scale)
        w_ext = w_ext / math.sqrt(k_scale)
    pops = []
    for i, nm in enumerate(_MC_POPS):
        prm = LIFParams(tau_m_ms=tau_m, c_m_pf=c_m, e_l_mv=-65.0, v_th_mv=-50.0,
                        v_reset_mv=-65.0, t_ref_ms=2.0, tau_syn_ex_ms=tau_s,
                        tau_syn_in_ms=tau_s, i_e_pa=float(dc[i]))
        pops.append(Population(nm, int(n[i]), prm, VInit("normal", float(_MC_V0_MEAN[i]),
                                                          float(_MC_V0_SD[i])),
                               "excitatory" if nm.endswith("E") else "inhibitory"))
    projs = []
    for t in range(8):
        for s in range(8):
            if n_syn[t, s] <= 0:
                continue
            d = 1.5 if s % 2 == 0 else 0.75
            projs.append(Projection(
                _MC_POPS[s], _MC_POPS[t],
                Connectivity("fixed_total_number", n=int(n_syn[t, s]), allow_autapses=True,
                             allow_multapses=True),
                Distribution("normal", float(w[t, s]), abs(float(w[t, s])) * 0.1),
                Distribution("normal", d, 0.5 * d)))
    pois = [PoissonInput(nm, float(bg_rate_hz * k_ext[i]), float(w_ext))
            for i, nm in enumerate(_MC_POPS)] if poisson_input else []
    return Network(populations=pops, projections=projs, poisson_inputs=pois,
                   recorder=Recorder(spike_fraction=record_fraction), dt_ms=dt_ms, seed=seed,
                   name="microcircuit",
                   metadata={"model": "microcircuit", "scale": scale, "k_scale": k_scale,
                             "poisson_input": poisson_input,
                             "reference_rates_hz": MICROCIRCUIT_REFERENCE_RATES_HZ})


def _make_cuba(scale: float, k_scale: float | None, seed: int, record_fraction: float, dc_background: bool):
    return cuba(n_neurons=int(round(4000 * scale)), seed=seed, record_fraction=record_fraction)


def _make_column(scale: float, k_scale: float | None, seed: int, record_fraction: float, dc_background: bool):
    return column(scale=scale, seed=seed, record_fraction=record_fraction)


def _make_microcircuit(scale: float, k_scale: float | None, seed: int, record_fraction: float,
                       dc_background: bool):
    return microcircuit(scale=scale, k_scale=scale if k_scale is None else k_scale, seed=seed,
                        poisson_input=not dc_background, record_fraction=record_fraction)


#: Built-in models by name: (factory, default scale, reference rates or None).
MODELS = {"cuba": (_make_cuba, 1.0, None), "column": (_make_column, 1.0, None),
          "microcircuit": (_make_microcircuit, 0.1, MICROCIRCUIT_REFERENCE_RATES_HZ)}


def make_model(name: str, *, scale: float | None = None, k_scale: float | None = None, seed: int = 0,
               record_fraction: float = 1.0, dc_background: bool = False) -> Network:
    """A built-in network by name.

    Parameters
    ----------
    name : {"cuba", "column", "microcircuit"}
        ``cuba``: Brette et al. (2007) benchmark, 4000 x ``scale`` neurons; ``column``: layered
        cortical column, 1000 x ``scale`` neurons per layer; ``microcircuit``: Potjans &
        Diesmann (2014) with ``scale`` as NEST's N_scaling (neuron counts; default 0.1) and in-degrees
        scaled by ``k_scale``, which defaults to ``scale``.
    scale : float, optional
        Network size (default 1; microcircuit 0.1).
    k_scale : float, optional
        Microcircuit in-degree scaling with weight and DC compensation (default ``scale``).
    seed : int
    record_fraction : float
        Fraction of each population whose spikes are recorded, in (0, 1].
    dc_background : bool
        Microcircuit: replace the Poisson background by its mean DC.

    Returns
    -------
    Network
    """
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; built-in models are {', '.join(MODELS)}")
    factory, default_scale, _ = MODELS[name]
    scale = default_scale if scale is None else float(scale)
    if not (math.isfinite(scale) and scale > 0):
        raise InputError(f"scale must be finite and > 0, got {scale}")
    if not 0 < record_fraction <= 1:
        raise InputError(f"record_fraction must be in (0, 1], got {record_fraction}")
    return factory(scale, k_scale, int(seed), float(record_fraction), bool(dc_background))


def reference_rates(name: str) -> dict | None:
    """Published population rates (Hz) of a built-in model, or None."""
    return MODELS[name][2] if name in MODELS else None
