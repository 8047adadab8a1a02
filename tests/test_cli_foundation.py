import subprocess
import sys
import time

import pytest

from neurodiscovery.cli import main


def test_info_builtin(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "adn" in out and "ca1" in out and "head_direction" in out and "wake" in out


def test_info_bad_file_exit_2(tmp_path, capsys):
    p = tmp_path / "x.txt"
    p.write_text("not a recording")
    assert main(["info", str(p)]) == 2
    err = capsys.readouterr().err
    assert "not a recording" in err and "Traceback" not in err


def test_info_missing_file(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.nwb")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_datasets_list_and_export(tmp_path, capsys):
    assert main(["datasets"]) == 0
    assert "reaching" in capsys.readouterr().out
    out = tmp_path / "reach.npz"
    assert main(["datasets", "export", "reaching", str(out)]) == 0
    assert out.exists()
    assert main(["datasets", "export", "reaching", str(out)]) == 2  # never overwrites
    assert main(["info", str(out)]) == 0
    assert "trials: 160" in capsys.readouterr().out


@pytest.mark.parametrize("cmd", [[], ["info"], ["datasets"]])
def test_help_everywhere(cmd):
    r = subprocess.run([sys.executable, "-m", "neurodiscovery.cli", *cmd, "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "usage" in r.stdout


def test_import_is_fast():
    code = "import time; t=time.perf_counter(); import neurodiscovery; print(time.perf_counter()-t)"
    best = min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
               for _ in range(3))
    assert best < 1.0


def test_info_is_fast():
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "neurodiscovery.cli", "info"], capture_output=True, text=True)
    assert r.returncode == 0
    assert time.perf_counter() - t < 5.0 * 2  # 5 s target; x2 slack for a loaded CI machine
