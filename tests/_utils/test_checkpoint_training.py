"""The package's checkpoint format and shared training loop."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from neurodiscovery._utils.checkpoint import load_checkpoint, read_checkpoint_config, save_checkpoint  # noqa: E402
from neurodiscovery._utils.errors import DataFileError, InputError, MissingFileError  # noqa: E402
from neurodiscovery._utils.training import fit_minibatch  # noqa: E402


def _linear(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Linear(3, 2)


def test_round_trip_restores_identical_outputs(tmp_path):
    m = _linear()
    x = torch.randn(5, 3)
    path = save_checkpoint(tmp_path / "ck", m.state_dict(), {"n_in": 3, "n_out": 2}, kind="lin",
                           metadata={"score": 0.5})
    ck = load_checkpoint(path, kind="lin")
    m2 = torch.nn.Linear(ck.config["n_in"], ck.config["n_out"])
    m2.load_state_dict(ck.state_dict)
    assert torch.equal(m(x), m2(x))
    assert ck.metadata == {"score": 0.5}


def test_numpy_state_and_half_storage(tmp_path):
    a = np.linspace(0, 1, 7)
    save_checkpoint(tmp_path / "ck", {"a": a, "i": np.arange(3)}, {}, kind="np", half=True)
    doc = read_checkpoint_config(tmp_path / "ck")
    assert doc["tensors"]["a"] == {"shape": [7], "dtype": "float64", "stored_dtype": "float16"}
    ck = load_checkpoint(tmp_path / "ck")
    assert ck.state_dict["a"].dtype == torch.float64
    np.testing.assert_allclose(ck.state_dict["a"].numpy(), a, atol=1e-3)
    assert ck.state_dict["i"].tolist() == [0, 1, 2]


def test_never_overwrites(tmp_path):
    (tmp_path / "ck").mkdir()
    with pytest.raises(InputError, match="already exists"):
        save_checkpoint(tmp_path / "ck", {}, {}, kind="x")


def test_tampered_checkpoints_give_one_line_errors(tmp_path):
    with pytest.raises(MissingFileError):
        load_checkpoint(tmp_path / "none")
    path = save_checkpoint(tmp_path / "ck", _linear().state_dict(), {}, kind="lin")
    with pytest.raises(InputError, match="not a 'gru'"):
        load_checkpoint(path, kind="gru")
    doc = json.loads((path / "config.json").read_text())
    doc["tensors"]["weight"]["shape"] = [4, 4]
    (path / "config.json").write_text(json.dumps(doc))
    with pytest.raises(DataFileError, match="shape"):
        load_checkpoint(path)
    (path / "config.json").write_text("{not json")
    with pytest.raises(DataFileError, match="not valid JSON"):
        load_checkpoint(path)
    bad = save_checkpoint(tmp_path / "ck2", {"w": torch.ones(2)}, {}, kind="x")
    torch.save({"w": torch.ones(2), "obj": {1, 2}}, bad / "state_dict.pt")  # a pickled set: not weights
    with pytest.raises(DataFileError) as exc:
        load_checkpoint(bad)
    assert "weights_only=False" not in str(exc.value) and "\n" not in str(exc.value)
    (bad / "state_dict.pt").write_bytes(b"")
    with pytest.raises(DataFileError):
        load_checkpoint(bad)


def _regression_data(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    w = torch.tensor([[1.0, -2.0], [0.5, 0.0], [0.0, 3.0]])
    return x, x @ w + 0.01 * torch.randn(n, 2, generator=g), w


def _mse(module, batch, epoch):
    x, y = batch
    return torch.mean((module(x) - y) ** 2)


def test_fit_minibatch_recovers_planted_weights_and_is_seeded():
    x, y, w = _regression_data(512, 1)
    xv, yv, _ = _regression_data(128, 2)
    runs = []
    for _ in range(2):
        m = _linear(3)
        h = fit_minibatch(m, _mse, (x, y), (xv, yv), batch_size=32, lr=0.05, max_epochs=60, patience=5, seed=7)
        runs.append(m.weight.detach().clone())
    np.testing.assert_allclose(runs[0].T.numpy(), w.numpy(), atol=0.02)
    assert torch.equal(runs[0], runs[1])
    assert h.best_val_loss == pytest.approx(min(h.val_loss))
    assert h.val_loss[h.best_epoch] == h.best_val_loss
    assert h.stopped in ("patience", "max_epochs")


def test_fit_minibatch_rejects_bad_settings():
    x, y, _ = _regression_data(8, 0)
    with pytest.raises(InputError, match="learning rate"):
        fit_minibatch(_linear(), _mse, (x, y), lr=-1)
    with pytest.raises(InputError, match="batch_size"):
        fit_minibatch(_linear(), _mse, (x, y), batch_size=0)
    with pytest.raises(InputError, match="first"):
        fit_minibatch(_linear(), _mse, (x, y[:4]))
