"""The command contract: every registered command runs through the CLI's path on small data, and its
``metrics.json`` validates against the schema generated from its declarations."""
import json

import jsonschema
import pytest

from neurodiscovery._utils.metrics_schema import missing_units
from neurodiscovery.cli import main
from neurodiscovery.pipeline.command import cli_words, command_names, command_schema, execute, get_command


def _swc(tmp_path):
    path = tmp_path / "y.swc"  # a Y-shaped neuron: cable 10 + 2 x sqrt(9 + 0) = 16 units
    path.write_text("1 1 0 0 0 2 -1\n2 3 0 0 10 1 1\n3 3 3 0 10 1 2\n4 3 -3 0 10 1 2\n")
    return [str(path), "--sholl-radii", "4"]


def _calcium(tmp_path):
    from neurodiscovery.data import write_recording
    from neurodiscovery.datasets import make_calcium_imaging

    path = tmp_path / "calcium.npz"  # 4 tuned + 1 non-cell ROI, 60 s at 30 Hz
    write_recording(make_calcium_imaging(n_hd=2, n_place=2, n_noncell=1, duration_s=60, snr=8.0, seed=5).recording,
                    path)
    return [str(path), "--tau-decay", "indicator"]


def _raw_voltage(tmp_path):
    si = pytest.importorskip("spikeinterface.full")
    pytest.importorskip("mountainsort5")
    # 10 s (mountainsort5's minimum), 4 channels, 3 planted units: the fastest sort that is a real one
    rec, _ = si.generate_ground_truth_recording(durations=[10.0], num_channels=4, num_units=3, seed=0)
    rec.save(folder=tmp_path / "raw", n_jobs=1, progress_bar=False)
    return [str(tmp_path / "raw"), "--sorter", "mountainsort5", "--no-progress"]


def _tracks300(tmp_path):
    import os

    files = os.path.join(os.path.dirname(pytest.importorskip("dipy.data").__file__), "files")
    return ["--tractogram", os.path.join(files, "tracks300.trk"), "--labels", "grid:3", "--n-null", "0",
            "--no-progress"]


def _trials_csv(tmp_path):
    from neurodiscovery.theory import simulate_observer, write_trials

    table, _ = simulate_observer("gaussian", {"mu_prior": 0.2}, n_trials=60, seed=3)
    return [str(write_trials(table, tmp_path / "trials.csv")), "--bootstrap", "0", "--cv-folds", "0"]


def _em_volume(tmp_path, n=3, size=64):
    import numpy as np

    rng = np.random.default_rng(0)
    lab = np.full((n, size, size), 255, np.uint8)
    lab[:, ::16, :] = 0
    lab[:, :, ::16] = 0  # a planted grid of membranes
    raw = np.clip(np.where(lab == 0, 60, 190) + rng.normal(0, 15, lab.shape), 0, 255).astype(np.uint8)
    path = tmp_path / "em.npz"
    np.savez(path, raw=raw, membrane_label=lab)
    return path


def _em_train(tmp_path):
    return [str(_em_volume(tmp_path)), "--train-slices", "0-1", "--val-slices", "2", "--test-slices", "",
            "--base-channels", "4", "--depth", "2", "--n-iter", "5", "--batch-size", "1", "--patch-px", "32",
            "--threads", "1", "--no-tune", "--no-progress"]


def _em_evaluate(tmp_path):
    import numpy as np

    seg = np.zeros((2, 32, 32), np.uint32)
    seg[:, :, :16], seg[:, :, 16:] = 1, 2
    np.save(tmp_path / "seg.npy", seg)
    np.save(tmp_path / "gt.npy", seg)
    return [str(tmp_path / "seg.npy"), str(tmp_path / "gt.npy")]


def _em_trace(tmp_path):
    import numpy as np

    pytest.importorskip("kimimaro")
    from neurodiscovery.datasets import make_neurite_phantom

    ph = make_neurite_phantom(shape=(12, 48, 48), n_neurons=2, min_branch_sections=8, radius_nm=(40.0, 48.0), seed=2)
    np.savez(tmp_path / "seg.npz", labels=ph.labels.astype(np.uint32))
    return [str(tmp_path / "seg.npz"), "--voxel-size", "40", "8", "8", "--skeleton-figures", "1"]


def _blobs_csv(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)  # three well-separated classes, four features
    y = np.repeat(np.arange(3), 20)
    X = rng.normal(0, 0.3, (60, 4)) + np.eye(3, 4)[y] * 2
    path = tmp_path / "blobs.csv"
    path.write_text("label,a,b,c,d\n" + "".join(f"{k},{','.join(f'{v:.3f}' for v in x)}\n" for k, x in zip(y, X)))
    return str(path)


# smallest honest CLI arguments per registered command (the run must finish in seconds)
SMALL_ARGS = {
    "analyze": lambda tmp: ["builtin:reaching", "--quick", "--sections", "summary,quality,psth", "--no-progress"],
    "decode": lambda tmp: ["builtin:reaching", "--target", "hand_velocity", "--decoders", "wiener,bayes",
                           "--bin-size", "0.02", "--n-splits", "3", "--no-control", "--no-progress"],
    "morphology": _swc,
    "deconvolve": _calcium,
    "sort": _raw_voltage,
    "dynamics": lambda tmp: ["builtin:reaching", "--method", "jpca", "--n-pcs", "4"],
    "circuit": lambda tmp: ["builtin:reaching", "--max-epochs", "2", "--bin-size", "0.05"],
    "latents": lambda tmp: ["builtin:reaching", "--method", "pca", "--dim", "3", "--embedding", "pca"],
    "connectome": _tracks300,
    "observer-fit": _trials_csv,
    "observer-recover": lambda tmp: ["--subjects", "2", "--trials", "30", "--no-model-recovery", "--no-progress"],
    "em-train": _em_train,
    "em-segment": lambda tmp: [str(_em_volume(tmp, n=2)), "--threads", "1", "--no-progress"],
    "em-evaluate": _em_evaluate,
    "em-trace": _em_trace,
    "simulate": lambda tmp: ["cuba", "--scale", "0.1", "--duration", "0.2", "--record-vm", "1", "--no-progress"],
    "learn": lambda tmp: ["--rule", "dfa", "--dataset", _blobs_csv(tmp), "--seeds", "1", "--epochs", "1",
                          "--hidden", "8", "--lr", "0.05", "--no-progress"],
    "learn-spiking": lambda tmp: ["--task", _blobs_csv(tmp), "--rules", "bptt,eprop", "--seeds", "1", "--epochs", "1",
                                  "--hidden", "10", "--steps", "10", "--export-samples", "2", "--no-progress"],
    "learn-continual": lambda tmp: ["--rules", "backprop,ewc", "--seeds", "1", "--epochs", "1", "--hidden", "8",
                                    "--no-progress"],
}

SCHEMA_COMMANDS = ("analyze", "decode", "latents", "dynamics", "circuit", "connectome", "observer", "learn",
                   "learn-spiking", "learn-continual", "morphology", "em", "simulate", "sort")


def test_every_registered_command_has_small_args():
    assert set(command_names()) <= set(SMALL_ARGS), set(command_names()) - set(SMALL_ARGS)


@pytest.mark.parametrize("name", sorted(SMALL_ARGS))
def test_command_runs_through_cli_and_validates(name, tmp_path, capsys):
    if hasattr(get_command(name), "run_file"):  # a FileCommand writes one new file, no run folder
        out = tmp_path / f"{name}.npz"
        assert main([name, *SMALL_ARGS[name](tmp_path), "--out", str(out)]) == 0
        assert str(out) in capsys.readouterr().out and out.is_file()
        return
    out = tmp_path / name
    assert main([*cli_words(name), *SMALL_ARGS[name](tmp_path), "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    jsonschema.validate(metrics, command_schema(name))
    assert metrics["schema"] == get_command(name).stamp()
    for q in metrics["key_numbers"].values():
        assert q["unit"] and "value" in q
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["metrics_schema"] == get_command(name).stamp() and "versions" in cfg
    html = (out / "report.html").read_text()
    first = next(iter(metrics["key_numbers"].values()))
    assert first["label"] in html


@pytest.mark.parametrize("name", SCHEMA_COMMANDS)
def test_schema_command_prints_units_everywhere(name, capsys):
    assert main(["schema", name]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert missing_units(schema) == []


def test_schema_of_unknown_command_is_one_line(capsys):
    assert main(["schema", "bogus"]) == 2
    assert "unknown command 'bogus'" in capsys.readouterr().err


def test_morphology_numbers_are_the_planted_geometry(tmp_path):
    from neurodiscovery.pipeline.morphology import MorphologyParams

    run = execute("morphology", MorphologyParams(path=_swc(tmp_path)[0], sholl_radii=4), out=tmp_path / "m")
    kn = run.metrics["key_numbers"]
    assert kn["skeletons measured"]["value"] == 1 and kn["median cable length"] == {
        "label": "median cable length", "value": 16.0, "unit": "µm"}  # a header-less SWC is in µm


def test_params_reject_bad_values_with_one_line():
    from neurodiscovery._utils.errors import InputError
    from neurodiscovery.pipeline.decode import DecodeParams

    with pytest.raises(InputError, match="bin_size_s .--bin-size. must be > 0"):
        DecodeParams(target="x", bin_size_s=0.0)
    with pytest.raises(InputError, match="unknown decoder"):
        DecodeParams(target="x", decoders=("svm",))
    assert DecodeParams(target="x", decoders=["wiener"]).decoders == ("wiener",)


def test_missing_units_finds_a_bare_number():
    schema = {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number", "unit": "s"}}}
    assert missing_units(schema) == ["/x"]


def test_execute_never_overwrites_and_restores_threads(tmp_path):
    from threadpoolctl import threadpool_info, threadpool_limits

    from neurodiscovery.datasets import load
    from neurodiscovery.pipeline.decode import DecodeParams

    with threadpool_limits(2):  # two threads to start with (the suite runs on one), so a lowered setting shows
        before = {p["filepath"]: p["num_threads"] for p in threadpool_info()}
        rec = load("reaching")
        params = DecodeParams(target="hand_velocity", decoders=("wiener",), n_splits=2, shuffle_control=False,
                              n_threads=1)
        run = execute("decode", params, inputs=rec, out=tmp_path / "r")
        assert run.result.decoding.row("wiener").r2_mean > 0.3  # planted tuning to velocity is decodable
        # (libraries the command loaded itself, e.g. torch's OpenMP, are not the caller's setting)
        assert {p["filepath"]: p["num_threads"] for p in threadpool_info() if p["filepath"] in before} == before
        with pytest.raises(Exception, match="already exists"):
            execute("decode", params, inputs=rec, out=tmp_path / "r")


def test_deconvolve_is_a_file_command_with_typed_numbers(tmp_path, capsys):
    from neurodiscovery._utils.errors import InputError
    from neurodiscovery.data import read_recording
    from neurodiscovery.pipeline.deconvolve import DeconvolveParams

    src = _calcium(tmp_path)[0]
    run = execute("deconvolve", DeconvolveParams(file=src, tau_decay_s="0.5"))
    assert run.path == tmp_path / "calcium_deconvolved.npz" and run.path.is_file()  # beside the input
    kn = run.metrics["key_numbers"]
    assert kn["ROIs deconvolved"]["value"] == 5 and kn["median decay time constant"] == {
        "label": "median decay time constant", "value": 0.5, "unit": "s", "note": "ar2, decay from given"}  # auto: AR(2), the rise is known
    assert read_recording(run.path).traces.meta["deconvolution"]["tau_decay_s"] == 0.5
    with pytest.raises(InputError, match="exists"):  # never overwritten without overwrite=True
        execute("deconvolve", DeconvolveParams(file=src))
    assert main(["schema", "deconvolve"]) == 2  # no metrics.json, so no schema
    for bad in ("-1", "0", "fast"):
        with pytest.raises(InputError, match=r"tau_decay_s \(--tau-decay\) must be seconds > 0"):
            DeconvolveParams(file=src, tau_decay_s=bad)


def test_connectome_tracking_defaults_are_the_libraries():
    """ConnectomeParams repeats TrackingConfig's fields for the CLI: their defaults must not drift apart."""
    from dataclasses import fields

    from neurodiscovery.connectomics.dmri import TrackingConfig
    from neurodiscovery.pipeline.connectome import ConnectomeParams

    p = ConnectomeParams(phantom_snr=20.0)
    assert p.tracking() == TrackingConfig()
    assert {f.name for f in fields(TrackingConfig)} - {f.name for f in fields(ConnectomeParams)} == {"masking"}


def test_em_trace_defaults_are_the_libraries():
    """EmTraceParams repeats TracingParams' fields for the CLI: their defaults must not drift apart."""
    from neurodiscovery.connectomics.em import TracingParams
    from neurodiscovery.pipeline.em_trace import EmTraceParams

    assert EmTraceParams(segmentation="s.npz", voxel_size_nm=(50, 4, 4)).tracing() == TracingParams()


def test_group_schema_accepts_each_sub_command_only_with_its_stamp():
    em = command_schema("em")
    assert [s["properties"]["schema"]["properties"]["name"]["const"] for s in em["oneOf"]] == [
        f"neurodiscovery.{n}.metrics" for n in ("em-train", "em-segment", "em-evaluate", "em-trace")]
    doc = {"schema": get_command("em-evaluate").stamp(), "key_numbers": {}, "mean_adapted_rand_error": 0.1,
           "mean_voi_split": 0.2, "mean_voi_merge": 0.3, "mean_voi": 0.5, "per_slice": [], "volume": {},
           "sections": []}
    jsonschema.validate(doc, em)
    with pytest.raises(jsonschema.ValidationError):  # the same keys under another sub-command's stamp
        jsonschema.validate({**doc, "schema": get_command("em-trace").stamp()}, em)
