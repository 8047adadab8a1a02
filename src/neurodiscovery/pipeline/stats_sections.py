"""Report sections for the corrected tuning tests, the GLM attribution and the nested decoding headline.

Each ``render_*`` function turns typed results (:mod:`neurodiscovery.analyses.tuning`,
:class:`~neurodiscovery.decoding.NestedDecodingResult`) into a :class:`~.report.Section`
whose tables have word headers and units, whose captions say what is drawn, and whose
metrics carry raw and adjusted p-values. ``fig(figure, stem, caption)`` saves a figure
and returns its :class:`~.report.Figure`.
"""
from __future__ import annotations

import numpy as np

from .._utils.quantity import count
from .report import Section
from .tuning_figures import _curve_row, _direction_figure, _place_figure, _region_figure


def _uid(v):
    return v.item() if hasattr(v, "item") else v


def _plt():
    import matplotlib.pyplot as plt  # the caller (execute / analyze) keeps figures off-screen; no backend switch

    return plt


def tuning_rows(family) -> list[dict]:
    """Counts per test, variable and region: tuned after FDR and at raw p < 0.05."""
    rows = []
    keys = list(dict.fromkeys((r["test"], r["variable"], r["region"]) for r in family.tests))
    for test, var, reg in keys:
        sel = [r for r in family.tests if (r["test"], r["variable"], r["region"]) == (test, var, reg)]
        rows.append({"test": test, "variable": var, "region": reg, "units": len(sel),
                     "tuned after FDR (q ≤ 0.05; marginal, other variables not controlled)":
                         sum(r["significant_after_fdr"] for r in sel),
                     "raw p < 0.05": sum(r["p_value"] < 0.05 for r in sel),
                     "median statistic": float(np.median([r["value"] for r in sel])),
                     "statistic": sel[0]["statistic"]})
    return rows


def render_tuning(family, *, fig) -> Section:
    """Tuning section: FDR-corrected test table, tuning-curve, place-map and direction figures."""
    sec = Section("tuning", "", text=list(family.notes))
    key_numbers = sec.key_numbers
    primary = family.primary
    regions = np.asarray(family.regions).astype(str)
    n_units = len(regions)
    rnames = list(dict.fromkeys(regions.tolist()))
    sec.text.append(f"{family.n_tests} tests (unit × variable, place maps, reach direction) are corrected together "
                    f"by Benjamini–Hochberg at FDR {family.alpha:g}. Tuning curves and place maps: information "
                    f"against {family.n_shuffles} circular time shifts of the spikes (each ≥ 20 s); reach direction: "
                    f"cosine R² against {family.n_shuffles} permutations of the trial labels. Marginal tests do not "
                    "control for other variables: see the encoding section for what each unit encodes once the "
                    "others are accounted for.")
    sec.tables.append((f"Tuning tests by variable and region ({family.n_tests} tests, BH-FDR {family.alpha:g})",
                       tuning_rows(family)))
    plt = _plt()
    prim = [lab for lab in family.curves if primary is not None and (lab == primary or lab.startswith(f"{primary}."))]
    for label in prim:
        tc = family.curves[label]
        n_show = min(24, n_units)
        idx = np.sort(np.argsort(-tc.information_bits_per_spike)[:n_show])
        ncol = min(4, len(idx))  # 4 panels across the page's width: each about 260 px, readable
        nrow = int(np.ceil(len(idx) / ncol))
        f = plt.figure(figsize=(3.0 * ncol, 3.0 * nrow))
        _curve_row(f, family, label, idx, nrow, ncol, 0, rnames)
        which = (f"all {n_units} units" if n_show == n_units else f"the {n_show} most informative of {n_units} units")
        kind = "angle; radius = rate (Hz)" if tc.circular else "rate (Hz) against value"
        sec.figures.append(fig(f, f"tuning_{label.replace('.', '_')}",
                               f"Tuning curves to {label} ({kind}) for {which}; title: region, unit and FDR-adjusted "
                               f"q. Gaps: bins visited for less than 0.5 s are not drawn. Click for full resolution."))
    others = [lab for lab in family.curves if lab not in prim]
    if others:
        # one figure for every other variable (a row each): one save instead of one per variable
        n_show = min(4, n_units)
        f = plt.figure(figsize=(3.0 * n_show, 3.0 * len(others)))
        for row, label in enumerate(others):
            idx = np.argsort(-family.curves[label].information_bits_per_spike)[:n_show]
            _curve_row(f, family, label, idx, len(others), n_show, row * n_show, rnames)
        sec.figures.append(fig(f, "tuning_other_variables",
                               f"Tuning curves, one row per variable ({', '.join(others)}), for the {n_show} most "
                               f"informative of {n_units} units in each row (polar rows: angle, radius = rate in Hz, "
                               "for angles whose visited bins fill at least 3/4 of the circle; other rows: rate in Hz "
                               "against the value, angles in degrees over the visited arc); title: variable, region, "
                               "unit and FDR-adjusted q. Gaps: bins visited for less than 0.5 s. Click for full "
                               "resolution."))
    _region_figure(family, fig, sec, plt)
    if family.place is not None:
        _place_figure(family, fig, sec, plt)
    if family.direction is not None:
        _direction_figure(family, fig, sec, plt)
    if primary is not None:
        key_numbers += marginal_counts(family, primary)
    return sec


def marginal_counts(family, primary: str) -> list:
    """Per region: units whose marginal tuning to ``primary`` (any of its columns) survives BH, out of units tested.

    A behaviour with several columns (``hand_velocity.x``, ``.y``) has one test per unit and column;
    a unit counts once if any of its tests survives, so the count and its denominator are units.

    Returns
    -------
    list of Quantity
    """
    out = []
    for r in dict.fromkeys(np.asarray(family.regions).astype(str).tolist()):
        q = [x for x in family.tests if x["test"] == "tuning curve" and x["region"] == r and np.isfinite(x["p_value"])
             and (x["variable"] == primary or x["variable"].startswith(f"{primary}."))]
        if not q:
            continue
        tested = list(dict.fromkeys(x["unit_id"] for x in q))
        tuned = {x["unit_id"] for x in q if x["significant_after_fdr"]}
        cols = sorted({x["variable"] for x in q})
        what = primary if len(cols) == 1 else f"{primary} (any of {', '.join(cols)})"
        out.append(count(f"{r}: units with marginal {what} tuning (BH q ≤ {family.alpha:g}; other variables "
                         "not controlled)", len(tuned), len(tested), "units",
                         test=f"circular-shift null, {family.n_shuffles} shifts, BH over {family.n_tests} tests"))
    return out


def _encoding_rows(analysis) -> list[dict]:
    em = analysis.models
    rows = []
    for i, u in enumerate(em.units):
        row = {"unit": _uid(analysis.unit_ids[i]), "region": str(analysis.regions[i]),
               "encodes (selected model)": " + ".join(u.selected) or "none"}
        for v in em.variables:
            row[f"{v} alone (bits/spike)"] = u.cv_bits_per_spike.get(v, float("nan"))
        key = "+".join(u.selected)
        row["selected model (bits/spike)"] = u.cv_bits_per_spike.get(key, 0.0) if key else 0.0
        lo, hi = u.cv_bits_per_spike_ci.get(key, (float("nan"), float("nan"))) if key else (float("nan"),) * 2
        row["95 % fold-bootstrap CI (bits/spike)"] = f"{lo:.2f} to {hi:.2f}" if key else "–"
        rows.append(row)
    return rows


def _encoding_summary(analysis) -> list[dict]:
    em = analysis.models
    out = []
    for r in dict.fromkeys(np.asarray(analysis.regions).tolist()):
        m = np.asarray(analysis.regions) == r
        entry = {"region": r, "units": int(m.sum())}
        for v in em.variables:
            entry[f"encode {v}"] = int(em.encodes(v)[m].sum())
        entry["encode none"] = int(sum(not em.units[i].selected for i in np.flatnonzero(m)))
        out.append(entry)
    return out


def encoding_metrics(analysis) -> dict:
    """JSON-ready GLM results: per unit (selected variables, gains, steps) and per region."""
    em = analysis.models
    return {"units": [{"unit_id": _uid(analysis.unit_ids[i]), "region": str(analysis.regions[i]),
                       "selected": list(u.selected), "cv_bits_per_spike": u.cv_bits_per_spike,
                       "cv_bits_per_spike_ci": u.cv_bits_per_spike_ci, "forward_steps": [list(s) for s in u.steps]}
                      for i, u in enumerate(em.units)],
            "by_region": _encoding_summary(analysis), "n_folds": em.n_folds, "alpha": em.alpha,
            "bin_size_s": analysis.bin_size_s, "n_bins_used": em.n_samples, "penalty": em.penalty,
            "n_nodes": em.n_nodes, "position_columns": list(analysis.position_columns or [])}


def glm_counts(analysis) -> list:
    """Per region and GLM variable: units whose selected model holds it (the confound-controlled count).

    Returns
    -------
    list of Quantity
        ``k of n units``: a variable counts only where it adds cross-validated likelihood beyond
        the other variables.
    """
    em = analysis.models
    out = []
    for entry in _encoding_summary(analysis):
        for v in em.variables:
            out.append(count(f"{entry['region']}: units encoding {v} beyond the other variables (GLM forward "
                             "selection)", entry[f"encode {v}"], entry["units"], "units",
                             test=f"{em.n_folds}-fold cross-validated likelihood, signed-rank p < {em.alpha:g}"))
    return out


def render_encoding(analysis, *, fig) -> Section:
    """Encoding section: the forward-selected GLM of every unit and per-region attribution."""
    from ..plotting.stats import plot_glm_attribution

    sec = Section("encoding", "")
    em = analysis.models
    pos = f"position ({', '.join(analysis.position_columns)})" if analysis.position_columns else "position"
    names = ", ".join(pos if v == "position" else v.replace("_", " ") for v in em.variables)
    sec.text.append(
        f"Poisson GLM per unit on {analysis.bin_size_s * 1000:g} ms bins with {names} on tent "
        f"bases (head direction {em.n_nodes.get('head_direction', '–')} circular nodes; position "
        f"{em.n_nodes.get('position', '–')}×{em.n_nodes.get('position', '–')} grid; speed {em.n_nodes.get('speed', '–')} "
        f"nodes) with roughness penalties; forward selection by {em.n_folds}-fold blocked cross-validated "
        f"log-likelihood, a variable is added when a one-sided signed-rank test over the folds gives p < {em.alpha:g} "
        f"(Hardcastle et al. 2017). A unit is called position-tuned only if position adds cross-validated likelihood "
        f"beyond the other variables.")
    rows = _encoding_rows(analysis)
    sec.tables.append(("Selected model per unit; gains are held-out log-likelihood over the unit's mean rate "
                       f"(bits per spike, {em.n_folds} blocked folds pooled)", rows))
    summary = _encoding_summary(analysis)
    sec.key_numbers += glm_counts(analysis)
    sec.tables.append(("Units per region whose selected model contains each variable", summary))
    sec.figures.append(fig(plot_glm_attribution(em, groups=analysis.regions).figure, "encoding_glm",
                           "Number of units per selected GLM (variables that each add cross-validated likelihood), "
                           "bars coloured by region."))
    return sec


def decoding_rows(results: dict, bin_size_s: float, units: dict, key: str = "behavior") -> list[dict]:
    """One labelled row per nested decoding result (behaviour or region)."""
    rows = []
    for name, r in results.items():
        c = r.config
        unit = units.get(name, "") if key == "behavior" else next(iter(units.values()), "")
        target = "(cos, sin) of the angle" if c["circular"] else ", ".join(c["output_names"])
        row = {key: name, "target (as decoded)": target, "decoder chosen in training folds": ", ".join(
            sorted(set(r.chosen))), "units decoded": c.get("n_units"), "R² (pooled test folds)": r.r2_pooled,
            "R² 95 % CI": f"{r.ci.r2[0]:.3f} to {r.ci.r2[1]:.3f}",
            "R² per fold (mean ± SD)": f"{r.r2_mean:.3f} ± {r.r2_sd:.3f}", "permutation p": r.p_value,
            "smallest attainable p": r.min_p,
            "null R² median / 95th pct.": f"{r.null_quantile(0.5):.2f} / {r.null_quantile(0.95):.2f}"}
        if r.median_error_deg is not None:
            row["median angular error (°)"] = r.median_error_deg
            row["median error 95 % CI (°)"] = f"{r.ci.median_error_deg[0]:.1f} to {r.ci.median_error_deg[1]:.1f}"
        else:
            row[f"RMSE ({unit or 'a.u.'})"] = r.rmse_mean
        row["bin (ms)"] = bin_size_s * 1000
        row["lags (bins before / after)"] = f"{c['bins_before']} / {c['bins_after']}"
        rows.append(row)
    return rows


def headline_quantities(name: str, res, bin_size_s: float) -> list:
    """Key numbers of a nested decoding result: R² (CI, shift-null p) and, for angles, the median error.

    Parameters
    ----------
    name : str
        Behaviour name.
    res : NestedDecodingResult
    bin_size_s : float
        Bin width (s).

    Returns
    -------
    list of Quantity
    """
    from .._utils.quantity import quantity

    c = res.config
    tgt = "(cos, sin)" if c["circular"] else ", ".join(c["output_names"])
    how = (f"{', '.join(sorted(set(res.chosen)))} chosen in training folds; {c.get('n_units')} units; "
           f"{bin_size_s * 1000:g} ms bins, {c['bins_before']} before / {c['bins_after']} after; per-fold R² "
           f"{res.r2_mean:.2f} ± {res.r2_sd:.2f}; null R² median {res.null_quantile(0.5):.2f}, 95th percentile "
           f"{res.null_quantile(0.95):.2f}; smallest attainable p {res.min_p:.2g}")
    ci_kind = f"{int(res.ci.level * 100)} % circular block bootstrap CI"
    test = res.null_description()
    out = [quantity(f"{name} decoding R² on {tgt} (nested choice, held-out folds pooled)", res.r2_pooled, "1",
                    interval=tuple(res.ci.r2), interval_kind=ci_kind, test=test, p=res.p_value, note=how)]
    if res.median_error_deg is not None:
        out.append(quantity(f"{name} decoding median absolute error (nested choice, held-out folds)",
                            res.median_error_deg, "deg", interval=tuple(res.ci.median_error_deg),
                            interval_kind=ci_kind))
    return out


def render_nested(name: str, res, *, fig, bin_size_s: float) -> tuple[list, list, list, dict]:
    """Text, tables, figures and metrics of one nested decoding result (the caller adds them to its section)."""
    from ..decoding.nested import HEADLINE_R2
    from ..plotting.stats import plot_null_distribution

    c = res.config
    text = [f"{name}: {res.summary()}. Bins of {bin_size_s * 1000:g} ms; spike-history window "
            f"{c['bins_before']} bins before and {c['bins_after']} after; gap {c['gap']} bins between training and "
            f"test (and between inner fit and validation) blocks. Null: {'; '.join(sorted(set(res.null_scheme)))}. "
            f"Interval: {res.ci.method}. Headline R²: {HEADLINE_R2}."]
    per = [{"candidate decoder": r["candidate"], "test R² (fold mean)": r["test_r2_mean"],
            "test R² (SD over folds)": r["test_r2_sd"], "inner validation R² (mean)": r["validation_r2_mean"],
            "folds chosen in": r["times_chosen"]} for r in res.candidate_table()]
    tables = [(f"{name}: per-decoder outer-fold scores (comparison only; the headline is the nested choice, "
               "not the maximum of this column)", per)]
    f = plot_null_distribution(res.null_r2, res.null_observed_r2, p_value=res.p_value,
                               xlabel=f"{name}: cross-validated R² (pooled test folds)").figure
    figs = [fig(f, f"null_{name}", f"{name}: pooled test R² of the nested choice (red) against its null (grey): "
                                   f"{res.null_description()}.")]
    return text, tables, figs, res.to_dict()
