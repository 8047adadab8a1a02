"""``neurodiscovery learn [compare] --rule fa --dataset digits --seeds 3``: learning rules vs backprop."""
from __future__ import annotations

NAME = "learn"
HELP = ("train an MLP with a brain-inspired learning rule (fa, dfa, three_factor, frozen) and "
        "backprop as reference, or 'learn compare' for all rules; writes a run folder with the "
        "test-accuracy table, learning curves, gradient-alignment plots and report.html")


RULES = ("backprop", "fa", "dfa", "three_factor", "frozen")  # kept literal: parsing stays import-light


def add_arguments(p) -> None:
    from ._types import int_at_least

    p.add_argument("action", nargs="?", choices=("train", "compare"), default="train",
                   help="'train' (default): --rule plus backprop; 'compare': every supervised rule")
    p.add_argument("--rule", default="fa", help=f"one of {', '.join(RULES)} (default fa)")
    p.add_argument("--dataset", default="digits",
                   help="digits, mnist1d, or a CSV file of class labels and numeric features")
    p.add_argument("--label-column", default="label", metavar="NAME|first|last",
                   help="CSV: the class column's header name (default 'label'), or first / last (the file "
                        "may then have no header)")
    p.add_argument("--seeds", type=int_at_least(1), default=3, help="number of seeds, 0..N-1 (default 3)")
    p.add_argument("--hidden", default="128", help="comma-separated hidden widths (default 128)")
    p.add_argument("--activation", choices=("tanh", "relu"), default="tanh")
    p.add_argument("--lr", default=None,
                   help="comma-separated learning rates searched on the validation split "
                        "(default: each rule's own grid)")
    p.add_argument("--epochs", type=int_at_least(1), default=None, help="maximum epochs (default: per rule)")
    p.add_argument("--batch-size", type=int_at_least(1), default=32)
    p.add_argument("--no-reference", action="store_true", help="do not add backprop as reference")
    p.add_argument("--out", default=None, help="run folder to create (default runs/<timestamp>-learn)")


def _numbers(text: str, name: str, kind):
    from .._utils.errors import InputError

    try:
        return [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"{name} must be comma-separated numbers, got {text!r}") from None


def main(args) -> int:
    import sys

    from ..learning import SUPERVISED_RULES
    from ..pipeline.learn import run_learn

    rules = list(SUPERVISED_RULES) if args.action == "compare" else [args.rule]
    lrs = None if args.lr is None else _numbers(args.lr, "--lr", float)
    path = run_learn(args.dataset, rules, reference=not args.no_reference,
                     hidden_sizes=_numbers(args.hidden, "--hidden", int), activation=args.activation,
                     seeds=args.seeds, learning_rates=lrs, n_epochs=args.epochs, batch_size=args.batch_size,
                     out=args.out, progress=lambda s: print(s, file=sys.stderr, flush=True),
                     label_column=args.label_column)
    print((path / "comparison.md").read_text())
    print(f"run folder: {path}")
    return 0
