"""Energy and communication proxies: synaptic operations of a spiking network vs an MLP's MACs,
and the numbers each learning rule sends backwards per update.

These are operation counts, not joules. A synaptic operation (SynOp) is one spike arriving at
one synapse (an addition of the weight to a current); a multiply-accumulate (MAC) is one
weight times one activation added to a sum. Published 45 nm estimates (Horowitz 2014: 32-bit
float add 0.9 pJ, multiply 3.7 pJ) make a MAC about 5x an accumulate, but a chip's energy also
depends on memory traffic, which these counts ignore.
"""
from __future__ import annotations

import numpy as np

__all__ = ["synaptic_operations", "mlp_macs", "communication_table", "mlp_accuracy_by_width", "spike_features"]


def synaptic_operations(net, X: np.ndarray) -> dict:
    """Mean operations per inference of a spiking network, counted from its spikes.

    Parameters
    ----------
    net : SpikingNetwork
        The network.
    X : ndarray, shape (samples, n_steps, n_inputs)
        Input spikes (0/1).

    Returns
    -------
    dict
        ``synops_per_sample`` (spikes x out-degree, inputs included), ``neuron_updates_per_sample``
        (neurons x steps, the clock-driven state updates), ``spikes_per_sample`` (hidden +
        output) and ``input_spikes_per_sample``.
    """
    import torch

    with torch.no_grad():
        fw = net.forward(X)
    n_in, n_h, n_out = net.sizes
    deg_in = (net.w_in.detach() != 0).sum(1).numpy()
    deg_h = (net.w_out.detach() != 0).sum(1).numpy()
    if net.w_rec is not None:
        deg_h = deg_h + (net.w_rec.detach() != 0).sum(1).numpy()
    x = np.asarray(X, float)
    ops = (x.sum(1) @ deg_in).mean() + (fw.hidden.sum(1).numpy() @ deg_h).mean()
    return {"synops_per_sample": float(ops), "neuron_updates_per_sample": float((n_h + n_out) * x.shape[1]),
            "spikes_per_sample": float((fw.hidden.sum() + fw.output.sum()) / len(x)),
            "input_spikes_per_sample": float(x.sum() / len(x))}


def mlp_macs(sizes) -> int:
    """Multiply-accumulates of one MLP inference: ``sum_l n_{l-1} n_l`` (biases excluded).

    Parameters
    ----------
    sizes : sequence of int
        Layer widths ``(n_inputs, hidden..., n_outputs)`` (counts of units).

    Returns
    -------
    int
    """
    sizes = [int(s) for s in sizes]
    return int(sum(a * b for a, b in zip(sizes[:-1], sizes[1:])))


def mlp_accuracy_by_width(task, widths=(2, 4, 8, 16, 32, 64, 128), seed: int = 0, n_epochs: int = 60) -> list[dict]:
    """Test accuracy and MACs of backprop-trained one-hidden-layer tanh MLPs of several widths.

    Parameters
    ----------
    task : ClassificationTask
        Features (not spikes) and labels.
    widths : sequence of int
        Hidden widths (count of units).
    seed : int
        Seeds weights and batches.
    n_epochs : int
        Training epochs (SGD with momentum, learning rate 0.05).

    Returns
    -------
    rows : list of dict
        ``hidden``, ``macs_per_sample``, ``test_accuracy`` (fraction).
    """
    from .train import LearningRuleClassifier

    rows = []
    for w in widths:
        clf = LearningRuleClassifier("backprop", hidden_sizes=(int(w),), n_epochs=n_epochs, seed=seed,
                                     alignment_every=0)
        clf.fit(task.X_train, task.y_train)
        rows.append({"hidden": int(w), "macs_per_sample": mlp_macs([task.n_features, w, task.n_classes]),
                     "test_accuracy": float(clf.score(task.X_test, task.y_test))})
    return rows


def communication_table(sizes, n_steps: int = 1) -> list[dict]:
    """Numbers sent backwards per sample and update, per learning rule (closed forms).

    Parameters
    ----------
    sizes : sequence of int
        Layer widths ``(n_inputs, hidden..., n_outputs)``; for the spiking rules one hidden layer.
    n_steps : int
        Time steps per sample of the spiking network (BPTT sends errors back at every step).

    Returns
    -------
    rows : list of dict
        ``rule``, ``error_values`` (distinct numbers computed and sent towards the hidden units),
        ``feedback_messages`` (number-times-destination deliveries: one per feedback synapse used),
        ``weight_transport`` (needs the forward weights in the backward path) and
        ``stored_per_sample`` (state kept between the forward pass and the update).
    """
    sizes = [int(s) for s in sizes]
    hidden, n_out = sizes[1:-1], sizes[-1]
    above = sizes[2:]  # error vectors of the layers that send errors down
    layered_msgs = sum(a * b for a, b in zip(sizes[1:-1], sizes[2:]))
    acts = sum(sizes[:-1])
    rows = [
        {"rule": "backprop", "error_values": sum(above), "feedback_messages": layered_msgs,
         "weight_transport": True, "stored_per_sample": acts},
        {"rule": "fa", "error_values": sum(above), "feedback_messages": layered_msgs,
         "weight_transport": False, "stored_per_sample": acts},
        {"rule": "dfa", "error_values": n_out, "feedback_messages": n_out * sum(hidden),
         "weight_transport": False, "stored_per_sample": acts},
        {"rule": "three_factor", "error_values": 1, "feedback_messages": sum(sizes[1:]),
         "weight_transport": False, "stored_per_sample": acts + sum(sizes[1:])},
    ]
    n_h = sum(hidden)
    T = int(n_steps)
    neurons = sum(sizes)
    # an on-chip e-prop synapse keeps its running sum of eligibility; each presynaptic neuron keeps
    # its two eligibility-vector components (current, membrane)
    eprop_store = sizes[0] * n_h + n_h * n_out + 2 * (sizes[0] + n_h)
    rows += [
        {"rule": "bptt (SNN)", "error_values": T * (n_out + n_h), "feedback_messages": T * n_out * n_h,
         "weight_transport": True, "stored_per_sample": 2 * T * neurons},
        {"rule": "eprop (SNN)", "error_values": n_out, "feedback_messages": n_out * n_h,
         "weight_transport": True, "stored_per_sample": eprop_store},
        {"rule": "eprop-random (SNN)", "error_values": n_out, "feedback_messages": n_out * n_h,
         "weight_transport": False, "stored_per_sample": eprop_store},
    ]
    return rows


def spike_features(X: np.ndarray) -> np.ndarray:
    """Features an MLP gets from spike trains: earliness of the first spike (1 at step 0, 0 when silent)
    when every input spikes at most once, else the spike count per step.

    Parameters
    ----------
    X : ndarray, shape (samples, n_steps, n_inputs)
        0/1 spikes.

    Returns
    -------
    ndarray, shape (samples, n_inputs)
        Features in [0, 1] (dimensionless).
    """
    X = np.asarray(X)
    n_steps = X.shape[1]
    if X.sum(1).max() <= 1:
        first = np.where(X.any(1), X.argmax(1), n_steps)
        return 1.0 - first / n_steps
    return X.sum(1) / n_steps
