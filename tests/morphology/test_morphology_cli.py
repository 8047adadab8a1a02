"""`neurodiscovery morphology FILE|DIR`: run folder with measures.csv, figures and report; bad input."""
import csv
import shutil
from pathlib import Path

import pytest

from neurodiscovery.cli import main

navis = pytest.importorskip("navis")
NAVIS_SWC = sorted((Path(navis.__file__).parent / "data" / "swc").glob("*.swc"))


def test_morphology_folder(tmp_path):
    if len(NAVIS_SWC) < 2:
        pytest.skip("navis example SWC files not found")
    d = tmp_path / "neurons"
    d.mkdir()
    for f in NAVIS_SWC[:2]:
        shutil.copy(f, d)
    out = tmp_path / "run"
    assert main(["morphology", str(d), "--units", "nm", "--sholl-radii", "8", "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out / "measures.csv")))
    assert [r["name"] for r in rows] == [f.stem for f in NAVIS_SWC[:2]]
    n = navis.read_swc(str(NAVIS_SWC[0]))
    assert float(rows[0]["cable_length"]) == pytest.approx(float(n.cable_length), rel=1e-6)
    assert (out / "report.html").exists() and (out / "figures" / "sholl.png").exists()
    assert len(list(csv.DictReader(open(out / "sholl.csv")))) == 16


def test_morphology_bad_file(tmp_path, capsys):
    p = tmp_path / "two_roots.swc"
    p.write_text("1 1 0 0 0 1 -1\n2 1 0 0 1 1 -1\n")
    assert main(["morphology", str(p), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "2 roots" in err and err.count("\n") == 1
    assert main(["morphology", str(tmp_path / "absent.swc")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["morphology", str(tmp_path / "empty")]) == 2
    assert "no .swc" in capsys.readouterr().err
