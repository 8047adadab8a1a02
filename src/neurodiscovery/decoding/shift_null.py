"""The permutation null of a nested decoding: the chosen decoders refitted on shifted behaviour.

A shift of the behaviour against the spikes keeps both autocorrelations but breaks their relation.
Two schemes (``shift=``):

``"linear"`` (default; Harris 2020, "Nonsense correlations in neuroscience", bioRxiv
2020.11.29.402719)
    The spikes of a central window (``margin`` of the samples cut at each end) are decoded against
    the behaviour of the same window (the observed statistic) and against the behaviour slid by
    ``k`` samples, ``max(gap + 1, n / 20) <= |k| <= margin * n``, with no wrap-around: every member
    of the null is a seamless alignment of the two recordings, like the observed one.
``"circular"``
    The whole behaviour rolled by ``k`` with wrap-around. Its seam joins the session's end to its
    start, so each member mixes two alignments (offsets ``k`` and ``k - n``) and averages away the
    chance agreement of slow drifts that a single alignment has. On the built-in head-direction
    recording (Wiener filter, central half of the session) 40 circular shifts gave null R² 5-95 %
    -0.33 to -0.11, 40 seamless linear shifts -0.38 to 0.03: the circular null was too narrow, and
    head direction reversed in time scored p = 0.99 against it (p 0.04 on the central half: both
    ends are miscalibration). Circular shifts are exact only for a circularly stationary recording.

The null R² of one shift is what the *procedure* scores on that unrelated behaviour: in every outer fold the decoder chosen there is refitted from scratch on
the shifted behaviour of the training fold, with every choice it makes for itself (the Kalman
filter's offsets and ridge, the networks' early stopping, the Bayes decoder's tuning curves)
made again, and scored on the shifted test fold exactly as the real fit is. The Wiener
filter's refit is exact and vectorised over shifts at the ridge penalty chosen on the real
behaviour (:func:`~.inference.ridge_shift_null`).

An earlier version kept every non-Wiener decoder trained on the *real* behaviour and refitted
only an affine readout of its outputs: that null (median R² -1.08 for head direction on the
built-in recording) sat far below what the procedure scores on unrelated behaviour (about -0.3),
so p-values were too small.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .crossval import REGRESSORS, make_regressor
from .inference import ridge_shift_sse, shifted_sst
from .metrics import angles_to_cossin

#: Decoders refitted on every shift; the others (a few hundred ms to seconds per fit) are
#: refitted on the first ``n_permutations_slow`` shifts only.
FAST_REFIT = ("wiener", "bayes")


def fit_predict(prep, name, params, fit_rows, pred_rows, *, seed, quick, gap):
    """Fit decoder ``name`` on ``fit_rows`` of ``prep`` and predict each of ``pred_rows``.

    Parameters
    ----------
    prep : PreparedDecoding
        Designs and targets (``prep.target``; ``prep.theta`` for the circular Bayes decoder).
    name : str
        Key of :data:`~.crossval.REGRESSORS`.
    params : dict
        Constructor parameters.
    fit_rows : (n_fit,) int array
        Training rows of ``prep``.
    pred_rows : list of int arrays
        Row sets to predict.
    seed, quick, gap
        As in :func:`~.crossval.make_regressor`.

    Returns
    -------
    (estimator, list of (rows, outputs) arrays)
        Predictions as (cos, sin) for circular targets.
    """
    circ = prep.circular
    est = make_regressor(name, seed=seed, quick=quick, gap=gap, circular=circ, n_outputs=prep.target.shape[1],
                         **params)
    layout = REGRESSORS[name][0]
    fit_y = prep.theta if (name == "bayes" and circ) else prep.target
    est.fit(prep.inputs[layout](fit_rows), fit_y[fit_rows], sample_index=prep.sample_index[fit_rows])
    outs = []
    for rows in pred_rows:
        p = np.asarray(est.predict(prep.inputs[layout](rows)), dtype=float)
        p = angles_to_cossin(p) if (name == "bayes" and circ) else (p[:, None] if p.ndim == 1 else p)
        outs.append(p)
    return est, outs


def draw_shifts(n: int, n_shifts: int, gap: int, seed: int, max_shift: int | None = None) -> np.ndarray:
    """Distinct shifts of ``n`` samples, each at least ``lo = max(gap + 1, n / 20)`` from 0.

    Parameters
    ----------
    n : int
        Samples.
    n_shifts : int
        Shifts wanted (fewer when fewer distinct ones exist).
    gap : int
        Samples between training and test blocks.
    seed : int
        Seeds the draw.
    max_shift : int, optional
        Linear shifts: ``lo <= |k| <= max_shift``, both signs. Default: circular shifts in
        ``[lo, n - lo]``.

    Returns
    -------
    ndarray of int, shape (min(n_shifts, available),)
    """
    rng = np.random.default_rng(seed)
    lo = max(int(gap) + 1, n // 20)
    if max_shift is None:
        span = max(n - 2 * lo, 1)
        return lo + rng.choice(span, size=min(int(n_shifts), span), replace=False)
    mags = np.arange(lo, max(int(max_shift), lo) + 1)
    pool = np.concatenate([-mags[::-1], mags])
    return rng.choice(pool, size=min(int(n_shifts), len(pool)), replace=False)


def _shifted(prep, k: int):
    """``prep`` with its target (and angle) rolled by ``k`` samples."""
    theta = None if prep.theta is None else np.roll(prep.theta, k)
    return dataclasses.replace(prep, target=np.roll(prep.target, k, axis=0), theta=theta)


#: Fraction of the samples cut at each end for the linear-shift null (the largest shift).
LINEAR_MARGIN = 0.2


def _linear_folds(n: int, n_splits: int, gap: int, margin: float):
    """Blocked folds of the central window ``[m, n - m)``, in row numbers of the whole recording."""
    from ..data import blocked_kfold

    m = int(np.floor(n * margin))
    win = np.arange(m, n - m)
    return m, [(win[tr], win[te]) for tr, te in blocked_kfold(len(win), n_splits, gap=gap)]


#: One copy of the flat design above which folds and refits run one at a time: each concurrent fit holds its
#: own copies (the 2-hour large session's decoding process peaked at 4.2 GB with two at a time).
THREAD_DESIGN_BYTES = 1e8


def null_threads(design_bytes: float = 0.0) -> int:
    """Threads refitting shifts (or outer folds) at once: 2 where two cores are free to this process and one
    copy of the design (``design_bytes``) is at most :data:`THREAD_DESIGN_BYTES`, else 1.

    Every refit is seeded and independent, so the null is the same with any number of threads; the
    networks' training releases the GIL in its matrix products.
    """
    from .._utils.runtime import worker_threads

    return 1 if design_bytes > THREAD_DESIGN_BYTES else worker_threads(2)


def _refit_each_shift(prep, name, params, tr, te, shifts, *, seed, quick, gap) -> np.ndarray:
    """Test squared errors ``(shifts, outputs)`` of decoder ``name`` refitted from scratch on every shift.

    The design does not move with the behaviour, so the fold's training and test designs are built
    once; each shift gets a new estimator fitted on the shifted targets (every choice it makes for
    itself made again), exactly as :func:`fit_predict` would.
    """
    layout = REGRESSORS[name][0]
    x_fit, x_test = prep.inputs[layout](tr), prep.inputs[layout](te)
    circ_bayes = name == "bayes" and prep.circular

    def one(k):
        sp = _shifted(prep, int(k))
        est = make_regressor(name, seed=seed, quick=quick, gap=gap, circular=prep.circular,
                             n_outputs=prep.target.shape[1], **params)
        est.fit(x_fit, (sp.theta if circ_bayes else sp.target)[tr], sample_index=prep.sample_index[tr])
        p = np.asarray(est.predict(x_test), dtype=float)
        p = angles_to_cossin(p) if circ_bayes else (p[:, None] if p.ndim == 1 else p)
        return ((sp.target[te] - p) ** 2).sum(axis=0)

    from .._utils.runtime import map_threads

    return np.array(map_threads(one, shifts, null_threads(x_fit.nbytes))).reshape(len(shifts), -1)


def refit_shift_null(prep, folds, fold_models, *, n_permutations: int, n_permutations_slow: int, gap: int,
                     seed: int, quick: bool, shift: str = "linear", margin: float = LINEAR_MARGIN):
    """Pooled test R² (the headline's statistic) of the chosen decoders refitted on shifted behaviour.

    Parameters
    ----------
    prep : PreparedDecoding
    folds : list of (train rows, test rows)
        The outer folds of the real fit (``shift="circular"`` scores on them; ``"linear"`` makes
        as many blocked folds of the central window, with the same gap).
    fold_models : list of (decoder name, constructor params, fitted estimator)
        The decoder chosen in each outer fold (the linear scheme's window fold k refits fold k's).
    n_permutations : int
        Shifts when every chosen decoder is in :data:`FAST_REFIT`.
    n_permutations_slow : int
        Shifts when some fold chose another decoder (each refit costs a full fit).
    gap, seed, quick
        As in the real fits.
    shift : {"linear", "circular"}
        The null's scheme (module docstring).
    margin : float
        Linear scheme: fraction of the samples cut at each end; the largest shift, in samples.

    Returns
    -------
    null : ndarray, shape (shifts,) pooled R² over all test folds (mean over outputs)
    schemes : list of str, one per fold: what was refitted
    observed : float
        The statistic the null is compared with: the unshifted pooled R² on the same folds
        (the central window's for ``"linear"``, the headline for ``"circular"``).
    """
    names = [m[0] for m in fold_models]
    n_null = n_permutations if all(nm in FAST_REFIT for nm in names) else min(n_permutations, n_permutations_slow)
    if n_null <= 0:
        return np.zeros(0), ["none"] * len(folds), float("nan")
    n = prep.n_samples
    if shift == "linear":
        m, use_folds = _linear_folds(n, len(folds), gap, margin)
        shifts = np.concatenate([[0], draw_shifts(n, n_null, gap, seed, max_shift=m)])
    elif shift == "circular":
        use_folds, shifts = folds, np.concatenate([[0], draw_shifts(n, n_null, gap, seed)])
    else:
        raise ValueError(f"shift must be 'linear' or 'circular', got {shift!r}")
    r2, schemes = _refit_sse(prep, use_folds, fold_models, shifts, gap=gap, seed=seed, quick=quick)
    return r2[1:], schemes, float(r2[0])


def _refit_sse(prep, folds, fold_models, shifts, *, gap, seed, quick):
    """Pooled R² (mean over outputs) of the chosen decoders refitted on every shift; one scheme line per fold."""
    T = prep.target
    sse = np.zeros((len(shifts), T.shape[1]))
    schemes = []
    for (tr, te), (name, params, est) in zip(folds, fold_models):
        if name == "wiener":
            Xtr, Xte = prep.inputs["flat"](tr), prep.inputs["flat"](te)
            lam = float(est.alpha_) * est._scale(Xtr - Xtr.mean(axis=0))
            sse += ridge_shift_sse(Xtr, Xte, T, tr, te, shifts, lam)
            schemes.append("wiener: refitted exactly on every shift (ridge penalty as chosen on the real behaviour)")
            continue
        sse += _refit_each_shift(prep, name, params, tr, te, shifts, seed=seed, quick=quick, gap=gap)
        schemes.append(f"{name}: refitted from scratch on every shift (its own choices made again)")
    sst = shifted_sst(T, np.concatenate([te for _, te in folds]), shifts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nanmean(np.where(sst > 0, 1 - sse / sst, np.nan), axis=1), schemes
