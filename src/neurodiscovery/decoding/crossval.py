"""Honest cross-validation of several decoders on the same blocked folds."""
from __future__ import annotations

import time
import warnings

import numpy as np

from .._utils.errors import InputError
from .bayes import PoissonBayesDecoder
from .kalman import KalmanFilterDecoder
from .linear import WienerCascade, WienerFilter
from .metrics import angles_to_cossin, cossin_to_angles, r2_per_output, regression_metrics
from .neural import GRUDecoder, LSTMDecoder, MLPDecoder
from .results import DecoderPredictions, DecoderScore, DecodingResult

#: name -> (input layout, class). Layouts: "flat" (samples, lags*neurons),
#: "seq" (samples, lags, neurons), "sum" (samples, neurons) counts summed over the window.
REGRESSORS = {
    "wiener": ("flat", WienerFilter),
    "wiener_cascade": ("flat", WienerCascade),
    "kalman": ("flat", KalmanFilterDecoder),
    "bayes": ("sum", PoissonBayesDecoder),
    "mlp": ("flat", MLPDecoder),
    "gru": ("seq", GRUDecoder),
    "lstm": ("seq", LSTMDecoder),
}
#: The decoders compared when none are named (``decode``, ``analyze``'s primary behaviour,
#: :func:`cross_validate_decoders`, :func:`~neurodiscovery.decoding.decode_recording`): a linear
#: filter, a state-space model, a Poisson model and a network, fast enough for a default run.
DEFAULT_DECODERS = ("wiener", "kalman", "bayes", "mlp")
#: decoders whose map from neural data to behaviour is not linear
NONLINEAR = ("wiener_cascade", "bayes", "mlp", "gru", "lstm")
_TORCH = ("mlp", "gru", "lstm")


def make_regressor(name: str, *, seed: int = 0, quick: bool = False, gap: int = 0,
                   circular: bool = False, n_outputs: int = 1, **params):
    """Instantiate a regression decoder by name with cross-validation-aware defaults.

    ``gap`` becomes the decoders' ``validation_gap``; ``quick`` shortens neural-network
    training (fewer epochs, smaller networks) for smoke runs.

    Parameters
    ----------
    name : str
        A key of :data:`REGRESSORS`: ``wiener``, ``wiener_cascade``, ``kalman``, ``bayes``, ``mlp``, ``gru``,
        ``lstm``.
    seed : int
        Seed of the neural-network decoders (the others are deterministic).
    quick : bool
        Neural networks train at most 25 epochs, patience 4, 32 hidden units (smoke runs, tests).
    gap : int
        Samples between each decoder's inner fit and validation blocks (``validation_gap`` of the Wiener,
        Kalman and network decoders), in bins; the outer CV's gap, so no inner window crosses it.
    circular : bool
        The target is one angle in radians; sets the Poisson Bayes decoder's wrapped grid (others
        receive (cos, sin) and ignore it).
    n_outputs : int
        Number of target columns; the Bayes grid has 36 bins per dimension for one output or an
        angle, 20 for two (a 2-D grid).
    **params
        Further constructor parameters; they override the defaults set here.

    Returns
    -------
    estimator
        An unfitted scikit-learn-style regressor.

    Raises
    ------
    InputError
        For an unknown ``name``.
    """
    if name not in REGRESSORS:
        raise InputError(f"unknown decoder '{name}'; available: {', '.join(REGRESSORS)}")
    cls = REGRESSORS[name][1]
    base: dict = {}
    if name in ("wiener", "wiener_cascade", "kalman") or name in _TORCH:
        base["validation_gap"] = int(gap)
    if name in _TORCH:
        base["seed"] = int(seed)
        if quick:
            base.update(max_epochs=25, patience=4, hidden_size=32)
    if name == "bayes":
        base["circular"] = bool(circular)
        base["n_bins"] = 36 if circular or n_outputs == 1 else 20
    base.update(params)
    return cls(**base)


def cross_validate_decoders(X, y, decoders=DEFAULT_DECODERS, *, n_splits: int = 5, bins_before: int = 4,
                            bins_after: int = 4, bins_current: bool = True, circular: bool = False,
                            gap: int | None = None, segment=None, transform: str = "sqrt",
                            shuffle_control: bool = True, seed: int = 0, quick: bool = False,
                            decoder_params: dict | None = None, output_names=None, progress=None) -> DecodingResult:
    """Compare decoders on the same blocked folds, with a shifted-behaviour control.

    Parameters
    ----------
    X : array_like, shape (time, neurons) or (trials, time, neurons)
        Binned spike counts. Trials are laid end to end; windows never cross trials.
    y : array_like, shape (time,), (time, outputs) or (trials, time, outputs)
        Behaviour on the same bins. NaN rows are dropped (and counted).
    decoders : sequence of str
        Names from :data:`REGRESSORS` (default :data:`DEFAULT_DECODERS`): ``wiener``, ``wiener_cascade``, ``kalman``,
        ``bayes``, ``mlp``, ``gru``, ``lstm``.
    n_splits : int
        Contiguous test blocks (:func:`neurodiscovery.data.blocked_kfold`).
    bins_before, bins_after, bins_current
        Spike-history window (see :func:`~neurodiscovery.decoding.lagged_design`).
    circular : bool
        ``y`` is one angle in radians, decoded as (cos, sin) and also scored by angular error (``bayes``
        decodes the angle itself, on a wrapped grid).
    gap : int, optional
        Samples removed between training and test blocks (and between each decoder's inner fit and
        validation blocks). Default ``bins_before + bins_after``, so no training window shares a bin with a test window.
    segment : array_like, shape (time,), optional
        Contiguous-interval label per bin (``BinnedRecording.segment``).
    transform : {"sqrt", "none"}
        Feature transform for every decoder except ``bayes`` (a Poisson model, always fed
        raw counts summed over the window). ``"sqrt"`` (default) stabilises the variance of
        Poisson counts, which helps the linear-Gaussian decoders (Wiener, Kalman);
        ``"none"`` uses raw counts as Neural_Decoding does.
    shuffle_control : bool
        Also run every decoder on the behaviour circularly shifted in time by a random
        offset between 25 % and 75 % of the samples: it keeps the behaviour's and the
        spikes' own autocorrelation but breaks their relation, so it measures chance.
    seed : int
        Seeds the shift offset and every network.
    quick : bool
        Short neural-network training (smoke runs, tests).
    decoder_params : dict of str -> dict, optional
        Constructor parameters per decoder, e.g. ``{"lstm": {"hidden_size": 128}}``.
    output_names : sequence of str, optional
        Names of the outputs (default ``cos``, ``sin`` for circular targets, else ``y0, y1, ...``).
    progress : callable, optional
        Called with a short status string after every fold.

    Returns
    -------
    DecodingResult
        ``table`` of :class:`DecoderScore`, ``predictions`` of :class:`DecoderPredictions`.
    """
    from ..data import blocked_kfold
    from .prepare import prepare_decoding

    decoders, decoder_params = _check_decoder_names(decoders), dict(decoder_params or {})
    prep = prepare_decoding(X, y, bins_before=bins_before, bins_after=bins_after, bins_current=bins_current,
                            circular=circular, segment=segment, transform=transform, output_names=output_names)
    gap = int(bins_before) + int(bins_after) if gap is None else int(gap)
    _check_enough(prep.n_samples, n_splits, gap, prep.config["n_lags"], prep.config["n_nan_targets_dropped"])
    folds = blocked_kfold(prep.n_samples, n_splits, gap=gap)
    controls, offset = _controls(prep, shuffle_control, seed)
    result = DecodingResult(config={**{k: v for k, v in prep.config.items() if k != "n_nan_targets_dropped"},
                                    "decoders": decoders, "n_splits": int(n_splits), "gap": gap, "seed": seed,
                                    "quick": bool(quick), "n_nan_targets_dropped": prep.config["n_nan_targets_dropped"],
                                    "shift_offset": offset, "decoder_params": decoder_params})
    fit = _FoldFitter(prep, folds, gap, seed, quick, decoder_params, progress)
    test_rows = np.concatenate([te for _, te in folds])
    fold_of = np.concatenate([np.full(len(te), k) for k, (_, te) in enumerate(folds)])
    for name in decoders:
        for control, T, TH in controls:
            fold_rows, y_pred = fit.run(name, control, T, TH)
            result.folds.extend(fold_rows)
            result.table.append(_score(name, control, fold_rows, T[test_rows], y_pred, circular))
            if control == "none":
                result.predictions[name] = DecoderPredictions(
                    T[test_rows], y_pred, prep.sample_index[test_rows], fold_of,
                    TH[test_rows] if circular else None, cossin_to_angles(y_pred) if circular else None)
    return result


def _controls(prep, shuffle_control: bool, seed: int):
    """``[(label, target, angle)]``: the behaviour, and (with the control) it circularly shifted; the shift."""
    n, tgt, th = prep.n_samples, prep.target, prep.theta
    offset = int(np.random.default_rng(seed).integers(n // 4, max(3 * n // 4, n // 4 + 1)))
    controls = [("none", tgt, th)]
    if not shuffle_control:
        return controls, None
    controls.append(("shifted", np.roll(tgt, offset, axis=0), None if th is None else np.roll(th, offset)))
    return controls, offset


def _check_decoder_names(decoders) -> list:
    decoders = [decoders] if isinstance(decoders, str) else list(decoders)
    if not decoders:
        raise InputError("no decoders given; available: " + ", ".join(REGRESSORS))
    for d in decoders:
        if d not in REGRESSORS:
            raise InputError(f"unknown decoder '{d}'; available: {', '.join(REGRESSORS)}")
    return decoders


def _drop_silent(X):
    """Silent neurons carry no information and make z-scoring / Poisson fits degenerate."""
    neuron_totals = X.reshape(-1, X.shape[-1]).sum(axis=0)
    silent = np.flatnonzero(neuron_totals == 0)
    if len(silent) == X.shape[-1]:
        raise InputError("every neuron is silent (all-zero counts): nothing to decode from")
    if len(silent):
        warnings.warn(f"dropped {len(silent)} all-zero neuron(s) (column index {silent.tolist()}): "
                      "they never fire in the data given", UserWarning, stacklevel=3)
        X = X[..., neuron_totals != 0]
    return X, silent


def _targets(y_flat, circular: bool, output_names):
    """(theta or None, target (samples, outputs), output names); angles become (cos, sin)."""
    if circular:
        if y_flat.shape[1] != 1:
            raise InputError(f"a circular target must be one angle column (radians), got {y_flat.shape[1]} columns")
        theta = np.mod(y_flat[:, 0], 2 * np.pi)
        target = angles_to_cossin(theta)
        out_names = list(output_names or ["cos", "sin"])
    else:
        theta, target = None, y_flat
        out_names = list(output_names or [f"y{j}" for j in range(target.shape[1])])
    if len(out_names) != target.shape[1]:
        raise InputError(f"output_names has {len(out_names)} names for {target.shape[1]} outputs")
    return theta, target, out_names


def _check_enough(n: int, n_splits: int, gap: int, n_lags: int, n_nan: int) -> None:
    needed = n_splits * (1 + 2 * gap) + 1
    # each training fold also holds out a validation block and needs a few dozen samples
    needed = max(needed, n_splits * 10, 2 * n_lags + 20)
    if n < needed:
        raise InputError(
            f"too few samples for the lags: {n} usable samples after the {n_lags}-bin spike-history window "
            f"and dropping {n_nan} NaN targets; {n_splits}-fold blocked CV with a gap of {gap} needs at "
            f"least {needed}. Use fewer bins_before/bins_after, fewer folds or more data")


class _FoldFitter:
    """Fits one decoder on every fold of one target and collects fold metrics and test predictions."""

    def __init__(self, prep, folds, gap, seed, quick, decoder_params, progress):
        self.prep, self.folds, self.sidx, self.circular = prep, folds, prep.sample_index, prep.circular
        self.gap, self.seed, self.quick, self.params, self.progress = gap, seed, quick, decoder_params, progress

    def run(self, name: str, control: str, T, TH):
        layout = REGRESSORS[name][0]
        fold_rows, preds = [], []
        for k, (tr, te) in enumerate(self.folds):
            est = make_regressor(name, seed=self.seed, quick=self.quick, gap=self.gap, circular=self.circular,
                                 n_outputs=T.shape[1], **self.params.get(name, {}))
            fit_y = TH if (name == "bayes" and self.circular) else T
            t0 = time.perf_counter()
            est.fit(self.prep.inputs[layout](tr), fit_y[tr], sample_index=self.sidx[tr])
            fit_s = time.perf_counter() - t0
            p = np.asarray(est.predict(self.prep.inputs[layout](te)), dtype=float)
            if name == "bayes" and self.circular:
                p = angles_to_cossin(p)
            elif p.ndim == 1:
                p = p[:, None]
            m = regression_metrics(T[te], p, circular=self.circular)
            m.update(decoder=name, control=control, fold=k, fit_time_s=fit_s,
                     n_train=int(len(tr)), n_test=int(len(te)))
            if hasattr(est, "n_epochs_"):
                m["n_epochs"] = int(est.n_epochs_)
            if hasattr(est, "alpha_"):
                m["alpha"] = float(est.alpha_)
            fold_rows.append(m)
            preds.append(p)
            if self.progress is not None:
                self.progress(f"{name} [{control}] fold {k + 1}/{len(self.folds)}: R² {m['r2_mean']:.3f} "
                              f"({fit_s:.1f} s)")
        return fold_rows, np.concatenate(preds)


def _score(name, control, fold_rows, y_true, y_pred, circular: bool) -> DecoderScore:
    """Mean fold metrics, the pooled R^2 and (circular) the median angular error over all test samples."""
    err = err_folds = None
    if circular:
        d = np.degrees(np.abs(np.angle(np.exp(1j * (cossin_to_angles(y_pred) - cossin_to_angles(y_true))))))
        err = float(np.median(d))
        err_folds = tuple(f["median_angular_error_deg"] for f in fold_rows)
    return DecoderScore(
        decoder=name, control=control, nonlinear=name in NONLINEAR,
        r2_mean=float(np.mean([f["r2_mean"] for f in fold_rows])),
        r2=tuple(np.mean([f["r2"] for f in fold_rows], axis=0).tolist()),
        pearson_r2_mean=float(np.mean([f["pearson_r2_mean"] for f in fold_rows])),
        rmse_mean=float(np.mean([f["rmse_mean"] for f in fold_rows])),
        # R^2 of all cross-validated predictions pooled (one SS_tot over the session)
        r2_pooled_mean=float(np.mean(r2_per_output(y_true, y_pred))),
        r2_mean_folds=tuple(f["r2_mean"] for f in fold_rows),
        fit_time_s=float(np.mean([f["fit_time_s"] for f in fold_rows])), n_folds=len(fold_rows),
        median_angular_error_deg=err, median_angular_error_deg_folds=err_folds)
