"""Static (per-bin) VAEs on population spike counts: the textbook Gaussian baseline and a Poisson VAE.

Both encode the population activity around one time bin into a low-dimensional Gaussian
latent with an MLP and decode that bin back. The Gaussian VAE (the textbook's model) works on
z-scored counts with a squared-error likelihood; the Poisson VAE reads ``log1p`` counts and
scores the decoded rates with the Poisson likelihood of the raw counts.

The encoder reads ``context_bins`` bins on either side of the bin it encodes (within a trial,
reflected at trial edges): one 10-ms bin of a few dozen neurons holds well under one spike per
neuron, so a strictly per-bin encoder cannot estimate a latent state better than noise (it
scored co-bps 0.38 where 50-ms smoothing scores 0.53 on a 400-trial Lorenz population). The
decoder reconstructs the whole window from the latent (a one-bin reconstruction holds too few
spikes to pay for the KL term, and the latent collapsed toward the prior); rates and scores use
the window's centre bin.

Training (seeded mini-batches): the KL weight ramps up over ``kl_warmup_epochs``; early
stopping and the learning-rate schedule read the held-out negative ELBO at the *full* KL
weight (at the posterior mean), so validation losses are comparable across epochs, and
patience counts only epochs after the warm-up. Before this, the validation loss grew with the
ramping KL weight and training stopped at epoch 1-3.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._utils.errors import InputError, require
from ._checks import check_activity, check_dim, check_n_neurons
from ._torchbase import TorchLatentModel, to_tensor


def _mlp_vae(n_in: int, n_out: int, hidden: int, k: int, linear_decoder: bool = False):
    torch = require("torch")
    nn = torch.nn

    class _VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, 2 * k))
            self.dec = (nn.Sequential(nn.Linear(k, n_out)) if linear_decoder else
                        nn.Sequential(nn.Linear(k, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                      nn.Linear(hidden, n_out)))

        def forward(self, x, sample: bool = True):
            mu, logvar = self.enc(x).chunk(2, dim=-1)
            logvar = logvar.clamp(-10, 5)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if sample else mu
            kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(-1)
            return self.dec(z), mu, kl

    return _VAE()


def context_windows(A: np.ndarray, context_bins: int) -> np.ndarray:
    """Each bin's activity with ``context_bins`` bins on either side, concatenated.

    Parameters
    ----------
    A : (trials, time, neurons) or (time, neurons)
        Activity (a 2-D array is one continuous trial).
    context_bins : int
        Half-width of the window in bins; windows stop at trial edges and are reflected there.

    Returns
    -------
    ndarray, (..., time, (2 * context_bins + 1) * neurons)
        Window of bin ``t`` ordered from ``t - context_bins`` to ``t + context_bins``.
    """
    c = int(context_bins)
    if c == 0:
        return A
    T = A.shape[-2]
    pad = [(0, 0)] * A.ndim
    pad[-2] = (c, c)
    mode = "reflect" if T > c else "symmetric" if T > 1 else "edge"
    P = np.pad(A, pad, mode=mode)
    while P.shape[-2] < T + 2 * c:  # windows wider than a short trial: repeat its reflection
        P = np.pad(P, pad, mode="symmetric")
    s = (P.shape[-2] - (T + 2 * c)) // 2
    P = P[..., s:s + T + 2 * c, :]
    return np.concatenate([P[..., j:j + T, :] for j in range(2 * c + 1)], axis=-1)


class _StaticVAE(TorchLatentModel, TransformerMixin, BaseEstimator):
    POISSON = False

    def __init__(self, n_components: int = 5, hidden: int = 64, context_bins: int = 0, kl_weight: float = 1.0,
                 kl_warmup_epochs: int = 10, batch_size: int = 256, lr: float = 3e-3, weight_decay: float = 1e-4,
                 max_epochs: int = 200, patience: int = 10, lr_decay: float = 0.5, lr_patience: int = 3,
                 val_fraction: float = 0.1, time_budget_s: float | None = None, decoder: str = "mlp", seed: int = 0):
        self.n_components = n_components
        self.hidden = hidden
        self.context_bins = context_bins
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
        self.decoder = decoder
        self.seed = seed

    def _build(self, n_in: int, n_out: int):
        w = 2 * int(self.context_bins) + 1  # encoder reads, decoder explains a window of bins
        return _mlp_vae(w * n_in, w * n_out, int(self.hidden), int(self.n_components), self.decoder == "linear")

    def _extra_state(self) -> dict:
        return {"mean": self.mean_.tolist(), "scale": self.scale_.tolist()}

    def _set_extra_state(self, extra: dict) -> None:
        self.mean_ = np.asarray(extra["mean"], float)
        self.scale_ = np.asarray(extra["scale"], float)

    def _inputs(self, A):
        """Encoder input of ``A`` (time, neurons) or (trials, time, neurons), flattened to samples."""
        z = np.log1p(A) if self.POISSON else (A - self.mean_) / self.scale_
        z = context_windows(z, int(self.context_bins))
        return z.reshape(-1, z.shape[-1])

    def _loss(self, module, batch, epoch, *, full_kl: bool = False):
        torch = require("torch")
        x, target = batch
        out, _, kl = module(x, sample=not full_kl)
        if self.POISSON:
            rec = (torch.exp(out) - target * out).sum(-1)
        else:
            rec = 0.5 * ((out - target) ** 2).sum(-1)
        ramp = 1.0 if full_kl else min(1.0, (epoch + 1) / max(int(self.kl_warmup_epochs), 1))
        return (rec + float(self.kl_weight) * ramp * kl).mean() / target.shape[-1]

    def _val_loss(self, module, batch, epoch):
        """Held-out negative ELBO at the full KL weight and the posterior mean: comparable across epochs."""
        return self._loss(module, batch, epoch, full_kl=True)

    def fit(self, X, y=None):
        """Fit on ``(samples, neurons)`` or ``(trials, time, neurons)`` counts (bins are samples)."""
        torch = require("torch")
        from .._utils.training import fit_minibatch

        A = check_activity(X, "counts", ndim=(2, 3), counts=self.POISSON)
        if self.decoder not in ("mlp", "linear"):
            raise InputError(f"decoder must be 'mlp' or 'linear', got {self.decoder!r}")
        if int(self.context_bins) != self.context_bins or self.context_bins < 0:
            raise InputError(f"context_bins must be an integer >= 0, got {self.context_bins!r}")
        X2 = A.reshape(-1, A.shape[-1])
        check_dim(self.n_components, X2.shape[1])
        n_val = round(len(X2) * self.val_fraction)
        if len(X2) < 2 or (self.val_fraction > 0 and n_val < 1):
            raise InputError(f"{len(X2)} sample(s) are too few to hold any out for early stopping")
        self.mean_ = X2.mean(0)
        sd = X2.std(0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        target = A if self.POISSON else (A - self.mean_) / self.scale_
        target = context_windows(target, int(self.context_bins)).reshape(len(X2), -1)
        torch.manual_seed(int(self.seed))
        perm = np.random.default_rng(self.seed).permutation(len(X2))
        va, tr = perm[:n_val], perm[n_val:]
        xin, tt = to_tensor(self._inputs(A)), to_tensor(target)
        self.module_ = self._build(X2.shape[1], X2.shape[1])
        if self.POISSON:  # start from each neuron's mean rate rather than a random one
            with torch.no_grad():
                self.module_.dec[-1].bias.copy_(to_tensor(np.log(np.maximum(target[tr].mean(0), 1e-3))))
        plateau = None if self.lr_decay >= 1 else (float(self.lr_decay), int(self.lr_patience))
        self.history_ = fit_minibatch(self.module_, self._loss, (xin[tr], tt[tr]),
                                      (xin[va], tt[va]) if n_val else None, batch_size=int(self.batch_size),
                                      lr=float(self.lr), weight_decay=float(self.weight_decay),
                                      max_epochs=int(self.max_epochs), patience=int(self.patience),
                                      seed=int(self.seed), time_budget_s=self.time_budget_s,
                                      val_loss_fn=self._val_loss, lr_plateau=plateau,
                                      min_epochs=int(self.kl_warmup_epochs), desc=type(self).__name__)
        self.n_features_in_ = self.n_outputs_ = X2.shape[1]
        return self

    def _run(self, X):
        torch = require("torch")
        self._check_fitted()
        A = check_activity(X, "counts", ndim=(2, 3), counts=self.POISSON)
        check_n_neurons(A, self.n_features_in_, f"this {type(self).__name__}")
        with torch.no_grad():
            out, mu, _ = self.module_(to_tensor(self._inputs(A)), sample=False)
        n, c = A.shape[-1], int(self.context_bins)
        out = out[:, c * n:(c + 1) * n]  # the centre bin of the decoded window
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
    context_bins : int
        Bins on either side of each bin that the encoder also reads (within a trial); 0 is the
        textbook's strictly per-bin VAE. ``make_model`` sets it to span ±100 ms.
    decoder : {"mlp", "linear"}
        Two-hidden-layer decoder, or a linear map from the latent to (log-)rates, which keeps the
        latent linearly related to the log-rates (what a Poisson readout of held-out neurons needs).
    kl_weight, kl_warmup_epochs : KL weight and the epochs over which it ramps up linearly
        (early stopping does not count the warm-up epochs).
    batch_size, lr, weight_decay, max_epochs, patience, val_fraction, time_budget_s, seed : training settings.
    lr_decay, lr_patience : float, int
        Multiply the learning rate by ``lr_decay`` after ``lr_patience`` epochs without a held-out
        improvement (``lr_decay >= 1`` keeps it constant).

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
