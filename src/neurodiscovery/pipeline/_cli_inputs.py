"""Inputs named the way the command line names them (shared by the commands' ``load``)."""
from __future__ import annotations


def load_recording(path: str | None, all_units: bool = False):
    """Recording from a FILE argument, or the built-in head-direction recording when None.

    Parameters
    ----------
    path : str or None
        An NWB/NPZ path, ``builtin:<name>`` for a built-in dataset (see ``neurodiscovery datasets``),
        or None for the built-in head-direction recording.
    all_units : bool
        Read every unit, not only those a curation labelled good (see ``read_recording``).

    Returns
    -------
    Recording
    """
    from ..datasets import load, load_head_direction

    if path is None:
        return load_head_direction()
    if str(path).startswith("builtin:"):
        return load(str(path).split(":", 1)[1])
    from ..data import read_recording

    return read_recording(path, all_units=all_units)
