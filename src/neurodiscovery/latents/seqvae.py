"""A sequential VAE in the style of LFADS (Pandarinath et al. 2018, Nat Methods 15:805).

A bidirectional GRU reads a trial's spike counts and infers a Gaussian initial condition;
a GRU generator unrolls from it (optionally driven by inferred inputs) and a linear map
of its state gives low-dimensional factors, which a linear-exponential readout turns into
Poisson rates. Coordinated dropout (Keshtkaran & Pandarinath 2019, NeurIPS) hides a random
subset of input entries from the encoder and scores the reconstruction only on those
entries, so the network cannot learn to copy its input through.

Simplification with respect to LFADS: the optional inferred inputs are read from the
encoder's per-time outputs (not from a controller RNN that also reads the generator's
factors); this keeps the generator a single fused GRU call, several times faster on CPU.

Training (defaults chosen from validation-loss curves on the training trials of the Lorenz
benchmark): AdamW in mini-batches of 64 with the learning rate halved when the
validation loss stalls, KL warm-up, and early stopping on a held-out prediction loss that
does not depend on the warm-up (see ``SeqVAE._val_loss``); rates and factors are computed at
the posterior means.
"""
from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._utils.errors import InputError, require
from ._checks import check_activity, check_dim, check_n_neurons
from ._torchbase import TorchLatentModel, to_tensor


def _module(n_in, n_out, enc_hidden, gen_hidden, n_factors, n_inputs, dropout):
    torch = require("torch")
    nn = torch.nn

    class _SeqVAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.GRU(n_in, enc_hidden, batch_first=True, bidirectional=True)
            self.ic = nn.Linear(2 * enc_hidden, 2 * gen_hidden)
            self.n_inputs = n_inputs
            if n_inputs:
                self.ctrl_out = nn.Linear(2 * enc_hidden, 2 * n_inputs)
            self.generator = nn.GRU(max(n_inputs, 1), gen_hidden, batch_first=True)
            self.drop = nn.Dropout(dropout)
            self.factors = nn.Linear(gen_hidden, n_factors, bias=False)
            self.readout = nn.Linear(n_factors, n_out)

        def forward(self, x, sample: bool = True):
            B, T, _ = x.shape
            h, last = self.encoder(x)
            stats = self.ic(self.drop(torch.cat([last[0], last[1]], dim=1)))
            mu, logvar = stats.chunk(2, dim=1)
            logvar = logvar.clamp(-10, 5)
            g0 = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if sample else mu
            kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1)
            if self.n_inputs:
                umu, ulv = self.ctrl_out(self.drop(h)).chunk(2, dim=2)
                ulv = ulv.clamp(-10, 5)
                u = umu + torch.exp(0.5 * ulv) * torch.randn_like(umu) if sample else umu
                kl = kl + 0.5 * (umu ** 2 + ulv.exp() - 1 - ulv).sum((1, 2))
            else:
                u = x.new_zeros(B, T, 1)
            g, _ = self.generator(u, torch.tanh(g0).unsqueeze(0))
            f = self.factors(self.drop(g))
            log_rates = self.readout(f)
            return log_rates, f, kl

    return _SeqVAE()


class SeqVAE(TorchLatentModel, TransformerMixin, BaseEstimator):
    """LFADS-style sequential VAE on ``(trials, time, neurons)`` spike counts.

    Parameters
    ----------
    n_factors : int
        Dimension of the low-dimensional factors.
    enc_hidden, gen_hidden : int
        GRU sizes of the encoder and of the generator (the initial condition has ``gen_hidden`` dims).
    n_inputs : int
        Inferred-input dimension (0: autonomous generator).
    cd_rate : float
        Coordinated-dropout fraction of input entries hidden from the encoder in training.
    dropout : float
        Ordinary dropout on the encoder output and generator states.
    kl_weight : float
        Final weight of the KL term; it ramps up linearly over ``kl_warmup_epochs``.
    kl_warmup_epochs : int
    batch_size, lr, weight_decay, max_epochs, patience : training settings (see ``fit_minibatch``).
    lr_decay, lr_patience : float, int
        The learning rate is multiplied by ``lr_decay`` after ``lr_patience`` epochs without a
        better validation loss (``lr_decay >= 1`` keeps it constant).
    val_fraction : float
        Fraction of the training trials held out for early stopping (and the LR schedule): their
        loss is the Poisson NLL of entries hidden from the encoder by a fixed mask and of the
        extra output neurons, at the posterior means.
    time_budget_s : float, optional
        Stop training after this many seconds.
    seed : int
    progress : bool

    Attributes
    ----------
    module_ : torch.nn.Module
    history_ : TrainHistory
    n_features_in_, n_outputs_ : int
        Input neurons and predicted neurons (inputs plus any extra outputs given to ``fit``).
    """

    KIND = "latents_seqvae"

    def __init__(self, n_factors: int = 8, enc_hidden: int = 64, gen_hidden: int = 64, n_inputs: int = 2,
                 cd_rate: float = 0.3, dropout: float = 0.05, kl_weight: float = 1.0,
                 kl_warmup_epochs: int = 20, batch_size: int = 64, lr: float = 1e-2,
                 weight_decay: float = 1e-4, max_epochs: int = 120, patience: int = 20,
                 lr_decay: float = 0.5, lr_patience: int = 5, val_fraction: float = 0.1, time_budget_s: float | None = None, seed: int = 0,
                 progress: bool = False):
        self.n_factors = n_factors
        self.enc_hidden = enc_hidden
        self.gen_hidden = gen_hidden
        self.n_inputs = n_inputs
        self.cd_rate = cd_rate
        self.dropout = dropout
        self.kl_weight = kl_weight
        self.kl_warmup_epochs = kl_warmup_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.patience = patience
        self.lr_decay = lr_decay
        self.lr_patience = lr_patience
        self.val_fraction = val_fraction
        self.time_budget_s = time_budget_s
        self.seed = seed
        self.progress = progress

    def _build(self, n_in: int, n_out: int):
        return _module(n_in, n_out, int(self.enc_hidden), int(self.gen_hidden), int(self.n_factors),
                       int(self.n_inputs), float(self.dropout))

    def _loss(self, cd: bool):
        torch = require("torch")
        p = float(self.cd_rate)

        def loss(module, batch, epoch):
            x, y = batch
            n_in = x.shape[2]
            if cd and p > 0:
                keep = (torch.rand(x.shape) >= p).float()
                log_r, _, kl = module(x * keep / (1 - p))
                score = torch.cat([1 - keep, torch.ones_like(y[..., n_in:])], dim=2)
            else:
                log_r, _, kl = module(x)
                score = torch.ones_like(y)
            nll = (torch.exp(log_r) - y * log_r) * score
            nll = nll.sum() / score.sum().clamp_min(1.0)
            # the KL weight starts at 0 so the encoder learns to use the initial condition first
            w = float(self.kl_weight) * min(1.0, epoch / max(int(self.kl_warmup_epochs), 1))
            return nll + w * kl.mean() / (y.shape[1] * y.shape[2])

        return loss

    def _val_loss(self):
        """Held-out prediction loss for early stopping, comparable across epochs (no KL warm-up in it).

        The Poisson NLL, at the posterior means, of the entries the encoder does not see: a fixed
        coordinated-dropout mask of the inputs (the same every epoch) and the extra output neurons.
        """
        torch = require("torch")
        p = float(self.cd_rate)

        def loss(module, batch, epoch):
            x, y = batch
            keep = (torch.rand(x.shape, generator=torch.Generator().manual_seed(int(self.seed))) >= p).float()
            log_r, _, _ = module(x * keep / (1 - p), sample=False)
            score = torch.cat([1 - keep if p > 0 else keep, torch.ones_like(y[..., x.shape[2]:])], dim=2)
            return ((torch.exp(log_r) - y * log_r) * score).sum() / score.sum().clamp_min(1.0)

        return loss

    def fit(self, X, y=None) -> SeqVAE:
        """Fit on counts ``X (trials, time, neurons)``.

        Parameters
        ----------
        X : (trials, time, neurons) non-negative integer counts read by the encoder.
        y : (trials, time, extra_neurons), optional
            Counts of further neurons the model must also predict without reading them
            (the NLB held-out neurons of the training trials).
        """
        torch = require("torch")
        from .._utils.training import fit_minibatch

        X = check_activity(X, "counts", counts=True)
        n_in = X.shape[2]
        check_dim(self.n_factors, n_in if y is None else n_in + np.shape(y)[2], "n_factors")
        if not 0 <= self.cd_rate < 1:
            raise InputError(f"cd_rate must be in [0, 1), got {self.cd_rate}")
        Y = X if y is None else np.concatenate([X, check_activity(y, "extra counts", counts=True)], axis=2)
        if Y.shape[:2] != X.shape[:2]:
            raise InputError(f"extra counts have {Y.shape[:2]} (trials, time); inputs have {X.shape[:2]}")
        n_val = round(len(X) * self.val_fraction)
        if len(X) < 2 or (self.val_fraction > 0 and n_val < 1):
            raise InputError(f"{len(X)} trial(s) are too few to hold any out for early stopping; "
                             "use more trials or val_fraction=0")
        torch.manual_seed(int(self.seed))
        perm = np.random.default_rng(self.seed).permutation(len(X))
        va, tr = perm[:n_val], perm[n_val:]
        self.module_ = self._build(n_in, Y.shape[2])
        with torch.no_grad():  # start from each neuron's mean rate rather than a random one
            self.module_.readout.bias.copy_(torch.as_tensor(np.log(np.maximum(Y[tr].mean((0, 1)), 1e-3))))
        Xt, Yt = to_tensor(X), to_tensor(Y)
        val = (Xt[va], Yt[va]) if n_val else None
        self.history_ = fit_minibatch(self.module_, self._loss(True), (Xt[tr], Yt[tr]), val,
                                      batch_size=int(self.batch_size), lr=float(self.lr),
                                      weight_decay=float(self.weight_decay), max_epochs=int(self.max_epochs),
                                      patience=int(self.patience), seed=int(self.seed), grad_clip=200.0,
                                      time_budget_s=self.time_budget_s, val_loss_fn=self._val_loss(),
                                      progress=bool(self.progress), desc="seqVAE",
                                      lr_plateau=None if self.lr_decay >= 1 else (float(self.lr_decay),
                                                                                  int(self.lr_patience)))
        self.n_features_in_, self.n_outputs_ = n_in, Y.shape[2]
        return self

    def _infer(self, X):
        torch = require("torch")
        self._check_fitted()
        X = check_activity(X, "counts", counts=True)
        check_n_neurons(X, self.n_features_in_, "this seqVAE")
        self.module_.eval()
        with torch.no_grad():
            outs = [self.module_(to_tensor(X[s:s + 256]), sample=False) for s in range(0, len(X), 256)]
        log_r = np.concatenate([o[0].numpy() for o in outs]).astype(float)
        f = np.concatenate([o[1].numpy() for o in outs]).astype(float)
        return np.exp(log_r), f

    def transform(self, X) -> np.ndarray:
        """Single-trial factors, ``(trials, time, n_factors)`` (posterior-mean initial condition).

        Parameters
        ----------
        X : array_like, shape (trials, time, neurons)
            Spike counts per bin (non-negative integers) of the neurons the encoder was fitted on (same order);
            the number of time bins may differ from training.

        Returns
        -------
        ndarray, shape (trials, time, n_factors)
            Factors computed from the posterior means (no sampling, dropout off).
        """
        return self._infer(X)[1]

    def predict_rates(self, X) -> np.ndarray:
        """Single-trial expected counts per bin of all output neurons, ``(trials, time, n_outputs)``.

        Parameters
        ----------
        X : array_like, shape (trials, time, neurons)
            Spike counts per bin (non-negative integers) of the neurons the encoder was fitted on (same order);
            the number of time bins may differ from training.

        Returns
        -------
        ndarray, shape (trials, time, n_outputs)
            Expected spike counts per bin (not Hz): first the input neurons, then the extra neurons ``y``
            of :meth:`fit` (the held-out neurons in NLB co-smoothing).
        """
        return self._infer(X)[0]

    def elbo_per_bin(self, X) -> float:
        """Mean Poisson NLL + KL per (trial, time, neuron) entry on ``X`` (lower is better)."""
        torch = require("torch")
        rates = self.predict_rates(X)[..., :self.n_features_in_]
        X = np.asarray(X, float)
        with torch.no_grad():
            kl = float(self.module_(to_tensor(X), sample=False)[2].mean())
        nll = np.mean(rates - X * np.log(np.maximum(rates, 1e-9)))
        return float(nll + kl / (X.shape[1] * X.shape[2])) if math.isfinite(kl) else float("nan")
