"""``neurodiscovery morphology FILE.swc|DIR``: per-neuron measures, Sholl profiles, report.

Options are generated from :class:`neurodiscovery.pipeline.morphology.MorphologyParams`.
"""
from __future__ import annotations

from ._command import cli_command

NAME, HELP, add_arguments, main = cli_command("morphology", progress_option=False)
