import json

import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery._utils.runfolder import RunFolder


def test_atomic_success(tmp_path):
    out = tmp_path / "run1"
    with RunFolder("test", out=out, config={"seed": 3}) as run:
        run.write_metrics({"a": 1.0, "nan": float("nan")})
        assert not out.exists()  # invisible until complete
    assert json.loads((out / "metrics.json").read_text()) == {"a": 1.0, "nan": None}
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["seed"] == 3 and "numpy" in cfg["versions"] or "python" in cfg["versions"]


def test_failure_leaves_nothing(tmp_path):
    out = tmp_path / "run2"
    with pytest.raises(RuntimeError):
        with RunFolder("test", out=out) as run:
            run.write_metrics({"a": 1})
            raise RuntimeError("boom")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_never_overwrites(tmp_path):
    out = tmp_path / "exists"
    out.mkdir()
    (out / "precious.txt").write_text("keep")
    with pytest.raises(InputError, match="already exists"):
        RunFolder("test", out=out)
    assert (out / "precious.txt").read_text() == "keep"
