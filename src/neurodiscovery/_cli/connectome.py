"""``neurodiscovery connectome DWI --bvals F --bvecs F --labels L`` (or ``--tractogram T``, or
``--phantom SNR``): structural connectome, graph measures and a report.

Options are generated from :class:`neurodiscovery.pipeline.connectome.ConnectomeParams`.
"""
from __future__ import annotations

from ._command import cli_command

NAME, HELP, add_arguments, main = cli_command("connectome")
