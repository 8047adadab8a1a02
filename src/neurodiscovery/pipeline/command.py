"""The command protocol: ``Params`` -> ``compute`` -> typed result -> ``render`` -> one run folder.

Every ``neurodiscovery`` command is a :class:`Command`: a frozen parameters dataclass (the single
home of every default and constraint; the CLI options are generated from it), a pure
``compute(params, inputs) -> result`` (no files, no figures, no global state), a
``render(result, figures) -> list of Section`` and the declaration of its ``metrics.json``. One
function, :func:`execute`, runs any command: it owns the run folder (built atomically, never
overwriting), the thread limits (restored afterwards), figure creation without touching the
user's matplotlib backend, progress, and the schema stamp of ``metrics.json``.

How to add a command
--------------------
1. In the module that implements it (``pipeline/<name>.py``; keep heavy imports inside functions so
   ``neurodiscovery --help`` stays instant), declare the parameters::

       @dataclass(frozen=True)
       class FooParams(Params):
           file: str | None = option(None, "recording", positional=True)
           bin_size_s: float = option(0.05, "bin width", unit="s", low=0, low_open=True, flag="--bin-size")
           seed: int = option(0, "random seed", low=0)
           n_threads: int = option(1, "BLAS and torch threads", low=1, flag="--threads")

2. Write ``compute(params, inputs) -> FooResult``; the result is a frozen dataclass with
   ``key_numbers() -> list of Quantity`` (from :mod:`neurodiscovery._utils.quantity`: every number
   with its unit and what it counts) and ``to_metrics() -> dict`` (JSON-ready details). Call
   :func:`report_progress` for progress lines. Write ``render(result, figures) -> list of Section``
   (figures through ``figures.save(fig, name, caption)``; create figures with
   ``matplotlib.figure.Figure`` or pyplot, never ``matplotlib.use``).
3. Declare ``metrics_properties() -> dict`` with the helpers of
   :mod:`neurodiscovery._utils.metrics_schema` (``number(unit)``, ``integer``, ``obj``, ``mapping``,
   ...): the JSON Schema of ``metrics.json`` is generated from it and every numeric leaf needs a unit.
4. ``COMMAND = Command("foo", "one-line help", FooParams, compute, render, metrics_properties,
   load=...)`` at the end of the module, and one line in :data:`REGISTRY` below. The CLI module
   ``_cli/foo.py`` is three lines: ``NAME, HELP, add_arguments, main = cli_command("foo")``.
5. The README's Python section shows ``execute("foo", FooParams(...), inputs=...)``; the contract test
   (``tests/pipeline/test_commands.py``) runs every registered command on small data and validates its
   ``metrics.json`` against the generated schema.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Callable

from .._utils.errors import InputError
from .._utils.metrics_schema import missing_units
from .._utils.runtime import figure_context, thread_limits
from ._command_record import Command
from ._progress import _PROGRESS, _RUN_DIR, RunResult, progress_callback, report_progress, run_directory, scratch_folder

__all__ = ["ACTIONS", "GROUPS", "REGISTRY", "Command", "RunResult", "cli_words", "command_names", "command_schema",
           "execute", "figure_context", "get_command", "progress_callback", "report_progress", "run_directory",
           "scratch_folder",
           "thread_limits", "validate_metrics"]

#: Command name -> module holding its ``COMMAND`` (imported on first use).
REGISTRY: dict[str, str] = {
    "analyze": "neurodiscovery.pipeline.analyze_command",
    "circuit": "neurodiscovery.pipeline.circuit",
    "connectome": "neurodiscovery.pipeline.connectome",
    "observer-fit": "neurodiscovery.pipeline.observer",
    "observer-recover": "neurodiscovery.pipeline.observer_recover",
    "em-train": "neurodiscovery.pipeline.em",
    "em-segment": "neurodiscovery.pipeline.em_segment",
    "em-evaluate": "neurodiscovery.pipeline.em_evaluate",
    "em-trace": "neurodiscovery.pipeline.em_trace",
    "decode": "neurodiscovery.pipeline.decode",
    "deconvolve": "neurodiscovery.pipeline.deconvolve",
    "dynamics": "neurodiscovery.pipeline.dynamics",
    "latents": "neurodiscovery.pipeline.latents",
    "learn": "neurodiscovery.pipeline.learn",
    "learn-continual": "neurodiscovery.pipeline.learn_continual",
    "learn-spiking": "neurodiscovery.pipeline.learn_spiking",
    "morphology": "neurodiscovery.pipeline.morphology",
    "simulate": "neurodiscovery.pipeline.simulate",
    "sort": "neurodiscovery.pipeline.sort",
}

#: CLI command -> the registered commands that are its sub-commands (``em segment`` runs ``em-segment``);
#: ``neurodiscovery schema em`` prints one schema that accepts any of theirs.
GROUPS: dict[str, tuple[str, ...]] = {
    "observer": ("observer-fit", "observer-recover"),
    "em": ("em-train", "em-segment", "em-evaluate", "em-trace"),
}

#: registered command -> the CLI words of an action of another command (``learn spiking`` runs
#: ``learn-spiking`` while plain ``learn`` runs ``learn``; ``_cli._command.cli_actions``).
ACTIONS: dict[str, tuple[str, str]] = {"learn-spiking": ("learn", "spiking"), "learn-continual": ("learn", "continual")}


def command_names() -> tuple[str, ...]:
    """Names of the registered commands (:data:`REGISTRY`), sorted."""
    return tuple(sorted(REGISTRY))


def cli_words(name: str) -> tuple[str, ...]:
    """The CLI words that run registered command ``name`` (``("em", "segment")`` for ``em-segment``).

    Parameters
    ----------
    name : str
        A registered command.
    """
    for group, members in GROUPS.items():
        if name in members:
            return group, name[len(group) + 1:]
    return ACTIONS.get(name, (name,))


def _group_schema(group: str) -> dict:
    """One schema accepting the ``metrics.json`` of any sub-command of ``group`` (their stamps tell them apart)."""
    docs = [get_command(name).schema() for name in GROUPS[group]]
    defs = docs[0]["$defs"]
    one_of = [{k: v for k, v in d.items() if k not in ("$schema", "$id", "$defs")} for d in docs]
    return {"$schema": docs[0]["$schema"], "$id": f"neurodiscovery.{group}.metrics",
            "title": f"metrics.json of neurodiscovery {group} ({', '.join(GROUPS[group])})", "oneOf": one_of,
            "$defs": defs}


def get_command(name: str) -> Command:
    """The registered :class:`Command` called ``name`` (InputError listing the names otherwise).

    Parameters
    ----------
    name : str or Command
        A name of :func:`command_names` (a :class:`Command` is returned as is).
    """
    if isinstance(name, Command):
        return name
    if name not in REGISTRY:
        raise InputError(f"unknown command '{name}'; available: {', '.join(command_names())}")
    return importlib.import_module(REGISTRY[name]).COMMAND


def command_schema(name: str) -> dict:
    """The generated JSON Schema of command ``name``'s ``metrics.json`` (every number with a unit).

    Parameters
    ----------
    name : str
        A registered command or a group of them (:data:`GROUPS`).

    Raises
    ------
    RuntimeError
        When a declaration leaves a numeric leaf without a unit (a bug in the command).
    """
    if name in GROUPS:
        schema = _group_schema(name)
    else:
        schema = get_command(name).schema()
    bad = missing_units(schema)
    if bad:
        raise RuntimeError(f"metrics schema of '{name}' has numbers without a unit: {', '.join(bad[:5])}")
    return schema


def validate_metrics(name: str, metrics: dict) -> None:
    """Validate ``metrics`` against command ``name``'s schema when ``NEURODISCOVERY_VALIDATE_METRICS`` is set.

    The test suite sets it, so every ``metrics.json`` its commands write is checked against the
    declarations (jsonschema is a test dependency, not a runtime one).
    """
    if not os.environ.get("NEURODISCOVERY_VALIDATE_METRICS"):
        return
    import json

    import jsonschema

    from .._utils.runfolder import _jsonable

    jsonschema.validate(json.loads(json.dumps(_jsonable(metrics))), command_schema(name))


def _title(cmd: Command, params, result) -> str:
    return cmd.title(params, result) if cmd.title is not None else f"neurodiscovery {cmd.name}"


def _formats(cmd: Command, params) -> tuple:
    return tuple(cmd.formats(params)) if cmd.formats is not None else ("png",)


def _compute_render(cmd: Command, params, inputs, figures, n_threads: int, torch: bool):
    """``(result, sections)``: compute under the thread limits, render off-screen (or both, streamed)."""
    if cmd.stream is not None:
        with thread_limits(n_threads, torch=torch), figure_context():
            return cmd.stream(params, inputs, figures)
    with thread_limits(n_threads, torch=torch):
        result = cmd.compute(params, inputs)
    with figure_context():
        return result, cmd.render(result, figures)


def execute(command: str | Command, params=None, *, inputs=None, out: str | Path | None = None,
            runs_root: str | Path = "runs", progress: Callable[[str], None] | None = None,
            config: dict | None = None) -> RunResult:
    """Run ``command`` into a new run folder: the one path of the CLI and of Python users.

    Parameters
    ----------
    command : str or Command
        A registered name (:func:`command_names`) or a :class:`Command`.
    params : Params, optional
        The command's parameters dataclass (default: all defaults).
    inputs : object, optional
        What ``compute`` reads (e.g. a Recording); default ``command.load(params)``.
    out : path, optional
        Run folder to create (must not exist); default ``<runs_root>/<UTC>-<command>``.
    runs_root : path
        Parent of the default run folder.
    progress : callable, optional
        Receives progress lines (the CLI prints them to stderr).
    config : dict, optional
        Extra entries for ``config.json`` (e.g. the input file).

    Returns
    -------
    RunResult
        ``path`` (``metrics.json``, ``report.html``, ``config.json``, ``figures/``, command files),
        the typed ``result``, the ``metrics`` written and the CLI's ``line``.
    """
    from .._utils.runfolder import RunFolder
    from .report import FigureWriter, render_html

    cmd = get_command(command)
    params = cmd.params() if params is None else params
    if not isinstance(params, cmd.params):
        raise InputError(f"'{cmd.name}' takes {cmd.params.__name__}, got {type(params).__name__}")
    if hasattr(cmd, "run_file"):  # a FileCommand (pipeline/file_command.py): one new file, no run folder
        return cmd.run_file(params, inputs=inputs, out=out, progress=progress)
    run_cfg = {**(config or {}), **params.to_json(), "seed": getattr(params, "seed", None),
               "metrics_schema": cmd.stamp()}
    n_threads = int(getattr(params, "n_threads", None) or 1)  # None: the command chooses its own threads
    torch = True if cmd.uses_torch is None else bool(cmd.uses_torch(params))
    token, dir_token = _PROGRESS.set(progress), None
    try:
        with RunFolder(cmd.name, out=out, root=runs_root, config=run_cfg) as run:
            dir_token = _RUN_DIR.set(run.dir)
            if inputs is None:
                inputs = cmd.load(params) if cmd.load is not None else None
            result, sections = _compute_render(cmd, params, inputs, FigureWriter(run.figures, _formats(cmd, params)),
                                               n_threads, torch)
            if cmd.describe is not None:
                extra = cmd.describe(params, inputs, result)
                run.config.update({k: v for k, v in extra.items() if k not in (config or {})})
            # the result's own key numbers, then those its sections declare (analyze's stages)
            key_numbers = [*result.key_numbers(), *(q for s in sections for q in s.key_numbers)]
            metrics = {"schema": cmd.stamp(), "key_numbers": {q.label: q.to_json() for q in key_numbers},
                       **result.to_metrics()}
            validate_metrics(cmd.name, metrics)
            run.write_metrics(metrics)
            if cmd.write is not None:
                cmd.write(result, run.dir)
            run.write_text("report.html", render_html(_title(cmd, params, result), key_numbers, sections,
                                                      run.figures, run.config))
    finally:
        _PROGRESS.reset(token)
        if dir_token is not None:
            _RUN_DIR.reset(dir_token)
    res = RunResult(run.path, result, metrics)
    line = cmd.line(res) if cmd.line is not None else f"report: {run.path / 'report.html'}"
    return RunResult(run.path, result, metrics, line)
