"""The torch networks behind the neural decoders (MLP, GRU, LSTM), built from a seeded generator.

torch is imported on first use; the classes are defined then and registered as module
attributes so fitted decoders pickle (:mod:`neurodiscovery.decoding.neural` forwards the
names for models pickled before this module existed).
"""
from __future__ import annotations

import numpy as np


def _torch():
    from .._utils.errors import require

    return require("torch")


_NETS: dict = {}


def _net_classes() -> dict:
    """Network classes, defined on first use (torch is imported lazily) and registered as
    module attributes so fitted decoders pickle.
    """
    if _NETS:
        return _NETS
    torch = _torch()
    nn = torch.nn

    class _GenDropout(nn.Module):
        """Dropout whose masks come from our generator (nn.Dropout uses the global RNG)."""

        def __init__(self, p, generator=None):
            super().__init__()
            self.p = float(p)
            self.generator = generator

        def forward(self, x):
            if not self.training or self.p == 0:
                return x
            # one scaled float mask: half the cost of multiplying by a bool mask and dividing
            mask = (torch.rand(x.shape, generator=self.generator, dtype=x.dtype) >= self.p).to(x.dtype)
            return x * mask.mul_(1.0 / (1 - self.p))

        def __getstate__(self):
            state = self.__dict__.copy()
            state["generator"] = None  # a training-time RNG; a refit builds a new one
            return state

    class _MLPNet(nn.Module):
        def __init__(self, n_inputs, n_outputs, hidden_size, n_layers, dropout, generator=None):
            super().__init__()
            layers, width = [], n_inputs
            for _ in range(n_layers):
                layers += [nn.Linear(width, hidden_size), nn.ReLU(), _GenDropout(dropout, generator)]
                width = hidden_size
            layers.append(nn.Linear(width, n_outputs))
            self.net = nn.Sequential(*layers)

        def forward(self, x):
            return self.net(x.reshape(x.shape[0], -1))

    class _RNNNet(nn.Module):
        def __init__(self, kind, n_inputs, n_outputs, hidden_size, n_layers, dropout, generator=None):
            super().__init__()
            cell = nn.GRU if kind == "gru" else nn.LSTM
            # inter-layer dropout of nn.GRU/LSTM would use the global RNG: done by hand instead
            self.layers = nn.ModuleList(
                [cell(n_inputs if i == 0 else hidden_size, hidden_size, batch_first=True)
                 for i in range(n_layers)])
            self.drop = _GenDropout(dropout, generator)
            self.head = nn.Linear(hidden_size, n_outputs)

        def forward(self, x):
            h = x
            for layer in self.layers:
                h, _ = layer(h)
                h = self.drop(h)
            return self.head(h[:, -1, :])  # state after the last bin of the window

    for cls in (_GenDropout, _MLPNet, _RNNNet):
        cls.__module__ = __name__
        cls.__qualname__ = cls.__name__
        globals()[cls.__name__] = cls
        _NETS[cls.__name__] = cls
    return _NETS


def _build_module(kind: str, n_inputs: int, n_outputs: int, hidden_size: int, n_layers: int,
                  dropout: float, generator):
    """The network for ``kind`` in {"mlp", "gru", "lstm"}, initialised from ``generator``."""
    torch = _torch()
    nn = torch.nn
    nets = _net_classes()
    # construct without touching the global RNG, then initialise from our generator
    with torch.random.fork_rng(devices=[]):
        if kind == "mlp":
            module = nets["_MLPNet"](n_inputs, n_outputs, hidden_size, n_layers, dropout, generator)
        else:
            module = nets["_RNNNet"](kind, n_inputs, n_outputs, hidden_size, n_layers, dropout, generator)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Linear):
                bound = 1.0 / np.sqrt(m.in_features)   # PyTorch's default Linear scale
                nn.init.uniform_(m.weight, -bound, bound, generator=generator)
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)
            elif isinstance(m, (nn.GRU, nn.LSTM)):
                bound = 1.0 / np.sqrt(m.hidden_size)   # PyTorch's default RNN scale
                for p in m.parameters():
                    nn.init.uniform_(p, -bound, bound, generator=generator)
    return module


def _module_shapes(kind: str, n_inputs: int, n_outputs: int, hidden_size: int, n_layers: int) -> dict:
    """Parameter shapes of the network :func:`_build_module` would build, without allocating it."""
    torch = _torch()
    nets = _net_classes()
    with torch.device("meta"):  # meta tensors carry shapes only: a huge config costs nothing here
        if kind == "mlp":
            module = nets["_MLPNet"](n_inputs, n_outputs, hidden_size, n_layers, 0.0)
        else:
            module = nets["_RNNNet"](kind, n_inputs, n_outputs, hidden_size, n_layers, 0.0)
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def __getattr__(name):  # unpickling a fitted decoder in a fresh process defines the classes
    if name in ("_GenDropout", "_MLPNet", "_RNNNet"):
        return _net_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class AdamW:
    """AdamW (Loshchilov & Hutter 2019) with torch's update order, without ``torch.optim``.

    ``torch.optim`` imports ``torch._dynamo`` on first use (about 1.6 s of CPU per process,
    more than a decoder's fit on small data). The update is the one of ``torch.optim.AdamW``
    (single-tensor path, ``amsgrad=False``): decoupled weight decay, bias-corrected moments.

    Parameters
    ----------
    params : iterable of torch.Tensor
    lr, weight_decay : float
    betas : (float, float)
    eps : float
    """

    def __init__(self, params, lr: float = 1e-3, weight_decay: float = 1e-2, betas=(0.9, 0.999),
                 eps: float = 1e-8):
        torch = _torch()
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.weight_decay, self.betas, self.eps = float(lr), float(weight_decay), betas, float(eps)
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.n_steps = 0

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients (set them to None)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        torch = _torch()
        b1, b2 = self.betas
        self.n_steps += 1
        bc1, bc2_sqrt = 1 - b1 ** self.n_steps, (1 - b2 ** self.n_steps) ** 0.5
        with torch.no_grad():
            for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq):
                if p.grad is None:
                    continue
                g = p.grad
                p.mul_(1 - self.lr * self.weight_decay)
                m.lerp_(g, 1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                denom = (v.sqrt() / bc2_sqrt).add_(self.eps)
                p.addcdiv_(m, denom, value=-self.lr / bc1)
