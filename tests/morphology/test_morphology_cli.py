"""`neurodiscovery morphology FILE|DIR`: run folder with measures.csv, figures and report; bad input."""
import csv

from neurodiscovery.cli import main


def _y_neuron(path, arm_um):
    path.write_text("1 1 0 0 0 2 -1\n2 3 0 0 10 1 1\n"
                    f"3 3 {arm_um} 0 10 1 2\n4 3 {-arm_um} 0 10 1 2\n")


def test_morphology_folder(tmp_path):
    d = tmp_path / "neurons"
    d.mkdir()
    _y_neuron(d / "a.swc", 3.0)
    _y_neuron(d / "b.swc", 4.0)
    out = tmp_path / "run"
    assert main(["morphology", str(d), "--sholl-radii", "8", "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out / "measures.csv")))
    assert [r["name"] for r in rows] == ["a", "b"]
    assert [float(r["cable_length"]) for r in rows] == [16.0, 18.0]
    assert [int(r["n_branch_points"]) for r in rows] == [1, 1] and rows[0]["n_tips"] == "2"
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
