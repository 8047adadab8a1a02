"""A plain multilayer perceptron in numpy that every learning rule trains.

Convention: samples are rows, ``h_l = f(h_{l-1} @ W_l + b_l)`` with ``W_l`` of shape
``(n_in, n_out)``. The output layer is linear (logits, softmax cross-entropy) or a
sigmoid read with a squared error (the textbook's two-layer network).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from .._utils.errors import InputError

ACTIVATIONS = ("tanh", "relu", "sigmoid")
OUTPUTS = ("softmax", "sigmoid")


def activate(a: np.ndarray, name: str) -> np.ndarray:
    """Apply the named nonlinearity elementwise."""
    if name == "tanh":
        return np.tanh(a)
    if name == "relu":
        return np.maximum(a, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-a))
    raise InputError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


def activation_derivative(a: np.ndarray, h: np.ndarray, name: str) -> np.ndarray:
    """``f'(a)`` from the pre-activation ``a`` and the output ``h = f(a)``."""
    if name == "tanh":
        return 1.0 - h * h
    if name == "relu":
        return (a > 0).astype(a.dtype)
    if name == "sigmoid":
        return h * (1.0 - h)
    raise InputError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


@dataclass
class Forward:
    """Everything one forward pass leaves behind (the signals a rule may read).

    ``pre[l]`` is the pre-activation of layer ``l + 1`` ``(batch, n_{l+1})``; ``post[0]`` is
    the input and ``post[l]`` the output of layer ``l``; ``output`` the network output
    (softmax probabilities or sigmoid values).
    """

    pre: list = field(default_factory=list)
    post: list = field(default_factory=list)
    output: np.ndarray | None = None


@dataclass
class MLP:
    """Weights of a multilayer perceptron (mutable: rules update them in place).

    Parameters
    ----------
    weights : list of ndarray
        ``W_l`` of shape ``(n_{l-1}, n_l)``.
    biases : list of ndarray
        ``b_l`` of shape ``(n_l,)``.
    activation : {"tanh", "relu", "sigmoid"}
        Hidden-layer nonlinearity.
    output : {"softmax", "sigmoid"}
        Softmax with cross-entropy loss, or sigmoid units with the squared error
        ``0.5 * sum((target - output)**2)``.
    """

    weights: list
    biases: list
    activation: str = "tanh"
    output: str = "softmax"

    @classmethod
    def init(cls, sizes, activation: str = "tanh", output: str = "softmax", seed: int = 0,
             dtype=np.float64) -> MLP:
        """Glorot-uniform weights (He-uniform for ReLU) and zero biases.

        Parameters
        ----------
        sizes : sequence of int
            Layer widths ``(n_inputs, hidden..., n_outputs)``, at least two entries.
        activation : {"tanh", "relu", "sigmoid"}
            Hidden-layer nonlinearity.
        output : {"softmax", "sigmoid"}
            Output nonlinearity (cross-entropy or squared-error loss).
        seed : int
            Seeds the initial weights.
        dtype : numpy dtype
            float64 for exact gradient checks; training uses float32 (twice as fast).
        """
        if activation not in ACTIVATIONS:
            raise InputError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        if output not in OUTPUTS:
            raise InputError(f"unknown output {output!r}; choose one of {', '.join(OUTPUTS)}")
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise InputError(f"layer sizes must be >= 1 and at least (inputs, outputs); got {sizes}")
        rng = np.random.default_rng(seed)
        ws, bs = [], []
        for n_in, n_out in itertools.pairwise(sizes):
            gain = np.sqrt(6.0 / n_in) if activation == "relu" else np.sqrt(6.0 / (n_in + n_out))
            ws.append(rng.uniform(-gain, gain, (n_in, n_out)).astype(dtype))
            bs.append(np.zeros(n_out, dtype))
        return cls(ws, bs, activation, output)

    @property
    def sizes(self) -> list[int]:
        """Layer widths ``(inputs, hidden..., outputs)``."""
        return [self.weights[0].shape[0]] + [w.shape[1] for w in self.weights]

    @property
    def n_layers(self) -> int:
        """Number of weight layers."""
        return len(self.weights)

    def copy(self) -> MLP:
        """An independent copy of the weights."""
        return MLP([w.copy() for w in self.weights], [b.copy() for b in self.biases],
                   self.activation, self.output)

    def forward(self, x: np.ndarray, noise: list | None = None) -> Forward:
        """Forward pass of ``x (batch, n_in)``; ``noise[l]`` (same shape as ``pre[l]``) is added to pre-activations."""
        fw = Forward(post=[x])
        h = x
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            a = h @ w + b
            if noise is not None:
                a = a + noise[layer]
            fw.pre.append(a)
            if layer < self.n_layers - 1:
                h = activate(a, self.activation)
                fw.post.append(h)
        a = fw.pre[-1]
        if self.output == "softmax":
            z = np.exp(a - a.max(axis=1, keepdims=True))
            fw.output = z / z.sum(axis=1, keepdims=True)
        else:
            fw.output = activate(a, "sigmoid")
        return fw

    def loss_per_sample(self, fw: Forward, targets: np.ndarray) -> np.ndarray:
        """Loss of each sample ``(batch,)`` of the forward pass ``fw`` against ``targets (batch, n_out)``.

        Cross-entropy (softmax output) or half squared error (sigmoid output).
        """
        if self.output == "softmax":
            return -np.log(np.clip((fw.output * targets).sum(axis=1), 1e-30, None))
        return 0.5 * ((targets - fw.output) ** 2).sum(axis=1)

    def output_error(self, fw: Forward, targets: np.ndarray) -> np.ndarray:
        """``dL/d(pre-activation of the output layer)`` per sample ``(batch, n_out)``.

        ``fw``: the forward pass; ``targets (batch, n_out)``: labels or target values.
        """
        if self.output == "softmax":
            return fw.output - targets
        return (fw.output - targets) * fw.output * (1.0 - fw.output)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Network output ``(batch, n_out)`` for inputs ``x (batch, n_in)``."""
        return self.forward(x).output
