"""Section: what each unit encodes once the other variables are accounted for (Poisson GLM, LN model)."""
from __future__ import annotations

from dataclasses import dataclass

from ..report import Section
from . import Skipped
from ._inputs import AnalysisInputs


@dataclass(frozen=True)
class EncodingStageResult:
    """The forward-selected GLM of every unit (:class:`~neurodiscovery.pipeline.tuning_stats.EncodingAnalysis`)."""

    analysis: object

    def to_metrics(self) -> dict:
        """Per unit: selected variables, CV gains (bits/spike) and forward steps; counts per region."""
        from ..stats_sections import encoding_metrics

        return encoding_metrics(self.analysis)


def compute(inputs: AnalysisInputs, cfg, needs: dict) -> EncodingStageResult | Skipped:
    """Poisson GLM per unit on head direction, 2-D position and speed with forward selection."""
    from ..tuning_stats import compute_encoding

    analysis = compute_encoding(inputs.rec, inputs.binned(), n_folds=cfg.glm_folds, alpha=cfg.alpha)
    if analysis is None:
        if inputs.rec.is_imaging:
            return Skipped("imaging traces are not spike counts; the Poisson encoding model needs spikes.")
        return Skipped("needs at least two of head direction, 2-D position and speed to separate their effects.")
    return EncodingStageResult(analysis)


def render(res: EncodingStageResult, figures) -> Section:
    """Selected model per unit, per-region attribution table and bar chart; position-tuned counts as key numbers."""
    from ..stats_sections import render_encoding

    return render_encoding(res.analysis, fig=figures.save)
