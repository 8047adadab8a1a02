"""Segmentation metrics: variation of information (split / merge) and adapted Rand error.

Both are computed from one sparse contingency table (``scipy.sparse.coo -> csr``, which
sums duplicate (true, test) pairs), after relabelling both images to consecutive ids so
the table is ``n_true x n_test`` regardless of how large the label values are.

Conventions follow :mod:`skimage.metrics` so numbers agree with it to float precision:

* ``variation_of_information(true, test)`` returns ``(split, merge)`` =
  ``(H(test | true), H(true | test))`` in bits; ``split`` grows with over-segmentation.
* ``adapted_rand_error(true, test)`` ignores voxels whose *true* label is 0 (the ISBI
  2012 convention: membrane voxels are not scored), returns ``(error, precision, recall)``.

The ``foreground`` variants restrict both metrics to voxels where the truth is non-zero
(the ISBI 2012 challenge style), which for VOI means passing ``ignore_labels=(0,)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..._utils.errors import InputError


def _check_pair(true, test) -> tuple[np.ndarray, np.ndarray]:
    true = np.asarray(true)
    test = np.asarray(test)
    if true.shape != test.shape:
        raise InputError(f"ground truth has shape {true.shape} but the segmentation has shape "
                         f"{test.shape}; they must match voxel for voxel")
    if true.size == 0:
        raise InputError("segmentation and ground truth are empty (0 voxels)")
    for name, a in (("ground truth", true), ("segmentation", test)):
        if a.dtype.kind not in "iub":
            raise InputError(f"{name} must hold integer labels, got dtype {a.dtype}")
    return true, test


def contingency_table(true, test, ignore_labels=(), normalize: bool = False) -> sparse.csr_array:
    """Sparse contingency table ``C[i, j]`` = voxels with true id ``i`` and test id ``j``.

    Parameters
    ----------
    true, test : ndarray of int, same shape
        Label images.
    ignore_labels : sequence of int
        Voxels whose *true* label is in this set are not counted.
    normalize : bool
        Divide by the number of counted voxels (a joint probability table).

    Returns
    -------
    scipy.sparse.csr_array (n_true_ids, n_test_ids)
        Rows/columns are consecutive re-indexings of the labels that occur
        (the metrics do not depend on the ids themselves).
    """
    true, test = _check_pair(true, test)
    t = true.reshape(-1)
    s = test.reshape(-1)
    if len(ignore_labels):
        keep = ~np.isin(t, np.asarray(list(ignore_labels)))
        t, s = t[keep], s[keep]
    if t.size == 0:
        raise InputError("no voxels left to score: the ground truth holds only ignored labels")
    # consecutive ids keep the table small even for 64-bit label values
    _, ti = np.unique(t, return_inverse=True)
    _, si = np.unique(s, return_inverse=True)
    data = np.ones(t.size, dtype=np.float64)
    if normalize:
        data /= t.size
    return sparse.coo_array((data, (ti.ravel(), si.ravel())),
                            shape=(int(ti.max()) + 1, int(si.max()) + 1)).tocsr()


def _xlogx(v: np.ndarray) -> np.ndarray:
    out = np.zeros_like(v, dtype=np.float64)
    nz = v > 0
    out[nz] = v[nz] * np.log2(v[nz])
    return out


def variation_of_information(true, test, ignore_labels=(), table=None) -> tuple[float, float]:
    """Split and merge parts of the variation of information, in bits.

    Parameters
    ----------
    true, test : ndarray of int, same shape
        Ground-truth and proposed segmentations.
    ignore_labels : sequence of int
        True labels whose voxels are not scored (``(0,)`` for foreground-restricted VOI).
    table : csr_array, optional
        Precomputed (un-normalised or normalised) contingency table, shape (n_true_ids, n_test_ids); ``true``/``test``
        are then ignored.

    Returns
    -------
    split : float
        ``H(test | true)``: false splits (over-segmentation).
    merge : float
        ``H(true | test)``: false merges (under-segmentation).
    """
    c = contingency_table(true, test, ignore_labels) if table is None else table
    c = sparse.coo_array(c)
    n = c.data.sum()
    p = c.data / n
    pi = np.asarray(c.sum(axis=1)).ravel() / n  # true marginals
    pj = np.asarray(c.sum(axis=0)).ravel() / n  # test marginals
    h_joint = -_xlogx(p).sum()
    h_true = -_xlogx(pi).sum()
    h_test = -_xlogx(pj).sum()
    split = max(h_joint - h_true, 0.0)
    merge = max(h_joint - h_test, 0.0)
    return float(split), float(merge)


def adapted_rand_error(true, test, ignore_labels=(0,), table=None, alpha: float = 0.5
                       ) -> tuple[float, float, float]:
    """Adapted Rand error (Arganda-Carreras et al. 2015), skimage conventions.

    Parameters
    ----------
    true, test : ndarray of int, same shape
    ignore_labels : sequence of int
        True labels not scored; default ``(0,)`` (membrane / unlabelled).
    table : csr_array, optional
        Precomputed un-normalised contingency table, shape (n_true_ids, n_test_ids).
    alpha : float in [0, 1]
        Weight of precision vs recall (0.5: F-score).

    Returns
    -------
    error, precision, recall : float
        ``error = 1 - F``, with precision and recall as defined by
        :func:`skimage.metrics.adapted_rand_error` (pair counts within true rows /
        test columns of the table).
    """
    if not 0.0 <= alpha <= 1.0:
        raise InputError(f"alpha must be in [0, 1], got {alpha}")
    c = contingency_table(true, test, ignore_labels) if table is None else table
    c = sparse.coo_array(c)
    d = c.data.astype(np.float64)
    n = d.sum()
    sum_p2 = d @ d - n
    a = np.asarray(c.sum(axis=1), dtype=np.float64).ravel()
    b = np.asarray(c.sum(axis=0), dtype=np.float64).ravel()
    sum_a2 = a @ a - n
    sum_b2 = b @ b - n
    # A single-voxel-per-object truth has no same-label pairs: define precision/recall
    # as perfect when there is nothing to get wrong, rather than dividing by zero.
    precision = sum_p2 / sum_a2 if sum_a2 > 0 else 1.0
    recall = sum_p2 / sum_b2 if sum_b2 > 0 else 1.0
    denom = alpha * sum_a2 + (1 - alpha) * sum_b2
    f = sum_p2 / denom if denom > 0 else 1.0
    return float(1.0 - f), float(precision), float(recall)


@dataclass
class SegmentationScores:
    """Scores of one segmentation against one ground truth (see :func:`evaluate`).

    Parameters
    ----------
    adapted_rand_error, adapted_rand_precision, adapted_rand_recall : float
        Adapted Rand error (1 - F-score of pair precision and recall) and its precision and
        recall, on foreground voxels of the truth; fractions in [0, 1].
    voi_split, voi_merge : float
        Variation of information, split and merge terms (bits), truth background excluded.
    voi_split_all, voi_merge_all : float
        The same over all voxels, background included (bits).
    n_true, n_test : int
        Object counts in the truth and in the segmentation.
    """

    adapted_rand_error: float
    adapted_rand_precision: float
    adapted_rand_recall: float
    voi_split: float
    voi_merge: float
    voi_split_all: float
    voi_merge_all: float
    n_true: int
    n_test: int

    @property
    def voi(self) -> float:
        """Foreground-restricted VOI, split + merge (bits)."""
        return self.voi_split + self.voi_merge

    def as_dict(self) -> dict:
        """All scores as a flat dict, ``voi`` included."""
        d = dict(self.__dict__)
        d["voi"] = self.voi
        return d


def evaluate(true, test) -> SegmentationScores:
    """All metrics in one pass over one contingency table.

    Parameters
    ----------
    true : ndarray of int, shape (*spatial)
        Ground-truth instances, 0 = membrane / unlabelled (not scored by the
        foreground-restricted metrics).
    test : ndarray of int, same shape
        Proposed segmentation.

    Returns
    -------
    SegmentationScores
        ``adapted_rand_*`` and ``voi_split``/``voi_merge`` restricted to true foreground;
        ``voi_*_all`` over every voxel (true label 0 counted as one segment).
    """
    true, test = _check_pair(true, test)
    full = contingency_table(true, test)
    true_ids = np.unique(true)  # the table's rows, in this order
    rows = true_ids != 0
    if not rows.any():
        raise InputError("ground truth has no foreground (all labels are 0)")
    fg = full[np.flatnonzero(rows)] if not rows.all() else full
    are, prec, rec = adapted_rand_error(None, None, table=fg)
    split, merge = variation_of_information(None, None, table=fg)
    split_all, merge_all = variation_of_information(None, None, table=full)
    return SegmentationScores(are, prec, rec, split, merge, split_all, merge_all,
                              int(rows.sum()), int(len(np.unique(test))))
