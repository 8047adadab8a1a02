"""Section 3: every tuning test of the report (1-D tuning, 2-D place maps, reach direction), FDR-corrected together."""
from __future__ import annotations

from dataclasses import dataclass

from ..report import Section
from . import Skipped
from ._inputs import AnalysisInputs


@dataclass(frozen=True)
class TuningResult:
    """The report's family of tuning tests (:class:`~neurodiscovery.analyses.tuning.TuningFamily`)."""

    family: object

    @property
    def curves(self) -> dict:
        """1-D tuning curves per variable label."""
        return self.family.curves

    def to_metrics(self) -> dict:
        """Every test with its raw p and Benjamini–Hochberg q; direction tuning parameters."""
        return self.family.to_metrics()


def compute(inputs: AnalysisInputs, cfg, needs: dict) -> TuningResult | Skipped:
    """Tuning curves, place maps and direction tuning with shuffle/permutation nulls, BH-corrected together."""
    from ...analyses.tuning import compute_tuning_family

    variables = inputs.behavior_variables()
    has_direction = inputs.rec.trials is not None and "direction_rad" in inputs.rec.trials.columns
    if not variables and not has_direction:
        return Skipped("the recording holds no behavioural variables or reach directions to tune to.")
    prim = inputs.primary_behavior()
    family = compute_tuning_family(inputs.rec, inputs.binned(), variables, n_shuffles=cfg.n_shuffles,
                                   alpha=cfg.alpha, seed=cfg.seed, primary=prim)
    if not family.tests:
        return Skipped("no variable had enough tracked bins to test: " + " ".join(family.notes))
    return TuningResult(family)


def render(res: TuningResult, figures) -> Section:
    """Test table by variable and region, curve grids, place maps and direction tuning figures."""
    from ..stats_sections import render_tuning

    return render_tuning(res.family, fig=figures.save)
