"""Commands whose product is one new data file (``deconvolve``), not a run folder.

A :class:`FileCommand` is a :class:`~.command.Command` run by the same :func:`~.command.execute`:
its parameters generate the CLI options, ``compute(params, inputs)`` is pure and returns a typed
result with ``key_numbers()`` and ``to_metrics()``, and ``execute`` owns the thread limits and
progress; instead of a run folder, ``write(result) -> Path`` writes the one file (atomically, never
over the input, over an existing file only when the parameters allow it) and returns its path.
The command's own ``out`` parameter (``--out FILE``) names the file; ``execute(..., out=)``
overrides it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._utils.errors import InputError
from .._utils.runtime import thread_limits
from ._command_record import Command
from ._progress import _PROGRESS, RunResult

__all__ = ["FileCommand"]


def _no_sections(result, figures) -> list:
    return []


def _no_metrics() -> dict:
    return {}


@dataclass(frozen=True)
class FileCommand(Command):
    """A :class:`~.command.Command` whose ``write(result) -> Path`` writes one new file (``result.params.out``).

    ``render`` and ``metrics_properties`` are unused (no report, no ``metrics.json``); the typed
    key numbers and metrics are returned to the caller in the :class:`~.command.RunResult`.
    """

    render: object = _no_sections
    metrics_properties: object = _no_metrics

    def schema(self) -> dict:
        """No ``metrics.json`` is written: an InputError saying so (``neurodiscovery schema NAME`` exits 2)."""
        raise InputError(f"'{self.name}' writes one data file and no metrics.json, so it has no metrics schema")

    def run_file(self, params, *, inputs=None, out=None, progress=None) -> RunResult:
        """Load, compute under the thread limits, write the file; called by :func:`~.command.execute`.

        Parameters
        ----------
        params : Params
            The command's parameters.
        inputs : object, optional
            What ``compute`` reads; default ``load(params)`` (which also checks the output path).
        out : path, optional
            Output file, overriding ``params.out``.
        progress : callable, optional
            Receives progress lines.

        Returns
        -------
        RunResult
            ``path`` is the written file; ``metrics`` holds ``key_numbers`` (Quantity JSON) and the
            result's ``to_metrics()``.
        """
        if out is not None:
            params = params.replace(out=str(out))
        token = _PROGRESS.set(progress)
        try:
            if inputs is None:
                inputs = self.load(params) if self.load is not None else None
            torch = True if self.uses_torch is None else bool(self.uses_torch(params))
            with thread_limits(int(getattr(params, "n_threads", 1)), torch=torch):
                result = self.compute(params, inputs)
            path = Path(self.write(result))
        finally:
            _PROGRESS.reset(token)
        metrics = {"key_numbers": {q.label: q.to_json() for q in result.key_numbers()}, **result.to_metrics()}
        res = RunResult(path, result, metrics)
        return RunResult(path, result, metrics, self.line(res) if self.line is not None else f"wrote {path}")
