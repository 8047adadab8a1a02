"""Backward passes against torch autograd; the textbook's 'local' rule is backprop."""
import numpy as np
import pytest

from neurodiscovery.learning import MLP, backprop_gradients, make_rule
from neurodiscovery.learning.train import angle_rad, one_hot

torch = pytest.importorskip("torch")


def _torch_grads(net, x, targets):
    ws = [torch.tensor(w, requires_grad=True) for w in net.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in net.biases]
    f = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[net.activation]
    h = torch.tensor(x)
    for i, (w, b) in enumerate(zip(ws, bs)):
        a = h @ w + b
        h = f(a) if i < len(ws) - 1 else a
    t = torch.tensor(targets)
    if net.output == "softmax":
        loss = -(torch.log_softmax(h, 1) * t).sum(1).mean()
    else:
        loss = (0.5 * (t - torch.sigmoid(h)) ** 2).sum(1).mean()
    loss.backward()
    return [w.grad.numpy() for w in ws], [b.grad.numpy() for b in bs], float(loss.detach())


@pytest.mark.parametrize("activation,sizes,output", [
    ("tanh", (7, 5, 3), "softmax"), ("relu", (6, 8, 7, 4), "softmax"),
    ("tanh", (5, 4, 4, 4, 4, 3), "softmax"), ("sigmoid", (4, 6, 3), "sigmoid")])
def test_backprop_matches_autograd(activation, sizes, output, rng):
    net = MLP.init(sizes, activation, output, seed=1)
    for b in net.biases:
        b[:] = rng.normal(size=b.shape) * 0.1
    x = rng.normal(size=(11, sizes[0]))
    t = one_hot(rng.integers(sizes[-1], size=11), sizes[-1]) if output == "softmax" \
        else rng.uniform(size=(11, sizes[-1]))
    gw, gb, loss = backprop_gradients(net, x, t)
    tw, tb, tloss = _torch_grads(net, x, t)
    assert loss == pytest.approx(tloss, rel=1e-12)
    for a, b in zip(gw + gb, tw + tb):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def _textbook_step(W1, W2, x, target, learning_rate):
    """The chapter's per-sample update (section 21.5.1), transcribed: W1 (hidden, in), W2 (out, hidden)."""
    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    hidden_out = sigmoid(W1 @ x)
    output = sigmoid(W2 @ hidden_out)
    error = target - output
    dW2 = learning_rate * np.outer(error * output * (1 - output), hidden_out)
    hidden_error = W2.T @ (error * output * (1 - output))
    dW1 = learning_rate * np.outer(hidden_error * hidden_out * (1 - hidden_out), x)
    return dW1, dW2


def test_textbook_local_rule_is_exactly_backprop(rng):
    W1, W2 = rng.normal(size=(6, 4)), rng.normal(size=(3, 6))
    net = MLP([W1.T.copy(), W2.T.copy()], [np.zeros(6), np.zeros(3)], "sigmoid", "sigmoid")
    lr = 0.1
    for _ in range(5):
        x, target = rng.normal(size=4), rng.uniform(size=3)
        dW1, dW2 = _textbook_step(W1, W2, x, target, lr)
        gw, _, _ = backprop_gradients(net, x[None], target[None])
        tw, _, _ = _torch_grads(net, x[None], target[None])
        # the "local" rule's step is minus lr times the exact gradient of 0.5*|target - output|^2
        np.testing.assert_allclose(dW1.T, -lr * gw[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(dW2.T, -lr * gw[1], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(dW1.T, -lr * tw[0], rtol=1e-10, atol=1e-14)
        assert angle_rad(dW1.T, -gw[0]) < 1e-6


def test_rules_use_their_stated_signals(rng):
    net = MLP.init((5, 8, 8, 3), "tanh", seed=0)
    x, t = rng.normal(size=(16, 5)), one_hot(rng.integers(3, size=16), 3)
    true_w, _, _ = backprop_gradients(net, x, t)
    for name in ("fa", "dfa", "frozen", "three_factor"):
        rule = make_rule(name)
        rule.setup(net, np.random.default_rng(7))  # not the init stream (seed 0)
        gw, _, _ = rule.gradients(net, x, t, np.random.default_rng(1))
        assert [g.shape for g in gw] == [w.shape for w in net.weights]
        if name != "three_factor":  # readout of FA/DFA/frozen is the exact delta rule
            np.testing.assert_allclose(gw[-1], true_w[-1], rtol=1e-12)
        if name in ("fa", "dfa"):  # random feedback: hidden updates differ from the gradient
            assert angle_rad(gw[0], true_w[0]) > 0.1
        assert rule.weight_transport is False
    assert not make_rule("frozen").gradients(net, x, t, rng)[0][0].any()


def test_node_perturbation_is_unbiased(rng):
    net = MLP.init((4, 6, 3), "tanh", seed=2)
    x, t = rng.normal(size=(4000, 4)), one_hot(rng.integers(3, size=4000), 3)
    x = np.repeat(x[:1], 4000, axis=0)  # one input, many noise draws: the average -> gradient
    t = np.repeat(t[:1], 4000, axis=0)
    true_w, _, _ = backprop_gradients(net, x, t)
    rule = make_rule("three_factor")
    gw, _, _ = rule.gradients(net, x, t, np.random.default_rng(3))
    for g, tw in zip(gw, true_w):
        assert np.cos(angle_rad(g, tw)) > 0.9
