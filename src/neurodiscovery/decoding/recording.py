"""Decoding a behaviour from a :class:`~neurodiscovery.data.Recording`."""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError
from ..data.binning import check_binning_memory
from .crossval import DEFAULT_DECODERS, DecodingResult, cross_validate_decoders


def decode_recording(rec, target: str, *, epoch: str | None = None, bin_size_s: float = 0.05,
                     decoders=DEFAULT_DECODERS, regions=None,
                     **cv_kwargs) -> DecodingResult:
    """Bin a recording and cross-validate decoders of one behaviour.

    Parameters
    ----------
    rec : Recording
    target : str
        Behaviour name (``rec.behavior_names``); circular behaviours (angles) are decoded
        as (cos, sin) and scored by angular error too.
    epoch : str, optional
        Restrict to this epoch (e.g. ``"wake"``).
    bin_size_s : float
        Bin width in seconds.
    decoders : sequence of str
        See :func:`cross_validate_decoders`.
    regions : sequence of str, optional
        Use only units from these regions (e.g. ``["adn"]``).
    **cv_kwargs
        Passed to :func:`cross_validate_decoders` (``n_splits``, ``bins_before``, ...).

    Returns
    -------
    DecodingResult
        ``config`` also records ``target``, ``epoch``, ``bin_size_s``, ``unit_ids``,
        ``regions`` and the behaviour's units and columns; ``t_s`` holds the bin centres (s).
    """
    names = list(rec.behavior_names)
    if target not in names:
        raise InputError(f"unknown target '{target}'; available behaviours: "
                         f"{', '.join(names) if names else 'none (this recording has no behaviour)'}")
    if regions is not None:
        regions = [regions] if isinstance(regions, str) else list(regions)
        have = list(dict.fromkeys(np.asarray(rec.regions).tolist()))
        unknown = [r for r in regions if r not in have]
        if unknown:
            raise InputError(f"unknown region(s) {unknown}; available: {', '.join(map(str, have))}")
        rec = rec.select_units(np.isin(np.asarray(rec.regions), regions))
    lags = int(cv_kwargs.get("bins_before", 4)) + int(cv_kwargs.get("bins_after", 4)) + 1
    # counts, the lagged design and a sqrt-transformed copy of it, before any of them exists
    check_binning_memory(rec, bin_size_s, epoch=epoch, columns_per_bin=rec.n_units * (2 * lags + 1) + 8,
                         what="decoding with a spike-history design",
                         change="use a larger --bin-size, fewer --bins-before/--bins-after, an --epoch "
                                "or fewer units (--regions)")
    b = rec.bin(bin_size_s, epoch=epoch, behaviors=[target])
    y = b.behavior(target)
    circular = b.is_circular(target)
    if circular and y.shape[1] != 1:
        raise InputError(f"circular behaviour '{target}' has {y.shape[1]} columns; expected one angle")
    cols = list(b.columns.get(target, ())) or None
    out_names = None if circular else (cols if cols and len(cols) == y.shape[1] else None)
    # counts (spikes, deconvolved activity) are square-rooted; signed traces such as ΔF/F are not
    cv_kwargs.setdefault("transform", "sqrt" if (b.counts >= 0).all() else "none")
    res = cross_validate_decoders(b.counts, y, decoders, circular=circular, segment=b.segment,
                                  output_names=out_names, **cv_kwargs)
    res.config.update({
        "target": target, "epoch": epoch, "bin_size_s": float(bin_size_s),
        "unit_ids": np.asarray(b.unit_ids).tolist(), "regions": np.asarray(b.regions).tolist(),
        "target_units": b.units.get(target, ""), "target_columns": list(b.columns.get(target, ())),
        "recording": getattr(rec, "name", None), "t_s_first_bin": float(b.t_s[0]) if len(b.t_s) else None,
    })
    res.t_s = np.asarray(b.t_s)  # bin centres: t_s[predictions[d].sample_index] are the prediction times
    return res
