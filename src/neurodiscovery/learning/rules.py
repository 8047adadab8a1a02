"""Supervised learning rules for :class:`~neurodiscovery.learning.network.MLP`.

Every rule returns, for one mini-batch, an estimate of the loss gradient for each
layer's weights and biases (the optimiser subtracts it). Only backprop computes the
true gradient; the others replace the backward pass by signals a neuron could plausibly
have. None of them uses autograd: the backward passes are written out, and backprop is
tested against torch autograd.

=================  ===============  ========================================================
rule               weight transport  signals a hidden synapse ``W_l[i, j]`` uses
=================  ===============  ========================================================
``backprop``       yes               ``h_{l-1,i}``, ``f'(a_{l,j})``, error sent back through
                                     the transposed forward weights ``W_{l+1}^T``
``fa``             no                same, but the error comes through a fixed random matrix
``dfa``            no                ``h_{l-1,i}``, ``f'(a_{l,j})``, the *output* error sent
                                     directly to layer ``l`` by a fixed random matrix
``three_factor``   no                ``h_{l-1,i}``, the unit's own noise ``xi_{l,j}``, and one
                                     global scalar per sample (reward prediction error)
``frozen``         --                control: hidden layers fixed at their random init,
                                     only the readout learns (delta rule)
=================  ===============  ========================================================
"""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError
from .network import MLP, activation_derivative


def _weight_grads(fw, deltas, batch: int):
    gw = [fw.post[layer].T @ d / batch for layer, d in enumerate(deltas)]
    gb = [d.sum(axis=0) / batch for d in deltas]
    return gw, gb


def backprop_gradients(net: MLP, x: np.ndarray, targets: np.ndarray):
    """Exact gradient of the mean loss over the batch.

    Parameters
    ----------
    net : MLP
        The network.
    x : ndarray, shape (batch, n_inputs)
    targets : ndarray, shape (batch, n_outputs)
        One-hot labels (softmax) or target values in [0, 1] (sigmoid output).

    Returns
    -------
    grads_w, grads_b : list of ndarray
        Same shapes as ``net.weights`` / ``net.biases``.
    loss : float
        Mean loss over the batch.
    """
    return _layerwise_error_gradients(net, x, targets, net.weights)


def _layerwise_error_gradients(net, x, targets, feedback):
    """Gradient estimates with the output error sent back layer by layer through ``feedback[l].T``:
    the forward weights (backprop) or fixed random matrices (feedback alignment).
    """
    fw = net.forward(x)
    delta = net.output_error(fw, targets)
    deltas = [delta]
    for layer in range(net.n_layers - 1, 0, -1):
        delta = (delta @ feedback[layer].T) * activation_derivative(
            fw.pre[layer - 1], fw.post[layer], net.activation)
        deltas.insert(0, delta)
    gw, gb = _weight_grads(fw, deltas, len(x))
    return gw, gb, float(net.loss_per_sample(fw, targets).mean())


class Backprop:
    """Backpropagation of error (the reference).

    Signals: presynaptic activity, the postsynaptic derivative ``f'(a)`` and an error
    sent backwards through the *transpose of the forward weights* (weight transport:
    non-local). Gives the exact gradient of the loss.
    """

    name = "backprop"
    weight_transport = True
    locality = "non-local (weight transport)"

    def setup(self, net: MLP, rng: np.random.Generator) -> None:
        """Nothing to set up.

        Parameters
        ----------
        net : MLP
            The network the rule will train.
        rng : numpy.random.Generator
            Source of any fixed random matrices.
        """

    def gradients(self, net: MLP, x, targets, rng):
        """Exact gradient (see :func:`backprop_gradients`).

        Parameters
        ----------
        net : MLP
            The network (weights not changed here).
        x : ndarray, shape (batch, n_inputs)
            Inputs of one mini-batch.
        targets : ndarray, shape (batch, n_outputs)
            One-hot labels (softmax) or target values in [0, 1] (sigmoid output).
        rng : numpy.random.Generator
            Noise source (node perturbation); unused by deterministic rules.

        Returns
        -------
        grads_w, grads_b : list of ndarray
            Same shapes as ``net.weights`` / ``net.biases``.
        loss : float
            Mean loss over the batch.
        """
        return backprop_gradients(net, x, targets)


class FeedbackAlignment:
    """Feedback alignment (Lillicrap et al. 2016).

    Signals: presynaptic activity, ``f'(a)`` and the error of the layer above sent back
    through a fixed random matrix ``B_{l+1}`` (same shape as ``W_{l+1}^T``) instead of
    ``W_{l+1}^T``: no weight transport, but the error still travels layer by layer.
    The forward weights come to align with ``B``, which is why it learns.
    """

    name = "fa"
    weight_transport = False
    locality = "layer-wise random feedback (no weight transport)"

    def setup(self, net: MLP, rng: np.random.Generator) -> None:
        """Draw the fixed random feedback matrices ``B_l`` (shapes of ``W_l``).

        Parameters
        ----------
        net : MLP
            The network the rule will train.
        rng : numpy.random.Generator
            Source of any fixed random matrices.
        """
        # Scaled like the forward weights so the backward signal has a comparable size.
        self.feedback_ = [rng.uniform(-1, 1, w.shape) * np.sqrt(3.0 / w.shape[1])
                          for w in net.weights]

    def gradients(self, net: MLP, x, targets, rng):
        """Weight/bias gradient estimates and the batch loss, error sent back through ``B``.

        Parameters
        ----------
        net : MLP
            The network (weights not changed here).
        x : ndarray, shape (batch, n_inputs)
            Inputs of one mini-batch.
        targets : ndarray, shape (batch, n_outputs)
            One-hot labels (softmax) or target values in [0, 1] (sigmoid output).
        rng : numpy.random.Generator
            Noise source (node perturbation); unused by deterministic rules.

        Returns
        -------
        grads_w, grads_b : list of ndarray
            Same shapes as ``net.weights`` / ``net.biases``.
        loss : float
            Mean loss over the batch.
        """
        return _layerwise_error_gradients(net, x, targets, self.feedback_)


class DirectFeedbackAlignment:
    """Direct feedback alignment (Nøkland 2016).

    Signals: presynaptic activity, ``f'(a)`` and the *output* error broadcast straight to
    every hidden layer through a fixed random matrix ``D_l`` of shape ``(n_out, n_l)``.
    No weight transport and no layer-by-layer backward pass.
    """

    name = "dfa"
    weight_transport = False
    locality = "direct random feedback of the output error (no weight transport)"

    def setup(self, net: MLP, rng: np.random.Generator) -> None:
        """Draw the fixed random matrices ``D_l`` of shape ``(n_out, n_l)``.

        Parameters
        ----------
        net : MLP
            The network the rule will train.
        rng : numpy.random.Generator
            Source of any fixed random matrices.
        """
        n_out = net.sizes[-1]
        self.feedback_ = [rng.uniform(-1, 1, (n_out, n)) * np.sqrt(3.0 / n_out)
                          for n in net.sizes[1:-1]]

    def gradients(self, net: MLP, x, targets, rng):
        """Weight/bias gradient estimates and the batch loss, output error sent through ``D_l``.

        Parameters
        ----------
        net : MLP
            The network (weights not changed here).
        x : ndarray, shape (batch, n_inputs)
            Inputs of one mini-batch.
        targets : ndarray, shape (batch, n_outputs)
            One-hot labels (softmax) or target values in [0, 1] (sigmoid output).
        rng : numpy.random.Generator
            Noise source (node perturbation); unused by deterministic rules.

        Returns
        -------
        grads_w, grads_b : list of ndarray
            Same shapes as ``net.weights`` / ``net.biases``.
        loss : float
            Mean loss over the batch.
        """
        fw = net.forward(x)
        err = net.output_error(fw, targets)
        deltas = [err @ d * activation_derivative(fw.pre[layer], fw.post[layer + 1], net.activation)
                  for layer, d in enumerate(self.feedback_)] + [err]
        gw, gb = _weight_grads(fw, deltas, len(x))
        return gw, gb, float(net.loss_per_sample(fw, targets).mean())


class ThreeFactor:
    """Three-factor node perturbation (Williams 1992; Fiete & Seung 2006).

    Each unit adds Gaussian noise ``xi`` (SD ``noise_sd``) to its input on a second,
    noisy pass. A global scalar per sample -- the reward prediction error
    ``RPE = -(L_noisy - L_clean)``, reward being the negative loss and the clean pass's
    loss its prediction -- gates the Hebbian product of the unit's own noise and its
    presynaptic activity: ``dW_l = RPE * xi_l * h_{l-1} / noise_sd**2`` (averaged over the
    batch). Signals: presynaptic activity, the unit's own perturbation and one broadcast
    scalar; no weight transport, no error vector, no ``f'(a)``. An unbiased but noisy
    gradient estimate whose variance grows with the number of units.

    Parameters
    ----------
    noise_sd : float
        SD of the perturbation added to every pre-activation.
    """

    name = "three_factor"
    weight_transport = False
    locality = "local Hebbian x own noise x global scalar reward prediction error"

    def __init__(self, noise_sd: float = 0.05):
        if not noise_sd > 0:
            raise InputError(f"noise_sd must be > 0, got {noise_sd!r}")
        self.noise_sd = float(noise_sd)

    def setup(self, net: MLP, rng: np.random.Generator) -> None:
        """Nothing to set up.

        Parameters
        ----------
        net : MLP
            The network the rule will train.
        rng : numpy.random.Generator
            Source of any fixed random matrices.
        """

    def gradients(self, net: MLP, x, targets, rng):
        """Node-perturbation gradient estimates from a clean and a noisy pass, and the clean loss.

        Parameters
        ----------
        net : MLP
            The network (weights not changed here).
        x : ndarray, shape (batch, n_inputs)
            Inputs of one mini-batch.
        targets : ndarray, shape (batch, n_outputs)
            One-hot labels (softmax) or target values in [0, 1] (sigmoid output).
        rng : numpy.random.Generator
            Noise source (node perturbation); unused by deterministic rules.

        Returns
        -------
        grads_w, grads_b : list of ndarray
            Same shapes as ``net.weights`` / ``net.biases``.
        loss : float
            Mean loss over the batch.
        """
        clean = net.forward(x)
        loss_clean = net.loss_per_sample(clean, targets)
        noise = [rng.normal(0.0, self.noise_sd, a.shape).astype(a.dtype) for a in clean.pre]
        noisy = net.forward(x, noise=noise)
        rpe = -(net.loss_per_sample(noisy, targets) - loss_clean)
        # descent direction = -(reward gradient estimate)
        deltas = [-(rpe[:, None] * xi) / self.noise_sd ** 2 for xi in noise]
        gw, gb = _weight_grads(noisy, deltas, len(x))
        return gw, gb, float(loss_clean.mean())


class FrozenHidden:
    """Control: random fixed hidden layers, only the readout learns (delta rule).

    Signals: the readout synapse uses its presynaptic activity and its own output error
    (local); hidden weights never change. Shows what the hidden layers add.
    """

    name = "frozen"
    weight_transport = False
    locality = "readout only (local delta rule)"

    def setup(self, net: MLP, rng: np.random.Generator) -> None:
        """Nothing to set up.

        Parameters
        ----------
        net : MLP
            The network the rule will train.
        rng : numpy.random.Generator
            Source of any fixed random matrices.
        """

    def gradients(self, net: MLP, x, targets, rng):
        """Zero for hidden layers, the delta rule for the readout, and the batch loss.

        Parameters
        ----------
        net : MLP
            The network (weights not changed here).
        x : ndarray, shape (batch, n_inputs)
            Inputs of one mini-batch.
        targets : ndarray, shape (batch, n_outputs)
            One-hot labels (softmax) or target values in [0, 1] (sigmoid output).
        rng : numpy.random.Generator
            Noise source (node perturbation); unused by deterministic rules.

        Returns
        -------
        grads_w, grads_b : list of ndarray
            Same shapes as ``net.weights`` / ``net.biases``.
        loss : float
            Mean loss over the batch.
        """
        fw = net.forward(x)
        err = net.output_error(fw, targets)
        deltas = [np.zeros_like(a) for a in fw.pre[:-1]] + [err]
        gw, gb = _weight_grads(fw, deltas, len(x))
        return gw, gb, float(net.loss_per_sample(fw, targets).mean())


RULES = {"backprop": Backprop, "fa": FeedbackAlignment, "dfa": DirectFeedbackAlignment,
         "three_factor": ThreeFactor, "frozen": FrozenHidden}
SUPERVISED_RULES = tuple(RULES)


def make_rule(rule):
    """A rule object from its name (``rule``: ``backprop``, ``fa``, ``dfa``, ``three_factor``, ``frozen``).

    Parameters
    ----------
    rule : str or rule object
        A rule name, or a rule object (returned unchanged).

    Returns
    -------
    Backprop, FeedbackAlignment, DirectFeedbackAlignment, ThreeFactor or FrozenHidden
    """
    if not isinstance(rule, str):
        if not hasattr(rule, "gradients"):
            raise InputError(f"rule must be a name or a rule object, got {rule!r}")
        return rule
    if rule not in RULES:
        raise InputError(f"unknown learning rule {rule!r}; available: {', '.join(RULES)}")
    return RULES[rule]()
