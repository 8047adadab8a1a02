"""``neurodiscovery learn [compare] --rule fa --dataset digits --seeds 3``: learning rules vs backprop;
``learn spiking --task randman --rule bptt`` and ``learn continual --dataset digits``.

Options are generated from the parameters of the commands ``learn``, ``learn-spiking`` and
``learn-continual`` (:mod:`neurodiscovery.pipeline.learn`, ``.learn_spiking``, ``.learn_continual``).
"""
from __future__ import annotations

from ._command import cli_actions

_RULES = ("backprop", "fa", "dfa", "three_factor", "frozen")

NAME, HELP, add_arguments, main = cli_actions(
    "learn", "train an MLP with a brain-inspired learning rule (fa, dfa, three_factor, frozen) and backprop as "
    "reference, or 'learn compare' for all rules; 'learn spiking' trains LIF networks (bptt, eprop, "
    "eprop-random); 'learn continual' measures forgetting; each writes a run folder with tables, learning "
    "curves, figures and report.html", default="learn",
    actions={"train": "learn", "compare": "learn", "spiking": "learn-spiking", "continual": "learn-continual"},
    preset={"compare": {"rules": _RULES}})
