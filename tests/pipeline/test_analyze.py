import base64
import io
import json
from html.parser import HTMLParser

import numpy as np
import pytest

from neurodiscovery import datasets
from neurodiscovery.cli import main
from neurodiscovery.data import Recording, read_recording, write_npz
from neurodiscovery.pipeline import METRICS_SCHEMA_VERSION, AnalysisConfig, analyze, metrics_schema


def validate_metrics(path):
    """Check a run folder's metrics.json against the shipped schema (used by the analyze tests)."""
    jsonschema = pytest.importorskip("jsonschema")
    m = json.loads((path / "metrics.json").read_text())
    jsonschema.validate(m, metrics_schema())
    cfg = json.loads((path / "config.json").read_text())
    assert cfg["metrics_schema_version"] == m["schema"]["version"] == METRICS_SCHEMA_VERSION
    return m


class _Imgs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.sections = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a)
        if tag == "section":
            self.sections.append(a.get("id"))


def _check_report(run):
    from matplotlib.image import imread

    html = (run / "report.html").read_text()
    p = _Imgs()
    p.feed(html)
    assert "key-numbers" in p.sections
    assert p.imgs, "report has no figures"
    for img in p.imgs:
        assert img["src"].startswith("data:image/png;base64,")  # self-contained, opens offline
        png = base64.b64decode(img["src"].split(",", 1)[1])
        arr = imread(io.BytesIO(png), format="png")
        assert arr.ndim == 3 and arr.shape[0] > 50
        f = run / img["data-file"]
        formats = json.loads((run / "config.json").read_text())["analysis"]["figure_formats"]
        assert f.exists() and all(f.with_suffix(f".{fmt}").exists() for fmt in formats)
        assert img["alt"]  # every figure has a caption
    metrics = validate_metrics(run)
    return p.sections, metrics


@pytest.fixture(scope="module")
def hd_place_file(tmp_path_factory):
    rec = datasets.make_hd_place_cells(n_hd=6, n_place=6, duration_s=240, seed=1).recording
    return write_npz(rec, tmp_path_factory.mktemp("d") / "hdplace.npz")


def test_spikes_with_behaviour(hd_place_file, tmp_path):
    assert main(["analyze", str(hd_place_file), "--quick", "--svg", "--out", str(tmp_path / "run"),
                 "--no-progress"]) == 0
    assert list((tmp_path / "run" / "figures").glob("*.svg"))
    sections, m = _check_report(tmp_path / "run")
    assert {"summary", "quality", "tuning", "population", "decoding", "prediction"} <= set(sections)
    assert m["psth"] == {"skipped": "the recording has no trials."}
    tests = m["tuning"]["tests"]
    hd_tests = [t for t in tests if t["test"] == "tuning curve" and t["variable"] == "head_direction"]
    assert sum(t["significant_after_fdr"] for t in hd_tests if t["region"] == "hd") == 6  # planted HD cells found
    assert all(0 <= t["p_value"] <= t["q_value"] <= 1 for t in tests)
    assert m["tuning"]["n_tests"] == len(tests)
    enc = {u["unit_id"]: u["selected"] for u in m["encoding"]["units"]}
    regions = {u["unit_id"]: u["region"] for u in m["encoding"]["units"]}
    assert all("head_direction" in v for k, v in enc.items() if regions[k] == "hd")
    assert sum("position" in v for k, v in enc.items() if regions[k] == "place") >= 5
    hd = m["decoding"]["behaviors"]["head_direction"]
    assert hd["r2_pooled"] > 0.3 and hd["r2_ci"][0] < hd["r2_pooled"] < hd["r2_ci"][1]
    assert hd["p_value"] < 0.05 and len(hd["chosen"]) == 5 and hd["n_units"] == 12
    kn = m["key_numbers"]["head_direction decoding R² on (cos, sin) (nested choice, held-out folds pooled)"]
    assert kn["value"] == pytest.approx(hd["r2_pooled"]) and kn["unit"] == "1" and kn["p"] == pytest.approx(hd["p_value"])
    assert kn["interval"] == pytest.approx(hd["r2_ci"]) and "bootstrap" in kn["interval_kind"]
    err = m["key_numbers"]["head_direction decoding median absolute error (nested choice, held-out folds)"]
    assert err["unit"] == "deg" and err["value"] == pytest.approx(hd["median_error_deg"])


def test_trials_with_conditions(tmp_path):
    rec = datasets.make_reaching(n_trials_per_condition=12, n_neurons=40, seed=4).to_recording()
    f = write_npz(rec, tmp_path / "reach.npz")
    run = analyze(read_recording(f),
                  out=tmp_path / "run", config=AnalysisConfig(quick=True, sections=(
                      "summary", "tuning", "psth", "population", "decoding")), progress=False)
    sections, m = _check_report(run)
    assert m["psth"]["n_trials"] == 96 and len(m["psth"]["conditions"]) == 8
    c = m["decoding"]["conditions"]
    assert c["accuracy"] >= 0.9 and c["p_value"] < 0.01 and c["accuracy_ci"][0] > c["chance"]
    assert m["tuning"]["direction_tuning"]["fraction_tuned_after_fdr"] >= 0.9
    assert m["population"]["trial_pca_condition_silhouette"] > 0.2


def test_without_behaviour_sections_skipped(tmp_path, rng):
    rec = Recording([np.sort(rng.uniform(0, 100, 300)) for _ in range(5)], regions=["x"] * 5)
    run = analyze(rec, out=tmp_path / "run", config=AnalysisConfig(quick=True), progress=False)
    sections, m = _check_report(run)
    assert "behaviour" in m["tuning"]["skipped"]
    assert "skipped" in m["decoding"] and "skipped" in m["prediction"]
    html = (run / "report.html").read_text()
    assert "Skipped: the recording holds no behavioural variables" in html


def test_failure_leaves_no_complete_folder(tmp_path, monkeypatch, hd_place_file):
    import importlib


    def boom(*a):
        raise RuntimeError("simulated crash in the middle of the run")

    monkeypatch.setattr(importlib.import_module("neurodiscovery.pipeline.stages.population"), "compute", boom)
    out = tmp_path / "run"
    assert not out.exists()
    with pytest.raises(RuntimeError):
        analyze(read_recording(hd_place_file), out=out,
                config=AnalysisConfig(quick=True, sections=("summary", "quality", "population")), progress=False)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_not_a_recording_exit_2(tmp_path, capsys):
    p = tmp_path / "notes.txt"
    p.write_text("hello")
    assert main(["analyze", str(p), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "not a recording" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_zero_units_exit_2(tmp_path, capsys):
    f = write_npz(Recording([], time_support_s=[0, 10]), tmp_path / "empty.npz")
    assert main(["analyze", str(f), "--out", str(tmp_path / "r")]) == 2
    assert "zero units" in capsys.readouterr().err


def test_calcium_nwb_with_constant_traces_refused(tmp_path, capsys):
    import datetime as dt

    import pynwb
    from pynwb.ophys import Fluorescence, RoiResponseSeries

    nwb = pynwb.NWBFile(session_description="ca", identifier="ca",
                        session_start_time=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    mod = nwb.create_processing_module("ophys", "calcium imaging")
    dev = nwb.create_device("scope")
    from pynwb.ophys import ImageSegmentation, OpticalChannel

    ch = OpticalChannel("ch", "green", 500.0)
    ig = nwb.create_imaging_plane(name="plane", optical_channel=ch, description="x", device=dev,
                                  excitation_lambda=600.0, imaging_rate=30.0, indicator="GCaMP", location="V1")
    seg = ImageSegmentation()
    ps = seg.create_plane_segmentation("rois", ig)
    for _ in range(3):
        ps.add_roi(image_mask=np.ones((4, 4)))
    mod.add(seg)
    region = ps.create_roi_table_region("all", region=[0, 1, 2])
    fl = Fluorescence()
    fl.add_roi_response_series(RoiResponseSeries(name="F", data=np.ones((50, 3)), rois=region, unit="a.u.", rate=30.0))
    mod.add(fl)
    p = tmp_path / "ca.nwb"
    with pynwb.NWBHDF5IO(str(p), "w") as io_:
        io_.write(nwb)
    assert main(["analyze", str(p), "--out", str(tmp_path / "r")]) == 2  # imaging is analysed (issue 14) ...
    assert "trace is constant (3 ROIs): nothing to analyse" in capsys.readouterr().err  # ... but not flat traces


def test_unknown_section():
    from neurodiscovery._utils.errors import InputError

    with pytest.raises(InputError, match="unknown section"):
        AnalysisConfig(sections=("summary", "spectra"))


def test_string_conditions_with_a_single_trial_class(tmp_path, rng):
    from neurodiscovery.data import Trials

    st = np.arange(20) * 2.0
    spikes = [np.sort(rng.uniform(0, 45, 300)) for _ in range(6)]
    cond = np.array(["L"] * 10 + ["R"] * 9 + ["X"])
    rec = Recording(spikes, trials=Trials(st, st + 1.0, {"condition": cond}))
    run = analyze(rec, out=tmp_path / "run", config=AnalysisConfig(quick=True), progress=False)
    _, m = _check_report(run)
    assert set(m["psth"]["conditions"]) == {"L", "R", "X"}
    assert m["decoding"]["conditions"]["chance"] == 0.5  # decoded on L vs R; X (1 trial) left out
    assert "left out of condition decoding: X" in (run / "report.html").read_text()


def test_quick_help_says_what_quick_does():
    """`analyze --help` once said 50 shuffles for --quick while the code used 200."""
    import argparse

    from neurodiscovery._cli import analyze as cli_analyze
    from neurodiscovery.pipeline.config import QUICK_SHUFFLES, AnalysisConfig

    p = argparse.ArgumentParser()
    cli_analyze.add_arguments(p)
    assert f"at most {QUICK_SHUFFLES} tuning shuffles" in " ".join(p.format_help().split())
    assert AnalysisConfig(quick=True).n_shuffles == QUICK_SHUFFLES
