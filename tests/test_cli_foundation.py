import subprocess
import sys

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


def test_import_is_light():
    """`import neurodiscovery` loads no numerical package: subpackages are imported on first use."""
    code = ("import sys; import neurodiscovery; print([m for m in ('numpy', 'scipy', 'torch', 'matplotlib', 'dask',"
            " 'pynwb', 'h5py', 'sklearn', 'numba') if m in sys.modules])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr


def test_info_imports_no_heavy_package():
    """`info` must stay quick: it may read the file but never pulls in torch, plotting or a scheduler.

    Checked through what a fresh interpreter has imported, not wall time (timed tests fail on busy machines).
    """
    code = ("import sys; from neurodiscovery.cli import main; rc = main(['info']); "
            "heavy = [m for m in ('torch', 'matplotlib', 'dask', 'distributed', 'sklearn', 'numba', 'dipy',"
            " 'kimimaro', 'navis') if m in sys.modules]; print('HEAVY', heavy); sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "HEAVY []" in r.stdout, r.stdout[-300:]
