"""Options and dispatch of ``learn spiking`` and ``learn continual`` (see :mod:`._cli.learn`)."""
from __future__ import annotations

from ._types import int_at_least, nonnegative_float, positive_float

SNN_RULES = ("bptt", "eprop", "eprop-random")  # kept literal: parsing stays import-light
CONTINUAL_RULES = ("backprop", "fa", "dfa", "three_factor", "ewc", "eprop")


def add_arguments(p) -> None:
    """Options used only by ``learn spiking`` / ``learn continual`` (``p``: the ``learn`` parser)."""
    g = p.add_argument_group("learn spiking / learn continual")
    g.add_argument("--task", default="randman",
                   help="spiking: randman, digits, mnist1d or a CSV file with a 'label' column (default randman)")
    g.add_argument("--encoding", choices=("latency", "rate"), default="latency",
                   help="spike code of feature tasks (default latency)")
    g.add_argument("--steps", type=int_at_least(1), default=30, help="time steps per sample (default 30)")
    g.add_argument("--dt-ms", type=positive_float, default=1.0, help="time step in ms (default 1)")
    g.add_argument("--threshold-mv", type=positive_float, default=1.0, help="spike threshold above rest in mV (default 1)")
    g.add_argument("--outputs", type=int_at_least(1), default=None, help="output neurons (default: number of classes)")
    g.add_argument("--recurrent", action="store_true", help="recurrent hidden layer")
    g.add_argument("--export-samples", type=int_at_least(0), default=20,
                   help="test samples re-run on the native engine to check the export (default 20; 0 skips)")
    g.add_argument("--rules", default=None,
                   help=f"continual: comma-separated, from {', '.join(CONTINUAL_RULES)} (default all); "
                        f"spiking: from {', '.join(SNN_RULES)} (default: --rule)")
    g.add_argument("--ewc-lambda", type=nonnegative_float, default=100.0, help="continual: EWC penalty strength (default 100)")


def main(args, progress) -> int:
    """Run ``learn spiking`` or ``learn continual`` from parsed ``args``; ``progress`` prints a line."""
    from ..pipeline.learn_continual import run_learn_continual
    from ..pipeline.learn_spiking import run_learn_spiking

    rules = None if args.rules is None else [r.strip() for r in args.rules.split(",") if r.strip()]
    hidden = int(args.hidden.split(",")[0])
    lr = None if args.lr is None else float(args.lr.split(",")[0])
    if args.action == "spiking":
        path = run_learn_spiking(
            args.task, rules or [args.rule or "bptt"], seeds=args.seeds, encoding=args.encoding, n_steps=args.steps,
            dt_ms=args.dt_ms, threshold_mv=args.threshold_mv, n_hidden=hidden, recurrent=args.recurrent,
            n_outputs=args.outputs, n_epochs=args.epochs or 20, batch_size=args.batch_size,
            lr=lr or 2e-3, export_samples=args.export_samples, out=args.out, progress=progress)
        print((path / "accuracy.md").read_text())
    else:
        path = run_learn_continual(args.dataset, rules or list(CONTINUAL_RULES), seeds=args.seeds,
                                   n_hidden=hidden, n_epochs=args.epochs or 10, ewc_lambda=args.ewc_lambda,
                                   n_steps=args.steps, out=args.out, progress=progress)
        print((path / "continual.md").read_text())
    print(f"run folder: {path}")
    return 0
