"""Discrete-time tanh rate networks (full-rank, low-rank, latent-circuit) as torch modules.

One update rule serves task training (flip-flop), circuit inference and the fixed-point finder::

    x[t+1] = x[t] + alpha * (-x[t] + W tanh(x[t]) + B u[t] + b)

``W`` is a free matrix (full rank) or ``M Nᵀ / n_units`` (rank ``rank``). The latent circuit
(Langdon & Engel 2025) is the same network on ``n_latent`` units, embedded in the recorded
space by ``y = Q x`` with orthonormal columns of ``Q``.
"""
from __future__ import annotations

from .._utils.errors import InputError, require

KIND = "rate_rnn"


def build_rate_rnn(config: dict):
    """Build a rate network from its JSON config (see :class:`RateRNN` fields).

    Config keys: ``n_units``, ``n_inputs``, ``n_outputs``, ``rank`` (None = full),
    ``alpha``, ``n_observed`` (None = units are the observed neurons; an int = latent
    circuit with an orthonormal embedding), ``seed``.
    """
    torch = require("torch")

    class RateRNN(torch.nn.Module):
        def __init__(self, n_units, n_inputs, n_outputs=0, rank=None, alpha=0.2, n_observed=None, seed=0):
            super().__init__()
            g = torch.Generator().manual_seed(int(seed))
            self.n_units, self.rank, self.alpha = int(n_units), rank, float(alpha)
            if rank is None:
                self.w = torch.nn.Parameter(torch.randn(n_units, n_units, generator=g) * 0.5 / n_units ** 0.5)
            else:
                self.m = torch.nn.Parameter(torch.randn(n_units, rank, generator=g))
                self.n = torch.nn.Parameter(torch.randn(n_units, rank, generator=g) * 0.5)
            self.b_in = torch.nn.Parameter(torch.randn(n_units, max(n_inputs, 1), generator=g) * 0.5
                                           if n_inputs else torch.zeros(n_units, 1), requires_grad=bool(n_inputs))
            self.bias = torch.nn.Parameter(torch.zeros(n_units))
            self.w_out = torch.nn.Parameter(torch.randn(max(n_outputs, 0), n_units, generator=g) * 0.1)
            self.b_out = torch.nn.Parameter(torch.zeros(max(n_outputs, 0)))
            self.x0 = torch.nn.Parameter(torch.zeros(n_units))
            if n_observed is not None:
                q = torch.nn.Linear(n_units, int(n_observed), bias=False)
                torch.nn.init.orthogonal_(q.weight, generator=g)
                self.embed = torch.nn.utils.parametrizations.orthogonal(q)
                self.obs_bias = torch.nn.Parameter(torch.zeros(int(n_observed)))

        def connectivity(self):
            return self.w if self.rank is None else self.m @ self.n.T / self.n_units

        def step(self, x, u=None):
            """One update of the unit state ``x`` (batch, n_units) under input ``u`` (batch, n_inputs)."""
            drive = torch.tanh(x) @ self.connectivity().T + self.bias
            if u is not None:
                drive = drive + u @ self.b_in.T
            return x + self.alpha * (-x + drive)

        def observe(self, x):
            """Recorded activity predicted from unit states (identity unless latent circuit)."""
            return self.embed(x) + self.obs_bias if hasattr(self, "embed") else x

        def forward(self, u, x0=None):
            """Run whole trials: ``u`` (batch, time, n_inputs) -> states (batch, time, n_units)."""
            x = self.x0.expand(u.shape[0], -1) if x0 is None else x0
            states = [x]
            for t in range(u.shape[1] - 1):
                x = self.step(x, u[:, t] if self.b_in.requires_grad else None)
                states.append(x)
            return torch.stack(states, 1)

        def readout(self, states):
            return torch.tanh(states) @ self.w_out.T + self.b_out

    return RateRNN(**config)


def check_config(config: dict, *, n_inputs: int | None = None, n_observed: int | None = None,
                 where: str = "checkpoint") -> None:
    """One clear line when a saved network does not fit the data it is applied to."""
    obs = config.get("n_observed") or config.get("n_units")
    if n_observed is not None and obs != n_observed:
        raise InputError(f"the {where} holds a network for {obs} neurons but the data has {n_observed}; "
                         "use a checkpoint fitted to this recording (or refit)")
    if n_inputs is not None and config.get("n_inputs") != n_inputs:
        raise InputError(f"the {where} expects {config.get('n_inputs')} input channels but {n_inputs} were given")
