"""``neurodiscovery deconvolve FILE``: OASIS spike inference written to a new file.

Options are generated from :class:`neurodiscovery.pipeline.deconvolve.DeconvolveParams`.
"""
from __future__ import annotations

from ._command import cli_command

NAME, HELP, add_arguments, main = cli_command("deconvolve", progress_option=False)
