"""Helpers shared by CLI sub-commands (not a command itself)."""
from __future__ import annotations


def add_recording_argument(p) -> None:
    """The optional FILE positional shared by commands that read one recording."""
    p.add_argument("file", nargs="?", default=None,
                   help="NWB or NPZ recording (default: the built-in head-direction recording; "
                        "'builtin:NAME' for another built-in dataset)")


def load_recording_arg(path: str | None, all_units: bool = False):
    """Recording from a FILE argument, or the built-in head-direction recording when None.

    ``builtin:<name>`` loads another built-in dataset (see ``neurodiscovery datasets``).
    """
    from ..pipeline._cli_inputs import load_recording

    return load_recording(path, all_units=all_units)
