"""``neurodiscovery`` command-line entry point.

Sub-commands live in :mod:`neurodiscovery._cli` (one module each) and are
discovered here. User errors (:class:`NeurodiscoveryError`) print one line to
stderr and exit with status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import __version__
from ._utils.errors import NeurodiscoveryError


def _command_modules():
    from . import _cli

    mods = []
    for info in sorted(pkgutil.iter_modules(_cli.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mods.append(importlib.import_module(f"{_cli.__name__}.{info.name}"))
    return mods


def build_parser() -> argparse.ArgumentParser:
    """The ``neurodiscovery`` parser with one sub-command per :mod:`neurodiscovery._cli` module."""
    parser = argparse.ArgumentParser(
        prog="neurodiscovery",
        description="Neural data analysis, decoding, spiking simulation and EM connectomics.",
    )
    parser.add_argument("--version", action="version", version=f"neurodiscovery {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_main=mod.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; user errors print one line and return 2.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_main", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._main(args) or 0)
    except NeurodiscoveryError as exc:
        print(f"neurodiscovery {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"neurodiscovery {args.command}: interrupted; no partial run folder was kept",
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
