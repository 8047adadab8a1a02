"""Bad input to every command added since the first hardening round (issue 27): each case exits 2 with one
stderr line naming the problem, no traceback, and no run folder (complete or partial) left behind.

Commands run in-process through :func:`neurodiscovery.cli.main` (the same path as the console script, without
a new interpreter per case), so the sweep stays fast enough for the default suite.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from neurodiscovery.cli import main

CSV_COLS = "stimulus,response,condition"


def _swc(rows):
    return "# test\n" + "\n".join(" ".join(map(str, r)) for r in rows) + "\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("sweep")
    f = {}
    for suf in ("nwb", "npz", "csv", "swc", "nii.gz"):
        (d / f"empty.{suf}").write_bytes(b"")
        f[f"empty_{suf.split('.')[0]}"] = d / f"empty.{suf}"
        rng = np.random.default_rng(0)
        (d / f"corrupt.{suf}").write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
        f[f"corrupt_{suf.split('.')[0]}"] = d / f"corrupt.{suf}"
    (d / "wrongcols.csv").write_text("a,b\n1,2\n3,4\n")
    (d / "text.csv").write_text("stimulus,response\n1,abc\n2,3\n")
    (d / "nan.csv").write_text("stimulus,response\n1,nan\ninf,3\n")
    (d / "huge.csv").write_text("stimulus,response\n" + "9" * 200_000 + ",1\n")
    f.update({k: d / f"{k}.csv" for k in ("wrongcols", "text", "nan", "huge")})
    (d / "cycle.swc").write_text(_swc([(1, 1, 0, 0, 0, 1, 2), (2, 3, 1, 0, 0, 1, 1)]))
    (d / "orphan.swc").write_text(_swc([(1, 1, 0, 0, 0, 1, -1), (2, 3, 1, 0, 0, 1, 7)]))
    (d / "negradius.swc").write_text(_swc([(1, 1, 0, 0, 0, -1, -1), (2, 3, 1, 0, 0, -2, 1)]))
    (d / "textswc.swc").write_text("1 1 a b c 1 -1\n")
    f.update({k: d / f"{k}.swc" for k in ("cycle", "orphan", "negradius", "textswc")})
    (d / "out_is_file").write_text("x")
    f["out_is_file"] = d / "out_is_file"
    (d / "bvals_short").write_text("0 1000\n")
    f["bvals_short"] = d / "bvals_short"
    return f


CASES = [
    ("latents-empty", ["latents", "{empty_nwb}"]),
    ("latents-corrupt", ["latents", "{corrupt_npz}"]),
    ("latents-csv", ["latents", "{wrongcols}"]),
    ("latents-dim0", ["latents", "--dim", "0"]),
    ("latents-bin-negative", ["latents", "--bin-size", "-1"]),
    ("dynamics-empty", ["dynamics", "{empty_npz}", "--method", "jpca"]),
    ("dynamics-bin0", ["dynamics", "builtin:reaching", "--method", "jpca", "--bin-size", "0"]),
    ("dynamics-window-reversed", ["dynamics", "builtin:reaching", "--method", "jpca", "--window", "0.5,0.1"]),
    ("circuit-corrupt", ["circuit", "{corrupt_nwb}"]),
    ("circuit-rank0", ["circuit", "builtin:reaching", "--rank", "0"]),
    ("connectome-empty", ["connectome", "{empty_nii}", "--bvals", "{bvals_short}", "--bvecs", "{bvals_short}"]),
    ("connectome-corrupt", ["connectome", "{corrupt_nii}", "--bvals", "{bvals_short}", "--bvecs", "{bvals_short}"]),
    ("connectome-phantom-negative", ["connectome", "--phantom", "-5"]),
    ("observer-empty", ["observer", "fit", "{empty_csv}"]),
    ("observer-wrongcols", ["observer", "fit", "{wrongcols}"]),
    ("observer-text", ["observer", "fit", "{text}"]),
    ("observer-nan", ["observer", "fit", "{nan}"]),
    ("observer-huge-field", ["observer", "fit", "{huge}"]),
    ("observer-corrupt", ["observer", "fit", "{corrupt_csv}"]),
    ("learn-empty", ["learn", "--dataset", "{empty_csv}"]),
    ("learn-text", ["learn", "--dataset", "{text}"]),
    ("learn-epochs0", ["learn", "--epochs", "0"]),
    ("learn-lr-negative", ["learn", "--lr", "-1"]),
    ("em-trace-empty", ["em", "trace", "{empty_npz}", "--voxel-size", "50", "4", "4"]),
    ("em-trace-corrupt", ["em", "trace", "{corrupt_npz}", "--voxel-size", "50", "4", "4"]),
    ("em-trace-voxel0", ["em", "trace", "{corrupt_npz}", "--voxel-size", "0", "4", "4"]),
    ("morphology-empty", ["morphology", "{empty_swc}"]),
    ("morphology-corrupt", ["morphology", "{corrupt_swc}"]),
    ("morphology-cycle", ["morphology", "{cycle}"]),
    ("morphology-orphan", ["morphology", "{orphan}"]),
    ("morphology-negative-radius", ["morphology", "{negradius}"]),
    ("morphology-text", ["morphology", "{textswc}"]),
    ("deconvolve-empty", ["deconvolve", "{empty_nwb}"]),
    ("deconvolve-corrupt", ["deconvolve", "{corrupt_npz}"]),
    ("deconvolve-spikes-only", ["deconvolve", "builtin:head_direction"]),
    ("deconvolve-tau-negative", ["deconvolve", "builtin:calcium", "--tau-decay", "-1"]),
    ("out-is-a-file", ["latents", "--out", "{out_is_file}"]),
]


@pytest.mark.parametrize("name, argv", CASES, ids=[c[0] for c in CASES])
def test_newer_commands_refuse_bad_input_in_one_line(name, argv, files, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [a.format(**{k: str(v) for k, v in files.items()}) for a in argv]
    if "--out" not in args and args[0] not in ("observer",) or args[:2] == ["observer", "fit"]:
        args += ["--out", str(tmp_path / "run")]
    rc = main(args)
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines() if ln.strip() and "warning:" not in ln]
    assert rc == 2, f"{name}: exit {rc}\n{err}"
    assert "Traceback" not in err and len(lines) == 1, f"{name}:\n{err}"
    assert not (tmp_path / "run").exists()
    leftovers = [p for p in os.listdir(tmp_path) if p.startswith(".") or "partial" in p]
    assert not leftovers, leftovers
