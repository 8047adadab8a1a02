"""The :class:`Command` record: what a command of the toolkit declares (re-exported by :mod:`.command`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .._utils.metrics_schema import document

__all__ = ["Command"]


@dataclass(frozen=True)
class Command:
    """One command of the toolkit (CLI sub-command and Python entry point).

    Attributes
    ----------
    name : str
    help : str
        One line (``--help`` and ``neurodiscovery --help``).
    params : type
        Frozen parameters dataclass (:class:`~neurodiscovery._utils.params.Params`).
    compute : callable
        ``compute(params, inputs) -> result``; pure.
    render : callable
        ``render(result, figures) -> list of Section``.
    metrics_properties : callable
        ``() -> dict`` of the top-level ``metrics.json`` keys besides ``schema`` and ``key_numbers``
        (declared with :mod:`neurodiscovery._utils.metrics_schema`).
    load : callable, optional
        ``load(params) -> inputs`` when :func:`execute` gets no ``inputs`` (e.g. read ``params.file``).
    write : callable, optional
        ``write(result, folder)`` for files besides ``metrics.json`` and ``report.html``.
    line : callable, optional
        ``line(run_result) -> str``: what the CLI prints (default ``report: <folder>/report.html``).
    title : callable, optional
        ``title(params, result) -> str``: the report's heading.
    uses_torch : callable, optional
        ``uses_torch(params) -> bool``: whether torch's threads must be limited (importing torch costs
        a second).
    schema_version : int
        Version of the generated ``metrics.json`` schema; bump when a key changes meaning.
    stream : callable, optional
        ``stream(params, inputs, figures) -> (result, sections)``: compute and render interleaved, for a
        command whose parts overlap (``analyze`` decodes in a second process while this one computes and
        draws the other stages); :func:`execute` then calls it instead of ``compute`` and ``render``, which
        must give the same result.
    describe : callable, optional
        ``describe(params, inputs, result) -> dict``: ``config.json`` entries known once the inputs are
        loaded and the result computed (the caller's ``config`` wins on a shared key).
    formats : callable, optional
        ``formats(params) -> tuple of str``: figure file formats (default PNG only).
    schema_document : callable, optional
        ``() -> dict``: a shipped, versioned JSON Schema used instead of one generated from
        ``metrics_properties`` (``analyze``'s).
    metrics_required : tuple of str, optional
        Keys of ``metrics_properties`` every run writes (default: all of them).
    """

    name: str
    help: str
    params: type
    compute: Callable
    render: Callable
    metrics_properties: Callable[[], dict]
    load: Callable | None = None
    write: Callable | None = None
    line: Callable | None = None
    title: Callable | None = None
    uses_torch: Callable | None = None
    schema_version: int = 1
    stream: Callable | None = None
    describe: Callable | None = None
    formats: Callable | None = None
    schema_document: Callable | None = None
    metrics_required: tuple | None = None

    @property
    def schema_name(self) -> str:
        """``neurodiscovery.<name>.metrics``."""
        return f"neurodiscovery.{self.name}.metrics"

    def stamp(self) -> dict:
        """``{"name", "version"}`` written into ``metrics.json``."""
        return {"name": self.schema_name, "version": self.schema_version}

    def schema(self) -> dict:
        """The JSON Schema of this command's ``metrics.json``, generated from its declarations."""
        if self.schema_document is not None:
            return self.schema_document()
        return document(self.schema_name, self.schema_version, self.metrics_properties(),
                        required=self.metrics_required, title=f"metrics.json of neurodiscovery {self.name}")
