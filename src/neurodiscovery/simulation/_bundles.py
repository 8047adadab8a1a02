"""Named records of the native engine: what the build produces and the kernels read.

The stepping kernels take these NamedTuples (numba compiles attribute access away, so a
bundle costs nothing at run time) instead of long positional argument lists whose order
had to match between two files. Every array is owned by the :class:`NativeNetwork`; the
kernels update the state arrays in place.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

# Salts of the numpy random streams drawn during the build, ``default_rng([seed, SALT, i])``.
# They separate the streams of different build steps; changing one changes every network.
SALT_INITIAL_V = 7  # initial membrane potentials (shared with the NEST backend)
SALT_EXPLICIT = 11  # weights/delays drawn for explicit connections without given values
SALT_MULTINOMIAL = 13  # degree splits of fixed_total_number projections
SALT_CURRENT_TARGETS = 17  # which neurons a current input reaches and their gains
SALT_POISSON_TARGETS = 19  # which neurons a Poisson input to chosen neurons reaches
SALT_SPIKE_TARGETS = 23  # which neurons a spike input reaches
SALT_POISSON_DRAWS = 29  # the spike counts of Poisson inputs to chosen neurons


class Partitions(NamedTuple):
    """Contiguous neuron ranges updated together, and their per-population segments.

    ``bounds`` (n_parts + 1,) int64; segments ``seg_pop[seg_lo[p]:seg_hi[p]]`` are rows
    ``(population, first, stop)`` of partition ``p``.
    """

    bounds: np.ndarray
    seg_lo: np.ndarray
    seg_hi: np.ndarray
    seg_pop: np.ndarray


class NeuronParams(NamedTuple):
    """Per-population exact propagators and thresholds (potentials relative to E_L, mV);
    ``el_of`` (n_neurons,) is each neuron's resting potential for reporting. ``model`` (n_pops,)
    is 0 for ``iaf_psc_exp`` and 1 for ``iaf_cond_exp``, whose parameters are the rows of
    ``cond`` (n_pops, 9): g_L (nS), C_m (pF), E_L, E_ex, E_in (mV), tau_ex, tau_in (ms),
    error tolerance (mV), time step (ms); their threshold, reset and I_e are in ``th``, ``vr``, ``ie``."""

    P22: np.ndarray
    P21ex: np.ndarray
    P21in: np.ndarray
    P20: np.ndarray
    P11ex: np.ndarray
    P11in: np.ndarray
    th: np.ndarray
    vr: np.ndarray
    nref: np.ndarray
    ie: np.ndarray
    el_of: np.ndarray
    model: np.ndarray
    cond: np.ndarray


class NeuronState(NamedTuple):
    """Membrane potential relative to E_L (mV), synaptic currents (pA) or, for conductance
    neurons, conductances (nS, both >= 0), refractory steps left, and the adaptive integration
    step (ms) each conductance neuron carries from one time step to the next (as NEST)."""

    y: np.ndarray
    iex: np.ndarray
    iin: np.ndarray
    ref: np.ndarray
    hint: np.ndarray


class ExternalInput(NamedTuple):
    """Poisson inputs (inversion tables per population) and injected currents.

    ``rng`` holds one random stream per neuron, so draws depend on neither partitions nor
    threads; ``curbuf`` is scratch for the current amplitudes of a step.
    """

    pois_ptr: np.ndarray
    pois_cdf: np.ndarray
    pois_kf: np.ndarray
    pois_w: np.ndarray
    rng: np.ndarray
    cur_ptr: np.ndarray
    cur_idx: np.ndarray
    cur_gain: np.ndarray
    curbuf: np.ndarray


class Delivery(NamedTuple):
    """Synapses (CSR by source, rows sorted by delay and partition) and the spike history.

    ``syn`` (n_synapses, 2) int32 packs ``target << shift | delay`` and the float32 weight
    (``synw`` is its float32 view); ``off`` indexes the (delay, partition) groups of each
    row; ``inp_ex``/``inp_in`` receive the arriving input; ``split`` is True when
    excitatory and inhibitory synapses have different time constants somewhere.
    """

    rowptr: np.ndarray
    off: np.ndarray
    syn: np.ndarray
    synw: np.ndarray
    shift: int
    inp_ex: np.ndarray
    inp_in: np.ndarray
    split: bool
    hist: np.ndarray
    hist_n: np.ndarray


class StepBuffers(NamedTuple):
    """Per-partition spike lists of the current step and Poisson scratch space."""

    out_spk: np.ndarray
    out_n: np.ndarray
    scratch: np.ndarray


class RunRecord(NamedTuple):
    """What one :meth:`NativeNetwork.run` records: spikes of ``rec_mask`` neurons and, every
    ``st_every`` steps, the state of the ``st_idx`` neurons. Counters are 1-element arrays."""

    rec_mask: np.ndarray
    rec_t: np.ndarray
    rec_i: np.ndarray
    n_rec: np.ndarray
    st_idx: np.ndarray
    st_every: int
    st_y: np.ndarray
    st_iex: np.ndarray
    st_iin: np.ndarray
    n_st: np.ndarray


class WeightDelay(NamedTuple):
    """How one projection draws weights and delays in the connection kernels:
    distribution kinds (0 constant, 1 normal, 2 uniform) and parameters, the sign weights
    must keep (+1, -1, 0 = free), and the projection's index (its random streams)."""

    wk: int
    wa: float
    wb: float
    wsign: int
    dk: int
    da: float
    db: float
    proj_id: int


class GeneratedSpec(NamedTuple):
    """A projection generated by a kernel.

    ``method`` is ``"source"`` (source-major: pairwise Bernoulli, rule 0, or a fixed total
    number split per source and partition, rule 2, counts in ``split`` (n_pre, n_parts)) or
    ``"random"`` (target-major fixed in-degree ``indeg`` per target, rule 1).
    """

    method: str
    rule: int
    param: float
    pre0: int
    npre: int
    post0: int
    npost: int
    autapses: bool
    multapses: bool
    split: np.ndarray
    indeg: np.ndarray
    wd: WeightDelay


class ExplicitSpec(NamedTuple):
    """A projection given synapse by synapse: global source/target indices, weights (pA)
    and delays (steps)."""

    src: np.ndarray
    tgt: np.ndarray
    w: np.ndarray
    d: np.ndarray
