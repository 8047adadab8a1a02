"""Static (per-bin) VAEs on population spike counts: the textbook Gaussian baseline and a Poisson VAE.

Both encode one time bin of population activity into a low-dimensional Gaussian latent
with an MLP and decode it back. The Gaussian VAE (the textbook's model) works on z-scored
counts with a squared-error likelihood; the Poisson VAE reads ``log1p`` counts and scores
the decoded rates with the Poisson likelihood of the raw counts. Both train on mini-batches
with KL warm-up and early stopping on held-out samples, seeded.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._utils.errors import InputError, require
from ._checks import check_activity, check_dim, check_n_neurons
from ._torchbase import TorchLatentModel, to_tensor


def _mlp_vae(n_in: int, hidden: int, k: int):
    torch = require("torch")
    nn = torch.nn

    class _VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, 2 * k))
            self.dec = nn.Sequential(nn.Linear(k, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, n_in))

        def forward(self, x, sample: bool = True):
            mu, logvar = self.enc(x).chunk(2, dim=-1)
            logvar = logvar.clamp(-10, 5)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if sample else mu
            kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(-1)
            return self.dec(z), mu, kl

    return _VAE()


class _StaticVAE(TorchLatentModel, TransformerMixin, BaseEstimator):
    POISSON = False

    def __init__(self, n_components: int = 5, hidden: int = 64, kl_weight: float = 1.0,
                 kl_warmup_epochs: int = 10, batch_size: int = 256, lr: float = 2e-3,
                 max_epochs: int = 100, patience: int = 10, val_fraction: float = 0.1,
                 time_budget_s: float | None = None, seed: int = 0):
        self.n_components = n_components
        self.hidden = hidden
        self.kl_weight = kl_weight
        self.kl_warmup_epochs = kl_warmup_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.max_epochs = max_epochs
        self.patience = patience
        self.val_fraction = val_fraction
        self.time_budget_s = time_budget_s
        self.seed = seed

    def _build(self, n_in: int, n_out: int):
        return _mlp_vae(n_in, int(self.hidden), int(self.n_components))

    def _extra_state(self) -> dict:
        return {"mean": self.mean_.tolist(), "scale": self.scale_.tolist()}

    def _set_extra_state(self, extra: dict) -> None:
        self.mean_ = np.asarray(extra["mean"], float)
        self.scale_ = np.asarray(extra["scale"], float)

    def _inputs(self, X2):
        return np.log1p(X2) if self.POISSON else (X2 - self.mean_) / self.scale_

    def _loss(self, module, batch, epoch):
        torch = require("torch")
        x, target = batch
        out, _, kl = module(x)
        if self.POISSON:
            rec = (torch.exp(out) - target * out).sum(-1)
        else:
            rec = 0.5 * ((out - target) ** 2).sum(-1)
        w = float(self.kl_weight) * min(1.0, (epoch + 1) / max(int(self.kl_warmup_epochs), 1))
        return (rec + w * kl).mean() / target.shape[-1]

    def fit(self, X, y=None):
        """Fit on ``(samples, neurons)`` or ``(trials, time, neurons)`` counts (bins are samples)."""
        torch = require("torch")
        from .._utils.training import fit_minibatch

        X2 = check_activity(X, "counts", ndim=(2, 3), counts=self.POISSON)
        X2 = X2.reshape(-1, X2.shape[-1])
        check_dim(self.n_components, X2.shape[1])
        n_val = round(len(X2) * self.val_fraction)
        if len(X2) < 2 or (self.val_fraction > 0 and n_val < 1):
            raise InputError(f"{len(X2)} sample(s) are too few to hold any out for early stopping")
        self.mean_ = X2.mean(0)
        sd = X2.std(0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        target = X2 if self.POISSON else (X2 - self.mean_) / self.scale_
        torch.manual_seed(int(self.seed))
        perm = np.random.default_rng(self.seed).permutation(len(X2))
        va, tr = perm[:n_val], perm[n_val:]
        xin, tt = to_tensor(self._inputs(X2)), to_tensor(target)
        self.module_ = self._build(X2.shape[1], X2.shape[1])
        self.history_ = fit_minibatch(self.module_, self._loss, (xin[tr], tt[tr]),
                                      (xin[va], tt[va]) if n_val else None, batch_size=int(self.batch_size),
                                      lr=float(self.lr), max_epochs=int(self.max_epochs),
                                      patience=int(self.patience), seed=int(self.seed),
                                      time_budget_s=self.time_budget_s, desc=type(self).__name__)
        self.n_features_in_ = self.n_outputs_ = X2.shape[1]
        return self

    def _run(self, X):
        torch = require("torch")
        self._check_fitted()
        A = check_activity(X, "counts", ndim=(2, 3), counts=self.POISSON)
        check_n_neurons(A, self.n_features_in_, f"this {type(self).__name__}")
        with torch.no_grad():
            out, mu, _ = self.module_(to_tensor(self._inputs(A.reshape(-1, A.shape[-1]))), sample=False)
        lead = A.shape[:-1]
        return out.numpy().astype(float).reshape(*lead, -1), mu.numpy().astype(float).reshape(*lead, -1)

    def transform(self, X) -> np.ndarray:
        """Posterior-mean latents, same leading shape as ``X`` with ``n_components`` last."""
        return self._run(X)[1]

    def predict_rates(self, X) -> np.ndarray:
        """Decoded expected counts per bin (Gaussian VAE: de-normalised and clipped at 0)."""
        out = self._run(X)[0]
        if self.POISSON:
            return np.exp(np.clip(out, -30, 30))
        return np.maximum(out * self.scale_ + self.mean_, 0.0)


class GaussianVAE(_StaticVAE):
    """The textbook VAE: z-scored counts, squared-error (Gaussian) likelihood.

    Parameters
    ----------
    n_components : int
        Latent dimension.
    hidden : int
        Width of the two hidden layers of encoder and decoder.
    kl_weight, kl_warmup_epochs : KL weight and the epochs over which it ramps up linearly.
    batch_size, lr, max_epochs, patience, val_fraction, time_budget_s, seed : training settings.

    Attributes
    ----------
    mean_, scale_ : (neurons,) normalisation of the training counts.
    module_, history_, n_features_in_ : the network, its ``TrainHistory``, the neuron count.
    """

    KIND = "latents_gaussian_vae"


class PoissonVAE(_StaticVAE):
    """VAE with a Poisson likelihood on raw counts (encoder reads ``log1p`` counts).

    Parameters and attributes as :class:`GaussianVAE`; the data must be non-negative integer counts.
    """

    KIND = "latents_poisson_vae"
    POISSON = True
