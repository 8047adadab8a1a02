"""The one line a command prints: its first key numbers, each with its label and unit, then the run folder."""
from __future__ import annotations

__all__ = ["key_line"]


def key_line(run, head: str, n: int = 4) -> str:
    """One printed line: ``"<head>: <label> <value unit>; ...; run folder: <path>"``.

    Parameters
    ----------
    run : RunResult
        A finished run (its ``result.key_numbers()`` are :class:`~neurodiscovery._utils.quantity.Quantity`).
    head : str
        What ran (e.g. ``"decode head_direction"``).
    n : int
        Key numbers shown at most (all are in ``metrics.json`` and the report).
    """
    shown = [f"{q.label} {q.format()}" for q in run.result.key_numbers()[:n]]
    return "; ".join([f"{head}: {shown[0]}" if shown else head, *shown[1:], f"run folder: {run.path}"])
