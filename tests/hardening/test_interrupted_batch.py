"""An interrupted batch (issue 27, item 2): one line, the cluster shut down quietly, finished sessions kept
with the --resume hint, or nothing left when no session finished."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from neurodiscovery.pipeline.batch_files import _RUN_FILES
from neurodiscovery.pipeline.batch_run import interrupted_message

SRC = Path(__file__).resolve().parents[2] / "src"


def _complete(folder: Path) -> None:
    folder.mkdir(parents=True)
    for f in _RUN_FILES:
        (folder / f).write_text("{}")


def test_finished_sessions_are_kept_with_the_resume_hint(tmp_path):
    out = tmp_path / "batch"
    _complete(out / "s1")
    (out / ".s2.partial-abc").mkdir()
    (out / "batch.json").write_text("{}")
    msg = interrupted_message(out, ["s1", "s2", "s3"])
    assert "1 of 3 sessions finished" in msg and f"--out {out} --resume" in msg
    assert sorted(p.name for p in out.iterdir()) == ["batch.json", "s1"]  # partial folders gone


def test_a_batch_with_nothing_finished_is_removed(tmp_path):
    out = tmp_path / "batch"
    (out / ".s1.partial-abc").mkdir(parents=True)
    (out / "batch.json").write_text("{}")
    assert "was removed" in interrupted_message(out, ["s1", "s2"])
    assert not out.exists()


def test_sigint_mid_batch_prints_one_line_and_leaves_nothing_half_done(tmp_path):
    from neurodiscovery.data import write_recording
    from neurodiscovery.datasets import load

    sess = tmp_path / "sess"
    for i in (1, 2):
        write_recording(load("hd_place", seed=i), sess / f"s{i}.npz")
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    out = tmp_path / "b"
    # own process group, as a terminal's Ctrl-C reaches the whole group (the dask workers too)
    p = subprocess.Popen([sys.executable, "-m", "neurodiscovery.cli", "analyze", str(sess), "--workers", "2",
                          "--quick", "--no-progress", "--out", str(out)], env=env, cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 120
    # the workers are up once a session has written its log (a Ctrl-C while they start is not seen)
    while not list((out / "logs").glob("*.log")) and time.time() < deadline and p.poll() is None:
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    if out.exists():  # some session finished: it is kept, and the user is told how to continue
        assert "--resume" in err and (out / "batch.json").exists()
        assert not list(out.glob(".*.partial-*"))
    else:
        assert "was removed" in err
