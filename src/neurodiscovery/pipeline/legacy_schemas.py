"""Declared ``metrics.json`` schemas of the commands whose run functions predate :func:`~.command.execute`.

Each entry returns the command's top-level keys, declared with :mod:`neurodiscovery._utils.metrics_schema`
(every numeric leaf with its unit); :func:`~.command.legacy_metrics` adds the schema stamp and the typed
key numbers. ``analyze``'s schema is the versioned file ``schemas/analyze_metrics.schema.json`` (its
numbers carry units too). A command moved onto :func:`~.command.execute` takes its declaration along.
"""
from __future__ import annotations

from .._utils.metrics_schema import (
    document,
    integer,
)

__all__ = ["LEGACY_SCHEMAS", "LEGACY_VERSIONS", "legacy_metrics"]

_N = integer  # counts: unit "1", the description says what is counted




#: name -> (version, declaration function).
_DECLARED: dict = {}
LEGACY_VERSIONS: dict = {name: v for name, (v, _) in _DECLARED.items()}


def _build(name: str):
    version, fn = _DECLARED[name]

    def schema() -> dict:
        props = fn()
        pattern = props.pop("__pattern__", None)
        required = props.pop("__required__", None)
        doc = document(f"neurodiscovery.{name}.metrics", version, props, required=required,
                       title=f"metrics.json of neurodiscovery {name}")
        if pattern:
            doc["patternProperties"] = pattern
        return doc

    return schema


LEGACY_SCHEMAS: dict = {name: _build(name) for name in _DECLARED}


def legacy_metrics(name: str, metrics: dict, key_numbers=()) -> dict:
    """``metrics.json`` of a command whose run function predates :func:`execute`: schema stamp, typed
    key numbers, then ``metrics`` (validated like :func:`execute`'s).

    Parameters
    ----------
    name : str
        Command name with a schema in :mod:`~neurodiscovery.pipeline.legacy_schemas`.
    metrics : dict
        The command's own keys.
    key_numbers : iterable of Quantity
    """
    from .command import validate_metrics

    out = {"schema": {"name": f"neurodiscovery.{name}.metrics", "version": LEGACY_VERSIONS[name]},
           "key_numbers": {q.label: q.to_json() for q in key_numbers}, **metrics}
    validate_metrics(name, out)
    return out
