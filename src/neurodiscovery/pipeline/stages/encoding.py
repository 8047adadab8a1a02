"""Section: what each unit encodes once the other variables are accounted for (Poisson GLM, LN model)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..report import Section
from . import Skipped
from ._inputs import AnalysisInputs


@dataclass(frozen=True)
class EncodingStageResult:
    """The forward-selected GLM of every unit (:class:`~neurodiscovery.analyses.tuning.EncodingAnalysis`).

    ``n_units_total`` is set when only the ``max_encoding_units`` units with the most spikes were fitted.
    """

    analysis: object
    n_units_total: int | None = None

    def to_metrics(self) -> dict:
        """Per unit: selected variables, CV gains (bits/spike) and forward steps; counts per region."""
        from ..stats_sections import encoding_metrics

        return encoding_metrics(self.analysis)


def compute(inputs: AnalysisInputs, cfg, needs: dict) -> EncodingStageResult | Skipped:
    """Poisson GLM per unit on head direction, 2-D position and speed with forward selection."""
    from ...analyses.tuning import compute_encoding

    rec, b = inputs.rec, inputs.binned()
    capped = rec.n_units > cfg.max_encoding_units
    if capped:  # one GLM per unit (~2.5 s of CPU each on 2 hours of 50 ms bins): the most active units
        keep = np.sort(np.argsort(-b.counts.sum(axis=0), kind="stable")[: cfg.max_encoding_units])
        rec = rec.select_units(keep)
        b = dataclasses.replace(b, counts=b.counts[:, keep], unit_ids=b.unit_ids[keep], regions=b.regions[keep])
    analysis = compute_encoding(rec, b, n_folds=cfg.glm_folds, alpha=cfg.alpha)
    if analysis is None:
        if inputs.rec.is_imaging:
            return Skipped("imaging traces are not spike counts; the Poisson encoding model needs spikes.")
        return Skipped("needs at least two of head direction, 2-D position and speed to separate their effects.")
    return EncodingStageResult(analysis, inputs.rec.n_units if capped else None)


def render(res: EncodingStageResult, figures) -> Section:
    """Selected model per unit, per-region attribution table and bar chart; position-tuned counts as key numbers."""
    from ..stats_sections import render_encoding

    sec = render_encoding(res.analysis, fig=figures.save)
    if res.n_units_total:
        sec.text.insert(0, f"Fitted for the {len(res.analysis.unit_ids)} units with the most spikes of "
                           f"{res.n_units_total} (max_encoding_units; the tuning tests cover every unit).")
    return sec
