"""``neurodiscovery sort RAW``: spike sorting through SpikeInterface into NWB units, metrics and a report.

The options are generated from :class:`~neurodiscovery.pipeline.sort.SortParams`; the run is
``execute("sort", params)``.
"""
from __future__ import annotations

from ._command import cli_command

NAME, HELP, add_arguments, main = cli_command("sort")
