"""The cross-session summary of a batch: ``summary.json``, ``sessions.csv``, ``summary.html``.

Every number is read back from a session's ``metrics.json`` (never recomputed) and says what it
is computed on: the fraction of a session's units whose marginal tuning to a variable survives the
report's Benjamini–Hochberg correction over all its tuning tests (BH q ≤ alpha; circular-shift
nulls); the cross-validated R² of a behaviour with the decoder chosen inside each training fold
(nested selection, so several decoders may be named; R² pooled over the outer test folds, mean over
outputs), the median R² of its circular-shift permutation null (the chance control) and the
permutation p; the median angular error (degrees) of circular behaviours and the RMSE (the
behaviour's units) of the others, in separate columns. ``summary.json`` also holds the analysis
settings of the batch (``batch.json``). Folders written by earlier versions (per-decoder tables,
uncorrected tuning p) are read in their own layout.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from .._utils.runfolder import write_json

__all__ = ["session_metrics", "write_summary"]

SUMMARY_SCHEMA = {"name": "neurodiscovery.analyze.batch_summary", "version": 2}
#: Subject column of a session whose file names no subject (NWB ``general/subject/subject_id``).
NO_SUBJECT = "(not named in the file)"


_TUNING_TESTS = {"tuning curve": None, "place map": "position (place map)", "direction tuning": "reach direction"}


def _tuned_fractions(tuning: dict) -> dict:
    if "tests" in tuning:  # one BH family of every tuning test (issue 11 layout)
        groups: dict = {}
        for t in tuning["tests"]:
            if t.get("test") in _TUNING_TESTS:
                key = _TUNING_TESTS[t["test"]] or t.get("variable")
                groups.setdefault(key, []).append(bool(t.get("significant_after_fdr")))
        return {v: sum(x) / len(x) for v, x in groups.items() if x}
    counts: dict = {}
    for row in tuning.get("by_variable_region", []):
        sig = next((v for k, v in row.items() if k.startswith("significant")), None)
        if sig is None:
            continue
        n, k = counts.get(row["variable"], (0, 0))
        counts[row["variable"]] = (n + int(row["units"]), k + int(sig))
    return {v: (k / n if n else None) for v, (n, k) in counts.items()}


def _best(rows: list, control: str) -> dict | None:
    rows = [r for r in rows if r.get("control") == control and r.get("r2_mean") is not None]
    return max(rows, key=lambda r: r["r2_mean"]) if rows else None


def _decoding(dec: dict) -> dict:
    out = {}
    # run folders written before the API spelling settled on "behavior" hold "behaviours" (resume)
    for beh, entry in (dec.get("behaviors") or dec.get("behaviours") or {}).items():
        if "chosen" in entry:  # nested selection (issue 11 layout)
            angular = entry.get("median_error_deg")
            r2 = entry.get("r2_pooled", entry.get("r2_mean"))
            out[beh] = {"decoders_chosen_in_folds": ", ".join(sorted(set(entry["chosen"]))), "r2": r2,
                        "r2_measure": "pooled over test folds" if "r2_pooled" in entry else "mean over test folds",
                        "median_angular_error_deg": angular,
                        "rmse": None if angular is not None else entry.get("rmse_mean"),
                        "shifted_r2": (entry.get("null_r2_quantiles") or {}).get("50%"),
                        "p_value": entry.get("p_value"), "n_units": entry.get("n_units")}
            continue
        best, shifted = _best(entry.get("table", []), "none"), _best(entry.get("table", []), "shifted")
        if best is None:
            continue
        angular = best.get("median_angular_error_deg")
        out[beh] = {"decoders_chosen_in_folds": best["decoder"], "r2": best["r2_mean"],
                    "r2_measure": "mean over test folds (highest of the decoders compared)",
                    "median_angular_error_deg": angular, "rmse": None if angular is not None else best.get("rmse_mean"),
                    "shifted_r2": None if shifted is None else shifted["r2_mean"]}
    return out


def session_metrics(run_folder: str | Path) -> dict:
    """The cross-session numbers of one complete session run folder.

    Returns
    -------
    dict
        ``n_units``, ``units_per_region`` (region -> count), ``fraction_tuned`` (variable ->
        fraction of all units with BH q ≤ alpha), ``decoding`` (behaviour -> decoders chosen in the
        training folds, R² and what it is, median angular error or RMSE, null median R², p, units decoded).
    """
    m = json.loads((Path(run_folder) / "metrics.json").read_text())
    summ = m.get("summary", {})
    return {"recording": summ.get("name"), "n_units": summ.get("n_units"),
            "duration_s": summ.get("duration_s"),
            "units_per_region": {r: v.get("n_units") for r, v in (summ.get("regions") or {}).items()},
            "fraction_tuned": _tuned_fractions(m.get("tuning", {})),
            "decoding": _decoding(m.get("decoding", {}))}


def _flat(s, metrics: dict | None) -> dict:
    row = {"session": s.name, "subject": s.subject or NO_SUBJECT, "status": s.status, "error": s.error or "",
           "source": s.source, "wall_s": round(s.wall_s, 2)}
    if metrics is None:
        return row
    row["n_units"] = metrics["n_units"]
    row.update({f"units[{r}]": n for r, n in metrics["units_per_region"].items()})
    row.update({f"fraction_tuned[{v}]": f for v, f in metrics["fraction_tuned"].items()})
    for b, d in metrics["decoding"].items():
        row.update({f"r2[{b}]": d["r2"], f"decoders_chosen_in_folds[{b}]": d["decoders_chosen_in_folds"],
                    f"shifted_r2[{b}]": d["shifted_r2"], f"p_value[{b}]": d.get("p_value"),
                    f"n_units_decoded[{b}]": d.get("n_units")})
        if d.get("median_angular_error_deg") is not None:
            row[f"median_angular_error_deg[{b}]"] = d["median_angular_error_deg"]
        if d.get("rmse") is not None:
            row[f"rmse[{b}]"] = d["rmse"]
    return row


def _write_csv(path: Path, rows: list[dict]) -> None:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    tmp.replace(path)


def _strip_figure(rows: list[dict], prefix: str, ylabel: str, title: str, control: str | None = None):
    """Per variable (x), one point per session coloured by subject; ``control`` columns hollow."""
    import numpy as np

    from .stages._inputs import plt

    keys = sorted({k[len(prefix) + 1:-1] for r in rows for k in r if k.startswith(prefix + "[")})
    if not keys:
        return None
    subjects = sorted({r["subject"] or NO_SUBJECT for r in rows})
    fig, ax = plt().subplots(figsize=(max(4.0, 1.2 * len(keys) + 2), 3.2))
    colours = plt().cm.tab10(np.arange(len(subjects)) % 10)
    width = 0.6 / max(len(subjects), 1)
    for j, subj in enumerate(subjects):
        mine = [r for r in rows if (r["subject"] or NO_SUBJECT) == subj]
        for i, k in enumerate(keys):
            x = i - 0.3 + (j + 0.5) * width
            ys = [r[f"{prefix}[{k}]"] for r in mine if r.get(f"{prefix}[{k}]") is not None]
            ax.plot([x] * len(ys), ys, "o", color=colours[j], label=subj if i == 0 else None, alpha=0.8)
            if control:
                cs = [r[f"{control}[{k}]"] for r in mine if r.get(f"{control}[{k}]") is not None]
                ax.plot([x] * len(cs), cs, "o", mfc="none", color=colours[j], alpha=0.8,
                        label="circular-shift null (median)" if i == 0 and j == 0 else None)
    ax.set_xticks(range(len(keys)), keys, rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7, frameon=False)
    return fig


def write_summary(result) -> Path:
    """Write ``summary.json``, ``sessions.csv``, ``summary.html`` and ``figures/`` into a batch folder.

    Parameters
    ----------
    result : BatchResult

    Returns
    -------
    Path
        ``summary.html``.
    """
    from .report import FigureWriter, Section, render_html

    out = Path(result.path)
    per = {s.name: session_metrics(out / s.name) for s in result.sessions if s.ok}
    rows = [_flat(s, per.get(s.name)) for s in result.sessions]
    failures = [{"session": s.name, "source": s.source, "error": s.error} for s in result.sessions if not s.ok]
    settings = _settings(out)
    summary = {"schema": SUMMARY_SCHEMA, "analysis_settings": settings, "n_sessions": len(rows), "n_complete": len(per),
               "n_failed": len(failures), "exit_code": result.exit_code, "failures": failures,
               "sessions": [{"session": s.name, "subject": s.subject, "status": s.status, "error": s.error,
                             "source": s.source, "wall_s": s.wall_s, **(per.get(s.name) or {})}
                            for s in result.sessions]}
    write_json(out / "summary.json", summary)
    _write_csv(out / "sessions.csv", rows)
    figs_dir = out / "figures"
    figs_dir.mkdir(exist_ok=True)
    writer = FigureWriter(figs_dir)
    sec = Section("sessions", "Sessions")
    sec.text.append(_settings_text(settings))
    sec.tables.append(("One row per session. fraction_tuned: units whose marginal tuning test survives "
                       "Benjamini–Hochberg over the session's tuning tests (q ≤ alpha), out of all its units; "
                       "r2: cross-validated R² pooled over the test folds, with the decoder chosen inside each "
                       "training fold (decoders_chosen_in_folds); shifted_r2: median of its circular-shift null; "
                       "median angular error in degrees for circular behaviours, RMSE in the behaviour's units "
                       "for the others", rows))
    complete = [r for r in rows if r["status"] != "failed"]
    figs = [(_strip_figure(complete, "fraction_tuned", "fraction of units tuned",
                           "Tuned units per variable, by subject"), "fraction_tuned",
             "Fraction of each session's units whose marginal tuning survives Benjamini–Hochberg (q ≤ alpha), "
             "one point per session, coloured by subject"),
            (_strip_figure(complete, "r2", "cross-validated R²", "Decoding per behaviour, by subject",
                           "shifted_r2"), "decoding_r2",
             "R² of the decoder chosen in the training folds per behaviour (filled) and the median R² of its "
             "circular-shift null (hollow), one point per "
             "session, coloured by subject")]
    sec.figures += [writer.save(fig, name, caption) for fig, name, caption in figs if fig is not None]
    fail = Section("failures", "Failures")
    fail.tables.append(("Sessions that failed, with their error (log: logs/<session>.log)", failures))
    if not failures:
        fail.text.append("Every session completed.")
    from .._utils.quantity import count, number_of

    key = [number_of("sessions", len(rows), "sessions"), count("sessions complete", len(per), len(rows), "sessions"),
           count("sessions failed", len(failures), len(rows), "sessions")]
    html = render_html(f"neurodiscovery batch analysis — {out.name}", key, [sec, fail], figs_dir,
                       {"batch": str(out)})
    tmp = out / ".summary.html.tmp"
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out / "summary.html")
    return out / "summary.html"


def _settings(out: Path) -> dict:
    """The batch's analysis settings as ``batch.json`` recorded them ({} for a folder without it)."""
    try:
        return json.loads((out / "batch.json").read_text()).get("analysis", {})
    except (OSError, ValueError):
        return {}


def _settings_text(cfg: dict) -> str:
    """One sentence of the settings a reader needs to compare sessions."""
    if not cfg:
        return "Analysis settings: not recorded (no batch.json)."
    keys = ("bin_size_s", "quick", "n_splits", "bins_before", "bins_after", "n_shuffles", "alpha", "n_permutations",
            "n_permutations_slow", "n_boot", "max_decoding_units", "seed")
    return "Analysis settings (every session; all in summary.json): " + ", ".join(
        f"{k} = {cfg[k]}" for k in keys if k in cfg) + "."
