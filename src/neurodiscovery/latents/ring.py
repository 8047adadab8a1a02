"""The head-direction ring found without behaviour (after Chaudhuri et al. 2019, Nat Neurosci 22:1512).

Square-root counts are smoothed in time and embedded with Isomap (5 neighbours, 3-D); a
closed curve is fitted through the embedding (a principal curve: nodes = mean of the points
assigned to each stretch of the curve, smoothed around the circle, re-assigned by nearest
point); the decoded variable is the arc-length position of each sample's nearest curve
point, as an angle in [0, 2π). The angle's origin and direction are arbitrary: fitting an
offset and a sign on some tracked data (:func:`align_angle`) turns it into head direction.

Every bin has a nearest curve point, including activity that lies nowhere near the ring (much
of sleep), and Isomap's out-of-sample map pulls such bins onto the embedded ring. So
:meth:`RingManifold.angle_or_off_ring` measures how far each bin's smoothed activity lies from
the activity the ring was fitted on (mean distance to its nearest fitted samples, in
square-root-count units) and gives no angle (NaN) beyond ``off_ring_distance_``, the
``off_ring_quantile`` of the training (wake) bins' own distances.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d
from sklearn.base import BaseEstimator

from .._utils.errors import InputError
from ._checks import check_activity, check_n_neurons


def _smooth(X: np.ndarray, sigma_bins: float, segment) -> np.ndarray:
    Z = np.sqrt(X)
    if segment is None:
        return gaussian_filter1d(Z, sigma_bins, axis=0, mode="nearest")
    seg = np.asarray(segment)
    if len(seg) != len(Z):
        raise InputError(f"segment has {len(seg)} labels for {len(Z)} time bins")
    out = np.empty_like(Z)
    for s in np.unique(seg):
        idx = np.flatnonzero(seg == s)
        if idx[-1] - idx[0] + 1 == len(idx):  # contiguous: filter a view into a view, no copies
            sl = slice(idx[0], idx[-1] + 1)
            gaussian_filter1d(Z[sl], sigma_bins, axis=0, mode="nearest", output=out[sl])
        else:
            out[idx] = gaussian_filter1d(Z[idx], sigma_bins, axis=0, mode="nearest")
    return out


#: Time bins embedded per Isomap call: its out-of-sample step holds a (bins, fit samples) distance
#: matrix, 1.4 GB for 2 hours of 100 ms bins against 2,500 fit samples if done at once.
EMBED_CHUNK = 4096


class RingManifold(BaseEstimator):
    """Unsupervised ring: Isomap embedding + closed principal curve + angle along it.

    Parameters
    ----------
    smooth_bins : float
        Gaussian smoothing of the square-root counts, in bins.
    n_neighbors : int
        Isomap neighbours.
    n_components : int
        Embedding dimension.
    n_nodes : int
        Nodes of the closed curve.
    max_fit_samples : int
        Isomap is fitted on at most this many evenly spaced samples (its cost grows as n²);
        the others are embedded out of sample.
    n_iter : int
        Principal-curve refinements.
    off_ring_quantile : float
        Quantile of the training bins' distances to the curve beyond which a bin counts as off the
        ring (default 0.99: farther than 99 % of the bins the ring was fitted on).
    seed : int

    Attributes
    ----------
    isomap_ : sklearn.manifold.Isomap
    curve_ : (n_dense, n_components)
        Dense closed curve in the embedding (first point not repeated).
    curve_angle_ : (n_dense,)
        Arc-length angle of each dense curve point, in radians [0, 2π).
    embedding_ : (samples, n_components)
        Embedding of the training samples.
    off_ring_distance_ : float
        Distance from the fitted activity (square-root counts) beyond which :meth:`angle_or_off_ring`
        gives no angle.
    """

    def __init__(self, smooth_bins: float = 2.0, n_neighbors: int = 5, n_components: int = 3,
                 n_nodes: int = 30, max_fit_samples: int = 2500, n_iter: int = 6, off_ring_quantile: float = 0.99,
                 seed: int = 0):
        self.smooth_bins = smooth_bins
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.n_nodes = n_nodes
        self.max_fit_samples = max_fit_samples
        self.n_iter = n_iter
        self.off_ring_quantile = off_ring_quantile
        self.seed = seed

    def fit(self, X, y=None, segment=None) -> RingManifold:
        """Fit on counts ``X (time, neurons)``; ``segment`` labels contiguous stretches (no smoothing across).

        Parameters
        ----------
        X : array_like, shape (time, neurons)
            Spike counts per bin (non-negative integers), e.g. all wake bins.
        y : None
            Ignored: the ring is found without behaviour.
        segment : array_like, shape (time,), optional
            Label of the contiguous stretch each bin belongs to (e.g. ``BinnedData.segment``); smoothing
            never crosses a change of label. Default: one stretch.

        Returns
        -------
        RingManifold
            ``self``, fitted.
        """
        from sklearn.manifold import Isomap

        X = check_activity(X, "counts", ndim=(2,), counts=True)
        if X.shape[1] < 2:
            raise InputError(f"a ring needs at least 2 neurons, got {X.shape[1]}")
        if len(X) < max(3 * self.n_neighbors, self.n_nodes):
            raise InputError(f"{len(X)} time bins are too few to fit a ring (need >= {max(3 * self.n_neighbors, self.n_nodes)})")
        Z = _smooth(X, float(self.smooth_bins), segment)
        step = max(1, int(np.ceil(len(Z) / self.max_fit_samples)))
        self.isomap_ = Isomap(n_neighbors=int(self.n_neighbors), n_components=int(self.n_components))
        self.isomap_.fit(Z[::step])
        E = self._embed_smoothed(Z)
        self.embedding_ = E
        self.curve_, self.curve_angle_ = self._fit_curve(E)
        if not 0 < self.off_ring_quantile <= 1:
            raise InputError(f"off_ring_quantile must be in (0, 1], got {self.off_ring_quantile}")
        self.off_ring_distance_ = float(np.quantile(self._activity_distance(Z), float(self.off_ring_quantile)))
        self.n_features_in_ = X.shape[1]
        return self

    def _fit_curve(self, E: np.ndarray):
        c = E - E.mean(0)
        u = np.linalg.svd(c[:, :2] if c.shape[1] >= 2 else c, full_matrices=False)[0]
        phi = np.mod(np.arctan2(u[:, 1], u[:, 0]), 2 * np.pi)
        K = int(self.n_nodes)
        for _ in range(int(self.n_iter)):
            b = np.minimum((phi / (2 * np.pi) * K).astype(int), K - 1)
            nodes = np.full((K, E.shape[1]), np.nan)
            for k in range(K):
                if np.any(b == k):
                    nodes[k] = E[b == k].mean(0)
            ok = ~np.isnan(nodes[:, 0])
            if ok.sum() < 3:
                raise InputError("the activity does not trace a ring (too few occupied stretches of the curve)")
            idx = np.arange(K)
            nodes = np.column_stack([np.interp(idx, idx[ok], nodes[ok, j], period=K) for j in range(E.shape[1])])
            nodes = gaussian_filter1d(nodes, 1.0, axis=0, mode="wrap")
            dense = self._densify(nodes)
            seg = np.linalg.norm(np.diff(np.vstack([dense, dense[:1]]), axis=0), axis=1)
            arc = np.concatenate([[0.0], np.cumsum(seg)[:-1]]) / seg.sum() * 2 * np.pi
            phi = arc[self._nearest(E, dense)]
        return dense, arc

    @staticmethod
    def _densify(nodes: np.ndarray, per_node: int = 12) -> np.ndarray:
        from scipy.interpolate import CubicSpline

        K = len(nodes)
        cs = CubicSpline(np.arange(K + 1), np.vstack([nodes, nodes[:1]]), bc_type="periodic", axis=0)
        return cs(np.arange(K * per_node) / per_node)

    @staticmethod
    def _nearest(E: np.ndarray, curve: np.ndarray) -> np.ndarray:
        from scipy.spatial import cKDTree

        return cKDTree(curve).query(E)[1]

    def _activity_distance(self, Z: np.ndarray) -> np.ndarray:
        """Mean distance of smoothed activity ``Z`` to its ``n_neighbors`` nearest Isomap fit samples after
        skipping the nearest ``1 + 2·ceil(2·smooth_bins)`` (square-root-count units).

        A fitted bin's nearest samples are itself and its smoothing-correlated neighbours in time;
        skipping as many for every bin keeps fitted and new bins' distances comparable.
        """
        k, skip = int(self.n_neighbors), 1 + 2 * int(np.ceil(2 * float(self.smooth_bins)))
        nn = self.isomap_.nbrs_
        n_q = min(skip + k, nn.n_samples_fit_)
        skip = min(skip, n_q - 1)
        out = np.empty(len(Z))
        for i in range(0, len(Z), EMBED_CHUNK):
            d, _ = nn.kneighbors(Z[i:i + EMBED_CHUNK], n_neighbors=n_q)
            out[i:i + EMBED_CHUNK] = d[:, skip:].mean(1)
        return out

    def angle_or_off_ring(self, X, segment=None) -> tuple[np.ndarray, np.ndarray]:
        """Ring angle of each bin, NaN for bins whose activity lies off the ring, and that distance.

        Parameters
        ----------
        X : array_like, shape (time, neurons)
            Spike counts per bin of the neurons the ring was fitted on (same order).
        segment : array_like, shape (time,), optional
            Label of the contiguous stretch each bin belongs to; smoothing never crosses a change of label.

        Returns
        -------
        angle : ndarray, shape (time,)
            Arc-length angle (radians) as :meth:`transform`; NaN where the bin's activity lies farther
            than ``off_ring_distance_`` from the activity the ring was fitted on (no head direction
            can be read there).
        distance : ndarray, shape (time,)
            Mean distance to the nearest fitted samples, in square-root-count units.
        """
        if not hasattr(self, "isomap_"):
            raise InputError("this RingManifold is not fitted yet; call fit first")
        X = check_activity(X, "counts", ndim=(2,), counts=True)
        check_n_neurons(X, self.n_features_in_, "this ring")
        Z = _smooth(X, float(self.smooth_bins), segment)
        d = self._activity_distance(Z)
        ang = self.curve_angle_[self._nearest(self._embed_smoothed(Z), self.curve_)]
        return np.where(d > self.off_ring_distance_, np.nan, ang), d

    def embed(self, X, segment=None) -> np.ndarray:
        """Embedding ``(time, n_components)`` of counts ``X (time, neurons)``.

        Parameters
        ----------
        X : array_like, shape (time, neurons)
            Spike counts per bin of the neurons the ring was fitted on (same order).
        segment : array_like, shape (time,), optional
            Label of the contiguous stretch each bin belongs to (e.g. ``BinnedData.segment``); smoothing
            never crosses a change of label. Default: one stretch.

        Returns
        -------
        ndarray, shape (time, n_components)
            Isomap coordinates (training samples' embedding extended out of sample).
        """
        if not hasattr(self, "isomap_"):
            raise InputError("this RingManifold is not fitted yet; call fit first")
        X = check_activity(X, "counts", ndim=(2,), counts=True)
        check_n_neurons(X, self.n_features_in_, "this ring")
        return self._embed_smoothed(_smooth(X, float(self.smooth_bins), segment))

    def _embed_smoothed(self, Z: np.ndarray) -> np.ndarray:
        """Isomap embedding of smoothed activity, :data:`EMBED_CHUNK` bins at a time (rows are independent)."""
        if len(Z) <= EMBED_CHUNK:
            return self.isomap_.transform(Z)
        return np.concatenate([self.isomap_.transform(Z[i:i + EMBED_CHUNK]) for i in range(0, len(Z), EMBED_CHUNK)])

    def transform(self, X, segment=None) -> np.ndarray:
        """Angle along the ring (radians, [0, 2π)) of each time bin, shape ``(time,)``.

        Parameters
        ----------
        X : array_like, shape (time, neurons)
            Spike counts per bin of the neurons the ring was fitted on (same order).
        segment : array_like, shape (time,), optional
            Label of the contiguous stretch each bin belongs to (e.g. ``BinnedData.segment``); smoothing
            never crosses a change of label. Default: one stretch.

        Returns
        -------
        ndarray, shape (time,)
            Arc-length angle of each bin's nearest curve point, in radians; origin and direction are arbitrary
            (see :func:`align_angle`).
        """
        return self.curve_angle_[self._nearest(self.embed(X, segment), self.curve_)]


@dataclass(frozen=True)
class AngleAlignment:
    """Offset and direction mapping a ring angle to a tracked angle: ``true ≈ sign·ring + offset``.

    Attributes
    ----------
    sign : int
        +1 when the ring runs the same way as the tracked angle, -1 when it runs the other way.
    offset_rad : float
        Tracked angle at ring angle 0, in radians in [0, 2π).
    """

    sign: int
    offset_rad: float

    def apply(self, angle: np.ndarray) -> np.ndarray:
        """Map ring angles (rad) to the tracked frame: ``sign * angle + offset`` modulo 2π.

        Parameters
        ----------
        angle : ndarray, any shape
            Ring angles in radians (as from :meth:`RingManifold.transform`).

        Returns
        -------
        ndarray, same shape as ``angle``
            Angles in the tracked frame, in radians in [0, 2π).
        """
        return np.mod(self.sign * np.asarray(angle, float) + self.offset_rad, 2 * np.pi)


def align_angle(ring_angle: np.ndarray, true_angle: np.ndarray) -> AngleAlignment:
    """Fit the direction (±1) and offset that best map ``ring_angle`` onto ``true_angle`` (radians).

    Samples with NaN in either are ignored. The direction is the one with the larger
    mean resultant length of the differences; the offset is their circular mean.

    Parameters
    ----------
    ring_angle : ndarray, shape (n,)
        Angles along the ring in radians (arbitrary origin and direction).
    true_angle : ndarray, same shape as ``ring_angle``
        Tracked angles (e.g. head direction) in radians on the same samples; NaN where untracked.

    Returns
    -------
    AngleAlignment
        The direction and offset; apply them with :meth:`AngleAlignment.apply`.

    Raises
    ------
    InputError
        When the shapes differ or fewer than 2 samples have both angles finite.
    """
    a = np.asarray(ring_angle, float)
    t = np.asarray(true_angle, float)
    if a.shape != t.shape:
        raise InputError(f"ring angle {a.shape} and true angle {t.shape} must have the same shape")
    ok = np.isfinite(a) & np.isfinite(t)
    if ok.sum() < 2:
        raise InputError("align_angle needs at least 2 samples with both angles finite")
    best = None
    for s in (1, -1):
        z = np.exp(1j * (t[ok] - s * a[ok])).mean()
        if best is None or abs(z) > best[0]:
            best = (abs(z), s, float(np.mod(np.angle(z), 2 * np.pi)))
    return AngleAlignment(best[1], best[2])


def circular_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Absolute angular difference in radians, in [0, π].

    Parameters
    ----------
    a, b : ndarray, broadcastable shapes
        Angles in radians.

    Returns
    -------
    ndarray, the broadcast shape of ``a`` and ``b``
        ``|a - b|`` wrapped onto the circle, in radians.
    """
    return np.abs(np.angle(np.exp(1j * (np.asarray(a, float) - np.asarray(b, float)))))
