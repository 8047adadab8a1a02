"""Issue 28's bad inputs to ``sort`` / ``analyze``: each one line on stderr, exit 2, no run folder left."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("spikeinterface")

from neurodiscovery.cli import main

from .conftest import write_probe


def _fails(argv, capsys, out, *words):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err, err
    parent = out.parent
    assert not out.exists() and not any(p.name.startswith(f".{out.name}") for p in parent.iterdir())


def _binary(raw, probe, *extra):
    return ["sort", str(raw), "--sampling-rate", "30000", "--n-channels", "4", "--dtype", "int16",
            *(["--probe", str(probe)] if probe else []), *extra]


def test_wrong_channel_count_or_dtype(raw_binary, tmp_path, capsys):
    raw, probe = raw_binary
    out = tmp_path / "run"
    with open(raw, "ab") as fh:  # one stray byte: no channel count / dtype makes whole frames
        fh.write(b"\0")
    _fails(_binary(raw, probe, "--out", str(out)), capsys, out, "not a whole number", "--dtype")
    _fails(["sort", str(raw), "--sampling-rate", "30000", "--n-channels", "4", "--dtype", "int17",
            "--probe", str(probe), "--out", str(out)], capsys, out, "int17")


def test_channel_count_not_dividing_size(tmp_path, capsys):
    raw = tmp_path / "r.dat"
    np.zeros((30000 * 12 + 1, 3), np.int16).tofile(raw)  # 3 channels written, 4 claimed: 6 bytes/frame, not 8
    out = tmp_path / "run"
    _fails(_binary(raw, write_probe(tmp_path / "p.json", 4), "--out", str(out)), capsys, out, "--n-channels")


def test_missing_probe(raw_binary, tmp_path, capsys):
    raw, _ = raw_binary
    out = tmp_path / "run"
    _fails(_binary(raw, None, "--out", str(out)), capsys, out, "--probe")
    _fails(_binary(raw, tmp_path / "nope.json", "--out", str(out)), capsys, out, "nope.json")


def test_probe_with_fewer_channels(raw_binary, tmp_path, capsys):
    raw, _ = raw_binary
    out = tmp_path / "run"
    _fails(_binary(raw, write_probe(tmp_path / "p2.json", 2), "--out", str(out)), capsys, out, "2 contacts", "fewer")


def test_unknown_sorter(raw_binary, tmp_path, capsys):
    raw, probe = raw_binary
    out = tmp_path / "run"
    # the choices come from sorting.SORTERS through SortParams: the line names the value and what is available
    _fails(_binary(raw, probe, "--sorter", "klustakwik9", "--out", str(out)), capsys, out, "klustakwik9",
           "tridesclous2")


def test_sorter_not_installed(raw_binary, tmp_path, capsys):
    import spikeinterface.sorters as ss

    if "kilosort4" in ss.installed_sorters():
        pytest.skip("kilosort4 is installed here")
    raw, probe = raw_binary
    out = tmp_path / "run"
    _fails(_binary(raw, probe, "--sorter", "kilosort4", "--out", str(out)), capsys, out, "not installed", "pip install")


def test_recording_too_short(tmp_path, capsys):
    raw = tmp_path / "short.bin"
    np.zeros((30000 * 2, 4), np.int16).tofile(raw)  # 2 s
    out = tmp_path / "run"
    _fails(_binary(raw, write_probe(tmp_path / "p.json", 4), "--out", str(out)), capsys, out, "2 s", "shorter")


def test_empty_phy_folder(tmp_path, capsys):
    phy = tmp_path / "phy"
    phy.mkdir()
    (phy / "params.py").write_text("sample_rate = 30000.0\n")
    out = tmp_path / "run"
    _fails(["analyze", str(phy), "--out", str(out)], capsys, out, "empty phy folder")


def test_session_not_nwb(raw_binary, tmp_path, capsys):
    raw, probe = raw_binary
    bad = tmp_path / "s.nwb"
    bad.write_text("not hdf5")
    out = tmp_path / "run"
    _fails(_binary(raw, probe, "--session", str(bad), "--out", str(out)), capsys, out, "s.nwb")
