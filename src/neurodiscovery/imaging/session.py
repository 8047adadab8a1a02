"""Recording-level imaging steps: ΔF/F, spike inference, cell selection, trace choice, files.

Each step takes an imaging :class:`~neurodiscovery.data.Recording` and returns a new one
whose ``traces`` hold the added series; ``traces.meta['preprocessing']`` lists the steps
with their parameters (what a report says about the trace it analysed).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .deconvolve import deconvolve_traces
from .preprocess import (
    delta_f_over_f,
    maximin_baseline,
    percentile_baseline,
    subtract_neuropil,
)

#: the trace analyses use unless told otherwise: non-negative event amounts, which
#: tuning (Skaggs information) and Poisson-model decoders assume; ΔF/F is ``trace="dff"``
DEFAULT_TRACE = "deconvolved"
TRACE_CHOICES = ("deconvolved", "dff", "fluorescence")


def _traces(rec):
    trc = getattr(rec, "traces", None)
    if trc is None:
        raise InputError(f"recording '{getattr(rec, 'name', '?')}' has no imaging traces (it holds spikes)")
    return trc


def _steps(trc) -> list:
    return list(trc.meta.get("preprocessing") or [])


def compute_dff(rec, *, neuropil_coef: float = 0.7, baseline: str = "maximin", window_s: float = 60.0,
                percentile: float = 8.0, sigma_s: float = 0.33):
    """Add ΔF/F: neuropil subtraction ``F - r·Fneu``, slow baseline ``F0``, ``(F - F0)/F0``.

    Parameters
    ----------
    rec : Recording
        Imaging recording holding ``fluorescence`` (and ``neuropil`` for the subtraction;
        without it the step is skipped and noted).
    neuropil_coef : float
        ``r`` (default 0.7).
    baseline : {"maximin", "percentile"}
        :func:`~neurodiscovery.imaging.maximin_baseline` (smoothing ``sigma_s``) or
        :func:`~neurodiscovery.imaging.percentile_baseline` (``percentile``).
    window_s : float
        Baseline window in seconds.
    percentile : float
        Percentile (0-100) of the percentile baseline.
    sigma_s : float
        Smoothing block of the maximin baseline (s).

    Returns
    -------
    Recording
        Traces gain a ``dff`` series (now the analysed one); ``meta['dff_report']`` lists
        constant / floored ROIs (see :mod:`neurodiscovery.imaging.preprocess`).
    """
    trc = _traces(rec)
    if "fluorescence" not in trc.series:
        raise InputError(f"ΔF/F needs raw fluorescence; this recording holds {', '.join(trc.kinds)}")
    raw = trc.series["fluorescence"]
    step = {"step": "dff", "baseline": baseline, "window_s": float(window_s)}
    if "neuropil" in trc.series:
        f = subtract_neuropil(raw, trc.series["neuropil"], neuropil_coef)
        step["neuropil_coef"] = float(neuropil_coef)
    else:
        f = raw
        step["neuropil_coef"] = None  # no neuropil series: nothing subtracted
    if baseline == "maximin":
        f0 = maximin_baseline(f, trc.rate_hz, window_s, sigma_s)
        step["sigma_s"] = float(sigma_s)
    elif baseline == "percentile":
        f0 = percentile_baseline(f, trc.rate_hz, window_s, percentile)
        step["percentile"] = float(percentile)
    else:
        raise InputError(f"baseline must be 'maximin' or 'percentile', got {baseline!r}")
    dff, report = delta_f_over_f(f, f0, raw=raw)
    new = trc.with_series("dff", dff, preprocessing=_steps(trc) + [step], dff_report=report)
    return rec.with_traces(new)


def infer_spikes(rec, *, model: str = "auto", tau_decay_s="session", tau_rise_s: float | None = None,
                 **dff_kwargs):
    """Add OASIS-deconvolved activity (``deconvolved`` series) inferred from ΔF/F.

    ΔF/F is computed first (with ``dff_kwargs``, see :func:`compute_dff`) when the
    recording does not hold it. See :func:`~neurodiscovery.imaging.deconvolve_traces`
    for ``model``, ``tau_decay_s`` and ``tau_rise_s``.

    Parameters
    ----------
    rec : Recording
        Imaging recording.
    model : {"auto", "ar1", "ar2"}
        Calcium dynamics model of OASIS.
    tau_decay_s : float or {"session", "roi", "indicator"}
        Decay time constant in s, or where to take it from (estimated on the session or per
        ROI, or the indicator's known kinetics).
    tau_rise_s : float, optional
        Rise time constant (s), AR(2) only.
    **dff_kwargs
        Passed to :func:`compute_dff` when ΔF/F is not held yet.

    Returns
    -------
    Recording
        ``deconvolved`` is the analysed series; ``traces.meta['deconvolution']`` holds the
        model, decay source, median decay and rise (s) and the constant ROIs.
    """
    trc = _traces(rec)
    if "dff" not in trc.series:
        rec = compute_dff(rec, **dff_kwargs)
        trc = rec.traces
    res = deconvolve_traces(trc.series["dff"], trc.rate_hz, model=model, tau_decay_s=tau_decay_s,
                            tau_rise_s=tau_rise_s, indicator=trc.indicator)
    ok = np.isfinite(res.tau_decay_s)
    info = {"step": "oasis", "model": res.model, "decay_source": res.decay_source,
            "tau_decay_s": float(np.median(res.tau_decay_s[ok])) if ok.any() else None,
            "tau_rise_s": float(np.median(res.tau_rise_s[ok])) if ok.any() else None,
            "constant_rois": res.constant_rois, "input": "dff"}
    new = trc.with_series("deconvolved", res.activity, preprocessing=_steps(trc) + [info], deconvolution=info)
    return rec.with_traces(new)


def select_cells(rec, cell_probability: float = 0.5):
    """Keep the cells, as suite2p decides them: the curated ``iscell`` label, else the probability.

    ROIs with a label are kept when it is 1, whatever their probability (the label is the
    user's curation and is never overridden); ROIs without a label are kept when their
    probability is >= ``cell_probability``; ROIs with neither are kept. Zero cells left is an
    error. The labels and probabilities themselves are never changed.

    Parameters
    ----------
    rec : Recording
        Imaging recording.
    cell_probability : float
        Threshold in [0, 1] on the classifier probability, for ROIs without a label only.

    Returns
    -------
    Recording
        The selected ROIs; ``traces.meta['preprocessing']`` gains a ``cells`` step with the
        counts kept by label, by probability and without either.
    """
    trc = _traces(rec)
    if not 0 <= cell_probability <= 1:
        raise InputError(f"cell probability must be in [0, 1], got {cell_probability}")
    keep, basis = trc.rois.cells(cell_probability)
    step = {"step": "cells", "cell_probability": float(cell_probability), "n_rois": trc.n_rois,
            "kept": int(keep.sum()), **{f"kept_by_{b}": int((keep & (basis == b)).sum())
                                        for b in ("label", "probability", "unknown")},
            "n_labelled": int((basis == "label").sum())}
    if not keep.any():
        raise InputError(f"no ROI of {trc.n_rois} is a cell: {step['n_labelled']} labelled (none 1) and no "
                         f"unlabelled ROI has probability >= {cell_probability}; lower --cell-probability")
    out = rec.select_units(keep) if not keep.all() else rec
    t2 = out.traces
    return out.with_traces(t2.with_meta(preprocessing=_steps(t2) + [step]))


def prepare_imaging(rec, *, trace: str = DEFAULT_TRACE, cell_probability: float | None = 0.5, **kwargs):
    """Cell selection, then the steps the chosen trace needs, then analyse that trace.

    Parameters
    ----------
    rec : Recording
        Imaging recording.
    trace : {"deconvolved", "dff", "fluorescence"}
        Series analyses use (:data:`DEFAULT_TRACE`). A series already in the file is
        used as it is; otherwise it is computed (ΔF/F, then OASIS for ``deconvolved``).
    cell_probability : float or None
        See :func:`select_cells` (the curated label decides; this threshold only applies to
        ROIs without one); None keeps every ROI.
    **kwargs
        Passed to :func:`compute_dff` / :func:`infer_spikes`.
    """
    if trace not in TRACE_CHOICES:
        raise InputError(f"trace must be one of {', '.join(TRACE_CHOICES)}, got {trace!r}")
    trc = _traces(rec)
    if cell_probability is not None:
        rec = select_cells(rec, cell_probability)
    if trace not in trc.series:
        dff_kw = {k: v for k, v in kwargs.items() if k in ("neuropil_coef", "baseline", "window_s",
                                                            "percentile", "sigma_s")}
        if trace == "dff":
            rec = compute_dff(rec, **dff_kw)
        elif trace == "deconvolved":
            rec = infer_spikes(rec, **kwargs)
        else:
            raise InputError(f"this recording has no raw fluorescence; held: {', '.join(trc.kinds)}")
    return rec.with_traces(trace)


def deconvolve_file(path: str | os.PathLike, out: str | os.PathLike | None = None, *, overwrite: bool = False,
                    subject: dict | None = None, **kwargs) -> Path:
    """Read an imaging file, infer spikes, write a NEW file with the added series.

    Parameters
    ----------
    path : path
        Imaging NWB or neurodiscovery NPZ; never modified.
    out : path, optional
        ``.nwb`` or ``.npz``; default ``<stem>_deconvolved<suffix>`` beside the input.
    overwrite : bool
        Replace an existing ``out`` (never the input).
    subject : dict, optional
        Subject fields for an input without a Subject (``subject_id``, ``species``, ``sex``, ``age``).
    **kwargs
        Passed to :func:`infer_spikes` (``model``, ``tau_decay_s``, ``neuropil_coef``...).

    Returns
    -------
    Path
        The written file. An NWB input is written whole (curation, its own series, subject,
        devices) with a new identifier, plus ΔF/F when computed and ``DeconvolvedOASIS``.
    """
    from ..data import read_recording

    path = Path(path)
    out = deconvolve_output_path(path, out, overwrite=overwrite)
    rec = read_recording(path)
    rec = infer_spikes(rec, **kwargs)
    _warn_special_rois(rec, path)
    return write_deconvolved(rec, path, out, overwrite=overwrite, subject=subject)


def deconvolve_output_path(path: str | os.PathLike, out: str | os.PathLike | None = None, *,
                           overwrite: bool = False) -> Path:
    """Where :func:`deconvolve_file` writes, checked before any work is done.

    Parameters
    ----------
    path : path
        The input file.
    out : path, optional
        Requested output; default ``<stem>_deconvolved<suffix>`` beside the input.
    overwrite : bool
        An existing ``out`` may be replaced (never the input).

    Returns
    -------
    Path

    Raises
    ------
    InputError
        When ``out`` is the input, or exists without ``overwrite``.
    """
    path = Path(path)
    out = path.with_name(f"{path.stem}_deconvolved{path.suffix}") if out is None else Path(out)
    if out.resolve() == path.resolve():
        raise InputError(f"--out {out} is the input file; the input is never changed: choose another path")
    if out.exists() and not overwrite:
        raise InputError(f"{out} exists; pass --overwrite (overwrite=True) to replace it")
    return out


def write_deconvolved(rec, path: str | os.PathLike, out: str | os.PathLike, *, overwrite: bool = False,
                      subject: dict | None = None) -> Path:
    """Write a recording with inferred spikes as :func:`deconvolve_file` does (NWB: derived from the input).

    Parameters
    ----------
    rec : Recording
        The input recording with the ``deconvolved`` series (:func:`infer_spikes`).
    path : path
        The input file (an NWB output of an NWB input is written whole from it).
    out : path
        ``.nwb`` or ``.npz`` (from :func:`deconvolve_output_path`).
    overwrite : bool
        Replace an existing ``out``.
    subject : dict, optional
        Subject fields for an input without a Subject (NWB output only).

    Returns
    -------
    Path
        The written file.
    """
    from ..data import write_recording

    path, out = Path(path), Path(out)
    nwb_options = {"subject": subject} if out.suffix.lower() == ".nwb" else {}
    derive = {"source": path} if path.suffix.lower() == ".nwb" and out.suffix.lower() == ".nwb" else {}
    return write_recording(rec, out, overwrite=overwrite, command="deconvolve", **derive, **nwb_options)


def _warn_special_rois(rec, path: Path) -> None:
    """Name, as counts of all ROIs, those whose ΔF/F or inference is not the ordinary kind."""
    import warnings

    from .quality import roi_quality

    flagged = [c for c in roi_quality(rec).counts().values() if c.value]
    if flagged:
        warnings.warn(f"{path.name}: " + "; ".join(f"{c.label}: {c.format()}" for c in flagged), stacklevel=3)


def describe_preprocessing(traces) -> str:
    """One paragraph saying which trace is analysed and how it was made (for reports).

    Parameters
    ----------
    traces : Traces or Recording with traces
    """
    trc = _traces(traces) if not hasattr(traces, "series") else traces
    words = {"deconvolved": "OASIS-deconvolved activity", "dff": "ΔF/F", "fluorescence": "raw fluorescence",
             "spikes_inferred": "inferred spikes"}
    parts = [f"Analysed trace: {words.get(trc.kind, trc.kind)} of {trc.n_rois} ROIs at {trc.rate_hz:.2f} Hz "
             f"(indicator {trc.indicator or 'unknown'})."]
    for s in _steps(trc):
        if s["step"] == "cells":
            parts.append(f"Cells analysed: {s['kept']} of {s['n_rois']} ROIs ({s['kept_by_label']} by the "
                         f"curated iscell label of {s['n_labelled']} labelled ROIs, {s['kept_by_probability']} "
                         f"unlabelled with probability >= {s['cell_probability']:g}, {s['kept_by_unknown']} "
                         "with neither).")
        elif s["step"] == "dff":
            neu = ("no neuropil series, none subtracted" if s["neuropil_coef"] is None
                   else f"neuropil subtracted as F − {s['neuropil_coef']:g}·Fneu")
            base = (f"maximin baseline (σ {s['sigma_s']:g} s, window {s['window_s']:g} s)"
                    if s["baseline"] == "maximin" else
                    f"running {s['percentile']:g}th-percentile baseline over {s['window_s']:g} s")
            parts.append(f"ΔF/F: {neu}; {base}; (F − F0)/F0.")
        elif s["step"] == "oasis":
            tau = "n/a" if s["tau_decay_s"] is None else f"{s['tau_decay_s']:.3f} s"
            parts.append(f"Spike inference: OASIS {s['model'].upper()} on ΔF/F, decay {tau} ({s['decay_source']})"
                         + (f", rise {s['tau_rise_s']:.3f} s" if s["model"] == "ar2" else "") + ".")
    rep = trc.meta.get("nan_frames")
    if rep:
        parts.append("NaN frames interpolated: " + "; ".join(
            f"{k}: {v['n_nan_frames']} frames in {v['n_gaps']} gap(s), longest {v['longest_gap_s']:.2f} s"
            for k, v in rep.items()) + ".")
    if trc.meta.get("transposed"):
        parts.append(f"Series stored (rois, time) and transposed on reading: {', '.join(trc.meta['transposed'])}.")
    dr = trc.meta.get("dff_report") or {}
    odd = {k: v for k, v in dr.items() if v}
    if odd:
        parts.append("ΔF/F special cases (ROI columns): " + "; ".join(f"{k} {v}" for k, v in odd.items()) + ".")
    return " ".join(parts)
