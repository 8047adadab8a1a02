"""Declared ``metrics.json`` schemas of the commands whose run functions predate :func:`~.command.execute`.

Each entry returns the command's top-level keys, declared with :mod:`neurodiscovery._utils.metrics_schema`
(every numeric leaf with its unit); :func:`~.command.legacy_metrics` adds the schema stamp and the typed
key numbers. ``analyze``'s schema is the versioned file ``schemas/analyze_metrics.schema.json`` (its
numbers carry units too). A command moved onto :func:`~.command.execute` takes its declaration along.
"""
from __future__ import annotations

from .._utils.metrics_schema import (
    array,
    boolean,
    document,
    integer,
    mapping,
    number,
    obj,
    quantity_field,
    text,
)

__all__ = ["LEGACY_SCHEMAS", "LEGACY_VERSIONS", "legacy_metrics"]

_N = integer  # counts: unit "1", the description says what is counted


def _learn() -> dict:
    row = obj({"rule": text(nullable=False), "test_accuracy_mean": number("1", "fraction correct, mean over seeds"),
               "test_accuracy_sd": number("1", "SD over seeds"), "n_seeds": _N("1", "seeds"),
               "learning_rates": array(number("1", "learning rate chosen on validation")),
               "epochs": array(_N("1", "epochs")), "train_time_s_mean": number("s"),
               "weight_transport": boolean(),
               "gap_to_backprop_points": number("percentage points", "backprop accuracy minus this rule's")},
              required=("rule", "test_accuracy_mean"))
    seed = obj({"seed": _N("1", "seed"), "learning_rate": number("1"), "n_epochs": _N("1", "epochs"),
                "val_accuracy": number("1", "fraction correct"), "test_accuracy": number("1", "fraction correct"),
                "train_time_s": number("s")})
    return {"task": text(), "table": array(row), "seeds": mapping(array(seed), "rule -> one entry per seed")}


def _simulate() -> dict:
    rates = obj({k: quantity_field(f"population rate (Hz), {k}, mean over trials with a 95 % interval")
                 for k in ("control", "intervention", "change")})
    intervention = obj({"name": text(nullable=False), "kind": text(nullable=False), "population": text(),
                        "projection": text(), "factor": number("1", "weight multiplier"),
                        "measured_in_ms": array(array(number("ms"))), "rate_hz": mapping(rates)})
    return {"__pattern__": {"^.+_rate_hz$": number("Hz", "population mean rate in the analysis window")},
            # --protocol runs
            "interventions": array(intervention), "trials": _N("1", "trials (seeds)"),
            "seeds": array(_N("1", "seed")), "__required__": ()}


def _sort() -> dict:
    from ..sorting import METRIC_UNITS

    unit_row = obj({k: number(u if u not in ("spikes", "violations") else "1", k) for k, u in METRIC_UNITS.items()},
                   required=())
    bound = obj({"less": number("1", "inclusive upper bound, in the metric's unit"),
                 "greater": number("1", "inclusive lower bound, in the metric's unit")}, required=())
    return {"n_units": _N("1", "units the sorter found"), "n_good": _N("1", "units labelled good"),
            "duration_s": number("s", "recording duration"), "n_channels": _N("1", "channels"),
            "sampling_rate_hz": number("Hz", "sampling rate"), "timings_s": mapping(number("s", "wall time")),
            "curation": obj({"thresholds": mapping(bound), "labels": mapping(text()), "failed": mapping(text())}),
            "unit_metrics": mapping(unit_row, "per sorted unit: its quality metrics")}


def _analyze() -> dict:
    from .schema import metrics_schema

    return metrics_schema()


#: name -> (version, declaration function).
_DECLARED = {"learn": (1, _learn), "simulate": (1, _simulate), "sort": (1, _sort)}
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


LEGACY_SCHEMAS: dict = {"analyze": _analyze, **{name: _build(name) for name in _DECLARED}}


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
