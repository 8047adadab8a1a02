"""The sections of the ``analyze`` report, one module per section, and their registry.

Each stage module holds

* a frozen dataclass result (numbers and arrays, no figures) with ``to_metrics() -> dict``
  (the JSON-ready part written to ``metrics.json`` under the stage's key);
* ``compute(inputs, cfg, needs) -> result | Skipped``: pure, no files, no figures.
  ``inputs`` is the shared, read-only :class:`~neurodiscovery.pipeline.stages._inputs.AnalysisInputs`
  (the recording, cached binning and trial alignment), ``cfg`` the
  :class:`~neurodiscovery.pipeline.config.AnalysisConfig`, ``needs`` a dict of the results of the
  stages named in the registry entry's ``needs``. Return :class:`Skipped` (with the reason, as a
  sentence a user understands) when the recording lacks what the stage needs;
* ``render(result, figures) -> Section``: figures (saved through the
  :class:`~neurodiscovery.pipeline.report.FigureWriter` ``figures``), tables, prose and key numbers.

How to add a stage
------------------
1. Write ``pipeline/stages/<key>.py`` with ``compute``, ``render`` and a result dataclass as above.
   Science belongs in the domain packages: ``compute`` calls their public functions, ``render``
   their ``plot_*`` functions. Keep the module under 300 lines.
2. Add a :class:`Stage` to :data:`REGISTRY` at its place in the report; ``needs`` names the stages
   whose results ``compute`` reads (they are added to a run that asks for this stage alone);
   ``concurrent=True`` lets it run in a second process beside the others (a stage that needs none).
3. Put every threshold the stage uses in :class:`~neurodiscovery.pipeline.config.AnalysisConfig`
   with its meaning documented (and what ``quick`` changes, if anything).
4. Declare the stage's metrics in ``pipeline/schemas/analyze_metrics.schema.json`` and bump
   :data:`~neurodiscovery.pipeline.schema.METRICS_SCHEMA_VERSION` if an existing key changes.
5. Test ``compute`` against planted ground truth (``tests/pipeline/``) and the rendered section
   through ``analyze(..., config=AnalysisConfig(sections=(...)))``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from ..._utils.errors import InputError

__all__ = ["REGISTRY", "SECTIONS", "Skipped", "Stage", "get_stage", "resolve_sections"]


@dataclass(frozen=True)
class Skipped:
    """Result of a stage that did not run: ``reason`` says what the recording lacks.

    Attributes
    ----------
    reason : str
        Sentence shown in the report in place of the section and stored as ``{"skipped": reason}`` in
        ``metrics.json`` (e.g. that the recording has no trials).
    """

    reason: str

    def to_metrics(self) -> dict:
        """``{"skipped": reason}``, the metrics of a skipped section."""
        return {"skipped": self.reason}


@dataclass(frozen=True)
class Stage:
    """One registered section of the report.

    Attributes
    ----------
    key : str
        Section key (``--sections`` name, ``metrics.json`` key, report anchor).
    title : str
        Heading without its number (numbers follow the registry order).
    module : str
        Module under ``neurodiscovery.pipeline.stages`` with ``compute`` and ``render``.
    needs : tuple of str
        Keys of earlier stages whose results ``compute`` reads.
    concurrent : bool
        May run in a second process while this one runs the others (it reads only the recording and
        seeds its own generators, so its result equals a one-process run's); see
        :attr:`~neurodiscovery.pipeline.config.AnalysisConfig.n_processes`.
    """

    key: str
    title: str
    module: str
    needs: tuple = ()
    concurrent: bool = False

    def load(self) -> ModuleType:
        """Import the stage's module (lazily: heavy imports happen only for stages that run)."""
        return importlib.import_module(f"{__name__}.{self.module}")

    @property
    def number(self) -> int:
        """1-based position in the report."""
        return SECTIONS.index(self.key) + 1


#: The report's sections in order.
REGISTRY: tuple[Stage, ...] = (
    Stage("summary", "Recording summary", "summary"),
    Stage("quality", "Unit quality", "quality"),
    Stage("tuning", "Tuning (tuning curves, place maps, reach direction; FDR-corrected)", "tuning"),
    Stage("encoding", "What each unit encodes (Poisson GLM, confounds accounted for)", "encoding"),
    Stage("psth", "Trial-averaged PSTHs", "psth"),
    Stage("population", "Population structure (PCA)", "population"),
    Stage("latents", "Latent structure (FA, t-SNE, head-direction ring)", "latents"),
    Stage("dynamics", "Population dynamics on trials (jPCA, forecasting)", "dynamics"),
    # decoding is about 60 % of a default run's CPU time: it runs beside the other stages
    Stage("decoding", "Decoding behaviour from population activity", "decoding", concurrent=True),
    Stage("prediction", "Behaviour prediction with the nested choice of decoder", "prediction", needs=("decoding",)),
)
#: Section keys in report order.
SECTIONS: tuple[str, ...] = tuple(s.key for s in REGISTRY)


def get_stage(key: str) -> Stage:
    """The registered :class:`Stage` called ``key`` (InputError listing the keys otherwise).

    Parameters
    ----------
    key : str
        A section key of :data:`SECTIONS` (as given to ``--sections``).

    Returns
    -------
    Stage

    Raises
    ------
    InputError
        For a key that is not registered.
    """
    for s in REGISTRY:
        if s.key == key:
            return s
    raise InputError(f"unknown section '{key}'; available: {', '.join(SECTIONS)}")


def resolve_sections(requested) -> tuple[str, ...]:
    """Requested section keys plus the stages they need, in report order.

    Parameters
    ----------
    requested : iterable of str

    Returns
    -------
    tuple of str

    Raises
    ------
    InputError
        For an unknown key or an empty request.
    """
    requested = [requested] if isinstance(requested, str) else list(requested)
    if not requested:
        raise InputError(f"no sections requested; available: {', '.join(SECTIONS)}")
    bad = [s for s in requested if s not in SECTIONS]
    if bad:
        raise InputError(f"unknown section(s) {', '.join(map(str, bad))}; available: {', '.join(SECTIONS)}")
    todo = set(requested)
    for stage in reversed(REGISTRY):  # needs always point backwards, so one reverse pass closes the set
        if stage.key in todo:
            todo.update(stage.needs)
    return tuple(s for s in SECTIONS if s in todo)
