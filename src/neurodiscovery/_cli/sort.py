"""``neurodiscovery sort RAW``: spike sorting through SpikeInterface into NWB units, metrics and a report."""
from __future__ import annotations

NAME = "sort"
HELP = ("spike-sort a raw extracellular recording (SpikeInterface: any extractor, a saved folder, raw binary): "
        "preprocess, sort, quality metrics, curation; writes units.nwb that analyze reads, and a report")


def add_arguments(p) -> None:
    from ._types import fraction, int_at_least, nonnegative_float, positive_float

    p.add_argument("raw", help="raw recording: a file/folder SpikeInterface reads (SpikeGLX, Open Ephys, Intan, NWB "
                               "ElectricalSeries...), a SpikeInterface saved folder, or raw binary (.bin/.dat/.raw)")
    p.add_argument("--sorter", default=None,
                   help="tridesclous2 (default), spykingcircus2, mountainsort5 or kilosort4 (if installed)")
    p.add_argument("--out", default=None, help="run folder to create (must not exist; default runs/<UTC>-sort)")
    p.add_argument("--sampling-rate", type=positive_float, default=None, help="raw binary: sampling rate (Hz)")
    p.add_argument("--n-channels", type=int_at_least(1), default=None, help="raw binary: interleaved channels")
    p.add_argument("--dtype", default=None, help="raw binary: sample type (int16, float32, ...)")
    p.add_argument("--probe", default=None, help="probeinterface .json or .prb file (required for raw binary)")
    p.add_argument("--format", default=None, help="SpikeInterface extractor name when it cannot be guessed "
                                                  "(e.g. spikeglx, openephysbinary, intan)")
    p.add_argument("--stream", default=None, help="stream of a multi-stream recording (e.g. imec0.ap)")
    p.add_argument("--motion", nargs="?", const="dredge_fast", default=None,
                   help="correct probe motion before sorting (SpikeInterface preset; default dredge_fast)")
    p.add_argument("--session", default=None,
                   help="NWB file whose behaviour, trials and epochs are copied into units.nwb (same clock)")
    p.add_argument("--isi-violations-max", type=nonnegative_float, default=0.5,
                   help="curation: good units have ISI-violation ratio <= this (Allen default 0.5)")
    p.add_argument("--amplitude-cutoff-max", type=fraction, default=0.1,
                   help="curation: good units have amplitude cutoff <= this (Allen default 0.1)")
    p.add_argument("--presence-ratio-min", type=fraction, default=0.9,
                   help="curation: good units have presence ratio >= this (Allen default 0.9)")
    g = p.add_argument_group("subject (used where --session's Subject lacks the field; DANDI needs all four)")
    g.add_argument("--subject-id", default=None, help="subject identifier, e.g. 'M12'")
    g.add_argument("--species", default=None, help="Latin binomial ('Mus musculus') or an NCBI taxonomy URL")
    g.add_argument("--sex", choices=("M", "F", "O", "U"), default=None, help="M, F, O (other) or U (unknown)")
    g.add_argument("--age", default=None, help="ISO 8601 duration, e.g. P90D (90 days)")
    p.add_argument("--location", default="root",
                   help="where the probe sits, as an Allen CCF acronym for mice (e.g. 'CA1'); default 'root' (the "
                        "whole brain: CCF's least specific term, for recordings that do not say)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="random seed (default 0)")
    p.add_argument("--jobs", type=int_at_least(1), default=1, help="workers for chunked steps (default 1)")


def main(args) -> int:
    from ..pipeline import run_sort

    thresholds = {"isi_violations_ratio": {"less": args.isi_violations_max},
                  "amplitude_cutoff": {"less": args.amplitude_cutoff_max},
                  "presence_ratio": {"greater": args.presence_ratio_min}}
    path = run_sort(args.raw, sorter=args.sorter, out=args.out, sampling_rate_hz=args.sampling_rate,
                    n_channels=args.n_channels, dtype=args.dtype, probe=args.probe, format=args.format,
                    stream=args.stream, motion=args.motion, session=args.session, thresholds=thresholds,
                    seed=args.seed, n_jobs=args.jobs, location=args.location,
                    subject={"subject_id": args.subject_id, "species": args.species, "sex": args.sex, "age": args.age})
    print(f"units: {path / 'units.nwb'}")
    print(f"report: {path / 'report.html'}")
    return 0
