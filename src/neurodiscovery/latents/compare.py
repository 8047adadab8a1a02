"""Fit a latent method on training trials and score it as the Neural Latents Benchmark does.

The split is by trials *and* neurons: a model is fitted on the held-in neurons of the
training trials; its latents of the test trials (inferred from held-in neurons only)
predict the held-out neurons through a Poisson readout fitted on the training trials
(co-smoothing). The seqVAE instead predicts the held-out neurons itself, having been
trained to output them on the training trials, as LFADS is for NLB.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from ._checks import check_activity, check_dim, split_neurons, split_trials
from .evaluation import (
    LatentScores,
    PoissonReadout,
    behavior_r2,
    bits_per_spike,
    psth_r2,
    repeats_conditions,
)

METHODS = ("smoothing", "pca", "fa", "gpfa", "gaussian_vae", "poisson_vae", "seqvae")


@dataclass(frozen=True)
class NLBSplit:
    """Trial and neuron split of a co-smoothing evaluation (sorted index arrays).

    Attributes
    ----------
    train_trials : ndarray of int, shape (n_train,)
        Indices of the trials the model (and the held-out readout) is fitted on.
    test_trials : ndarray of int, shape (n_test,)
        Indices of the trials every score is computed on; disjoint from ``train_trials``.
    heldin : ndarray of int, shape (n_heldin,)
        Indices of the neurons the model sees (its input on every trial).
    heldout : ndarray of int, shape (n_heldout,)
        Indices of the neurons predicted from the latents (co-smoothing targets); disjoint from ``heldin``.
    """

    train_trials: np.ndarray
    test_trials: np.ndarray
    heldin: np.ndarray
    heldout: np.ndarray

    @classmethod
    def make(cls, n_trials: int, n_neurons: int, test_fraction: float = 0.2,
             heldout_fraction: float = 0.25, seed: int = 0) -> NLBSplit:
        """A random split of trials into train/test and of neurons into held-in/held-out.

        Parameters
        ----------
        n_trials : int
            Number of trials to split (at least 2).
        n_neurons : int
            Number of neurons to split (at least 2).
        test_fraction : float
            Fraction of trials held out for testing, in (0, 1); rounded, at least one trial on each side.
        heldout_fraction : float
            Fraction of neurons held out for co-smoothing; rounded, at least one neuron on each side.
        seed : int
            Seed of both permutations (the neuron split uses a stream derived from it).

        Returns
        -------
        NLBSplit

        Raises
        ------
        InputError
            When too few trials or neurons are left to hold any out.
        """
        tr, te = split_trials(n_trials, test_fraction, seed)
        hi, ho = split_neurons(n_neurons, heldout_fraction, seed)
        return cls(tr, te, hi, ho)


@dataclass(frozen=True)
class MethodResult:
    """One method fitted and scored.

    Attributes
    ----------
    scores : LatentScores
    model : estimator
        The fitted model (on held-in neurons of training trials).
    latents : ndarray, shape (trials, time, k)
        Latents of every trial (inferred from held-in neurons).
    heldout_rates : ndarray, shape (test_trials, time, heldout)
        Predicted expected spike counts per bin (not Hz) of the held-out neurons on the test trials.
    split : NLBSplit
        The trial and neuron split the scores were computed on.
    """

    scores: LatentScores
    model: object
    latents: np.ndarray
    heldout_rates: np.ndarray
    split: NLBSplit


def make_model(method: str, dim: int, *, bin_size_s: float = 0.02, seed: int = 0, **kwargs):
    """An unfitted latent model by name (``METHODS``); ``kwargs`` go to its constructor.

    Parameters
    ----------
    method : str
        One of ``METHODS``: ``smoothing``, ``pca``, ``fa``, ``gpfa``, ``gaussian_vae``, ``poisson_vae``, ``seqvae``.
    dim : int
        Latent dimension (``n_components``, or ``n_factors`` for the seqVAE); ignored by ``smoothing``.
    bin_size_s : float
        Bin width in seconds; sets GPFA's time scale, the smoothing width (50 ms, at least one bin)
        and the VAEs' encoder context (±100 ms, two SDs of that smoothing kernel). The Poisson VAE
        gets a linear decoder (co-bps 0.541 vs smoothing 0.526 on a 400-trial Lorenz set; with the
        MLP decoder 0.524).
    seed : int
        Seed of the model's initialisation (unused by the deterministic ``smoothing`` and ``pca``).
    **kwargs
        Further constructor arguments; they override the defaults set here.

    Returns
    -------
    estimator
        Unfitted model with ``fit``/``transform``.

    Raises
    ------
    InputError
        For an unknown ``method``.
    """
    from .gpfa import GPFA
    from .linear import GaussianSmoothing, PopulationFA
    from .pca import PopulationPCA
    from .seqvae import SeqVAE
    from .vae import GaussianVAE, PoissonVAE

    if method == "smoothing":
        return GaussianSmoothing(**{"sigma_bins": max(1.0, 0.05 / bin_size_s), **kwargs})
    if method == "pca":
        return PopulationPCA(n_components=dim, **kwargs)
    if method == "fa":
        return PopulationFA(n_components=dim, seed=seed, **kwargs)
    if method == "gpfa":
        return GPFA(n_components=dim, bin_size_s=bin_size_s, seed=seed, **kwargs)
    context = int(round(0.1 / bin_size_s))  # the encoder reads ±100 ms: ±2 SD of the smoothing baseline's kernel
    if method == "gaussian_vae":
        return GaussianVAE(**{"n_components": dim, "seed": seed, "context_bins": context, **kwargs})
    if method == "poisson_vae":  # a linear decoder keeps latents linear in the log-rates the readout models
        return PoissonVAE(**{"n_components": dim, "seed": seed, "context_bins": context, "decoder": "linear",
                             **kwargs})
    if method == "seqvae":
        return SeqVAE(n_factors=dim, seed=seed, **kwargs)
    raise InputError(f"unknown latent method '{method}'; available: {', '.join(METHODS)}")


def fit_and_score(method: str, counts: np.ndarray, *, dim: int = 8, bin_size_s: float = 0.02,
                  behavior: np.ndarray | None = None, conditions: np.ndarray | None = None,
                  split: NLBSplit | None = None, seed: int = 0, model_kwargs: dict | None = None) -> MethodResult:
    """Fit ``method`` on training trials and score it on test trials (NLB-style).

    Parameters
    ----------
    method : str
        One of ``METHODS``.
    counts : (trials, time, neurons)
        Spike counts.
    dim : int
        Latent dimension (ignored by ``smoothing``); at most the number of held-in neurons.
    bin_size_s : float
        Bin width in seconds.
    behavior : (trials, time, b), optional
        Behaviour to decode from the latents (ridge fitted on training trials).
    conditions : (trials,), optional
        Condition labels for the PSTH R², which is NaN unless test trials repeat a condition.
    split : NLBSplit, optional
        Default: 20 % test trials and 25 % held-out neurons drawn from ``seed``.
    seed : int
    model_kwargs : dict, optional
        Extra constructor arguments of the model.

    Returns
    -------
    MethodResult
    """
    X = check_activity(counts, "counts", counts=True)
    sp = split or NLBSplit.make(X.shape[0], X.shape[2], seed=seed)
    if method != "smoothing":
        check_dim(dim, len(sp.heldin), "dim")
    if behavior is not None:
        behavior = np.asarray(behavior, float)
        if behavior.ndim == 2:
            behavior = behavior[..., None]
        if behavior.shape[:2] != X.shape[:2]:
            raise InputError(f"behavior has (trials, time) {behavior.shape[:2]}, counts have {X.shape[:2]}")
    model = make_model(method, dim, bin_size_s=bin_size_s, seed=seed, **(model_kwargs or {}))
    Xin_tr = X[sp.train_trials][:, :, sp.heldin]
    t0 = time.perf_counter()
    if method == "seqvae":
        model.fit(Xin_tr, X[sp.train_trials][:, :, sp.heldout])
    else:
        model.fit(Xin_tr)
    train_s = time.perf_counter() - t0
    F = np.asarray(model.transform(X[:, :, sp.heldin]))
    Xte_in = X[sp.test_trials][:, :, sp.heldin]
    Yte = X[sp.test_trials][:, :, sp.heldout]
    if method == "seqvae":
        pred = model.predict_rates(Xte_in)[..., len(sp.heldin):]
    else:
        readout = PoissonReadout().fit(F[sp.train_trials], X[sp.train_trials][:, :, sp.heldout])
        pred = readout.predict(F[sp.test_trials])
    recon = float("nan")
    if hasattr(model, "predict_rates"):
        recon = bits_per_spike(model.predict_rates(Xte_in)[..., :len(sp.heldin)], Xte_in)
    beh = float("nan")
    if behavior is not None:
        beh = behavior_r2(F[sp.train_trials], behavior[sp.train_trials], F[sp.test_trials],
                          behavior[sp.test_trials])
    cond = None if conditions is None else np.asarray(conditions)[sp.test_trials]
    # a PSTH averages repeats of one condition; without repeats it averages unrelated trials
    psth = psth_r2(pred, Yte, cond) if repeats_conditions(cond) else float("nan")
    scores = LatentScores(method=method, dim=int(F.shape[-1]), co_bps=bits_per_spike(pred, Yte),
                          psth_r2=psth, behavior_r2=beh, recon_bps=recon, train_s=train_s)
    return MethodResult(scores, model, F, pred, sp)
