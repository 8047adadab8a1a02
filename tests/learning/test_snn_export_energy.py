"""Export to the native engine, encodings, operation counts and communication closed forms."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from neurodiscovery._utils.errors import InputError  # noqa: E402
from neurodiscovery.learning.encoding import latency_encode, load_spike_task, make_randman, rate_encode  # noqa: E402
from neurodiscovery.learning.energy import communication_table, mlp_macs, synaptic_operations  # noqa: E402
from neurodiscovery.learning.export import export_agreement, to_network  # noqa: E402
from neurodiscovery.learning.spiking import LIFConfig, SpikingNetwork  # noqa: E402


@pytest.mark.parametrize("recurrent", [False, True])
def test_engine_reproduces_every_spike_of_the_torch_forward_pass(recurrent, rng):
    net = SpikingNetwork.init(12, 15, 4, recurrent, LIFConfig(dt_ms=0.5), seed=3, weight_scale=1.5)
    x = (rng.random((3, 30, 12)) < 0.15).astype(np.float32)  # runs of consecutive input spikes occur
    x[:, -5:] = 0
    ag = export_agreement(net, x)
    assert ag.torch_output_spikes > 5
    assert ag.fraction_reproduced >= 0.999
    assert ag.hidden_agreement == 1.0
    # every input spike reaches all 15 hidden neurons, every hidden spike its out-degree
    assert ag.synaptic_events >= x.sum() * 15


def test_export_refuses_the_wrong_input_width():
    net = SpikingNetwork.init(3, 2, 2)
    with pytest.raises(InputError, match=r"shape \(n_steps, 3\)"):
        to_network(net, np.zeros((5, 4)))


def test_latency_and_rate_codes():
    x = np.array([[1.0, 0.5, 0.01, 0.0]])
    s = latency_encode(x, 16, tail_steps=5)
    assert s.shape == (1, 16, 4)
    assert np.flatnonzero(s[0, :, 0]).tolist() == [0] and np.flatnonzero(s[0, :, 1]).tolist() == [5]
    assert s[0, :, 2:].sum() == 0 and s[0, -5:].sum() == 0
    r = rate_encode(np.full((400, 2), [0.2, 0.8]), 25, max_prob=0.5, seed=0, tail_steps=5)
    rate = r[:, :20].mean(axis=(0, 1))
    assert rate == pytest.approx([0.1, 0.4], abs=0.01)  # SD of the mean < 0.002
    assert r[:, 20:].sum() == 0


def test_randman_fires_each_input_once_and_balances_classes():
    t = make_randman(n_classes=4, n_inputs=6, n_steps=20, samples_per_class=10, seed=0)
    assert (t.X_train.sum(1) == 1).all() and (t.X_test.sum(1) == 1).all()
    assert np.bincount(t.y_test).tolist() == [2, 2, 2, 2]
    with pytest.raises(InputError, match="unknown task"):
        load_spike_task("mnist")


def test_operation_counts_match_spikes_times_out_degree(rng):
    net = SpikingNetwork.init(5, 4, 3, seed=1, weight_scale=2.0)
    x = (rng.random((2, 20, 5)) < 0.3).astype(np.float32)
    ops = synaptic_operations(net, x)
    with torch.no_grad():
        fw = net.forward(x)
    expected = (x.sum() * 4 + float(fw.hidden.sum()) * 3) / 2
    assert ops["synops_per_sample"] == pytest.approx(expected)
    assert ops["neuron_updates_per_sample"] == 7 * 20
    assert mlp_macs([64, 128, 10]) == 64 * 128 + 128 * 10


def test_communication_closed_forms():
    rows = {r["rule"]: r for r in communication_table([10, 6, 4, 3], n_steps=7)}
    assert rows["backprop"]["error_values"] == 4 + 3 and rows["backprop"]["feedback_messages"] == 6 * 4 + 4 * 3
    assert rows["dfa"]["error_values"] == 3 and rows["dfa"]["feedback_messages"] == 3 * 10
    assert rows["three_factor"]["error_values"] == 1
    assert rows["fa"]["weight_transport"] is False and rows["backprop"]["weight_transport"] is True
    assert rows["bptt (SNN)"]["error_values"] == 7 * (3 + 10)
