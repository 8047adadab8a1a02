"""Spiking networks of LIF neurons with current-based synapses, in torch.

The neuron is the native engine's (:mod:`neurodiscovery.simulation`, NEST ``iaf_psc_exp``):
exact integration over one step ``dt`` with the propagators of
:func:`neurodiscovery.simulation.lif_propagators`, in the engine's order. For every layer, at
step ``t``::

    v   <- P22 v + P21 I                     # membrane (mV above rest), current of the previous step
    I   <- P11 I + W^T s_pre[t - 1]          # spikes arrive one step after they are emitted
    s   =  H(v - threshold);  v <- v (1 - s) # spike, reset to rest (refractory period 0)

so a trained network exports to the engine with one-step delays and reproduces its spikes
(:mod:`~neurodiscovery.learning.export`).

``LIFConfig(neuron="synaptic")`` is instead snnTorch's ``Synaptic`` neuron with
``reset_mechanism="zero"`` and its default delayed reset, with ``alpha = P11``, ``beta = P22``
and snnTorch's weights equal to ours times ``P21``::

    r   =  H(v - threshold)                  # reset flag from the previous step (not differentiated)
    I   <- P11 I + W^T s_pre[t]              # no delay between layers
    v   <- (P22 v + P21 I) (1 - r)
    s   =  H(v - threshold)                  # strictly above threshold, as snnTorch

Its synaptic current is not reset, its membrane is zeroed for the step after a spike and a
layer's spikes reach the next layer in the same step. It exists to compare training with
snnTorch on the same network; it is not the engine's neuron, so it neither exports nor trains
by e-prop. The spike's derivative is replaced by the fast-sigmoid
surrogate ``1 / (slope |v - threshold| + 1)^2`` (Zenke & Ganguli 2018's SuperSpike; snnTorch's
``fast_sigmoid``); the reset is not differentiated (as snnTorch's default). The readout is the
spike count of the output neurons; the loss is the cross-entropy of their softmax
(snnTorch's ``ce_count_loss``).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .._utils.errors import InputError

__all__ = ["LIFConfig", "SpikingNetwork", "SNNForward", "surrogate_derivative", "NEURONS"]

NEURONS = ("iaf_psc_exp", "synaptic")


@dataclass(frozen=True)
class LIFConfig:
    """Neuron and time-grid parameters shared by every layer.

    Parameters
    ----------
    dt_ms : float
        Time step (ms), > 0.
    tau_m_ms : float
        Membrane time constant (ms).
    tau_syn_ms : float
        Synaptic current time constant (ms).
    c_m_pf : float
        Membrane capacitance (pF); weights are current jumps in pA.
    threshold_mv : float
        Spike threshold above rest (mV), > 0; the reset is to rest.
    surrogate_slope : float
        Slope of the fast-sigmoid surrogate (1/mV).
    neuron : {"iaf_psc_exp", "synaptic"}
        The engine's exact-integration neuron (default) or snnTorch's discrete ``Synaptic``
        neuron with reset to zero (see the module docstring).
    """

    dt_ms: float = 1.0
    tau_m_ms: float = 10.0
    tau_syn_ms: float = 5.0
    c_m_pf: float = 1.0
    threshold_mv: float = 1.0
    surrogate_slope: float = 10.0
    neuron: str = "iaf_psc_exp"

    def __post_init__(self):
        if self.neuron not in NEURONS:
            raise InputError(f"unknown neuron model {self.neuron!r}; use one of {', '.join(NEURONS)}")
        for name in ("dt_ms", "tau_m_ms", "tau_syn_ms", "c_m_pf", "threshold_mv", "surrogate_slope"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                what = {"dt_ms": "time step", "threshold_mv": "threshold"}.get(name, name)
                raise InputError(f"{what} ({name}) must be a finite number > 0, got {v!r}")

    def propagators(self) -> tuple[float, float, float, float]:
        """``P22, P21, P20, P11`` of the engine (exact integration over one step)."""
        from ..simulation import lif_propagators

        return lif_propagators(self.tau_m_ms, self.c_m_pf, self.tau_syn_ms, self.dt_ms)

    def to_dict(self) -> dict:
        """Plain-data form (JSON)."""
        return asdict(self)


def surrogate_derivative(u, slope: float):
    """Fast-sigmoid pseudo-derivative ``1 / (slope |u| + 1)^2`` of the spike w.r.t. ``u = v - threshold``.

    Parameters
    ----------
    u : torch.Tensor, shape (...)
        Membrane potential minus threshold (mV).
    slope : float
        Steepness (1/mV).

    Returns
    -------
    torch.Tensor, shape (...)
        Pseudo-derivative (1/mV).
    """
    return 1.0 / (slope * u.abs() + 1.0) ** 2


def _spike_fn(strict: bool = False):
    import torch

    class _Spike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, u, slope):
            ctx.save_for_backward(u)
            ctx.slope = slope
            return ((u > 0) if strict else (u >= 0)).to(u.dtype)

        @staticmethod
        def backward(ctx, grad):
            (u,) = ctx.saved_tensors
            return grad * surrogate_derivative(u, ctx.slope), None

    return _Spike.apply


@dataclass
class SNNForward:
    """Spikes and surrogate derivatives of one forward pass.

    Attributes
    ----------
    hidden : torch.Tensor, shape (batch, n_steps, n_hidden)
        Hidden-layer spikes (0/1).
    output : torch.Tensor, shape (batch, n_steps, n_outputs)
        Output-layer spikes (0/1).
    counts : torch.Tensor, shape (batch, n_outputs)
        Output spike counts (the logits of the readout).
    """

    hidden: object
    output: object
    counts: object


class SpikingNetwork:
    """Input -> LIF hidden layer (optionally recurrent) -> LIF output layer, weights in pA.

    Parameters
    ----------
    w_in : torch.Tensor, shape (n_inputs, n_hidden)
        Input weights (pA).
    w_out : torch.Tensor, shape (n_hidden, n_outputs)
        Output weights (pA).
    w_rec : torch.Tensor or None, shape (n_hidden, n_hidden)
        Recurrent hidden weights (pA); None for a feed-forward network.
    config : LIFConfig
        Neuron parameters and time step.
    """

    def __init__(self, w_in, w_out, w_rec=None, config: LIFConfig | None = None):
        self.w_in, self.w_out, self.w_rec = w_in, w_out, w_rec
        self.config = config or LIFConfig()

    @classmethod
    def init(cls, n_inputs: int, n_hidden: int, n_outputs: int, recurrent: bool = False,
             config: LIFConfig | None = None, seed: int = 0, weight_scale: float = 1.0) -> "SpikingNetwork":
        """Gaussian weights scaled so that a layer's summed input PSP has SD about ``weight_scale`` thresholds.

        Parameters
        ----------
        n_inputs, n_hidden, n_outputs : int
            Layer widths (count of neurons).
        recurrent : bool
            Add hidden-to-hidden weights (no self-connections).
        config : LIFConfig, optional
            Neuron parameters.
        seed : int
            Seeds the weights.
        weight_scale : float
            Dimensionless gain of the initial weights.

        Returns
        -------
        SpikingNetwork
        """
        import torch

        for name, n in (("n_inputs", n_inputs), ("n_hidden", n_hidden), ("n_outputs", n_outputs)):
            if int(n) < 1:
                raise InputError(f"{name} must be >= 1, got {n}")
        cfg = config or LIFConfig()
        p22, p21, _, p11 = cfg.propagators()
        # peak PSP (mV) of a 1 pA jump: sum of the impulse response's first steps approximates its scale
        psp = _peak_psp(p22, p21, p11)
        g = torch.Generator().manual_seed(int(seed))

        def draw(n_in, n_out, k):
            std = weight_scale * k * cfg.threshold_mv / (psp * math.sqrt(n_in))
            return (torch.randn(n_in, n_out, generator=g) * std).requires_grad_(True)

        w_in = draw(n_inputs, n_hidden, 3.0)
        w_out = draw(n_hidden, n_outputs, 3.0)
        w_rec = None
        if recurrent:
            w_rec = draw(n_hidden, n_hidden, 1.0).detach()
            w_rec.fill_diagonal_(0.0)
            w_rec.requires_grad_(True)
        return cls(w_in, w_out, w_rec, cfg)

    @property
    def parameters(self) -> list:
        """The weight tensors (optimiser order: in, out, rec)."""
        return [w for w in (self.w_in, self.w_out, self.w_rec) if w is not None]

    @property
    def sizes(self) -> tuple[int, int, int]:
        """``(n_inputs, n_hidden, n_outputs)``."""
        return int(self.w_in.shape[0]), int(self.w_in.shape[1]), int(self.w_out.shape[1])

    def state_dict(self) -> dict:
        """Weights as detached CPU tensors (for :func:`neurodiscovery._utils.checkpoint.save_checkpoint`)."""
        d = {"w_in": self.w_in.detach().clone(), "w_out": self.w_out.detach().clone()}
        if self.w_rec is not None:
            d["w_rec"] = self.w_rec.detach().clone()
        return d

    def forward(self, x, dtype=None) -> SNNForward:
        """Run the network on input spikes ``x``; differentiable by autograd through the surrogate.

        Parameters
        ----------
        x : torch.Tensor or ndarray, shape (batch, n_steps, n_inputs)
            Input spikes (0/1).
        dtype : torch.dtype, optional
            Compute in this precision (float64 to compare with the engine); default the weights'.

        Returns
        -------
        SNNForward
        """
        import torch

        cfg = self.config
        w_in, w_out, w_rec = self.w_in, self.w_out, self.w_rec
        if dtype is not None:
            w_in, w_out = w_in.to(dtype), w_out.to(dtype)
            w_rec = None if w_rec is None else w_rec.to(dtype)
        x = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x, dtype=w_in.dtype)
        if x.ndim != 3 or x.shape[2] != w_in.shape[0]:
            raise InputError(f"input spikes must have shape (batch, n_steps, {w_in.shape[0]}), got {tuple(x.shape)}")
        spike = _spike_fn(strict=cfg.neuron == "synaptic")  # snnTorch fires strictly above threshold
        if cfg.neuron == "synaptic":
            hidden = _run_synaptic(x @ w_in, w_rec, cfg, spike)
            output = _run_synaptic(hidden @ w_out, None, cfg, spike)
            return SNNForward(hidden, output, output.sum(1))
        # spikes of step t - 1 arrive at step t: shift the input by one step and project it at once
        drive = torch.nn.functional.pad(x[:, :-1], (0, 0, 1, 0)) @ w_in
        hidden = _run_layer(drive, w_rec, cfg, spike)
        drive_out = torch.nn.functional.pad(hidden[:, :-1], (0, 0, 1, 0)) @ w_out
        output = _run_layer(drive_out, None, cfg, spike)
        return SNNForward(hidden, output, output.sum(1))

    def loss(self, fw: SNNForward, y) -> object:
        """Mean cross-entropy of the softmax of output spike counts of the forward pass ``fw`` against labels ``y (batch,)``."""
        import torch

        return torch.nn.functional.cross_entropy(fw.counts, torch.as_tensor(y, dtype=torch.long))

    def predict(self, x, batch_size: int = 256) -> np.ndarray:
        """Class with the most output spikes (ties: lowest index) for input spikes ``x (samples, n_steps, n_inputs)``,
        run ``batch_size`` samples at a time.
        """
        import torch

        out = []
        with torch.no_grad():
            for i in range(0, len(x), batch_size):
                out.append(self.forward(x[i:i + batch_size]).counts.argmax(1).numpy())
        return np.concatenate(out) if out else np.zeros(0, int)


def _peak_psp(p22: float, p21: float, p11: float, n: int = 200) -> float:
    v = i = 0.0
    i = 1.0
    peak = 0.0
    for _ in range(n):
        v = p22 * v + p21 * i
        i = p11 * i
        peak = max(peak, v)
    return peak


def _run_layer(drive, w_rec, cfg: LIFConfig, spike):
    """Step a layer of LIF neurons through time; ``drive (batch, n_steps, n)`` is the current arriving at each step."""
    import torch

    p22, p21, _, p11 = cfg.propagators()
    th, slope = cfg.threshold_mv, cfg.surrogate_slope
    b, n_steps, n = drive.shape
    v = drive.new_zeros(b, n)
    cur = drive.new_zeros(b, n)
    s = drive.new_zeros(b, n)
    out = []
    for t in range(n_steps):
        v = p22 * v + p21 * cur
        arriving = drive[:, t] if w_rec is None else drive[:, t] + s @ w_rec
        cur = p11 * cur + arriving
        s = spike(v - th, slope)
        v = v * (1.0 - s.detach())
        out.append(s)
    return torch.stack(out, 1)


def _run_synaptic(drive, w_rec, cfg: LIFConfig, spike):
    """snnTorch's ``Synaptic`` (reset to zero, delayed reset) through time; ``drive (batch, n_steps, n)`` in pA."""
    import torch

    p22, p21, _, p11 = cfg.propagators()
    th, slope = cfg.threshold_mv, cfg.surrogate_slope
    b, n_steps, n = drive.shape
    v = drive.new_zeros(b, n)
    cur = drive.new_zeros(b, n)
    s = drive.new_zeros(b, n)
    out = []
    for t in range(n_steps):
        keep = (v <= th).to(v.dtype)  # 1 - reset flag of the previous step's membrane, not differentiated
        cur = p11 * cur + (drive[:, t] if w_rec is None else drive[:, t] + s @ w_rec)
        v = (p22 * v + p21 * cur) * keep
        s = spike(v - th, slope)
        out.append(s)
    return torch.stack(out, 1)
