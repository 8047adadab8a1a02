"""``neurodiscovery info [FILE]``: summary of a recording."""
from __future__ import annotations

NAME = "info"
HELP = ("summarise a recording: units per region (or imaged ROIs, rate, indicator), duration, rates, "
        "behaviours, trials, epochs")


def add_arguments(p) -> None:
    from ._common import add_recording_argument

    add_recording_argument(p)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def format_summary(s: dict) -> str:
    lines = [f"recording: {s['name']}",
             f"  duration: {s['duration_s']:.1f} s  ({s['time_support_s'][0]:.2f}-{s['time_support_s'][1]:.2f} s)",
             f"  units: {s['n_units']}  spikes: {s['n_spikes']}" if not s.get("imaging") else
             f"  units: {s['n_units']} imaged ROIs"]
    if s["rate_hz"]["median"] is not None:
        r = s["rate_hz"]
        lines.append(f"  firing rate (Hz): min {r['min']:.2f}  median {r['median']:.2f}  max {r['max']:.2f}")
    elif s.get("rate_note"):
        lines.append(f"  firing rate: {s['rate_note']}")
    lines.append("  regions:")
    for reg, d in s["regions"].items():
        rate = f"   median rate {d['median_rate_hz']:.2f} Hz" if d["median_rate_hz"] is not None else ""
        lines.append(f"    {reg:<12} {d['n_units']:>4} units{rate}")
    im = s.get("imaging")
    if im:
        if im.get("n_curated_cells") is not None:
            cells = f", {im['n_curated_cells']} curated cells (iscell label; {im['n_labelled']} labelled)"
            if im["n_labelled"] < im["n_rois"]:
                cells += f", {im['n_cells']} cells counting unlabelled ROIs with probability >= 0.5"
        elif im["n_cells_p50"] is not None:
            cells = f", {im['n_cells_p50']} with cell probability >= 0.5 (no curated label)"
        else:
            cells = ", no iscell"
        lines.append(f"  imaging: {im['n_rois']} ROIs{cells}; {im['rate_hz']:.2f} Hz imaging rate, "
                     f"{im['n_frames']} frames; indicator {im['indicator'] or 'unknown'}")
        lines.append(f"    traces: {', '.join(im['kinds'])} (analysed: {im['kind']})")
        if im["nan_frames"]:
            lines.append("    NaN frames interpolated: " + "; ".join(
                f"{k} {v['n_nan_frames']} frames in {v['n_gaps']} gap(s)" for k, v in im["nan_frames"].items()))
    lines.append("  behaviours:" + ("" if s["behaviors"] else " none"))
    for name, b in s["behaviors"].items():
        rng = ", ".join(f"{c} {lo:.3g}..{hi:.3g}" for c, lo, hi in zip(b["columns"], b["min"], b["max"]))
        hz = f"{b['sampling_hz']:.1f} Hz" if b["sampling_hz"] else "-"
        lines.append(f"    {name:<16} [{b['units'] or 'no units'}{', circular' if b['circular'] else ''}] "
                     f"{b['n_samples']} samples @ {hz}, {b['t_start_s']:.1f}-{b['t_stop_s']:.1f} s; {rng}")
    lines.append("  epochs:" + ("" if s["epochs"] else " none"))
    for name, e in s["epochs"].items():
        lines.append(f"    {name:<24} {e['n_intervals']:>5} interval(s), {e['total_s']:.1f} s")
    if s["trials"]:
        lines.append(f"  trials: {s['trials']['n_trials']} (columns: {', '.join(s['trials']['columns']) or '-'})")
    else:
        lines.append("  trials: none")
    return "\n".join(lines)


def main(args) -> int:
    import json

    from ._common import load_recording_arg

    rec = load_recording_arg(args.file)
    s = rec.summary()
    print(json.dumps(s, indent=2, default=float) if args.json else format_summary(s))
    return 0
