"""``neurodiscovery simulate cuba|column|microcircuit``: run a spiking network model.

Options are generated from :class:`neurodiscovery.pipeline.simulate.SimulateParams`.
"""
from __future__ import annotations

import os

from ._command import cli_command

NAME, HELP, add_arguments, _main = cli_command("simulate")


def main(args) -> int:
    """Run the command. A simulate command is a dedicated process whose threads meet once per time step
    (10,000 times per biological second); OpenMP's default sends them to sleep between steps and waking
    them costs ~50 us each time (full microcircuit: 3.7 -> 2.8 s per biological second when they spin).
    Threads are only used while a core is idle, and a user's own setting wins; the library itself never
    changes the environment.

    Parameters
    ----------
    args : argparse.Namespace
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "active")
    return _main(args)
