"""Spike-history design matrices built from strided views.

A decoder predicting behaviour at time bin ``t`` may use spike counts from
``bins_before`` earlier bins, the current bin and ``bins_after`` later bins. The
window of every sample is a *view* into the count matrix
(:func:`numpy.lib.stride_tricks.sliding_window_view`), so the
``(samples, lags, neurons)`` sequence costs no memory; only the flat
``(samples, lags * neurons)`` layout (which linear algebra needs contiguous)
is materialised.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._utils.errors import InputError
from .._utils.validation import check_array


def n_lags(bins_before: int = 0, bins_after: int = 0, bins_current: bool = True) -> int:
    """Number of time bins in one spike-history window.

    Parameters
    ----------
    bins_before : int
        Bins of spike history before the decoded bin.
    bins_after : int
        Bins after the decoded bin (non-causal decoding).
    bins_current : bool
        Whether the decoded bin itself is in the window.

    Returns
    -------
    int
        ``bins_before + bins_after + bins_current`` (the ``lags`` axis of :func:`lagged_design`).
    """
    return int(bins_before) + int(bins_after) + int(bool(bins_current))


def _check_lags(bins_before, bins_after, bins_current) -> tuple[int, int, bool]:
    for name, v in (("bins_before", bins_before), ("bins_after", bins_after)):
        if int(v) != v or v < 0:
            raise InputError(f"{name} must be a non-negative integer number of bins, got {v!r}")
    bb, ba, bc = int(bins_before), int(bins_after), bool(bins_current)
    if bb + ba + int(bc) == 0:
        raise InputError("the spike-history window is empty: bins_before = bins_after = 0 "
                         "and bins_current = False")
    return bb, ba, bc


def _check_flat_memory(X, n_windows: int, lags: int) -> None:
    from .._utils.resources import array_bytes, check_allocation

    n_samples = (X.shape[0] if X.ndim == 3 else 1) * n_windows
    check_allocation(array_bytes((n_samples, lags, X.shape[-1]), X.itemsize),
                     f"the spike-history design ({n_samples} samples x {lags} lags x {X.shape[-1]} units)",
                     "use fewer --bins-before/--bins-after, a larger --bin-size, or fewer units (--regions)")


def _within_segments(view, t_index, segment, n_time: int, bb: int, ba: int):
    """Windows (and their time bins) that lie inside one segment of ``segment`` (all if None)."""
    if segment is None:
        return view, t_index
    seg = np.asarray(segment)
    if seg.shape != (n_time,):
        raise InputError(f"segment has shape {seg.shape}, expected ({n_time},) like X's time axis")
    ok = seg[t_index - bb] == seg[t_index + ba]
    if not ok.all():
        view, t_index = view[ok], t_index[ok]
    if len(t_index) == 0:
        raise InputError("no spike-history window fits inside a single recording segment; "
                         "use fewer bins_before/bins_after")
    return view, t_index


def lagged_design(
    X,
    bins_before: int = 0,
    bins_after: int = 0,
    bins_current: bool = True,
    flat: bool = True,
    segment=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Spike-history design for every time bin whose window lies inside the data.

    Parameters
    ----------
    X : array_like, shape (time, neurons) or (trials, time, neurons)
        Binned spike counts (or any time-major features). For trials, windows never
        cross a trial boundary.
    bins_before, bins_after : int
        Number of bins before / after the predicted bin included in the window.
    bins_current : bool
        Include the predicted bin itself.
    flat : bool
        If True return ``(samples, lags * neurons)`` (lag-major columns: all neurons of
        the earliest lag first); otherwise ``(samples, lags, neurons)``, a read-only
        strided view of ``X`` for 2-D input when ``bins_current`` is True or the dropped
        current bin sits at a window edge (and no window is removed by ``segment``).
    segment : array_like of int, shape (time,), optional
        Contiguous-interval label of each bin (``BinnedRecording.segment``); windows that
        would span two segments (a hole in the recording) are left out. 2-D ``X`` only.

    Returns
    -------
    design : ndarray, shape (samples, lags * neurons) or (samples, lags, neurons)
        Lag 0 is the earliest bin (``t - bins_before``).
    sample_index : ndarray of int, shape (samples,)
        Time bin predicted by each row (for trials: ``trial * n_time + t``), so that
        ``y[sample_index]`` aligns the behaviour with the design.

    Raises
    ------
    InputError
        If there are fewer time bins than the window needs.
    """
    bb, ba, bc = _check_lags(bins_before, bins_after, bins_current)
    X = check_array(X, "spike counts X (time, neurons)", ndim=(2, 3))
    width = bb + ba + 1  # window including the current bin; dropped below if not wanted
    n_time = X.shape[-2]
    if n_time < width:
        raise InputError(
            f"too few time bins for the spike-history window: {n_time} bins, but bins_before={bb} "
            f"+ current + bins_after={ba} needs at least {width} (and more to train on)")
    if flat:  # the flat design is a copy: lags x neurons per sample
        _check_flat_memory(X, n_time - width + 1, bb + ba + int(bc))
    time_axis = X.ndim - 2
    # sliding_window_view appends the window axis last: (..., samples, neurons, width)
    view = sliding_window_view(X, window_shape=width, axis=time_axis)
    view = np.swapaxes(view, -1, -2)  # (..., samples, width, neurons), still a view
    if not bc:
        if ba == 0:
            view = view[..., :bb, :]
        elif bb == 0:
            view = view[..., 1:, :]
        else:  # the current bin is inside the window: a strided view cannot skip it
            keep = np.r_[0:bb, bb + 1:width]
            view = view[..., keep, :]
    t_index = np.arange(bb, n_time - ba)
    if X.ndim == 3 and segment is not None:
        raise InputError("segment applies to continuous (time, neurons) input; trials never share windows")
    if X.ndim == 3:
        n_trials = X.shape[0]
        sample_index = (np.arange(n_trials)[:, None] * n_time + t_index[None, :]).ravel()
        view = view.reshape((-1,) + view.shape[-2:])  # copies only if it must
    else:
        view, sample_index = _within_segments(view, t_index, segment, n_time, bb, ba)
    if flat:
        design = np.ascontiguousarray(view).reshape(view.shape[0], -1)
        return design, sample_index
    return view, sample_index


def infer_n_lags(X, sample_index=None, max_pairs: int = 500) -> int:
    """Lags of a lag-major flat spike-history design, found from its shift structure (1 if none).

    In a design from :func:`~neurodiscovery.decoding.lagged_design` with ``L`` lags of ``N``
    neurons, the row of time ``t + 1`` holds in its first ``(L - 1) * N`` columns what the row
    of ``t`` holds in its last ``(L - 1) * N``. The largest ``L`` (dividing the column count)
    for which this holds exactly on up to ``max_pairs`` pairs of consecutive samples (not
    all zero) is returned.

    Parameters
    ----------
    X : array_like, shape (samples, features)
    sample_index : array_like of int, shape (samples,), optional
        Time bin of each row: only rows one bin apart are compared.
    max_pairs : int
        Most pairs of consecutive rows compared (the first ones).

    Returns
    -------
    int
    """
    X = np.asarray(X)
    if X.ndim != 2 or len(X) < 2:
        return 1
    idx = np.arange(len(X)) if sample_index is None else np.asarray(sample_index)
    pairs = np.flatnonzero(np.diff(idx) == 1)[:max_pairs]
    if len(pairs) == 0:
        return 1
    a, b = X[pairs], X[pairs + 1]
    n_feat = X.shape[1]
    for n_lags in range(n_feat, 1, -1):
        if n_feat % n_lags:
            continue
        n = n_feat // n_lags
        prev, nxt = a[:, n:], b[:, : n_feat - n]
        if np.array_equal(prev, nxt) and np.any(prev != 0):
            return n_lags
    return 1


def window_sum(design_seq: np.ndarray) -> np.ndarray:
    """Spike counts summed over the lags of a ``(samples, lags, neurons)`` design.

    Used by count-based decoders (Poisson naive Bayes), which see the whole window as
    one longer bin.

    Parameters
    ----------
    design_seq : ndarray, shape (samples, lags, neurons)
        Spike-history design in sequence layout (:func:`lagged_design` with ``flat=False``), raw counts.

    Returns
    -------
    ndarray, shape (samples, neurons)
        Spike counts per sample over the whole window.
    """
    design_seq = np.asarray(design_seq)
    if design_seq.ndim != 3:
        raise InputError(f"window_sum needs a (samples, lags, neurons) array, got shape {design_seq.shape}")
    return design_seq.sum(axis=1)
