"""Honest cross-validation of several decoders on the same blocked folds."""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._utils.errors import InputError
from .bayes import PoissonBayesDecoder
from .design import lagged_design, n_lags
from .kalman import KalmanFilterDecoder
from .linear import WienerCascade, WienerFilter
from .metrics import angles_to_cossin, cossin_to_angles, r2_per_output, regression_metrics
from .neural import GRUDecoder, LSTMDecoder, MLPDecoder

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
    """
    if name not in REGRESSORS:
        raise InputError(f"unknown decoder '{name}'; available: {', '.join(REGRESSORS)}")
    cls = REGRESSORS[name][1]
    base: dict = {}
    if name in ("wiener", "wiener_cascade", "kalman") or name in _TORCH:
        base["validation_gap"] = int(gap)
    if name in _TORCH:
        base["random_state"] = int(seed)
        if quick:
            base.update(max_epochs=25, patience=4, hidden_size=32)
    if name == "bayes":
        base["circular"] = bool(circular)
        base["n_bins"] = 36 if circular or n_outputs == 1 else 20
    base.update(params)
    return cls(**base)


@dataclass
class DecodingResult:
    """Cross-validated comparison of decoders.

    Attributes
    ----------
    table : list of dict
        One row per decoder and control (``control`` is ``"none"`` or ``"shifted"``):
        ``r2_mean`` (coefficient of determination, mean over outputs and folds), ``r2``
        (per output, mean over folds), ``r2_pooled_mean`` (R^2 of all test predictions
        pooled, one total sum of squares over the session), ``pearson_r2_mean`` (squared
        correlation, named as such), ``rmse_mean``,
        ``median_angular_error_deg`` (circular targets; median over all test samples),
        ``fit_time_s`` (mean per fold), ``n_folds``.
    folds : list of dict
        The same metrics per fold (``decoder``, ``control``, ``fold``).
    predictions : dict of str -> dict
        Per decoder (real, unshifted target): ``y_true``, ``y_pred`` (test samples of all
        folds concatenated, in time order; (cos, sin) for circular targets),
        ``sample_index`` (time bin of each), ``fold``; plus ``theta_true``/``theta_pred``
        (radians) for circular targets.
    config : dict
        Lags, gap, folds, seed, sample counts, dropped neurons / NaN samples, shift offset.
    """

    table: list = field(default_factory=list)
    folds: list = field(default_factory=list)
    predictions: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)

    def row(self, decoder: str, control: str = "none") -> dict:
        """The table row of one decoder and control (InputError listing the decoders otherwise)."""
        for r in self.table:
            if r["decoder"] == decoder and r["control"] == control:
                return r
        raise InputError(f"no result for decoder '{decoder}' (control={control}); "
                         f"have: {', '.join(sorted({r['decoder'] for r in self.table}))}")

    def best(self, among=None, metric: str = "r2_mean") -> dict:
        """Row of the best real (unshifted) decoder by ``metric`` among ``among`` names."""
        rows = [r for r in self.table if r["control"] == "none" and (among is None or r["decoder"] in among)]
        if not rows:
            raise InputError("no decoder matches")
        return max(rows, key=lambda r: -np.inf if not np.isfinite(r[metric]) else r[metric])

    def to_dict(self) -> dict:
        """JSON-ready summary (table, folds, config; predictions are left to .npz files)."""
        return {"table": self.table, "folds": self.folds, "config": self.config}

    def to_json(self, path=None) -> dict:
        """JSON-ready dict of :meth:`to_dict` (NaN -> None); also written to ``path`` if given.

        ``json.dumps(result.to_json())`` gives the text.
        """
        from .._utils.runfolder import _jsonable, write_json

        if path is not None:
            write_json(path, self.to_dict())
        return _jsonable(self.to_dict())

    def to_markdown(self) -> str:
        """Comparison table in Markdown (R^2 = coefficient of determination)."""
        circ = bool(self.config.get("circular"))
        outs = self.config.get("output_names") or []
        head = (["decoder", "control", "R² mean"] + [f"R² {o}" for o in outs]
                + ["R² pooled", "Pearson r² mean", "RMSE mean"])
        if circ:
            head.append("median |angle error| (°)")
        head.append("fit time / fold (s)")
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

        def f(v, d=3):
            return "n/a" if v is None or not np.isfinite(v) else f"{v:.{d}f}"

        for r in self.table:
            cells = [r["decoder"], r["control"], f(r["r2_mean"])] + [f(v) for v in r["r2"]]
            cells += [f(r["r2_pooled_mean"]), f(r["pearson_r2_mean"]), f(r["rmse_mean"])]
            if circ:
                cells.append(f(r.get("median_angular_error_deg"), 1))
            cells.append(f(r["fit_time_s"], 2))
            lines.append("| " + " | ".join(cells) + " |")
        c = self.config
        lines.append("")
        lines.append(f"Blocked {c.get('n_splits')}-fold cross-validation with a gap of {c.get('gap')} samples; "
                     f"{c.get('bins_before')} bins before, {c.get('bins_after')} after"
                     f"{', current bin' if c.get('bins_current') else ''}; {c.get('n_samples')} samples, "
                     f"{c.get('n_neurons')} neurons; features: {c.get('transform')} counts. R² = coefficient of "
                     "determination, mean over folds (each fold scored around its own mean); 'R² pooled' "
                     "scores all test predictions together. 'shifted' = behaviour circularly shifted by "
                     f"{c.get('shift_offset')} samples (chance level).")
        return "\n".join(lines)


def cross_validate_decoders(
    X,
    y,
    decoders=DEFAULT_DECODERS,
    *,
    n_splits: int = 5,
    bins_before: int = 4,
    bins_after: int = 4,
    bins_current: bool = True,
    circular: bool = False,
    gap: int | None = None,
    segment=None,
    transform: str = "sqrt",
    shuffle_control: bool = True,
    seed: int = 0,
    quick: bool = False,
    decoder_params: dict | None = None,
    output_names=None,
    progress=None,
) -> DecodingResult:
    """Compare decoders on the same blocked folds, with a shifted-behaviour control.

    Parameters
    ----------
    X : array_like, shape (time, neurons) or (trials, time, neurons)
        Binned spike counts. Trials are laid end to end; windows never cross trials.
    y : array_like, shape (time,), (time, outputs) or (trials, time, outputs)
        Behaviour on the same bins. NaN rows are dropped (and counted). For
        ``circular=True``: one angle in radians, decoded as (cos, sin).
    decoders : sequence of str
        Names from :data:`REGRESSORS` (default :data:`DEFAULT_DECODERS`): ``wiener``, ``wiener_cascade``, ``kalman``,
        ``bayes``, ``mlp``, ``gru``, ``lstm``.
    n_splits : int
        Contiguous test blocks (:func:`neurodiscovery.data.blocked_kfold`).
    bins_before, bins_after, bins_current
        Spike-history window (see :func:`~neurodiscovery.decoding.lagged_design`).
    gap : int, optional
        Samples removed between training and test blocks (and between each decoder's
        inner fit and validation blocks). Default ``bins_before + bins_after``, so no
        training window shares a bin with a test window.
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
        Names of the outputs (default ``cos``, ``sin`` for circular targets, else
        ``y0, y1, ...``).
    progress : callable, optional
        Called with a short status string after every fold.

    Returns
    -------
    DecodingResult
    """
    from .._utils.validation import check_array
    from ..data import blocked_kfold

    decoders = [decoders] if isinstance(decoders, str) else list(decoders)
    if not decoders:
        raise InputError("no decoders given; available: " + ", ".join(REGRESSORS))
    for d in decoders:
        if d not in REGRESSORS:
            raise InputError(f"unknown decoder '{d}'; available: {', '.join(REGRESSORS)}")
    decoder_params = dict(decoder_params or {})
    X = check_array(X, "spike counts X (time, neurons)", ndim=(2, 3))
    y = np.asarray(y, dtype=float)
    trials = X.ndim == 3
    if trials:
        if y.ndim == 2 and y.shape[:2] == X.shape[:2]:
            y = y[..., None]
        if y.ndim != 3 or y.shape[:2] != X.shape[:2]:
            raise InputError(f"y must be (trials, time, outputs) matching X {X.shape[:2]}, got {y.shape}")
        y_flat = y.reshape(-1, y.shape[-1])
    else:
        if y.ndim == 1:
            y = y[:, None]
        if y.ndim != 2:
            raise InputError(f"y must be (time,) or (time, outputs), got shape {y.shape}")
        if len(y) != len(X):
            raise InputError(f"length mismatch: X has {len(X)} time bins but y has {len(y)}")
        y_flat = y
    if np.isinf(y_flat).any():
        raise InputError(f"y contains {int(np.isinf(y_flat).sum())} infinite values")

    # silent neurons carry no information and make z-scoring / Poisson fits degenerate
    neuron_totals = X.reshape(-1, X.shape[-1]).sum(axis=0)
    silent = np.flatnonzero(neuron_totals == 0)
    if len(silent) == X.shape[-1]:
        raise InputError("every neuron is silent (all-zero counts): nothing to decode from")
    if len(silent):
        warnings.warn(f"dropped {len(silent)} all-zero neuron(s) (column index {silent.tolist()}): "
                      "they never fire in the data given", UserWarning, stacklevel=2)
        X = X[..., neuron_totals != 0]
    if circular:
        if y_flat.shape[1] != 1:
            raise InputError(f"a circular target must be one angle column (radians), got {y_flat.shape[1]} columns")
        theta = np.mod(y_flat[:, 0], 2 * np.pi)
        target = angles_to_cossin(theta)
        out_names = list(output_names or ["cos", "sin"])
    else:
        theta = None
        target = y_flat
        out_names = list(output_names or [f"y{j}" for j in range(target.shape[1])])
    if len(out_names) != target.shape[1]:
        raise InputError(f"output_names has {len(out_names)} names for {target.shape[1]} outputs")

    if transform not in ("sqrt", "none"):
        raise InputError(f"transform must be 'sqrt' or 'none', got {transform!r}")
    if (X < 0).any():
        raise InputError("spike counts X must be non-negative")
    Xf = np.sqrt(X) if transform == "sqrt" else X
    bb, ba = int(bins_before), int(bins_after)
    L = n_lags(bb, ba, bins_current)
    flat, sidx = lagged_design(Xf, bb, ba, bins_current, flat=True, segment=segment)
    seq, _ = lagged_design(Xf, bb, ba, bins_current, flat=False, segment=segment)
    raw_seq, _ = lagged_design(X, bb, ba, bins_current, flat=False, segment=segment)
    valid = np.isfinite(target[sidx]).all(axis=1)
    n_nan = int((~valid).sum())
    if n_nan:
        warnings.warn(f"dropped {n_nan} of {len(valid)} samples whose target is NaN "
                      "(e.g. no tracking); they are not used for training or testing",
                      UserWarning, stacklevel=2)
    keep = np.flatnonzero(valid)
    sidx = sidx[keep]
    n = len(sidx)
    gap = bb + ba if gap is None else int(gap)
    needed = n_splits * (1 + 2 * gap) + 1
    # each training fold also holds out a validation block and needs a few dozen samples
    needed = max(needed, n_splits * 10, 2 * L + 20)
    if n < needed:
        raise InputError(
            f"too few samples for the lags: {n} usable samples after the {L}-bin spike-history window "
            f"and dropping {n_nan} NaN targets; {n_splits}-fold blocked CV with a gap of {gap} needs at "
            f"least {needed}. Use fewer bins_before/bins_after, fewer folds or more data")
    folds = blocked_kfold(n, n_splits, gap=gap)
    inputs = {
        "flat": lambda rows: flat[keep[rows]],
        "seq": lambda rows: seq[keep[rows]],
        "sum": lambda rows: raw_seq[keep[rows]].sum(axis=1),
    }
    tgt = target[sidx]
    th = theta[sidx] if circular else None
    rng = np.random.default_rng(seed)
    offset = int(rng.integers(n // 4, max(3 * n // 4, n // 4 + 1)))
    controls = [("none", tgt, th)]
    if shuffle_control:
        controls.append(("shifted", np.roll(tgt, offset, axis=0),
                         None if th is None else np.roll(th, offset)))

    result = DecodingResult(config={
        "decoders": decoders, "n_splits": int(n_splits), "gap": gap, "bins_before": bb,
        "bins_after": ba, "bins_current": bool(bins_current), "n_lags": L, "circular": bool(circular),
        "transform": transform,
        "seed": seed, "quick": bool(quick), "n_samples": int(n), "n_neurons": int(X.shape[-1]),
        "dropped_silent_neurons": silent.tolist(), "n_nan_targets_dropped": n_nan,
        "shift_offset": offset if shuffle_control else None, "output_names": out_names,
        "trials": bool(trials), "decoder_params": decoder_params,
    })
    for name in decoders:
        layout = REGRESSORS[name][0]
        for control, T, TH in controls:
            fold_rows, preds, times = [], [], []
            for k, (tr, te) in enumerate(folds):
                est = make_regressor(name, seed=seed, quick=quick, gap=gap, circular=circular,
                                     n_outputs=T.shape[1], **decoder_params.get(name, {}))
                fit_y = TH if (name == "bayes" and circular) else T
                t0 = time.perf_counter()
                est.fit(inputs[layout](tr), fit_y[tr], sample_index=sidx[tr])
                fit_s = time.perf_counter() - t0
                p = est.predict(inputs[layout](te))
                p = np.asarray(p, dtype=float)
                if name == "bayes" and circular:
                    p = angles_to_cossin(p)
                elif p.ndim == 1:
                    p = p[:, None]
                m = regression_metrics(T[te], p, circular=circular)
                m.update(decoder=name, control=control, fold=k, fit_time_s=fit_s,
                         n_train=int(len(tr)), n_test=int(len(te)))
                if hasattr(est, "n_epochs_"):
                    m["n_epochs"] = int(est.n_epochs_)
                if hasattr(est, "alpha_"):
                    m["alpha"] = float(est.alpha_)
                fold_rows.append(m)
                preds.append(p)
                times.append(fit_s)
                if progress is not None:
                    progress(f"{name} [{control}] fold {k + 1}/{len(folds)}: R² {m['r2_mean']:.3f} "
                             f"({fit_s:.1f} s)")
            result.folds.extend(fold_rows)
            test_rows = np.concatenate([te for _, te in folds])
            y_pred = np.concatenate(preds)
            row = {
                "decoder": name, "control": control, "nonlinear": name in NONLINEAR,
                "r2_mean": float(np.mean([f["r2_mean"] for f in fold_rows])),
                "r2": np.mean([f["r2"] for f in fold_rows], axis=0).tolist(),
                "pearson_r2_mean": float(np.mean([f["pearson_r2_mean"] for f in fold_rows])),
                "rmse_mean": float(np.mean([f["rmse_mean"] for f in fold_rows])),
                # R^2 of all cross-validated predictions pooled (one SS_tot over the session)
                "r2_pooled_mean": float(np.mean(r2_per_output(T[test_rows], y_pred))),
                "r2_mean_folds": [f["r2_mean"] for f in fold_rows],
                "fit_time_s": float(np.mean(times)), "n_folds": len(folds),
            }
            if circular:
                err = np.degrees(np.abs(np.angle(np.exp(1j * (cossin_to_angles(y_pred)
                                                              - cossin_to_angles(T[test_rows]))))))
                row["median_angular_error_deg"] = float(np.median(err))
                row["median_angular_error_deg_folds"] = [f["median_angular_error_deg"] for f in fold_rows]
            result.table.append(row)
            if control == "none":
                pr = {"y_true": T[test_rows], "y_pred": y_pred, "sample_index": sidx[test_rows],
                      "fold": np.concatenate([np.full(len(te), k) for k, (_, te) in enumerate(folds)])}
                if circular:
                    pr["theta_true"] = TH[test_rows]
                    pr["theta_pred"] = cossin_to_angles(y_pred)
                result.predictions[name] = pr
    return result
