"""e-prop (Bellec et al. 2020): eligibility traces x a broadcast learning signal, no autograd.

For a synapse ``i -> j`` of the LIF network of :mod:`~neurodiscovery.learning.spiking`, the
eligibility vector follows the neuron's own dynamics forward in time:

* ``eps_I[t] = P11 eps_I[t-1] + s_i[t-1]``   (the synaptic current's derivative w.r.t. ``W_ij``)
* ``eps_v[t] = P22 eps_v[t-1] + P21 eps_I[t-1]``   (the membrane's)
* eligibility trace ``e_ij[t] = psi_j[t] eps_v_i[t]`` with the surrogate pseudo-derivative ``psi``.

The reset's effect on ``eps_v`` is dropped (as in Bellec et al.'s LIF, whose reset is not
differentiated), so the vectors depend on the presynaptic neuron only. The loss (cross-entropy
of output spike counts) is known when the sample ends; then the output error
``softmax(counts) - onehot(label)`` is broadcast:

* output synapses: ``dW_out[j, k] = sum_t e_jk[t] * err_k``  (exact for the readout layer)
* hidden synapses: ``dW[i, j] = sum_t e_ij[t] * L_j``, learning signal ``L_j = sum_k B[j, k] err_k``
  with ``B = W_out`` (symmetric e-prop) or a fixed random matrix (random e-prop).

Nothing is propagated backwards through time, and no autograd graph is built. A chip would
accumulate ``sum_t e_ij[t]`` in each synapse during the sample; because the learning signal of a
sample is constant in time, the same sums are computed here as one matrix product of the
stored pre- and postsynaptic factors (identical numbers, far fewer operations on a CPU).
"""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError

__all__ = ["eprop_gradients", "random_feedback"]


def random_feedback(net, seed: int = 0):
    """Fixed random feedback matrix for random e-prop, same shape and scale as ``net.w_out``.

    Parameters
    ----------
    net : SpikingNetwork
        The network (``w_out`` of shape ``(n_hidden, n_outputs)``).
    seed : int
        Seeds the matrix.

    Returns
    -------
    torch.Tensor, shape (n_hidden, n_outputs)
    """
    import torch

    g = torch.Generator().manual_seed(int(seed) + 7919)
    std = float(net.w_out.detach().std()) or 1.0
    return torch.randn(tuple(net.w_out.shape), generator=g) * std


def eprop_gradients(net, x, y, feedback=None):
    """e-prop estimate of the mean loss gradient over a batch, computed forward in time.

    Parameters
    ----------
    net : SpikingNetwork
        The network (weights are not changed).
    x : torch.Tensor or ndarray, shape (batch, n_steps, n_inputs)
        Input spikes (0/1).
    y : ndarray, shape (batch,)
        Integer labels.
    feedback : torch.Tensor, optional, shape (n_hidden, n_outputs)
        Broadcast matrix of the learning signal; None uses ``w_out`` (symmetric e-prop).

    Returns
    -------
    grads : dict of str -> torch.Tensor
        ``"w_in"``, ``"w_out"`` and (recurrent networks) ``"w_rec"``, shaped like the weights.
    loss : float
        Mean cross-entropy of the batch.
    counts : torch.Tensor, shape (batch, n_outputs)
        Output spike counts.
    """
    import torch

    with torch.no_grad():
        return _eprop(net, x, y, feedback)


def _eprop(net, x, y, feedback):
    import torch

    cfg = net.config
    if cfg.neuron != "iaf_psc_exp":
        raise InputError(f"e-prop is derived for the engine's iaf_psc_exp neuron, not {cfg.neuron!r}; "
                         "use rule bptt or neuron iaf_psc_exp")
    p22, p21, _, p11 = cfg.propagators()
    th, slope = cfg.threshold_mv, cfg.surrogate_slope
    w_in, w_out = net.w_in.detach(), net.w_out.detach()
    w_rec = None if net.w_rec is None else net.w_rec.detach()
    x = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x, dtype=w_in.dtype)
    b, n_steps, n_in = x.shape
    n_h, n_out = w_out.shape
    z = x.new_zeros
    v_h, i_h, s_h = z(b, n_h), z(b, n_h), z(b, n_h)
    v_o, i_o = z(b, n_out), z(b, n_out)
    tr_in_i, tr_in_v = z(b, n_in), z(b, n_in)      # eligibility vectors of input synapses
    tr_h_i, tr_h_v = z(b, n_h), z(b, n_h)          # ... of synapses from hidden neurons
    hist_in, hist_h, hist_psi_h, hist_psi_o = [], [], [], []
    counts = z(b, n_out)
    x_prev = z(b, n_in)
    for t in range(n_steps):
        # eligibility vectors: same propagators as the membrane, presynaptic spikes of step t-1
        tr_in_v = p22 * tr_in_v + p21 * tr_in_i
        tr_in_i = p11 * tr_in_i + x_prev
        tr_h_v = p22 * tr_h_v + p21 * tr_h_i
        tr_h_i = p11 * tr_h_i + s_h
        # hidden layer
        v_h = p22 * v_h + p21 * i_h
        arriving = x_prev @ w_in if w_rec is None else x_prev @ w_in + s_h @ w_rec
        i_h = p11 * i_h + arriving
        psi_h = 1.0 / (slope * (v_h - th).abs() + 1.0) ** 2
        s_new = (v_h >= th).to(v_h.dtype)
        v_h = v_h * (1.0 - s_new)
        # output layer (its input: hidden spikes of step t-1)
        v_o = p22 * v_o + p21 * i_o
        i_o = p11 * i_o + s_h @ w_out
        psi_o = 1.0 / (slope * (v_o - th).abs() + 1.0) ** 2
        s_o = (v_o >= th).to(v_o.dtype)
        v_o = v_o * (1.0 - s_o)
        counts += s_o
        # the eligibility trace e_ij[t] = psi_j[t] eps_i[t] factorises into a pre- and a postsynaptic
        # factor; keep the factors (memory: neurons x steps) rather than a per-sample synapse matrix
        hist_in.append(tr_in_v)
        hist_h.append(tr_h_v)
        hist_psi_h.append(psi_h)
        hist_psi_o.append(psi_o)
        s_h = s_new
        x_prev = x[:, t]
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    logp = torch.log_softmax(counts, 1)
    loss = float(-logp[torch.arange(b), y].mean())
    err = logp.exp()
    err[torch.arange(b), y] -= 1.0
    fb = w_out if feedback is None else feedback
    signal = err @ fb.T                                  # (batch, n_hidden) learning signal
    # sum_t e_ij[t] L_j summed over the batch: the learning signal of a sample is constant in time,
    # so the sum over (sample, step) is one matrix product of the stacked factors
    pre_in = torch.stack(hist_in, 1).reshape(b * n_steps, n_in)
    pre_h = torch.stack(hist_h, 1).reshape(b * n_steps, n_h)
    post_h = (torch.stack(hist_psi_h, 1) * signal[:, None, :]).reshape(b * n_steps, n_h)
    post_o = (torch.stack(hist_psi_o, 1) * err[:, None, :]).reshape(b * n_steps, n_out)
    grads = {"w_in": pre_in.T @ post_h / b, "w_out": pre_h.T @ post_o / b}
    if w_rec is not None:
        g = pre_h.T @ post_h / b
        g.fill_diagonal_(0.0)
        grads["w_rec"] = g
    return grads, loss, counts
