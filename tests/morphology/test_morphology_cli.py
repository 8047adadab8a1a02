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
    assert [float(r["cable_length_um"]) for r in rows] == [16.0, 18.0]
    assert [int(r["n_branch_points"]) for r in rows] == [1, 1] and rows[0]["n_tips"] == "2"
    assert (out / "report.html").exists() and (out / "figures" / "sholl.png").exists()
    assert len(list(csv.DictReader(open(out / "sholl.csv")))) == 16


def test_morphology_reads_the_unit_header(tmp_path, capsys):
    # the same Y neuron written in nm with a header, and in µm without one: identical µm output
    d = tmp_path / "n"
    d.mkdir()
    (d / "nm.swc").write_text("# units: nm\n1 1 0 0 0 2000 -1\n2 3 0 0 10000 1000 1\n"
                              "3 3 3000 0 10000 1000 2\n4 3 -3000 0 10000 1000 2\n")
    _y_neuron(d / "um.swc", 3.0)
    out = tmp_path / "run"
    assert main(["morphology", str(d), "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out / "measures.csv")))
    assert [float(r["cable_length_um"]) for r in rows] == [16.0, 16.0]
    assert [float(r["radius_max_um"]) for r in rows] == [2.0, 2.0]
    # --units applies to files without a header; a header it contradicts is one line, exit 2
    assert main(["morphology", str(d / "um.swc"), "--units", "nm", "--out", str(tmp_path / "r2")]) == 0
    assert float(next(csv.DictReader(open(tmp_path / "r2" / "measures.csv")))["cable_length_um"]) == 0.016
    assert main(["morphology", str(d / "nm.swc"), "--units", "um", "--out", str(tmp_path / "r3")]) == 2
    err = capsys.readouterr().err
    assert "--units" in err and "header" in err and err.count("\n") == 1


def test_morphology_several_roots(tmp_path, capsys):
    p = tmp_path / "two_roots.swc"
    p.write_text("1 1 0 0 0 1 -1\n2 1 0 0 1 1 1\n3 1 5 0 0 1 -1\n4 1 5 0 3 1 3\n")
    # default: one object, fragments summed (navis's cable length of a multi-root neuron)
    assert main(["morphology", str(p), "--out", str(tmp_path / "a")]) == 0
    row = next(csv.DictReader(open(tmp_path / "a" / "measures.csv")))
    assert float(row["cable_length_um"]) == 4.0 and row["n_roots"] == "2"
    assert main(["morphology", str(p), "--multi-root", "split", "--out", str(tmp_path / "b")]) == 0
    rows = list(csv.DictReader(open(tmp_path / "b" / "measures.csv")))
    assert [(r["name"], float(r["cable_length_um"])) for r in rows] == [("two_roots_1", 1.0), ("two_roots_2", 3.0)]
    assert main(["morphology", str(p), "--multi-root", "refuse", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "2 roots" in err and "--multi-root measure" in err and "allow_forest" not in err
    assert err.count("\n") == 1
    assert main(["morphology", str(tmp_path / "absent.swc")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["morphology", str(tmp_path / "empty")]) == 2
    assert "no .swc" in capsys.readouterr().err
