"""``neurodiscovery dynamics FILE --method forecast|jpca|fixed-points``: population dynamics of trials.

Options are generated from :class:`neurodiscovery.pipeline.dynamics.DynamicsParams`.
"""
from __future__ import annotations

from ._command import cli_command

NAME, HELP, add_arguments, main = cli_command("dynamics", progress_option=False)
