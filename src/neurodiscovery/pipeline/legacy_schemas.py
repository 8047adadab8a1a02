"""Declared ``metrics.json`` schemas of the commands whose run functions predate :func:`~.command.execute`.

Each entry returns the command's top-level keys, declared with :mod:`neurodiscovery._utils.metrics_schema`
(every numeric leaf with its unit); :func:`~.command.legacy_metrics` adds the schema stamp and the typed
key numbers. A command moved onto :func:`~.command.execute` takes its declaration along (``analyze``'s
schema is the versioned file ``schemas/analyze_metrics.schema.json``, ``sort``'s is declared in its module).
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


def _observer() -> dict:
    par = mapping(number("parameter unit", "in the parameter's own unit: stimulus units for locations, widths "
                                           "and thresholds, 1 for probabilities (lapse, guess)"))
    cmp = obj({"model": text(nullable=False), "log-likelihood": number("nat"), "parameters": _N("1", "parameters"),
               "AIC": number("1"), "BIC": number("1"), "held-out log-likelihood (CV)": number("nat")})
    return {"model": text(nullable=False), "n_trials": _N("1", "trials"), "params": par, "se": par,
            "ci95": mapping(array(number("parameter unit", "95 % parametric-bootstrap interval"))),
            "loglik": number("nat"), "aic": number("1"), "bic": number("1"), "comparison": array(cmp),
            "best_model_by_bic": text(), "threshold": number("stimulus unit"),
            "profile_ci95": mapping(array(number("parameter unit", "95 % profile-likelihood interval; an end at the "
                                                                   "domain's bound where the data cannot exclude it"))),
            "at_bound": mapping(boolean("estimate at the edge of its domain")),
            "n_at_bound": _N("1", "parameters at a bound"),
            "cue_optimality": any_json("predicted vs observed cue weights and combined SD (Quantity objects, rows)"),
            "slope_at_threshold": number("1/stimulus unit"),
            # recover
            "n_subjects": _N("1", "simulated subjects"), "n_trials_per_condition": _N("1", "trials"),
            "median_abs_error": par, "median_rel_error": mapping(number("1", "relative error")),
            "error_correlation": array(array(number("1", "correlation"))), "param_names": array(text()),
            "n_degenerate": _N("1", "simulated subjects with a recovered parameter at its bound"),
            "degenerate_subjects": array(obj({"subject": _N("1", "subject index"), "parameters": array(text())})),
            "model_recovery": obj({"models": array(text()), "confusion": array(array(_N("1", "subjects"))),
                                   "accuracy": number("1"), "criterion": text()}),
            "__required__": ("model",)}


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


def _em() -> dict:
    scores = {"adapted_rand_error": number("1"), "adapted_rand_precision": number("1"),
              "adapted_rand_recall": number("1"), "voi_split": number("bit"), "voi_merge": number("bit"),
              "voi_split_all": number("bit"), "voi_merge_all": number("bit"), "voi": number("bit"),
              "n_true": _N("1", "true objects"), "n_test": _N("1", "segmented objects")}
    slice_scores = obj(scores, required=())
    means = {f"{p}{k}": number("bit" if k.startswith("voi") else "1", "mean over slices")
             for p in ("mean_", "test_") for k in ("adapted_rand_error", "voi_split", "voi_merge", "voi")}
    return {  # train
        "train_time_s": number("s"), "train_cpu_s": number("s"), "n_iter_done": _N("1", "steps"),
        "best_iter": _N("1", "step", nullable=True), "n_parameters": _N("1", "network parameters"),
        "watershed_params": obj({"threshold": number("1"), "sigma_seeds_px": number("px"),
                                 "min_seed_distance_px": _N("px"), "sigma_boundary_px": number("px"),
                                 "merge_threshold": number("1"), "min_size": _N("voxel")}, required=()),
        **means, "test_per_slice": array(slice_scores),
        # segment
        "n_labels": _N("1", "labels"), "shape": array(_N("voxel", "volume shape")), "n_blocks": _N("1", "blocks"),
        "n_fragments": _N("1", "fragments"), "n_face_matches": _N("1", "matches"),
        # evaluate
        "per_slice": array(slice_scores), "volume": slice_scores,
        # trace
        "n_objects": _N("1", "objects"), "n_links": _N("1", "links"), "missing_sections": array(_N("1", "index")),
        "span_sections_quartiles_long": array(number("1", "sections")),
        "cable_length_nm_quartiles_long": array(number("nm")), "n_skeletons": _N("1", "skeletons"),
        "n_contacts": _N("1", "contacts"), "mean_degree": number("1", "contacts per object"),
        "max_degree": _N("1", "contacts"), "mean_clustering": number("1"), "density": number("1"),
        "median_strength_nm2": number("nm^2", "summed contact area per object"),
        "n_objects_multi_segment": _N("1", "objects holding more than one 2-D segment of some section"),
        "max_segments_per_section": _N("1", "most 2-D segments of one section in one object"),
        "__pattern__": {"^n_objects_spanning_ge_[0-9]+_sections$": _N("1", "objects")}, "__required__": ()}


def _connectome() -> dict:
    tracking = obj({"n_seeds": _N("1", "seeds"), "n_tracked": _N("1", "streamlines"),
                    "n_streamlines": _N("1", "streamlines"),
                    "response_evals_mm2_s": {"anyOf": [{"type": "null"}, array(number("mm^2/s"))]},
                    "response_voxels": _N("1", "voxels", nullable=True),
                    "response_fa_threshold": number("1"), "stage_seconds": mapping(number("s")),
                    "brain_mask_rule": text("how the brain mask was made"),
                    "brain_mask_voxels": _N("1", "voxels in the brain mask", nullable=True)}, required=())
    conn = obj({"n_streamlines": _N("1", "streamlines"), "n_assigned": _N("1", "streamlines"),
                "n_self": _N("1", "streamlines starting and ending in one region"),
                "n_between_regions": _N("1", "streamlines joining two different regions"),
                "n_edges": _N("1", "edges"), "n_regions": _N("1", "regions")})
    phantom = obj({"n_streamlines": _N("1", "streamlines"), "fraction_true": number("1"),
                   "fraction_true_of_assigned": number("1"), "true_edges_found": _N("1", "edges"),
                   "n_true_edges": _N("1", "edges"), "missing_edges": array(array(text())),
                   "false_edges": array(array(text())), "false_edge_streamlines": _N("1", "streamlines")})
    return {"timings_s": mapping(number("s")), "tractography": tracking, "connectivity": conn,
            "graph": obj({}, required=()), "phantom": phantom, "__required__": ("timings_s", "connectivity")}


#: name -> (version, declaration function).
_DECLARED = {"circuit": (1, _circuit), "dynamics": (2, _dynamics), "latents": (2, _latents), "learn": (1, _learn),
             "observer": (1, _observer), "simulate": (1, _simulate),
             "em": (1, _em), "connectome": (1, _connectome)}
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
