"""Trials CSV layout and the ``observer`` command: round trip, validation, run folders."""
import json

import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError, MissingFileError
from neurodiscovery.cli import main
from neurodiscovery.theory import read_trials, simulate_observer, write_trials


def test_csv_round_trip_is_exact(tmp_path):
    table, _ = simulate_observer("cue-combination", n_trials=20, seed=1)
    path = write_trials(table, tmp_path / "t.csv")
    back = read_trials(path)
    np.testing.assert_array_equal(back.response, table.response)
    np.testing.assert_array_equal(back.cues["b"], table.cues["b"])  # NaN where absent survives
    assert list(back.condition) == list(table.condition)
    with pytest.raises(InputError, match="already exists"):
        write_trials(table, path)


@pytest.mark.parametrize("text,match", [
    ("stimulus,condition\n1,a\n", "missing column"),
    ("stimulus,response\n1,abc\n", "row 2, column 'response'"),
    ("stimulus,response\n1,inf\n", "infinite"),
    ("stimulus,response\n", "no trials"),
    ("stimulus,response\n1,2,3\n", "fields"),
    ("stimulus,response\n1,\n", "not a number"),
])
def test_bad_csv_gives_one_line(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(InputError, match=match) as exc:
        read_trials(p)
    assert "\n" not in str(exc.value)


def test_binary_responses_validated(tmp_path):
    p = tmp_path / "psy.csv"
    p.write_text("stimulus,response\n1,yes\n2,no\n3,2\n")
    with pytest.raises(InputError, match="not 0/1"):
        read_trials(p, binary_response=True)
    with pytest.raises(MissingFileError):
        read_trials(tmp_path / "none.csv")


def test_cli_simulate_fit_recover(tmp_path, capsys):
    csv = tmp_path / "g.csv"
    assert main(["observer", "simulate", "--model", "gaussian", "--trials", "150", "--out", str(csv),
                 "--param", "mu_prior=0.2", "--seed", "4"]) == 0
    assert main(["observer", "fit", str(csv), "--model", "gaussian", "--bootstrap", "10", "--cv-folds", "3",
                 "--out", str(tmp_path / "fit")]) == 0
    metrics = json.loads((tmp_path / "fit" / "metrics.json").read_text())
    assert abs(metrics["params"]["mu_prior"] - 0.2) < 0.15
    assert {r["model"] for r in metrics["comparison"]} == {"gaussian", "cue-combination", "cue-equal"}
    assert (tmp_path / "fit" / "report.html").read_text().count("<img") == 3  # + sensory-motor trade-off
    assert main(["observer", "recover", "--model", "gaussian", "--subjects", "2", "--trials", "60",
                 "--no-model-recovery", "--no-progress", "--out", str(tmp_path / "rec")]) == 0
    rec = json.loads((tmp_path / "rec" / "metrics.json").read_text())
    assert set(rec["median_rel_error"]) == {"mu_prior", "sd_prior", "sd_a", "sd_b", "sd_motor"}
    capsys.readouterr()
    assert main(["observer", "fit", str(csv), "--model", "psychometric", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not 0/1" in err and not (tmp_path / "x").exists()
    assert main(["observer", "recover", "--subjects", "0"]) == 2  # a parser error returns 2 in process
