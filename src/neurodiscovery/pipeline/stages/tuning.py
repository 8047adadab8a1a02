"""Section 3: tuning curves to every behavioural variable, with shuffle significance by region."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._utils.errors import InputError
from ..report import Section
from . import Skipped
from ._inputs import AnalysisInputs, plt, unit_label


@dataclass(frozen=True)
class TuningResult:
    """Tuning curves per variable and their summary by region.

    Attributes
    ----------
    curves : dict of str -> TuningCurves
        Per variable label (``name`` or ``name.column``).
    by_variable_region : tuple of dict
        Per variable and region: units, significant units (p < alpha), median information
        (bits/spike), median peak/mean.
    region_comparison : dict or None
        Per region, for the primary variable: n_units, n_significant, median information,
        median peak/mean (None with one region or no primary variable).
    primary : str or None
        Label of the primary variable compared across regions.
    unit_ids, regions : tuple
    n_shuffles : int
    alpha : float
    notes : tuple of str
        Variables left out and why.
    n_units_primary, n_units_other : int
        How many curves the figures show.
    """

    curves: dict
    by_variable_region: tuple
    region_comparison: dict | None
    primary: str | None
    primary_labels: tuple
    unit_ids: tuple
    regions: tuple
    n_shuffles: int
    alpha: float
    notes: tuple
    n_units_primary: int
    n_units_other: int

    def to_metrics(self) -> dict:
        """Region table, per-unit tuning per variable and the region comparison."""
        m = {"by_variable_region": list(self.by_variable_region),
             "units": {label: [{"unit_id": self.unit_ids[i], "region": self.regions[i],
                                "information_bits_per_spike": float(tc.information_bits_per_spike[i]),
                                "peak_to_mean": float(tc.peak_to_mean[i]), "p_value": float(tc.p_value[i]),
                                "preferred": float(tc.preferred[i]), "mean_rate_hz": float(tc.mean_rate_hz[i])}
                               for i in range(len(self.unit_ids))] for label, tc in self.curves.items()}}
        if self.region_comparison is not None:
            m["region_comparison"] = self.region_comparison
        return m


def _region_rows(label, tc, regions, alpha) -> list[dict]:
    rows = []
    for r in dict.fromkeys(regions):
        m = regions == r
        rows.append({"variable": label, "region": r, "units": int(m.sum()),
                     f"significant (p<{alpha:g})": int((tc.p_value[m] < alpha).sum()),
                     "median info (bits/spike)": float(np.median(tc.information_bits_per_spike[m])),
                     "median peak/mean": float(np.nanmedian(tc.peak_to_mean[m]))})
    return rows


def compute(inputs: AnalysisInputs, cfg, needs: dict) -> TuningResult | Skipped:
    """Tuning curves (:func:`~neurodiscovery.units.tuning_curves`) of every unit to every variable."""
    from ...units import tuning_curves

    rec = inputs.rec
    variables = inputs.behavior_variables()
    if not variables:
        return Skipped("the recording holds no behavioural variables to tune to.")
    b = inputs.binned()
    regions = np.asarray(rec.regions)
    curves, rows, notes = {}, [], []
    for vi, var in enumerate(variables):
        v = b.behavior(var.name)[:, var.column]
        if np.isfinite(v).sum() < cfg.min_tuning_bins:
            notes.append(f"'{var.label}': fewer than {cfg.min_tuning_bins} bins with tracking; not analysed.")
            continue
        try:
            tc = tuning_curves(b.counts, v, b.bin_size_s, var.circular, n_shuffles=cfg.n_shuffles,
                               name=var.label, seed=cfg.seed + vi)
        except InputError as exc:
            notes.append(f"'{var.label}': {exc}")
            continue
        curves[var.label] = tc
        rows += _region_rows(var.label, tc, regions, cfg.alpha)
    prim = tuple(label for label in curves if inputs.is_primary(label))
    comparison = None
    if prim and len(set(regions)) > 1:
        tc = curves[prim[0]]
        comparison = {r: {"variable": prim[0], "n_units": int((regions == r).sum()),
                          "n_significant": int((tc.p_value[regions == r] < cfg.alpha).sum()),
                          "median_information_bits_per_spike":
                              float(np.median(tc.information_bits_per_spike[regions == r])),
                          "median_peak_to_mean": float(np.nanmedian(tc.peak_to_mean[regions == r]))}
                      for r in dict.fromkeys(regions)}
    return TuningResult(curves, tuple(rows), comparison, prim[0] if prim else None, prim,
                        tuple(unit_label(u) for u in rec.unit_ids), tuple(str(r) for r in regions),
                        cfg.n_shuffles, cfg.alpha, tuple(notes), cfg.n_tuning_units_primary, cfg.n_tuning_units_other)


def _curves_figure(res: TuningResult, label: str, tc, primary: bool):
    from ...plotting import plot_tuning_curve

    regions = np.asarray(res.regions)
    order = np.argsort(-tc.information_bits_per_spike)
    idx = np.sort(order[:res.n_units_primary]) if primary else order[:res.n_units_other]
    ncol = min(6, len(idx))
    nrow = int(np.ceil(len(idx) / ncol))
    fig = plt().figure(figsize=(2.1 * ncol, 2.2 * nrow))
    colours = list(dict.fromkeys(res.regions))
    for k, i in enumerate(idx):
        ax = fig.add_subplot(nrow, ncol, k + 1, projection="polar" if tc.circular else None)
        plot_tuning_curve(tc.centres, tc.rates_hz[:, i], tc.circular,
                          label=f"{regions[i]} u{res.unit_ids[i]} p={tc.p_value[i]:.2g}", ax=ax,
                          units=label, color=f"C{colours.index(regions[i])}")
    return fig


def render(res: TuningResult, figures) -> Section:
    """Region table, curve grids per variable, region comparison of the primary variable."""
    from ...plotting import plot_region_comparison

    sec = Section("tuning", "", text=list(res.notes))
    sec.tables.append(("Tuning by variable and region (significance: information vs "
                       f"{res.n_shuffles} time-shifted shuffles)", list(res.by_variable_region)))
    for label, tc in res.curves.items():
        primary = label in res.primary_labels
        kind = "angle (rad); radius = rate (Hz)" if tc.circular else "rate (Hz) vs value"
        who = "units" if primary else f"{res.n_units_other} most informative units"
        sec.figures.append(figures.save(_curves_figure(res, label, tc, primary), f"tuning_{label}",
                                        f"Tuning curves to {label} ({kind}) for the {who}; "
                                        "title gives region, unit and shuffle p-value."))
    if res.region_comparison is not None:
        tc, regions, p = res.curves[res.primary], np.asarray(res.regions), res.primary
        fig, axs = plt().subplots(1, 2, figsize=(7, 3))
        plot_region_comparison({r: tc.information_bits_per_spike[regions == r] for r in dict.fromkeys(regions)},
                               f"{p} information (bits/spike)", ax=axs[0])
        plot_region_comparison({r: tc.peak_to_mean[regions == r] for r in dict.fromkeys(regions)},
                               f"{p} peak / mean rate", ax=axs[1])
        sec.figures.append(figures.save(fig, "region_comparison",
                                        f"Region comparison of {p} tuning: information per spike and "
                                        "peak-to-mean ratio per unit (bar = median)."))
        for r, d in res.region_comparison.items():
            sec.key_numbers.append((f"{r}: {p}-tuned units (p<{res.alpha:g})",
                                    f"{d['n_significant']} / {d['n_units']}, "
                                    f"median peak/mean {d['median_peak_to_mean']:.1f}"))
    return sec

