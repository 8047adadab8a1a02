"""``neurodiscovery circuit FILE``: fit a recurrent rate network to a recording's trials.

Options are generated from :class:`neurodiscovery.pipeline.circuit.CircuitParams`.
"""
from __future__ import annotations

from ._command import cli_command

NAME, HELP, add_arguments, main = cli_command("circuit", progress_option=False)
