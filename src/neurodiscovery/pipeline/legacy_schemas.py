"""Declared ``metrics.json`` schemas of the commands whose run functions predate :func:`~.command.execute`.

Each entry returns the command's top-level keys, declared with :mod:`neurodiscovery._utils.metrics_schema`
(every numeric leaf with its unit); :func:`~.command.legacy_metrics` adds the schema stamp and the typed
key numbers. ``analyze``'s schema is the versioned file ``schemas/analyze_metrics.schema.json`` (its
numbers carry units too). A command moved onto :func:`~.command.execute` takes its declaration along.
"""
from __future__ import annotations

from .._utils.metrics_schema import (
    any_json,
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


def _circuit() -> dict:
    return {"model": text(nullable=False), "r2_test": number("1", "held-out R² (test trials, free-running)"),
            "r2_val": number("1", "validation R²"), "n_units": _N("1", "network units observed"),
            "n_train": _N("1", "training trials"), "n_val": _N("1", "validation trials"),
            "n_test": _N("1", "test trials"), "train_s": number("s", "training wall time"),
            "connectivity_singular_values": array(number("1", "singular value of the connectivity (dt/tau units)")),
            "n_trials": _N("1", "trials"), "n_neurons": _N("1", "neurons"), "inputs": array(text()),
            "identifiability": text(), **_fit_quality()}


def _fit_quality() -> dict:
    return {"fit_r2_test": quantity_field("held-out R² of the network the claims are read off"),
            "fit_r2_threshold": number("1", "held-out R² below which the run warns (dynamics.MIN_FIT_R2)"),
            "fit_warning": text("why the network's claims are weak; null when the fit reaches the threshold")}


def _dynamics() -> dict:
    skill = {"type": "object", "description": "held-out skill at horizon k bins",
             "patternProperties": {"^bits_per_spike_h[0-9]+$": number("bits/spike"), "^r2_h[0-9]+$": number("1")},
             "additionalProperties": False}
    common = {"method": {"enum": ["jpca", "forecast", "fixed-points"]}, "n_trials": _N("1", "trials"),
              "n_time_bins": _N("1", "time bins per trial"), "n_neurons": _N("1", "neurons"),
              "bin_size_s": number("s", "bin width"),
              "aligned_on": text("trial-table event the trials are aligned to"),
              "window_s": array(number("s", "window start / stop relative to the event"))}
    jpca = {"frequencies_hz": array(number("Hz")), "plane_r2": array(number("1")), "r2_skew": number("1"),
            "r2_best": number("1"), "rotation_fraction": number("1"), "variance_explained": number("1"),
            "n_pcs": _N("1", "PCs"), "n_conditions": _N("1", "conditions")}
    forecast = {"metric": {"enum": ["bits_per_spike", "r2"]}, "noise": text(), "n_train": _N("1", "trials"),
                "n_val": _N("1", "trials"), "n_test": _N("1", "trials"),
                "chosen": obj({"persistence_bins": _N("1", "bins"), "var_order": _N("1", "lags"),
                               "var_alpha": number("1", "ridge penalty"), "rnn_epochs": _N("1", "epochs"),
                               "rnn_best_epoch": _N("1", "epoch", nullable=True), "rnn_train_s": number("s")},
                              required=()),
                "rnn": skill, "var": skill, "persistence": skill}
    fixed = {"n_points": _N("1", "fixed points"), **{f"n_{k}": _N("1", f"{k} points") for k in
                                                      ("stable", "saddle", "unstable", "marginal", "slow")},
             "max_speed_fixed": number("1/step", "largest |F(h) - h| of a non-slow point (network state units)"),
             "circuit_r2_test": number("1", "held-out R² of the fitted circuit (null with --checkpoint)"),
             "input_held_at": text(), **_fit_quality()}
    props = {**common, "plane1_frequency_hz": number("Hz"), **jpca, **forecast, **fixed}
    # the frequency of every jPCA plane is also written as plane<k>_frequency_hz
    return {"__pattern__": {"^plane[0-9]+_frequency_hz$": number("Hz")}, **props,
            "__required__": tuple(common)}


def _latents() -> dict:
    return {"method": text(nullable=False), "dim": _N("1", "latent dimensions"),
            "co_bps": number("bits/spike", "co-smoothing of held-out neurons, test trials"),
            "psth_r2": number("1"), "behavior_r2": number("1"),
            "psth_r2_note": text("why the PSTH R² is not reported (trials do not repeat conditions)"),
            "recon_bps": number("bits/spike", "held-in neurons reconstructed, test trials"),
            "train_s": number("s", "fitting wall time"),
            "smoothing_co_bps": number("bits/spike", "co-smoothing of the smoothing baseline"),
            "n_trials": _N("1", "trials"), "n_time_bins": _N("1", "bins per trial"), "n_neurons": _N("1", "neurons"),
            "n_train_trials": _N("1", "trials"), "n_test_trials": _N("1", "trials"),
            "n_heldout_neurons": _N("1", "neurons"), "behavior": text(), "trials_from": text(),
            "training": obj({"epochs": _N("1", "epochs"), "best_epoch": _N("1", "epoch", nullable=True),
                             "stopped": text()}, required=()),
            # method "ring"
            "n_units": _N("1", "units"), "unit_ids": any_json("unit ids of the file"),
            "bin_size_s": number("s"), "median_error_deg": number("deg", "second half of wake"),
            "fit_s": number("s"), "n_wake_bins": _N("1", "bins"), "n_sleep_bins": _N("1", "bins"),
            "sleep_off_ring": quantity_field("sleep bins off the wake ring (no angle given)"),
            "off_ring_distance": number("1", "distance from wake activity (square-root counts) beyond which a "
                                             "bin is off the ring"),
            "alignment": {"anyOf": [{"type": "null"}, obj({"sign": integer("1", "+1 or -1"),
                                                              "offset_rad": number("rad")})]},
            "__required__": ("method",)}


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
_DECLARED = {"circuit": (1, _circuit), "dynamics": (2, _dynamics), "latents": (2, _latents), "learn": (1, _learn),
             "simulate": (1, _simulate),
             "sort": (1, _sort)}
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
