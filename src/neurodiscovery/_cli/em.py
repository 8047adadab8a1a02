"""``neurodiscovery em train|segment|evaluate|trace``: EM neuron segmentation and tracing.

Each sub-command runs the registered command ``em-<sub>``; its options are generated from the parameters
dataclasses of :mod:`neurodiscovery.pipeline.em`, ``.em_segment``, ``.em_evaluate`` and ``.em_trace``.
"""
from __future__ import annotations

from ._command import cli_group


def _per_slice_alias(p) -> None:
    # the default, kept as a flag so scripts that spell it out still run
    p.add_argument("--per-slice", dest="per_slice", action="store_true", help="2D watershed per z slice (default)")


NAME, HELP, add_arguments, main = cli_group(
    "em", "EM connectomics: train a boundary U-Net, segment volumes, evaluate (VOI, adapted Rand), trace objects "
    "through sections (skeletons, contact graph)", more={"segment": _per_slice_alias})
