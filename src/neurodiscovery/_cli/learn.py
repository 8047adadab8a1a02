"""``neurodiscovery learn [compare] --rule fa --dataset digits --seeds 3``: learning rules vs backprop;
``learn spiking --task randman --rule bptt`` and ``learn continual --dataset digits`` (options in ._learn_snn)."""
from __future__ import annotations

NAME = "learn"
HELP = ("train an MLP with a brain-inspired learning rule (fa, dfa, three_factor, frozen) and "
        "backprop as reference, or 'learn compare' for all rules; 'learn spiking' trains LIF networks "
        "(bptt, eprop, eprop-random); 'learn continual' measures forgetting; each writes a run folder "
        "with tables, learning curves, figures and report.html")


RULES = ("backprop", "fa", "dfa", "three_factor", "frozen")  # kept literal: parsing stays import-light


def add_arguments(p) -> None:
    from . import _learn_snn
    from ._types import int_at_least

    p.add_argument("action", nargs="?", choices=("train", "compare", "spiking", "continual"), default="train",
                   help="'train' (default): --rule plus backprop; 'compare': every supervised rule; "
                        "'spiking': LIF networks on --task; 'continual': tasks in sequence")
    p.add_argument("--rule", default=None, help=f"one of {', '.join(RULES)} (default fa); spiking: "
                                                 f"{', '.join(_learn_snn.SNN_RULES)} (default bptt)")
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
    _learn_snn.add_arguments(p)


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

    if args.action in ("spiking", "continual"):
        from . import _learn_snn

        return _learn_snn.main(args, lambda s: print(s, file=sys.stderr, flush=True))
    rules = list(SUPERVISED_RULES) if args.action == "compare" else [args.rule or "fa"]
    lrs = None if args.lr is None else _numbers(args.lr, "--lr", float)
    path = run_learn(args.dataset, rules, reference=not args.no_reference,
                     hidden_sizes=_numbers(args.hidden, "--hidden", int), activation=args.activation,
                     seeds=args.seeds, learning_rates=lrs, n_epochs=args.epochs, batch_size=args.batch_size,
                     out=args.out, progress=lambda s: print(s, file=sys.stderr, flush=True),
                     label_column=args.label_column)
    print((path / "comparison.md").read_text())
    print(f"run folder: {path}")
    return 0
