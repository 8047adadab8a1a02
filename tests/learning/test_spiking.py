"""Spiking networks: the LIF update against its closed form, e-prop against autograd, learning, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from neurodiscovery._utils.errors import InputError  # noqa: E402
from neurodiscovery.learning.encoding import make_randman  # noqa: E402
from neurodiscovery.learning.eprop import eprop_gradients  # noqa: E402
from neurodiscovery.learning.snn_train import train_snn  # noqa: E402
from neurodiscovery.learning.spiking import LIFConfig, SpikingNetwork  # noqa: E402


def _psp_closed_form(w, t_ms, cfg):
    tm, ts, c = cfg.tau_m_ms, cfg.tau_syn_ms, cfg.c_m_pf
    return w * ts * tm / (c * (tm - ts)) * (np.exp(-t_ms / tm) - np.exp(-t_ms / ts))


def _one_input_net(w, threshold_mv):
    cfg = LIFConfig(dt_ms=0.5, tau_m_ms=10.0, tau_syn_ms=3.0, c_m_pf=2.0, threshold_mv=threshold_mv)
    return SpikingNetwork(torch.tensor([[w]], dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64),
                          config=cfg), cfg


def test_single_psp_crosses_threshold_exactly_at_the_closed_form_peak():
    # one input spike at step 0 enters the current at step 1, so v[t] = PSP((t - 1) dt)
    w, n_steps = 40.0, 80
    _, cfg = _one_input_net(w, 1.0)
    t = np.arange(n_steps) * cfg.dt_ms
    v = np.where(t >= cfg.dt_ms, _psp_closed_form(w, t - cfg.dt_ms, cfg), 0.0)
    peak, k = v.max(), int(v.argmax())
    x = np.zeros((1, n_steps, 1))
    x[0, 0, 0] = 1
    below, _ = _one_input_net(w, peak * (1 - 1e-9))
    above, _ = _one_input_net(w, peak * (1 + 1e-9))
    spikes = below.forward(x).hidden[0, :, 0].detach().numpy()
    assert np.flatnonzero(spikes).tolist() == [k]
    assert above.forward(x).hidden.sum() == 0


def test_eprop_readout_gradient_equals_autograd_when_the_readout_is_silent():
    # e-prop's readout eligibility is exact when no output neuron spikes (no reset to drop)
    g = torch.Generator().manual_seed(3)
    cfg = LIFConfig()
    w_in = (torch.rand(6, 5, generator=g, dtype=torch.float64) * 0.8).requires_grad_(True)
    w_out = (torch.randn(5, 3, generator=g, dtype=torch.float64) * 0.01).requires_grad_(True)
    net = SpikingNetwork(w_in, w_out, config=cfg)
    x = (torch.rand(4, 15, 6, generator=g) < 0.3).double()
    y = np.array([0, 1, 2, 1])
    fw = net.forward(x)
    assert fw.hidden.sum() > 10 and fw.output.sum() == 0
    net.loss(fw, y).backward()
    grads, loss, _ = eprop_gradients(net, x, y)
    assert torch.allclose(grads["w_out"], w_out.grad, rtol=1e-10, atol=1e-14)
    assert loss == pytest.approx(math.log(3.0))
    # hidden weights: e-prop is an approximation of BPTT, but points the same way
    cos = torch.nn.functional.cosine_similarity(grads["w_in"].flatten(), w_in.grad.flatten(), dim=0)
    assert cos > 0.5


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["bptt", "eprop", "eprop-random"])
def test_rules_learn_a_small_randman_task(rule):
    task = make_randman(n_classes=3, n_inputs=10, n_steps=25, samples_per_class=100, seed=1)
    fit = train_snn(task, rule, n_hidden=30, n_epochs=15, batch_size=32, lr=5e-3, seed=0)
    assert fit.test_accuracy > 0.6  # chance 0.33
    assert fit.train_loss[-1] < fit.train_loss[0]


def test_eprop_training_lowers_the_loss_in_a_few_updates():
    task = make_randman(n_classes=2, n_inputs=8, n_steps=15, samples_per_class=32, seed=2)
    fit = train_snn(task, "eprop", n_hidden=10, n_epochs=4, batch_size=16, lr=1e-2, seed=0)
    assert fit.train_loss[-1] < fit.train_loss[0]


def _snntorch_synaptic_reference(x, w_in, w_out, alpha, beta, threshold):
    """snnTorch 1.0's ``Synaptic(reset_mechanism="zero")`` forward, written out in numpy from its source."""
    def layer(inp):
        syn = mem = np.zeros(inp.shape[1])
        out = []
        for t in range(len(inp)):
            reset = (mem - threshold > 0).astype(float)      # mem_reset: heaviside of the previous mem
            syn = alpha * syn + inp[t]                       # _base_zero: syn is not reset
            mem = (beta * mem + syn) - (beta * mem + syn) * reset
            out.append((mem - threshold > 0).astype(float))  # fire: strictly above threshold
        return np.array(out)

    hidden = layer(x @ w_in)
    return hidden, layer(hidden @ w_out)


def test_synaptic_neuron_is_snntorchs_synaptic_on_the_same_weights():
    cfg = LIFConfig(neuron="synaptic")
    p22, p21, _, p11 = cfg.propagators()
    rng = np.random.default_rng(4)
    w_in, w_out = rng.normal(0, 2.0, (12, 20)), rng.normal(0, 3.0, (20, 5))
    x = (rng.random((3, 40, 12)) < 0.2).astype(float)
    net = SpikingNetwork(torch.tensor(w_in), torch.tensor(w_out), config=cfg)
    fw = net.forward(x, dtype=torch.float64)
    n_spikes = 0
    for b in range(len(x)):
        # snnTorch's weights are ours times P21 (its current is added to the membrane unscaled)
        h, o = _snntorch_synaptic_reference(x[b], w_in * p21, w_out * p21, p11, p22, 1.0)
        assert np.array_equal(fw.hidden[b].numpy(), h) and np.array_equal(fw.output[b].numpy(), o)
        n_spikes += h.sum() + o.sum()
    assert n_spikes > 50 and fw.output.sum() > 5
    with pytest.raises(InputError, match="e-prop"):
        eprop_gradients(net, x, np.zeros(3, int))
    from neurodiscovery.learning.export import to_network

    with pytest.raises(InputError, match="export"):
        to_network(net, x[0])
    with pytest.raises(InputError, match="neuron"):
        LIFConfig(neuron="izhikevich")


def test_bad_parameters_are_one_clear_error():
    with pytest.raises(InputError, match="time step"):
        LIFConfig(dt_ms=0)
    with pytest.raises(InputError, match="threshold"):
        LIFConfig(threshold_mv=-1.0)
    task = make_randman(n_classes=3, n_inputs=4, n_steps=10, samples_per_class=4)
    with pytest.raises(InputError, match="3 classes but only 2 output"):
        train_snn(task, n_outputs=2)
    with pytest.raises(InputError, match="unknown spiking learning rule"):
        train_snn(task, "hebb")
