"""Section 1: what the recording holds (units per region, epochs, behaviours, trials)."""
from __future__ import annotations

from dataclasses import dataclass

from ..report import Section
from ._inputs import AnalysisInputs


@dataclass(frozen=True)
class SummaryResult:
    """The recording's :meth:`~neurodiscovery.data.Recording.summary` plus totals.

    Attributes
    ----------
    summary : dict
        ``Recording.summary()``: regions, epochs, behaviours, trials.
    n_units, n_spikes : int
    duration_s : float
    time_support_s : tuple of float
        First and last time (s).
    derived : tuple of str
        Behaviours derived by the analysis (e.g. speed from position).
    imaging : str or None
        For an imaging recording, which trace is analysed and how it was made
        (:func:`~neurodiscovery.imaging.describe_preprocessing`); None for spikes.
    trace : str or None
        The analysed trace kind of an imaging recording.
    """

    summary: dict
    n_units: int
    n_spikes: int
    duration_s: float
    time_support_s: tuple
    derived: tuple
    imaging: str | None = None
    trace: str | None = None

    def to_metrics(self) -> dict:
        """The recording summary (``metrics.json["summary"]``)."""
        return self.summary


def compute(inputs: AnalysisInputs, cfg, needs: dict) -> SummaryResult:
    """Summarise the recording."""
    rec = inputs.rec
    imaging = trace = None
    if getattr(rec, "traces", None) is not None:
        from ...imaging import describe_preprocessing

        imaging, trace = describe_preprocessing(rec.traces), rec.traces.kind
    return SummaryResult(rec.summary(), int(rec.n_units), int(rec.n_spikes.sum()), float(rec.duration_s),
                         tuple(float(t) for t in rec.time_support_s), inputs.derived, imaging, trace)


def render(res: SummaryResult, figures) -> Section:
    """Tables of regions, epochs and behaviours; the unit count, regions and duration as key numbers."""
    s = res.summary
    sec = Section("summary", "")
    span = f"over {res.duration_s:.1f} s ({res.time_support_s[0]:.1f}–{res.time_support_s[1]:.1f} s)"
    if res.imaging:
        sec.text.append(f"Calcium imaging: {res.n_units} ROIs (the units of every section below) {span}. "
                        "Rates in later sections are the analysed trace per second, not spikes.")
        sec.text.append(res.imaging)
    else:
        sec.text.append(f"{res.n_units} units, {res.n_spikes} spikes {span}.")
    sec.tables.append(("Units per region", [{"region": r, "units": d["n_units"],
                                             "median rate (Hz)": d["median_rate_hz"]}
                                            for r, d in s["regions"].items()]))
    if s["epochs"]:
        sec.tables.append(("Epochs", [{"epoch": k, "intervals": v["n_intervals"], "total (s)": v["total_s"]}
                                      for k, v in s["epochs"].items()]))
    if s["behaviors"]:
        sec.tables.append(("Behaviours", [{"behavior": k, "columns": ", ".join(b["columns"]),
                                           "units": b["units"] or "–", "circular": b["circular"],
                                           "samples": b["n_samples"], "rate (Hz)": b["sampling_hz"] or float("nan"),
                                           "span (s)": f"{b['t_start_s']:.1f}–{b['t_stop_s']:.1f}"}
                                          for k, b in s["behaviors"].items()]))
    else:
        sec.text.append("This recording holds no behaviour: tuning, behaviour decoding and prediction are skipped.")
    if res.derived:
        sec.text.append("Derived behaviour: " + "; ".join(res.derived) + ".")
    if s["trials"]:
        sec.text.append(f"{s['trials']['n_trials']} trials with columns: {', '.join(s['trials']['columns'])}.")
    from ..._utils.quantity import number_of, quantity

    noun = "ROIs" if res.imaging else "units"
    regions = ", ".join(f"{r} ({d['n_units']})" for r, d in s["regions"].items())
    sec.key_numbers += [number_of(noun, res.n_units, noun, note=f"trace analysed: {res.trace}" if res.trace else None),
                        number_of("regions", len(s["regions"]), "regions", note=f"{noun} per region: {regions}"),
                        quantity("duration", round(float(res.duration_s), 3), "s")]
    return sec
