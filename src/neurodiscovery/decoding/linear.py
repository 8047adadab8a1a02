"""Linear decoders: Wiener filter (ridge regression, closed form) and Wiener cascade."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from .._utils.errors import InputError
from ._common import (
    MultiOutputMixin,
    resolve_validation_gap,
    restore_shape,
    validate_fit,
    validate_predict,
    validation_split,
)

#: default grid of relative ridge strengths (see :class:`WienerFilter`)
DEFAULT_ALPHAS = tuple(np.logspace(-6, 1, 15).tolist())


def _ridge_path(Xc: np.ndarray, yc: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """Ridge coefficients for every penalty at once from one eigendecomposition.

    Works on the small ``features x features`` Gram matrix (samples >> features for
    spike-history designs), so the cost is one ``X^T X`` product. ``lambda = 0`` is the
    minimum-norm least-squares solution (numerically null directions dropped).

    Returns ``(len(lambdas), features, outputs)``.
    """
    return _ridge_path_gram(Xc.T @ Xc, Xc.T @ yc, lambdas, max(Xc.shape))


def _ridge_path_gram(G: np.ndarray, Xty: np.ndarray, lambdas: np.ndarray, size: int) -> np.ndarray:
    """:func:`_ridge_path` from the centred Gram matrix ``G`` and ``X^T y`` (``size``: the
    larger dimension of the design, for the rank tolerance).
    """
    ev, V = np.linalg.eigh(G)
    ev = np.clip(ev, 0.0, None)
    Vty = V.T @ Xty                                   # (features, outputs)
    tol = ev.max(initial=0.0) * size * np.finfo(float).eps * 10
    out = np.empty((len(lambdas), G.shape[0], Xty.shape[1]))
    for i, lam in enumerate(lambdas):
        d = np.zeros_like(ev)
        ok = ev > tol if lam == 0 else np.ones_like(ev, dtype=bool)
        d[ok] = 1.0 / (ev[ok] + lam)
        out[i] = V @ (d[:, None] * Vty)
    return out


class WienerFilter(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Wiener filter decoder: linear regression from spike-history features, ridge-regularised.

    The fit is closed form (one SVD of the centred design). With ``alpha="auto"`` the
    ridge strength is chosen on a validation block at the end of the training data
    (separated by ``validation_gap`` samples), then the model is refitted on all the
    training data with that strength.

    Parameters
    ----------
    alpha : float or "auto"
        Relative ridge strength: the penalty is ``alpha * trace(Xc^T Xc) / n_features``,
        i.e. in units of the average feature's sum of squares, so one grid works for
        counts of any scale. ``0`` is ordinary least squares (minimum-norm).
    alphas : sequence of float
        Grid searched when ``alpha="auto"``.
    validation_fraction : float
        Fraction of the training samples (taken from the end) used to choose ``alpha``.
    validation_gap : int or "auto"
        Samples dropped between the inner fit set and the validation blocks. ``"auto"``
        (default): the spike-history window's length, read from the lag-major design
        (:func:`~neurodiscovery.decoding.infer_n_lags`), so the two share no bins.
    n_validation_blocks : int
        Number of contiguous validation blocks whose mean R^2 picks ``alpha`` (inner
        blocked K-fold inside the training data); 1 uses the trailing block only. More
        blocks make each inner fit closer in size to the final fit (so the chosen ridge
        transfers) and average the score over more of the session. On the built-in
        head-direction data (sqrt counts), test R^2 of (cos, sin) was 0.792 with 1 block,
        0.797 with 3 and 0.798 with 8 (Neural_Decoding's OLS Wiener: 0.797).

    Attributes
    ----------
    coef_ : ndarray, shape (n_features, n_outputs)
    intercept_ : ndarray, shape (n_outputs,)
    alpha_ : float
        Relative ridge strength used for the final fit.
    validation_r2_ : dict or None
        Mean validation R^2 for each alpha tried (``alpha="auto"`` only).
    validation_gap_ : int
        The gap used (``validation_gap`` resolved).
    """

    def __init__(self, alpha="auto", alphas=DEFAULT_ALPHAS, validation_fraction=0.2,
                 validation_gap="auto", n_validation_blocks=8):
        self.alpha = alpha
        self.alphas = alphas
        self.validation_fraction = validation_fraction
        self.validation_gap = validation_gap
        self.n_validation_blocks = n_validation_blocks

    def _scale(self, Xc):
        ss = float((Xc ** 2).sum()) / max(Xc.shape[1], 1)
        return ss if ss > 0 else 1.0

    def _fit_xy(self, X, y, alphas):
        mx, my = X.mean(axis=0), y.mean(axis=0)
        Xc = X - mx
        lambdas = np.asarray(alphas, dtype=float) * self._scale(Xc)
        coefs = _ridge_path(Xc, y - my, lambdas)
        return coefs, mx, my

    def _validation_splits(self, n: int, sample_index=None, gap: int = 0) -> list:
        """Inner (fit, validation) position pairs, all inside the training rows.

        One trailing block by default; with ``n_validation_blocks = k > 1`` the training
        rows are cut into k contiguous blocks (blocked K-fold with ``validation_gap``) and
        the validation score is averaged over them, which is steadier when behaviour
        drifts over the session.
        """
        if self.n_validation_blocks <= 1:
            fit_pos, val_pos = validation_split(n, self.validation_fraction, gap, sample_index)
            return [] if fit_pos is None else [(fit_pos, val_pos)]
        from ..data.splits import blocked_kfold

        try:
            return blocked_kfold(n, int(self.n_validation_blocks), int(gap))
        except InputError:
            return []

    def fit(self, X, y, sample_index=None):
        """Fit the filter.

        Parameters
        ----------
        X : array_like, shape (samples, features)
            Flat spike-history design (see :func:`~neurodiscovery.decoding.lagged_design`).
        y : array_like, shape (samples,) or (samples, outputs)
        sample_index : array_like of int, shape (samples,), optional
            Time index of each sample (as returned by :func:`~neurodiscovery.decoding.lagged_design`);
            places the validation block in the longest contiguous stretch of training time.

        Returns
        -------
        WienerFilter
            ``self``, fitted.
        """
        X, y, self._y_1d = validate_fit(self, X, y)
        self.validation_r2_ = None
        self.validation_gap_ = resolve_validation_gap(self.validation_gap, X, sample_index)
        if isinstance(self.alpha, str):
            if self.alpha != "auto":
                raise InputError(f"alpha must be a number or 'auto', got {self.alpha!r}")
            alphas = np.asarray(self.alphas, dtype=float)
            if alphas.ndim != 1 or len(alphas) == 0 or np.any(alphas < 0):
                raise InputError("alphas must be a non-empty sequence of non-negative numbers")
            splits = self._validation_splits(len(X), sample_index, self.validation_gap_)
            gram = None
            if not splits or len(alphas) == 1:
                best = float(alphas[len(alphas) // 2])
            else:
                scores = np.zeros(len(alphas))
                # the statistics of each inner fit set are those of all training rows minus
                # the held-out rows: one full X^T X instead of one per validation block
                G_all, Xy_all = X.T @ X, X.T @ y
                sx_all, sy_all = X.sum(axis=0), y.sum(axis=0)
                gram = (G_all, Xy_all, sx_all, sy_all)
                for fit_pos, val_pos in splits:
                    out = np.ones(len(X), dtype=bool)
                    out[fit_pos] = False
                    Xo, yo = X[out], y[out]
                    nf = len(fit_pos)
                    sx, sy = sx_all - Xo.sum(axis=0), sy_all - yo.sum(axis=0)
                    mx, my = sx / nf, sy / nf
                    G = G_all - Xo.T @ Xo - np.outer(sx, mx)
                    Xy = Xy_all - Xo.T @ yo - np.outer(sx, my)
                    scale = float(np.trace(G)) / max(G.shape[0], 1)
                    lambdas = alphas * (scale if scale > 0 else 1.0)
                    coefs = _ridge_path_gram(G, Xy, lambdas, max(nf, G.shape[0]))
                    Xv, yv = X[val_pos], y[val_pos]
                    ss_tot = ((yv - yv.mean(axis=0)) ** 2).sum(axis=0)
                    ss_tot = np.where(ss_tot > 0, ss_tot, 1.0)
                    Xvc = Xv - mx
                    for i, c in enumerate(coefs):
                        pred = Xvc @ c + my
                        scores[i] += np.mean(1 - ((yv - pred) ** 2).sum(axis=0) / ss_tot) / len(splits)
                self.validation_r2_ = dict(zip(alphas.tolist(), scores.tolist()))
                best = float(alphas[int(np.argmax(scores))])
        else:
            best, gram = float(self.alpha), None
            if not np.isfinite(best) or best < 0:
                raise InputError(f"alpha must be >= 0, got {self.alpha!r}")
        coefs, mx, my = self._fit_xy(X, y, [best]) if gram is None else self._fit_gram(*gram, len(X), best)
        self.alpha_ = best
        self.coef_ = coefs[0]
        self.intercept_ = my - mx @ self.coef_
        return self

    def _fit_gram(self, G, Xy, sx, sy, n: int, alpha: float):
        """:meth:`_fit_xy` for one ``alpha`` from the raw sums the validation already computed
        (``X^T X``, ``X^T y``, column sums): centring them costs no pass over the data.
        """
        mx, my = sx / n, sy / n
        Gc, Xyc = G - np.outer(sx, mx), Xy - np.outer(sx, my)
        scale = float(np.trace(Gc)) / max(Gc.shape[0], 1)
        lam = alpha * (scale if scale > 0 else 1.0)
        return _ridge_path_gram(Gc, Xyc, np.array([lam]), max(n, Gc.shape[0])), mx, my

    def _linear(self, X):
        return X @ self.coef_ + self.intercept_

    def predict(self, X):
        """Predict behaviour, shape (samples,) or (samples, outputs) like ``y`` in fit.

        Parameters
        ----------
        X : array_like, shape (samples, features)
            Flat spike-history design (see :func:`~neurodiscovery.decoding.lagged_design`).

        Returns
        -------
        ndarray, shape (samples,) or (samples, outputs)
            Decoded behaviour in the units of ``y``.
        """
        X = validate_predict(self, X)
        return restore_shape(self._linear(X), self._y_1d)


class WienerCascade(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Wiener cascade: a Wiener filter followed by a static polynomial nonlinearity per output.

    The polynomial (degree ``degree``) maps the linear prediction to the target and is
    fitted by least squares on the training data (Glaser et al. 2020).

    Parameters
    ----------
    degree : int
        Degree of the output nonlinearity.
    alpha, alphas, validation_fraction, validation_gap
        Passed to the inner :class:`WienerFilter`.

    Attributes
    ----------
    wiener_ : WienerFilter
    poly_coef_ : list of ndarray
        Polynomial coefficients (highest power first) per output.
    """

    def __init__(self, degree=3, alpha="auto", alphas=DEFAULT_ALPHAS, validation_fraction=0.2,
                 validation_gap="auto"):
        self.degree = degree
        self.alpha = alpha
        self.alphas = alphas
        self.validation_fraction = validation_fraction
        self.validation_gap = validation_gap

    def fit(self, X, y, sample_index=None):
        """Fit the linear stage, then the per-output polynomial on its training predictions.

        Parameters
        ----------
        X : array_like, shape (samples, features)
            Flat spike-history design (see :func:`~neurodiscovery.decoding.lagged_design`).
        y : array_like, shape (samples,) or (samples, outputs)
            Behaviour on the same samples.
        sample_index : array_like of int, shape (samples,), optional
            Time index of each sample; passed to the inner :class:`WienerFilter` to place its validation
            block.

        Returns
        -------
        WienerCascade
            ``self``, fitted.
        """
        X, y, self._y_1d = validate_fit(self, X, y)
        if int(self.degree) != self.degree or self.degree < 1:
            raise InputError(f"degree must be a positive integer, got {self.degree!r}")
        self.wiener_ = WienerFilter(alpha=self.alpha, alphas=self.alphas,
                                    validation_fraction=self.validation_fraction,
                                    validation_gap=self.validation_gap).fit(X, y, sample_index)
        lin = self.wiener_._linear(X)
        # the polynomial is only trusted on the range it was fitted on: a cubic
        # extrapolates wildly, so test-time linear predictions are clipped to it
        self.linear_range_ = np.stack([lin.min(axis=0), lin.max(axis=0)])
        self.poly_coef_ = []
        for j in range(y.shape[1]):
            deg = int(min(self.degree, max(len(np.unique(lin[:, j])) - 1, 0)))
            # polyfit on a constant prediction would be rank deficient: fall back to the mean
            self.poly_coef_.append(np.polyfit(lin[:, j], y[:, j], deg) if deg > 0
                                   else np.array([y[:, j].mean()]))
        return self

    def predict(self, X):
        """Behaviour ``(samples, outputs)`` from features ``X (samples, features)``."""
        X = validate_predict(self, X)
        lin = np.clip(self.wiener_._linear(X), self.linear_range_[0], self.linear_range_[1])
        out = np.column_stack([np.polyval(p, lin[:, j]) for j, p in enumerate(self.poly_coef_)])
        return restore_shape(out, self._y_1d)
