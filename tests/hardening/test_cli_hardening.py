"""Run-folder permissions, SIGTERM, OS-error wording, memory estimates and the shared option types."""
from __future__ import annotations

import argparse
import errno
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery._utils.resources import (
    ENV_VAR,
    ResourceError,
    array_bytes,
    check_allocation,
    format_bytes,
    memory_limit_bytes,
)
from neurodiscovery._utils.runfolder import RunFolder
from neurodiscovery.cli import build_parser, describe_os_error

SRC = Path(__file__).resolve().parents[2] / "src"


def test_run_folder_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with RunFolder("t", out=tmp_path / "run") as run:
            run.write_metrics({"a": 1})
            run.write_text("report.html", "<p>x</p>")
    finally:
        os.umask(old)
    run_dir = tmp_path / "run"
    assert stat.S_IMODE(run_dir.stat().st_mode) == 0o755
    for name in ("metrics.json", "config.json", "report.html"):
        assert stat.S_IMODE((run_dir / name).stat().st_mode) == 0o644, name
    assert stat.S_IMODE((run_dir / "figures").stat().st_mode) == 0o755


def test_run_folder_private_umask_is_respected(tmp_path):
    old = os.umask(0o077)
    try:
        with RunFolder("t", out=tmp_path / "run") as run:
            run.write_metrics({"a": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "run" / "metrics.json").stat().st_mode) == 0o600


def test_sigterm_removes_the_partial_folder_and_says_one_line(tmp_path):
    code = ("import time, sys\nfrom neurodiscovery.cli import main\nimport neurodiscovery._cli.info as info\n"
            "from neurodiscovery._utils.runfolder import RunFolder\n"
            "def slow(args):\n    with RunFolder('info', out=sys.argv[1]):\n"
            "        print('ready', flush=True); time.sleep(60)\n"
            "info.main = slow\nsys.exit(main(['info']))\n")
    p = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "run")], cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(SRC)}, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 143
    assert err.strip().count("\n") == 0 and "terminated" in err
    assert list(tmp_path.iterdir()) == []  # neither the run nor a hidden .partial folder


@pytest.mark.parametrize("eno, words", [(errno.ELOOP, "symlink loop"), (errno.EROFS, "read-only"),
                                        (errno.ENOSPC, "no space"), (errno.ENOTDIR, "not a folder"),
                                        (errno.EACCES, "permission denied")])
def test_os_errors_in_plain_words(eno, words):
    msg = describe_os_error(OSError(eno, os.strerror(eno), "/some/path"))
    assert msg.startswith("/some/path: ") and words in msg and "\n" not in msg


def test_memory_estimates_and_limit(monkeypatch):
    assert array_bytes((10**13, 15)) == 8 * 15 * 10**13  # exact, no int64 overflow
    assert array_bytes((float("inf"), 2)) > 2**60
    assert format_bytes(1536) == "1.5 KiB"
    monkeypatch.setenv(ENV_VAR, "2")
    assert memory_limit_bytes()[0] == 2 * 2**30
    with pytest.raises(ResourceError, match=r"would need 3 GiB, above the memory limit of 2 GiB .*bigger bins"):
        check_allocation(3 * 2**30, "x", "bigger bins")
    check_allocation(2**30, "x", "y")  # under the limit: no error
    monkeypatch.setenv(ENV_VAR, "lots")
    with pytest.raises(InputError, match=ENV_VAR):
        memory_limit_bytes()
    monkeypatch.delenv(ENV_VAR)
    assert memory_limit_bytes(0.5)[0] == 2**29


def test_binning_refuses_before_allocating(monkeypatch, tiny_recording):
    monkeypatch.setenv(ENV_VAR, "0.001")
    t = time.perf_counter()
    with pytest.raises(ResourceError, match="bins"):
        tiny_recording.bin(1e-9)
    assert time.perf_counter() - t < 2
    b = tiny_recording.bin(0.1)  # 100 bins: fine under 1 MiB
    assert b.counts.shape == (100, 3)


def test_lagged_design_refuses_before_copying(monkeypatch):
    from neurodiscovery.decoding.design import lagged_design

    X = np.zeros((20000, 10))
    monkeypatch.setenv(ENV_VAR, "0.01")  # 10 MiB; the flat design would need 20000 x 41 x 10 x 8 B = 62 MiB
    with pytest.raises(ResourceError, match="spike-history design"):
        lagged_design(X, bins_before=20, bins_after=20)
    view, _ = lagged_design(X, bins_before=20, bins_after=20, flat=False)  # a view costs nothing
    assert view.shape == (19960, 41, 10)


def _all_actions(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _all_actions(sub)
        else:
            yield parser.prog, action


def test_every_numeric_option_uses_a_checked_type():
    """Plain int/float accept -1, 0, inf and nan; every command must use the shared _cli._types."""
    loose = [f"{prog} {'/'.join(a.option_strings) or a.dest}" for prog, a in _all_actions(build_parser())
             if a.type in (int, float)]
    assert not loose, f"options without range checks: {loose}"
