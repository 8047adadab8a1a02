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


def _tracks300(tmp_path):
    import os

    files = os.path.join(os.path.dirname(pytest.importorskip("dipy.data").__file__), "files")
    return ["--tractogram", os.path.join(files, "tracks300.trk"), "--labels", "grid:3", "--n-null", "2",
            "--no-progress"]


def _trials_csv(tmp_path):
    from neurodiscovery.theory import simulate_observer, write_trials

    table, _ = simulate_observer("gaussian", {"mu_prior": 0.2}, n_trials=60, seed=3)
    return [str(write_trials(table, tmp_path / "trials.csv")), "--bootstrap", "0", "--cv-folds", "2"]


# smallest honest CLI arguments per registered command (the run must finish in seconds)
SMALL_ARGS = {
    "analyze": lambda tmp: ["builtin:reaching", "--quick", "--sections", "summary,quality,psth", "--no-progress"],
    "decode": lambda tmp: ["builtin:reaching", "--target", "hand_velocity", "--decoders", "wiener,bayes",
                           "--bin-size", "0.02", "--n-splits", "3", "--no-control", "--no-progress"],
    "morphology": _swc,
    "dynamics": lambda tmp: ["builtin:reaching", "--method", "jpca", "--n-pcs", "4"],
    "circuit": lambda tmp: ["builtin:reaching", "--max-epochs", "2", "--bin-size", "0.05"],
    "latents": lambda tmp: ["builtin:reaching", "--method", "pca", "--dim", "3", "--embedding", "pca"],
    "connectome": _tracks300,
    "observer-fit": _trials_csv,
    "observer-recover": lambda tmp: ["--subjects", "2", "--trials", "30", "--no-model-recovery", "--no-progress"],
}

SCHEMA_COMMANDS = ("analyze", "decode", "latents", "dynamics", "circuit", "connectome", "observer", "learn",
                   "morphology", "em", "simulate")


def test_every_registered_command_has_small_args():
    assert set(command_names()) <= set(SMALL_ARGS), set(command_names()) - set(SMALL_ARGS)


@pytest.mark.parametrize("name", sorted(SMALL_ARGS))
def test_command_runs_through_cli_and_validates(name, tmp_path, capsys):
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


def test_connectome_tracking_defaults_are_the_libraries():
    """ConnectomeParams repeats TrackingConfig's fields for the CLI: their defaults must not drift apart."""
    from dataclasses import fields

    from neurodiscovery.connectomics.dmri import TrackingConfig
    from neurodiscovery.pipeline.connectome import ConnectomeParams

    p = ConnectomeParams(phantom_snr=20.0)
    assert p.tracking() == TrackingConfig()
    assert {f.name for f in fields(TrackingConfig)} - {f.name for f in fields(ConnectomeParams)} == {"masking"}
