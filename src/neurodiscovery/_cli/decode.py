"""``neurodiscovery decode FILE --target NAME``: cross-validated decoder comparison.

Options are generated from :class:`neurodiscovery.pipeline.decode.DecodeParams`.
"""
from __future__ import annotations

from ._command import cli_command

NAME, HELP, add_arguments, main = cli_command("decode")
