"""Two writers of one output file: exactly one wins, the other is told, nothing is lost (issue 27, item 1)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neurodiscovery._utils.atomic import atomic_output
from neurodiscovery._utils.errors import InputError

SRC = Path(__file__).resolve().parents[2] / "src"


def test_a_file_appearing_during_the_write_is_not_replaced(tmp_path):
    out = tmp_path / "x.csv"
    with pytest.raises(InputError, match="another process"):
        with atomic_output(out, overwrite=False) as tmp:
            tmp.write_text("second writer")
            out.write_text("first writer")  # the other writer publishes while we are still writing
    assert out.read_text() == "first writer"
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]  # no temporary file left behind


def test_exclusive_publish_keeps_permissions_and_content(tmp_path):
    out = tmp_path / "y.npz"
    with atomic_output(out, suffix=".npz", overwrite=False) as tmp:
        np.savez(tmp, a=np.arange(3))
    assert np.load(out)["a"].tolist() == [0, 1, 2]
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    with pytest.raises(InputError, match="already exists"):
        with atomic_output(out, overwrite=False):
            pass


def _umask() -> int:
    m = os.umask(0o022)
    os.umask(m)
    return m


def test_two_concurrent_cli_writers_one_wins(tmp_path):
    out = tmp_path / "trials.csv"
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "neurodiscovery.cli", "observer", "simulate", "--trials", "50", "--out", str(out)]
    procs = [subprocess.Popen(cmd + ["--seed", str(s)], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for s in (1, 2)]
    res = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(r[0] for r in res)
    assert codes == [0, 2], res  # one wrote, the other was refused: never two "successful" writers
    loser = next(err for rc, err in res if rc == 2)
    assert "Traceback" not in loser and len(loser.strip().splitlines()) == 1 and "trials.csv" in loser
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trials.csv"]


def test_run_folder_published_by_another_run_meanwhile_is_kept(tmp_path, monkeypatch):
    from neurodiscovery._utils.runfolder import RunFolder

    out = tmp_path / "run"
    with pytest.raises(InputError, match="appeared during the run"):
        with RunFolder("t", out=out) as run:
            run.write_text("report.html", "second")
            out.mkdir()  # the other run publishes first, between our existence check and our rename
            (out / "report.html").write_text("first")
            monkeypatch.setattr(out.__class__, "exists", lambda self: False if self == out else os.path.lexists(self))
    monkeypatch.undo()
    assert (out / "report.html").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # our temporary folder is gone
