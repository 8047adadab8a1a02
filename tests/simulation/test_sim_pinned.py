"""Pinned output of the native engine: the build refactor must keep every synapse and spike.

The digests were recorded from the engine before its build was split into named steps
(commit 1b97a56). They cover every connection rule, explicit weights/delays, Poisson and
current inputs, split synaptic time constants, state recording, and the serial and
parallel kernels (which must agree).
"""
import hashlib

import numpy as np
import pytest

from neurodiscovery.simulation import (
    Connectivity,
    CurrentInput,
    Distribution,
    LIFParams,
    Network,
    PoissonInput,
    Population,
    Projection,
    Recorder,
    models,
)
from neurodiscovery.simulation.engine import NativeNetwork


def _mixed(seed: int = 3) -> Network:
    fast = LIFParams(tau_syn_ex_ms=0.5, tau_syn_in_ms=2.0)
    pops = [Population("E", 300, LIFParams(), sign="excitatory"), Population("I", 80, fast, sign="inhibitory"),
            Population("X", 40, LIFParams())]
    w, d = Distribution("normal", 87.8, 8.8), Distribution("uniform", 0.5, 3.0)
    projs = [Projection("E", "E", Connectivity("pairwise_bernoulli", p=0.05), w, d),
             Projection("E", "I", Connectivity("fixed_indegree", k=20), w, Distribution("constant", 1.5)),
             Projection("I", "E", Connectivity("fixed_total_number", n=2000), Distribution("constant", -300.0),
                        Distribution("normal", 1.5, 0.5)),
             Projection("I", "I", Connectivity("fixed_total_number", n=500, allow_autapses=False,
                                               allow_multapses=False), Distribution("constant", -200.0), d),
             Projection("X", "E", Connectivity("explicit", sources=[0, 1, 2, 3], targets=[5, 6, 7, 8],
                                               weights_pa=[100.0, 200.0, 300.0, 400.0],
                                               delays_ms=[1.0, 2.0, 3.0, 4.0]), w, d),
             Projection("X", "I", Connectivity("explicit", sources=[5, 6, 7], targets=[1, 2, 3]), w, d)]
    return Network(populations=pops, projections=projs,
                   poisson_inputs=[PoissonInput("E", 8000.0, 87.8), PoissonInput("I", 7000.0, 87.8),
                                   PoissonInput("X", 20000.0, 87.8)],
                   current_inputs=[CurrentInput("E", "steps", times_ms=[50.0, 80.0], amplitudes_pa=[200.0, 0.0])],
                   recorder=Recorder(state_neurons={"E": [0, 1], "I": [0]}, state_interval_ms=1.0),
                   dt_ms=0.1, seed=seed)


def _digest(nn, res) -> str:
    h = hashlib.sha256()
    for a in (*nn.connections(), res.spike_times_ms, res.spike_senders, res.v_mv):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


PINNED = {"mixed": "754b43091adf536e", "cuba20000": "af48b4d8ff85c698"}


def test_mixed_network_is_bit_identical():
    nn = NativeNetwork(_mixed(), parallel=False)
    res = nn.run(200.0)
    assert res.spike_times_ms.size > 100
    assert _digest(nn, res) == PINNED["mixed"]


@pytest.mark.parametrize("parallel", [False, True])
def test_partitioned_cuba_is_bit_identical(parallel):
    # 20,000 neurons: the size at which the engine splits the network into partitions
    nn = NativeNetwork(models.cuba(n_neurons=20000, seed=2), parallel=parallel)
    res = nn.run(60.0)
    assert nn.n_parts > 1 and res.spike_times_ms.size > 1000
    assert _digest(nn, res) == PINNED["cuba20000"]


def test_kernel_signatures_follow_the_bundles():
    """The stepping kernels take the bundles' fields flat; their order is defined once, in _bundles."""
    import inspect

    from neurodiscovery.simulation import _bundles as B
    from neurodiscovery.simulation import _kernels as K
    from neurodiscovery.simulation._plastic import Plastic

    expected = ["s0", "s1", "s_chunk0", *B.Partitions._fields, *B.NeuronParams._fields, *B.NeuronState._fields,
                *B.ExternalInput._fields, "cur_amp", *B.Delivery._fields, *B.StepBuffers._fields,
                *B.RunRecord._fields, *Plastic._fields, "n_chunks"]
    expected = ["part_bounds" if f == "bounds" else f for f in expected]
    for kernel in (K.run_serial, K.run_parallel):
        assert list(inspect.signature(kernel.py_func).parameters) == expected
