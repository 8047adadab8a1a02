"""Batch ``analyze``: several sessions on a dask LocalCluster, failures, resume, summary, bad input."""
import csv
import dataclasses
import json
import time

import pytest

from neurodiscovery import datasets
from neurodiscovery._utils.errors import InputError, MissingFileError
from neurodiscovery.cli import main
from neurodiscovery.data import write_recording
from neurodiscovery.pipeline import EXIT_SESSIONS_FAILED, AnalysisConfig, analyze_many
from neurodiscovery.pipeline.batch import find_recordings, is_complete_run

distributed = pytest.importorskip("distributed")

#: Small but real: summary + Wiener decoding of every behaviour (the costly figure-heavy stages
#: are covered by the single-session tests).
CFG = AnalysisConfig(sections=("summary", "decoding"), decoders=("wiener",), n_splits=3)
SUBJECTS = ("m1", "m1", "m2", "m2", "m3")


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory):
    """Six sessions: five synthetic HD/place recordings (three subjects, NWB and NPZ) and a corrupt file."""
    d = tmp_path_factory.mktemp("sessions")
    (d / "sub").mkdir()
    for i, subj in enumerate(SUBJECTS):
        rec = datasets.make_hd_place_cells(n_hd=4, n_place=2, duration_s=60, seed=i).recording
        rec = dataclasses.replace(rec, meta={**rec.meta, "subject": subj})
        write_recording(rec, d / ("sub" if i == 4 else ".") / f"s{i}.{'npz' if i == 3 else 'nwb'}")
    (d / "s5.nwb").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)  # HDF5 magic, truncated body
    return d


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as c, distributed.Client(c) as client:
        yield client


@pytest.fixture(scope="module")
def batch(session_dir, cluster, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "batch"
    return analyze_many([str(session_dir)], out=out, config=CFG, client=cluster, progress=False)


def test_six_sessions_one_corrupt(batch):
    assert [s.name for s in batch.sessions] == ["s0", "s1", "s2", "s3", "s5", "s4"]  # sorted paths
    ok = [s for s in batch.sessions if s.ok]
    assert len(ok) == 5 and all(is_complete_run(batch.path / s.name) for s in ok)
    (bad,) = batch.failed
    assert bad.name == "s5" and "DataFileError" in bad.error and "\n" not in bad.error
    assert not (batch.path / "s5").exists()
    assert batch.exit_code == EXIT_SESSIONS_FAILED == 3
    assert not list(batch.path.glob(".*partial*"))
    assert "failed: DataFileError" in (batch.path / "logs" / "s5.log").read_text()
    assert "stage decoding" in (batch.path / "logs" / "s0.log").read_text()
    subjects = {s.name: s.subject for s in ok}
    assert (subjects["s0"], subjects["s1"], subjects["s2"], subjects["s4"]) == ("m1", "m1", "m2", "m3")


def test_summary_lists_failure_and_numbers(batch):
    summ = json.loads((batch.path / "summary.json").read_text())
    assert summ["n_sessions"] == 6 and summ["n_complete"] == 5 and summ["n_failed"] == 1
    assert summ["failures"][0]["session"] == "s5" and "DataFileError" in summ["failures"][0]["error"]
    rows = {r["session"]: r for r in csv.DictReader(open(batch.path / "sessions.csv"))}
    assert rows["s5"]["status"] == "failed" and rows["s5"]["error"]
    for name in ("s0", "s1", "s2", "s3", "s4"):
        r = rows[name]
        assert int(r["units[hd]"]) == 4 and int(r["units[place]"]) == 2
        # planted HD tuning is decodable, and far above the time-shifted control
        assert float(r["r2[head_direction]"]) > 0.3 > float(r["shifted_r2[head_direction]"])
        assert 0 < float(r["median_angular_error_deg[head_direction]"]) < 45  # degrees
        assert "rmse[head_direction]" not in r and int(r["n_units_decoded[head_direction]"]) == 6
    assert rows["s0"]["subject"] == "m1" and rows["s2"]["subject"] == "m2"  # NWB names its subject
    assert rows["s3"]["subject"] == "m2"  # the NPZ layout keeps the subject too
    assert summ["analysis_settings"]["n_splits"] == CFG.n_splits
    html = (batch.path / "summary.html").read_text()
    assert "p &lt; alpha" not in html and "p < alpha" not in html and "best decoder" not in html.lower()
    assert "q ≤ alpha" in html and "n_splits = " in html
    assert "s5" in html and "DataFileError" in html and (batch.path / "figures" / "decoding_r2.png").exists()


def test_resume_reanalyses_nothing(batch, session_dir, cluster):
    stamps = {s.name: (batch.path / s.name / "config.json").stat().st_mtime_ns for s in batch.sessions if s.ok}
    (batch.path / "summary.json").unlink()
    partial = batch.path / ".s0.partial-leftover"  # what an interrupt leaves: hidden, removed on resume
    partial.mkdir()
    t = time.perf_counter()
    again = analyze_many([str(session_dir)], out=batch.path, config=CFG, client=cluster, resume=True,
                         progress=False)
    assert time.perf_counter() - t < 30
    assert [s.status for s in again.sessions if s.name != "s5"] == ["resumed"] * 5
    assert {n: (batch.path / n / "config.json").stat().st_mtime_ns for n in stamps} == stamps
    assert again.exit_code == EXIT_SESSIONS_FAILED and (batch.path / "summary.json").exists()
    assert not partial.exists()
    with pytest.raises(InputError, match="other options"):
        analyze_many([str(session_dir)], out=batch.path, config=AnalysisConfig(sections=("summary",)),
                     client=cluster, resume=True, progress=False)
    with pytest.raises(InputError, match="already exists"):
        analyze_many([str(session_dir)], out=batch.path, config=CFG, client=cluster, progress=False)


def test_find_recordings_bad_input(tmp_path, session_dir):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no .nwb or .npz"):
        find_recordings([str(tmp_path / "empty")])
    with pytest.raises(InputError, match="matches no files"):
        find_recordings([str(tmp_path / "*.nwb")])
    with pytest.raises(MissingFileError):
        find_recordings([str(tmp_path / "nope.nwb")])
    files = find_recordings([str(session_dir / "s0.nwb"), str(session_dir / "*.nwb"), str(session_dir)])
    assert len(files) == 6 and len(set(files)) == 6  # duplicates named twice are analysed once


def test_cli_bad_input_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["analyze", str(tmp_path / "empty"), "--no-progress"]) == 2
    assert main(["analyze", str(tmp_path / "x*.nwb"), str(tmp_path / "y*.nwb"), "--no-progress"]) == 2
    assert main(["analyze", "builtin:head_direction", "--resume", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "no .nwb or .npz" in err and "matches no files" in err and "Traceback" not in err
    assert "not to a built-in dataset" in err


def test_cli_unreachable_scheduler(tmp_path, session_dir, capsys):
    t = time.perf_counter()
    code = main(["analyze", str(session_dir / "s0.nwb"), str(session_dir / "s1.nwb"), "--scheduler",
                 "tcp://127.0.0.1:9", "--out", str(tmp_path / "b"), "--no-progress"])
    assert code == 2 and time.perf_counter() - t < 30
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "did not answer" in err[0]


def test_cli_mix_readable_unreadable(tmp_path, session_dir, cluster, capsys):
    """Through the CLI on the module's cluster: the readable file is analysed, exit code 3."""
    bad = tmp_path / "notes.npz"
    bad.write_text("not a recording")
    out = tmp_path / "b"
    code = main(["analyze", str(session_dir / "s1.nwb"), str(bad), "--scheduler", cluster.scheduler.address,
                 "--sections", "summary,decoding", "--decoders", "wiener", "--out", str(out), "--no-progress"])
    assert code == EXIT_SESSIONS_FAILED
    assert is_complete_run(out / "s1") and not (out / "notes").exists()
    printed = capsys.readouterr().out
    assert "1/2 sessions complete" in printed and "failed: notes" in printed


@pytest.mark.slow
def test_local_worker_processes(tmp_path, session_dir):
    """The default execution: a LocalCluster of worker processes made and closed by analyze_many."""
    res = analyze_many([str(session_dir / "s0.nwb"), str(session_dir / "s2.nwb")], out=tmp_path / "b",
                       config=CFG, workers=2, progress=False)
    assert res.exit_code == 0 and all(is_complete_run(tmp_path / "b" / s.name) for s in res.sessions)
    assert [s.subject for s in res.sessions] == ["m1", "m2"]
