"""``neurodiscovery`` command-line entry point.

Sub-commands live in :mod:`neurodiscovery._cli` (one module each) and are
discovered here. User errors (:class:`NeurodiscoveryError`) print one line to
stderr and exit with status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import errno
import importlib
import pkgutil
import signal
import sys
import threading
import warnings

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


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one stderr line (the usage stays in ``--help``)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``neurodiscovery`` parser with one sub-command per :mod:`neurodiscovery._cli` module."""
    parser = _OneLineParser(
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


class _Terminated(BaseException):
    """Raised from the SIGTERM handler so run folders clean up exactly as on Ctrl-C."""


# errno -> what the user should hear (``strerror`` is terse and, for ELOOP, misleading)
_OS_REASONS = {
    errno.ENOENT: "no such file or folder (check the path and that its parent folders exist)",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a component of the path is a file, not a folder",
    errno.EISDIR: "is a folder, expected a file",
    errno.EROFS: "the file system is read-only; choose another --out",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.ELOOP: "too many levels of symbolic links (a symlink loop)",
    errno.ENAMETOOLONG: "file name too long",
    errno.EEXIST: "already exists",
}


def describe_os_error(exc: OSError) -> str:
    """One line for an :class:`OSError`: the path, then the reason in plain words."""
    reason = _OS_REASONS.get(exc.errno) if exc.errno is not None else None
    if reason is None:
        reason = (exc.strerror or str(exc) or type(exc).__name__).strip().splitlines()[0]
    paths = [p for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(str(p) for p in paths)
    return f"{where}: {reason}" if where else reason


def _warning_lines(caught) -> list[str]:
    seen: dict[str, None] = {}
    for w in caught:
        text = " ".join(str(w.message).split())
        label = "" if w.category is UserWarning else f"{w.category.__name__}: "
        seen.setdefault(f"{label}{text}"[:300], None)
    return list(seen)


def _run(args, prog: str) -> int:
    """Run the sub-command; every failure a user can cause becomes one stderr line."""
    with warnings.catch_warnings(record=True) as caught:
        try:
            status = int(args._main(args) or 0)
        except NeurodiscoveryError as exc:
            msg = " ".join(str(exc).split())
        except OSError as exc:
            msg = describe_os_error(exc)
        except MemoryError:
            msg = ("ran out of memory; reduce the problem size (see NEURODISCOVERY_MAX_MEMORY_GB "
                   "and the command's size options)")
        else:
            for line in _warning_lines(caught):
                print(f"{prog}: warning: {line}", file=sys.stderr)
            return status
    notes = _warning_lines(caught)
    if notes:  # the reader's warnings often say *why* (e.g. a damaged NWB): keep them, on the same line
        more = f" (+{len(notes) - 1} more)" if len(notes) > 1 else ""
        msg = f"{msg} [warning: {notes[0]}{more}]"
    print(f"{prog}: error: {msg}", file=sys.stderr)
    return 2


def _on_sigterm(signum, frame):
    raise _Terminated()


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; user errors print one line and return 2.

    OS errors (permissions, missing parents, read-only or full disks, symlink
    loops) and out-of-memory are user errors too. SIGTERM is handled like
    Ctrl-C: the partial run folder is removed and one line is printed.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 success, 2 user error, 130 interrupted, 143 terminated.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help/--version (0) or a one-line option error (2): return, do not exit
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    if getattr(args, "_main", None) is None:
        parser.print_help()
        return 2
    prog = f"neurodiscovery {args.command}"
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _run(args, prog)
    except KeyboardInterrupt as exc:
        what = getattr(exc, "user_message", "no partial run folder was kept")
        print(f"{prog}: interrupted; {what}", file=sys.stderr)
        return 130
    except _Terminated as exc:
        what = getattr(exc, "user_message", "no partial run folder was kept")
        print(f"{prog}: terminated (SIGTERM); {what}", file=sys.stderr)
        return 143
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
