"""Which units the decoders read: every unit up to a cap, chosen from spike counts alone beyond it."""
from __future__ import annotations

import numpy as np

#: Bytes one copy of a decoder's spike-history design may take (nested cross-validation holds ~5
#: copies): 32 units x 9 lags over 2 hours of 50 ms bins, the bound under which the 1,000-unit
#: 2-hour session's default analysis peaks at 3.84 GB.
DESIGN_BYTES = 0.35e9


def unit_cap(cfg, n_bins: int, n_lags: int) -> tuple[int, str]:
    """Most units a decoder reads on ``n_bins`` bins, and why: ``max_decoding_units`` or the design's memory.

    Parameters
    ----------
    cfg : AnalysisConfig
    n_bins : int
        Bins of the decoded span.
    n_lags : int
        Bins of the spike-history window.

    Returns
    -------
    (int, str)
    """
    by_memory = max(1, int(DESIGN_BYTES // (8 * max(n_bins, 1) * max(n_lags, 1))))
    if by_memory < cfg.max_decoding_units:
        return by_memory, (f"one copy of the spike-history design ({n_lags} lags x {n_bins} bins) stays within "
                           f"{DESIGN_BYTES / 1e9:.2g} GB")
    return cfg.max_decoding_units, "max_decoding_units"


def decoding_units(b, sl: slice, cap: int, mask=None):
    """Units decoded: ``mask`` (default all), or ``cap`` of them shared among regions, most spikes first.

    Regions take turns (in order of appearance) giving their unit with the most spikes in span
    ``sl`` not yet taken, so a region of low-rate units is not crowded out. Returns None for all
    units, else sorted column indices. Spike totals never look at the behaviour, so the choice
    cannot favour units that happen to fit the test folds.

    Parameters
    ----------
    b : BinnedRecording
    sl : slice  bins of the decoded span
    cap : int   most units
    mask : (units,) bool, optional  candidate units (default all)
    """
    cand = np.arange(b.n_units) if mask is None else np.flatnonzero(mask)
    if len(cand) <= cap:
        return None if mask is None else cand
    totals = b.counts[sl].sum(axis=0)
    regions = np.asarray(b.regions).astype(str)[cand]
    ranked = [cand[regions == r][np.argsort(-totals[cand[regions == r]], kind="stable")]
              for r in dict.fromkeys(regions)]
    picked = [x[k] for k in range(max(len(x) for x in ranked)) for x in ranked if k < len(x)][:cap]
    return np.sort(picked)


def capped_units(b, sl, cfg, notes: list, mask=None):
    """Units decoded in span ``sl`` (None: all), adding a note to ``notes`` when some are left out.

    Parameters
    ----------
    b : BinnedRecording
    sl : slice  bins of the decoded span
    cfg : AnalysisConfig  ``max_decoding_units``, ``bins_before``, ``bins_after``
    notes : list of str   report notes (appended to)
    mask : (units,) bool, optional  candidate units (default all)
    """
    cap, why = unit_cap(cfg, sl.stop - sl.start, cfg.bins_before + cfg.bins_after + 1)
    units = decoding_units(b, sl, cap, mask)
    note = (f"Decoders read at most {cap} of the {b.n_units} units ({why}): regions in turn give their unit with "
            "the most spikes (chosen from spike counts alone).")
    n_cand = b.n_units if mask is None else int(np.sum(mask))
    if units is not None and len(units) < n_cand and note not in notes:
        notes.append(note)
    return units
