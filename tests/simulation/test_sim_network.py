"""Network description: JSON round trip and one clear error per bad input."""
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.simulation import (
    Connectivity,
    Distribution,
    LIFParams,
    Network,
    Population,
    Projection,
    build,
    models,
)


def _net(**proj):
    return Network(populations=[Population("E", 10, sign="excitatory"), Population("I", 5)],
                   projections=[Projection("E", "I", Connectivity("pairwise_bernoulli", p=0.5),
                                           **proj)])


def test_json_roundtrip(tmp_path):
    net = models.microcircuit(scale=0.01, seed=3)
    again = Network.from_json(net.to_json())
    assert again == net
    path = tmp_path / "net.json"
    net.to_json(path)
    assert Network.from_json(path) == net


def test_unknown_parameter_name():
    d = _net().to_dict()
    d["populations"][0]["params"]["tau_membrane"] = 10.0
    with pytest.raises(InputError, match="tau_membrane"):
        Network.from_dict(d)
    with pytest.raises(InputError, match="unknown parameter"):
        Network.from_dict({**_net().to_dict(), "dt": 0.1})


def test_negative_time_constant():
    net = Network(populations=[Population("E", 3, LIFParams(tau_m_ms=-10.0))])
    with pytest.raises(InputError, match="tau_m_ms"):
        net.validate()
    net = Network(populations=[Population("E", 3, LIFParams(tau_syn_in_ms=0.0))])
    with pytest.raises(InputError, match="tau_syn_in_ms"):
        net.validate()


def test_negative_delay():
    with pytest.raises(InputError, match="delay must be > 0"):
        _net(delay=Distribution("constant", -1.0)).validate()
    with pytest.raises(InputError, match="mean delay"):
        _net(delay=Distribution("normal", -1.0, 0.1)).validate()


def test_delay_not_multiple_of_dt():
    with pytest.raises(InputError, match="not a multiple of dt_ms"):
        _net(delay=Distribution("constant", 0.25)).validate()


def test_dale_violation():
    with pytest.raises(InputError, match="Dale"):
        _net(weight=Distribution("constant", -5.0)).validate()


def test_scale_that_empties_population():
    with pytest.raises(InputError, match=r"empty.*L5I|L5I.*empty"):
        models.microcircuit(scale=1e-4)
    with pytest.raises(InputError, match="at least one"):
        models.column(neurons_per_layer=1, scale=0.1).validate()


def test_memory_estimate_refused_before_allocating():
    net = Network(populations=[Population("E", 200000)],
                  projections=[Projection("E", "E", Connectivity("pairwise_bernoulli", p=1.0))])
    # 4e10 synapses * 8 B = 320 GB: refused immediately with the estimate in the message
    with pytest.raises(InputError, match=r"estimated [0-9.]+ GiB"):
        build(net)
    with pytest.raises(InputError, match="GiB"):
        build(models.cuba(4000), max_memory_bytes=1000)


def test_unknown_population_and_rule():
    net = Network(populations=[Population("E", 3)],
                  projections=[Projection("E", "X", Connectivity("pairwise_bernoulli", p=0.1))])
    with pytest.raises(InputError, match="unknown population 'X'"):
        net.validate()
    net = Network(populations=[Population("E", 3)],
                  projections=[Projection("E", "E", Connectivity("all_to_all"))])
    with pytest.raises(InputError, match="unknown rule"):
        net.validate()


def test_duration_not_multiple_of_dt():
    nn = build(Network(populations=[Population("E", 2)]))
    with pytest.raises(InputError, match="multiple of dt"):
        nn.run(1.05)
