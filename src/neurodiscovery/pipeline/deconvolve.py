"""``deconvolve``: OASIS spike inference from calcium imaging, written to a new file, as a :class:`~.file_command.FileCommand`.

``execute("deconvolve", DeconvolveParams(file="imaging.nwb"))`` is the CLI's path; it writes
``<stem>_deconvolved<suffix>`` beside the input (or ``out``) and never changes the input.
:func:`neurodiscovery.imaging.deconvolve_file` is the same steps as one library call.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .._utils.errors import InputError
from .._utils.params import Params, option
from .file_command import FileCommand

__all__ = ["COMMAND", "DeconvolveParams", "DeconvolveResult"]

_DECAY_SOURCES = ("session", "roi", "indicator")
_SUBJECT = "subject, used only where the input's Subject lacks the field (DANDI needs all four): "


def _decay(text: str) -> float | str:
    """``tau_decay_s`` as infer_spikes takes it: seconds (float) or one of :data:`_DECAY_SOURCES`."""
    if text in _DECAY_SOURCES:
        return text
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"tau_decay_s (--tau-decay) must be seconds > 0 or one of {', '.join(_DECAY_SOURCES)}, "
                         f"got {text!r}")
    return value


@dataclass(frozen=True)
class DeconvolveParams(Params):
    """Parameters of ``deconvolve`` (the CLI options are generated from these declarations)."""

    file: str = option(help="imaging NWB (suite2p/CaImAn layout) or neurodiscovery NPZ; never modified",
                       positional=True)
    out: str | None = option(None, "output .nwb or .npz (default: <name>_deconvolved<suffix> beside the input)",
                             show_default=False)
    overwrite: bool = option(False, "replace --out if it exists (never the input)")
    model: str = option("auto", "AR(1) decay only, AR(2) with the indicator's rise; auto = AR(2) when the rise is "
                        "known", choices=("auto", "ar1", "ar2"))
    tau_decay_s: str = option("session", "decay in seconds, or 'session' (estimated once), 'roi' (per ROI), "
                              "'indicator' (known kinetics)", flag="--tau-decay")
    tau_rise_s: float | None = option(None, "rise time for AR(2)", unit="s", low=0, low_open=True, flag="--tau-rise")
    neuropil_coef: float = option(0.7, "r in F - r*Fneu", low=0)
    baseline: str = option("maximin", "slow-baseline filter for ΔF/F", choices=("maximin", "percentile"))
    baseline_window_s: float = option(60.0, "baseline window", unit="s", low=0, low_open=True,
                                      flag="--baseline-window")
    subject_id: str | None = option(None, _SUBJECT + "identifier, e.g. 'M12'")
    species: str | None = option(None, _SUBJECT + "Latin binomial ('Mus musculus') or an NCBI taxonomy URL")
    sex: str | None = option(None, _SUBJECT + "M, F, O (other) or U (unknown)", choices=("M", "F", "O", "U"))
    age: str | None = option(None, _SUBJECT + "ISO 8601 duration, e.g. P90D (90 days) or a range P60D/P90D")

    def __post_init__(self) -> None:
        super().__post_init__()
        _decay(self.tau_decay_s)


@dataclass(frozen=True)
class DeconvolveResult:
    """Typed result of ``deconvolve``.

    Attributes
    ----------
    params : DeconvolveParams
    recording : Recording
        The input recording with ΔF/F and the ``deconvolved`` series added.
    flagged : tuple of Quantity
        ROIs whose ΔF/F or inference is not the ordinary kind (counts of all ROIs).
    """

    params: DeconvolveParams
    recording: object
    flagged: tuple = ()

    def key_numbers(self) -> list:
        """ROIs deconvolved, the median decay time (s) and the flagged ROIs."""
        from .._utils.quantity import number_of, quantity

        info = self.recording.traces.meta["deconvolution"]
        return [number_of("ROIs deconvolved", self.recording.traces.n_rois, "ROIs"),
                quantity("median decay time constant", info["tau_decay_s"], "s",
                         note=f"{info['model']}, decay from {info['decay_source']}"), *self.flagged]

    def to_metrics(self) -> dict:
        """The deconvolution's model, decay source and median time constants (s)."""
        info = self.recording.traces.meta["deconvolution"]
        return {k: info.get(k) for k in ("model", "decay_source", "tau_decay_s", "tau_rise_s")}


def _load(params: DeconvolveParams):
    from ..data import read_recording
    from ..imaging import deconvolve_output_path

    deconvolve_output_path(params.file, params.out, overwrite=params.overwrite)  # refuse before any work
    return read_recording(params.file)


def compute(params: DeconvolveParams, rec) -> DeconvolveResult:
    """ΔF/F and OASIS spike inference on ``rec`` (no files); special ROIs are counted and warned about."""
    import warnings

    from ..imaging import infer_spikes, roi_quality

    rec = infer_spikes(rec, model=params.model, tau_decay_s=_decay(params.tau_decay_s), tau_rise_s=params.tau_rise_s,
                       neuropil_coef=params.neuropil_coef, baseline=params.baseline,
                       window_s=params.baseline_window_s)
    flagged = tuple(c for c in roi_quality(rec).counts().values() if c.value)
    if flagged:
        warnings.warn(f"{Path(params.file).name}: " + "; ".join(f"{c.label}: {c.format()}" for c in flagged),
                      stacklevel=2)
    return DeconvolveResult(params, rec, flagged)


def _write(result: DeconvolveResult) -> Path:
    from ..imaging import deconvolve_output_path, write_deconvolved

    p = result.params
    out = deconvolve_output_path(p.file, p.out, overwrite=p.overwrite)
    subject = {"subject_id": p.subject_id, "species": p.species, "sex": p.sex, "age": p.age}
    return write_deconvolved(result.recording, p.file, out, overwrite=p.overwrite, subject=subject)


COMMAND = FileCommand(
    "deconvolve", "infer spikes (OASIS) from a calcium-imaging NWB/NPZ and write them to a new file beside it",
    DeconvolveParams, compute, load=_load, write=_write, uses_torch=lambda p: False)
