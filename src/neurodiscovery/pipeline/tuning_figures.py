"""Figures of the tuning report section (:func:`.stats_sections.render_tuning`): curves, regions, place
maps, reach direction. Each appends its figure (and key numbers) to the section it is given.
"""
from __future__ import annotations

import numpy as np


def _curve_row(f, family, label, idx, nrow, ncol, start, rnames):
    """Tuning curves of units ``idx`` to ``label`` in subplots ``start + 1 ...`` of an (nrow, ncol) grid."""
    from ..plotting import plot_tuning_curve
    from ..plotting.units import draws_polar

    tc = family.curves[label]
    regions = np.asarray(family.regions).astype(str)
    q = family.q_values("tuning curve", label)
    for k, i in enumerate(idx):
        polar = draws_polar(tc.circular, tc.centres, tc.rates_hz[:, i])  # pitch fills only part of a circle
        ax = f.add_subplot(nrow, ncol, start + k + 1, projection="polar" if polar else None)
        unit = family.units.get(label, "")
        plot_tuning_curve(tc.centres, tc.rates_hz[:, i], tc.circular,
                          label=f"{label}: {regions[i]} u{family.unit_ids[i]} q={q[i]:.2g}", ax=ax,
                          units=f"{label} ({unit or 'no unit recorded'})", color=f"C{rnames.index(regions[i])}")
        if polar:
            ax.set_xticks(np.radians([0, 90, 180, 270]))
            ax.set_xticklabels(["0°", "90°", "180°", "270°"], fontsize=6)
            ax.tick_params(axis="y", labelsize=5)


def _region_figure(family, fig, sec, plt):
    """Per-region information and peak/mean of the primary variable (first column)."""
    from ..plotting import plot_region_comparison

    regions = np.asarray(family.regions).astype(str)
    prim = [lab for lab in family.curves if family.primary and (lab == family.primary
                                                                or lab.startswith(f"{family.primary}."))]
    if not prim or len(set(regions)) < 2:
        return
    tc, label = family.curves[prim[0]], prim[0]
    f, axs = plt.subplots(1, 2, figsize=(7.5, 3.2))
    names = list(dict.fromkeys(regions.tolist()))
    plot_region_comparison({r: tc.information_bits_per_spike[regions == r] for r in names},
                           f"{label} information\n(bits/spike)", ax=axs[0])
    plot_region_comparison({r: tc.peak_to_mean[regions == r] for r in names}, f"{label}\npeak / mean rate",
                           ax=axs[1])
    f.tight_layout()
    sec.figures.append(fig(f, "region_comparison", f"Region comparison of {label} tuning: information (bits/spike) "
                                                   "and peak-to-mean rate ratio of every unit (dots), bar = median."))


def _place_figure(family, fig, sec, plt):
    from ..plotting.stats import plot_place_map

    pm = family.place
    n_units = len(family.regions)
    order = np.argsort(-pm.information_bits_per_spike)[: min(8, n_units)]
    ncol = min(4, len(order))
    nrow = int(np.ceil(len(order) / ncol))
    f = plt.figure(figsize=(3.0 * ncol, 2.8 * nrow))
    regions = np.asarray(family.regions).astype(str)
    q = family.q_values("place map", f"position ({family.position_columns[0]}, {family.position_columns[1]})")
    for k, i in enumerate(order):
        ax = f.add_subplot(nrow, ncol, k + 1)
        plot_place_map(pm, int(i), ax=ax, title=f"{regions[i]} u{family.unit_ids[i]}: "
                       f"{pm.information_bits_per_spike[i]:.2f} bits/spike, q={q[i]:.2g}")
        unit = family.units.get("position", "") or "no unit recorded"
        ax.set_xlabel(f"{family.position_columns[0]} ({unit})")
        ax.set_ylabel(f"{family.position_columns[1]} ({unit})")
    sec.figures.append(fig(f, "place_maps", f"2-D place maps ({family.position_columns[0]}, "
                                            f"{family.position_columns[1]}) of the {len(order)} most spatially "
                                            f"informative of {n_units} units: spikes and occupancy smoothed "
                                            f"(Gaussian, {pm.smoothing_bins:g} bins), rate in Hz; white = visited < "
                                            f"{pm.min_occupancy_s:g} s. Marginal: see the encoding section."))


def _direction_figure(family, fig, sec, plt):
    from ..plotting.stats import plot_direction_tuning

    dt = family.direction
    n_units = len(family.regions)
    order = np.argsort(-dt.r2)[: min(12, n_units)]
    ncol = min(4, len(order))
    nrow = int(np.ceil(len(order) / ncol))
    f = plt.figure(figsize=(3.0 * ncol, 2.4 * nrow))
    for k, i in enumerate(order):
        plot_direction_tuning(dt, int(i), ax=f.add_subplot(nrow, ncol, k + 1))
    sec.figures.append(fig(f, "direction_tuning",
                           f"Rate in the {dt.window_s[0]:g}–{dt.window_s[1]:g} s window after movement onset "
                           f"against reach direction (mean ± SEM over trials) with the cosine fit, for the "
                           f"{len(order)} best-fitted of {n_units} units; title: q within the direction test."))
    from .._utils.quantity import count

    rows = [r for r in family.tests if r["test"] == "direction tuning"]
    sec.key_numbers.append(count("units with marginal reach-direction tuning (cosine fit; BH q ≤ "
                                 f"{family.alpha:g} over the report's tests)",
                                 sum(bool(r["significant_after_fdr"]) for r in rows),
                                 len({r["unit_id"] for r in rows}), "units"))
