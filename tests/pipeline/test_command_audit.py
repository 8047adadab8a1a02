"""Regressions found by running the converted commands on real files (the command-protocol audit).

Each test plants what the command must report and checks the number, its unit and its denominator.
"""
import numpy as np
import pytest

from neurodiscovery.pipeline.command import command_schema, execute


def _hd_recording(n_tuned=6, duration_s=120.0, seed=0):
    """Head-direction cells on a random-walk angle plus one unit that never fires."""
    from neurodiscovery.data import Recording, TimeSeries

    rng = np.random.default_rng(seed)
    dt = 0.02
    t = np.arange(0, duration_s, dt)
    theta = np.mod(np.cumsum(rng.normal(0, 0.08, t.size)), 2 * np.pi)
    prefs = np.linspace(0, 2 * np.pi, n_tuned, endpoint=False)
    trains = []
    for p in prefs:
        rate = 1 + 30 * np.exp(2 * (np.cos(theta - p) - 1))  # Hz
        trains.append(np.sort(t[rng.random(t.size) < rate * dt] + rng.uniform(0, dt)))
    trains.append(np.array([]))  # silent unit
    hd = TimeSeries("head_direction", t, theta[:, None], units="rad", circular=True)
    return Recording(trains, behaviors={"head_direction": hd}, time_support_s=np.array([0.0, duration_s]))


def test_decode_circular_rmse_unit_and_units_used(tmp_path):
    """A circular behaviour is scored on (cos, sin): RMSE unit '1' (not rad), and the units read are recorded."""
    import jsonschema

    from neurodiscovery.pipeline.decode import DecodeParams

    rec = _hd_recording()
    params = DecodeParams(target="head_direction", decoders=("wiener",), n_splits=2, shuffle_control=False,
                          bin_size_s=0.1)
    run = execute("decode", params, inputs=rec, out=tmp_path / "r")
    m = run.metrics
    jsonschema.validate(m, command_schema("decode"))
    assert m["target_units"] == "rad" and m["rmse_units"] == "1"
    assert m["n_units"] == 6 and m["n_units_dropped_silent"] == 1
    # RMSE of unit vectors' components is at most sqrt(2); in radians it could reach pi
    assert 0 < m["decoders"]["wiener"]["rmse_mean"] < np.sqrt(2)
    units = m["key_numbers"]["units decoded from"]
    assert (units["value"], units["of"], units["counts"]) == (6, 7, "units")
    schema_rmse = command_schema("decode")["properties"]["decoders"]["additionalProperties"]["properties"]["rmse_mean"]
    assert schema_rmse["unit"] == "rmse_units"


def test_observer_fit_report_sentences_name_their_counts(tmp_path):
    """Counts in the report's text carry their label ("parameters at a bound ...: 0 of 5"), not a bare "0 of 5"."""
    import html
    import re

    from neurodiscovery.pipeline.observer import ObserverFitParams
    from neurodiscovery.theory import simulate_observer, write_trials

    table, _ = simulate_observer("cue-combination", {}, n_trials=240, seed=1)
    path = write_trials(table, tmp_path / "trials.csv")
    run = execute("observer-fit", ObserverFitParams(data=str(path), model="cue-combination", n_bootstrap=0,
                                                    cv_folds=0), out=tmp_path / "r")
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", (run.path / "report.html").read_text())))
    n = len(run.metrics["params"])
    assert f"parameters at a bound of their domain: {run.metrics['n_at_bound']} of {n} parameters. " in text
    assert "fitted motor SD" in text  # the optimality test removes it from the single-cue SDs
    assert re.search(r"cues whose optimal weight lies inside the observed weight's 95 % interval: \d of \d cues",
                     text, flags=re.I)


def test_observer_recover_model_recovery_is_a_count_of_datasets(tmp_path):
    """Model recovery says how many simulated datasets the criterion assigned to their generating model."""
    from neurodiscovery.pipeline.observer_recover import ObserverRecoverParams

    run = execute("observer-recover", ObserverRecoverParams(n_subjects=2, n_trials=60), out=tmp_path / "r")
    conf = np.array(run.metrics["model_recovery"]["confusion"])
    key = run.metrics["key_numbers"]["simulated datasets whose generating model BIC chose"]
    assert (key["value"], key["of"], key["counts"]) == (int(np.trace(conf)), int(conf.sum()), "simulated datasets")
    assert conf.sum() == 2 * len(run.metrics["model_recovery"]["models"])


def test_ring_units_counted_out_of_the_recording(tmp_path):
    """The ring reads the head-direction units only: the key number says how many of all units."""
    from neurodiscovery.data import Recording, TimeSeries
    from neurodiscovery.pipeline.latents import LatentsParams

    rec = _hd_recording(n_tuned=8, duration_s=200.0)
    rng = np.random.default_rng(1)
    trains = [*rec.spike_times[:8], np.sort(rng.uniform(0, 200, 400)), np.sort(rng.uniform(0, 200, 400))]
    hd = rec.behavior("head_direction")
    rec = Recording(trains, regions=["adn"] * 8 + ["ca1"] * 2,
                    behaviors={"head_direction": TimeSeries("head_direction", hd.t_s, hd.values, units="rad",
                                                            circular=True)},
                    epochs={"wake": np.array([[0.0, 200.0]])}, time_support_s=np.array([0.0, 200.0]))
    run = execute("latents", LatentsParams(method="ring"), inputs=rec, out=tmp_path / "r")
    key = [v for k, v in run.metrics["key_numbers"].items() if k.startswith("units on the ring")][0]
    assert (key["value"], key["of"], key["counts"]) == (8, 10, "units")
    assert run.metrics["n_units_total"] == 10


@pytest.mark.slow  # tracks the whole phantom (~6 s idle, 30 s on the loaded 2-core machine)
def test_connectome_phantom_accuracy_is_a_count_of_streamlines(tmp_path):
    """'streamlines joining truly connected regions' is k of all streamlines, matching the phantom score."""
    from neurodiscovery.pipeline.connectome import ConnectomeParams

    run = execute("connectome", ConnectomeParams(phantom_snr=20.0, n_null=0, seeds_per_voxel=1), out=tmp_path / "r")
    key = run.metrics["key_numbers"]["streamlines joining truly connected regions (phantom wiring)"]
    n = run.metrics["connectivity"]["n_streamlines"]
    assert (key["of"], key["counts"]) == (n, "streamlines")
    assert key["value"] == round(run.metrics["phantom"]["fraction_true"] * n) and key["value"] > 0.8 * n


def test_decode_prints_one_line_with_units(tmp_path, capsys):
    """The CLI prints one line (key numbers with labels and units, the run folder); the table is comparison.md."""
    from neurodiscovery.cli import main

    out = tmp_path / "d"
    assert main(["decode", "builtin:reaching", "--target", "hand_velocity", "--decoders", "wiener", "--bin-size",
                 "0.05", "--n-splits", "2", "--no-control", "--no-progress", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and "units decoded from 60 of 60 units" in printed[0]
    assert printed[0].endswith(f"run folder: {out}") and (out / "comparison.md").is_file()
    import json

    cfg = json.loads((out / "config.json").read_text())  # the decoders run, not 'null' for the default list
    assert cfg["decoders_used"] == ["wiener"] and cfg["n_units_in_file"] == 60 and cfg["seed"] == 0


def test_file_with_nan_spike_times_names_the_file(tmp_path, capsys):
    """A recording file with NaN spike times: one line naming the file, exit 2 (was 'spike_times[0]: ...')."""
    from neurodiscovery.cli import main
    from neurodiscovery.data import write_recording

    rec = _hd_recording(n_tuned=3, duration_s=20.0)
    path = tmp_path / "nan.npz"
    write_recording(rec, path)
    d = dict(np.load(path, allow_pickle=True))
    d["spike_times"] = d["spike_times"].astype(float)
    d["spike_times"][3] = np.nan
    np.savez(path, **d)
    assert main(["decode", str(path), "--target", "head_direction", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "NaN" in err[0] and not (tmp_path / "r").exists()


def test_em_segment_nan_volume_names_the_file(tmp_path, capsys):
    from neurodiscovery.cli import main

    path = tmp_path / "nan.npz"
    raw = np.random.default_rng(0).random((2, 16, 16))
    raw[0, 3, 3] = np.nan
    np.savez(path, raw=raw)
    assert main(["em", "segment", str(path), "--key", "raw", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{path} contains NaN or inf" in err[0] and not (tmp_path / "r").exists()


def test_em_evaluate_names_the_sections_it_scored(tmp_path):
    """Per-section scores say which z index of the truth they are (a --slices subset is not 0..n-1)."""
    from neurodiscovery.pipeline.em_evaluate import EmEvaluateParams

    truth = np.zeros((5, 32, 32), np.uint32)
    truth[:, :, :16], truth[:, :, 16:] = 1, 2
    seg = truth.copy()
    seg[3, :16, 16:] = 3  # section 3 splits object 2: the only imperfect section
    np.save(tmp_path / "seg.npy", seg[[1, 3]])
    np.save(tmp_path / "gt.npy", truth)
    run = execute("em-evaluate", EmEvaluateParams(seg=str(tmp_path / "seg.npy"), gt=str(tmp_path / "gt.npy"),
                                                  slices=(1, 3), gt_is_mask="no"), out=tmp_path / "r")
    assert run.metrics["sections"] == [1, 3]
    per = dict(zip(run.metrics["sections"], run.metrics["per_slice"]))
    assert per[1]["adapted_rand_error"] < 1e-9 < per[3]["adapted_rand_error"]
    assert "<th>section</th>" in (run.path / "report.html").read_text()


def test_em_train_report_has_loss_curve_and_named_test_sections(tmp_path):
    """em train's report shows the training/validation loss and names each test section's z index."""
    from neurodiscovery.pipeline.em import EmTrainParams

    rng = np.random.default_rng(0)
    lab = np.full((4, 48, 48), 255, np.uint8)
    lab[:, ::16, :] = 0
    lab[:, :, ::16] = 0  # a planted grid of membranes
    raw = np.clip(np.where(lab == 0, 60, 190) + rng.normal(0, 15, lab.shape), 0, 255).astype(np.uint8)
    np.savez(tmp_path / "em.npz", raw=raw, membrane_label=lab)
    params = EmTrainParams(data=str(tmp_path / "em.npz"), train_slices=(0, 1), val_slices=(2,), test_slices=(3,),
                           base_channels=4, depth=2, n_iter=4, val_every=2, batch_size=1, patch_px=32, n_threads=1,
                           tune=False)
    run = execute("em-train", params, out=tmp_path / "r")
    assert (run.path / "figures" / "training_loss.png").is_file()
    html = (run.path / "report.html").read_text()
    assert "training_loss" in html and "<th>section</th>" in html and "<td>3</td>" in html


def test_latents_on_imaging_says_it_needs_spikes(tmp_path, capsys):
    """latents on an imaging recording: one line saying it needs spikes (was a Poisson-count error under pca)."""
    from neurodiscovery.cli import main
    from neurodiscovery.data import write_recording
    from neurodiscovery.datasets import make_calcium_imaging

    path = tmp_path / "calcium.npz"
    write_recording(make_calcium_imaging(n_hd=2, n_place=2, n_noncell=1, duration_s=30, seed=5).recording, path)
    assert main(["latents", str(path), "--method", "pca", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds imaging traces, not spikes" in err[0] and not (tmp_path / "r").exists()


def test_circuit_poor_fit_warns_on_the_command_line(tmp_path, capsys):
    """A network below the fit threshold: the warning reaches stderr (it was only in the report and metrics)."""
    from neurodiscovery.cli import main

    out = tmp_path / "c"
    assert main(["circuit", "builtin:reaching", "--max-epochs", "1", "--bin-size", "0.05", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    import json

    m = json.loads((out / "metrics.json").read_text())
    assert m["r2_test"] < 0.5 and m["fit_warning"]
    assert "warning: the network explains" in captured.err and len(captured.out.strip().splitlines()) == 1


def test_em_trace_counts_objects_without_a_skeleton(tmp_path):
    """Objects too small to skeletonise are counted: 'objects with a skeleton: k of n objects' (was unreported)."""
    pytest.importorskip("kimimaro")
    from neurodiscovery.datasets import make_neurite_phantom
    from neurodiscovery.pipeline.em_trace import EmTraceParams

    ph = make_neurite_phantom(shape=(12, 48, 48), n_neurons=2, min_branch_sections=8, radius_nm=(40.0, 48.0), seed=2)
    labels = ph.labels.astype(np.uint32)
    labels[0, 0:5, 0:5] = labels.max() + 1  # a 25-voxel speck in a corner: traced, too small for a skeleton
    np.savez(tmp_path / "seg.npz", labels=labels)
    run = execute("em-trace", EmTraceParams(segmentation=str(tmp_path / "seg.npz"), voxel_size_nm=(40, 8, 8),
                                            n_skeleton_figures=0), out=tmp_path / "r")
    key = run.metrics["key_numbers"]["objects with a skeleton"]
    assert key["of"] == run.metrics["n_objects"] and key["value"] == run.metrics["n_skeletons"] == key["of"] - 1


def test_circuit_aligns_on_the_movement_onset_by_default(tmp_path):
    """circuit, like dynamics, aligns on the movement event the trial table declares (was start_s)."""
    from neurodiscovery.datasets import load
    from neurodiscovery.pipeline.circuit import CircuitParams

    run = execute("circuit", CircuitParams(max_epochs=1, bin_size_s=0.05), inputs=load("reaching"), out=tmp_path / "c")
    assert run.metrics["aligned_on"] == "go_s" and run.metrics["window_s"][0] == 0.0
