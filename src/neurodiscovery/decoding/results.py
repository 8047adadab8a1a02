"""Typed results of decoder cross-validation: one record per table row and per prediction set."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .._utils.errors import InputError

__all__ = ["DecoderPredictions", "DecoderScore", "DecodingResult"]


@dataclass(frozen=True)
class DecoderScore:
    """Cross-validated scores of one decoder on the real or the shifted (chance) behaviour.

    Attributes
    ----------
    decoder : str
    control : {"none", "shifted"}
        ``"shifted"``: the behaviour circularly shifted in time (chance level).
    nonlinear : bool
        Whether the decoder's map from activity to behaviour is nonlinear.
    r2_mean : float
        Coefficient of determination, mean over outputs and test folds.
    r2 : tuple of float
        Per output, mean over folds.
    pearson_r2_mean : float
        Squared Pearson correlation (named as such: it ignores offsets and gains), mean.
    rmse_mean : float
        Root mean squared error in the behaviour's units, mean over outputs and folds.
    r2_pooled_mean : float
        R^2 of all test predictions pooled (one total sum of squares over the session).
    r2_mean_folds : tuple of float
        ``r2_mean`` of each fold.
    fit_time_s : float
        Mean fit time per fold (s).
    n_folds : int
    median_angular_error_deg : float or None
        Circular targets: median absolute angular error over all test samples (degrees).
    median_angular_error_deg_folds : tuple of float or None
        The same per fold.
    """

    decoder: str
    control: str
    nonlinear: bool
    r2_mean: float
    r2: tuple
    pearson_r2_mean: float
    rmse_mean: float
    r2_pooled_mean: float
    r2_mean_folds: tuple
    fit_time_s: float
    n_folds: int
    median_angular_error_deg: float | None = None
    median_angular_error_deg_folds: tuple | None = None

    def to_dict(self) -> dict:
        """JSON-ready row (the angular-error keys only for circular targets)."""
        d = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}
        if self.median_angular_error_deg is None:
            del d["median_angular_error_deg"], d["median_angular_error_deg_folds"]
        return d


@dataclass(frozen=True)
class DecoderPredictions:
    """Test-fold predictions of one decoder on the real behaviour, all folds in time order.

    Attributes
    ----------
    y_true, y_pred : ndarray, shape (samples, outputs)
        (cos, sin) for circular targets.
    sample_index : ndarray of int, shape (samples,)
        Time bin of each row (index into the binned data given to the cross-validation).
    fold : ndarray of int, shape (samples,)
        Test fold of each row.
    theta_true, theta_pred : ndarray, shape (samples,) or None
        Circular targets: angles in radians.
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    sample_index: np.ndarray
    fold: np.ndarray
    theta_true: np.ndarray | None = None
    theta_pred: np.ndarray | None = None

    @property
    def circular(self) -> bool:
        """Whether the target is an angle."""
        return self.theta_true is not None

    def arrays(self) -> dict:
        """The arrays by name (``theta_*`` only for circular targets), e.g. for ``np.savez``."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class DecodingResult:
    """Cross-validated comparison of decoders.

    Attributes
    ----------
    table : list of DecoderScore
        One row per decoder and control.
    folds : list of dict
        The metrics of every fold (``decoder``, ``control``, ``fold``, ``r2``, ``r2_mean``,
        ``pearson_r2``, ``rmse``, ``fit_time_s``, ``n_train``, ``n_test``, ...).
    predictions : dict of str -> DecoderPredictions
        Per decoder, on the real (unshifted) behaviour.
    config : dict
        Lags, gap, folds, seed, sample counts, dropped neurons / NaN samples, shift offset.
    t_s : ndarray, shape (bins,) or None
        Time (s) of every bin of the data decoded, when known (set by
        :func:`~neurodiscovery.decoding.decode_recording`): ``t_s[predictions[d].sample_index]``
        are the times of the predictions.
    """

    table: list = field(default_factory=list)
    folds: list = field(default_factory=list)
    predictions: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    t_s: np.ndarray | None = None

    def row(self, decoder: str, control: str = "none") -> DecoderScore:
        """The score of one decoder and control (InputError listing the decoders otherwise).

        Parameters
        ----------
        decoder : str
            Decoder name as in the table (e.g. ``"wiener"``).
        control : {"none", "shifted"}
            ``"none"`` for the real behaviour, ``"shifted"`` for the circularly shifted (chance) control.

        Returns
        -------
        DecoderScore
        """
        for r in self.table:
            if r.decoder == decoder and r.control == control:
                return r
        raise InputError(f"no result for decoder '{decoder}' (control={control}); "
                         f"have: {', '.join(sorted({r.decoder for r in self.table}))}")

    def best(self, among=None, metric: str = "r2_mean") -> DecoderScore:
        """The best real (unshifted) decoder by ``metric`` among ``among`` names (default all)."""
        rows = [r for r in self.table if r.control == "none" and (among is None or r.decoder in among)]
        if not rows:
            raise InputError("no decoder matches")

        def key(r):
            v = getattr(r, metric)
            return -np.inf if v is None or not np.isfinite(v) else v

        return max(rows, key=key)

    def controls(self) -> list:
        """The rows of the shifted-behaviour control (chance level)."""
        return [r for r in self.table if r.control != "none"]

    def to_dict(self) -> dict:
        """JSON-ready summary (table, folds, config; predictions are left to .npz files)."""
        return {"table": [r.to_dict() for r in self.table], "folds": self.folds, "config": self.config}

    def to_json(self, path=None) -> dict:
        """JSON-ready dict of :meth:`to_dict` (NaN -> None); also written to ``path`` if given."""
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
            cells = [r.decoder, r.control, f(r.r2_mean)] + [f(v) for v in r.r2]
            cells += [f(r.r2_pooled_mean), f(r.pearson_r2_mean), f(r.rmse_mean)]
            if circ:
                cells.append(f(r.median_angular_error_deg, 1))
            cells.append(f(r.fit_time_s, 2))
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
