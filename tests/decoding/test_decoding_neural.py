"""Torch decoders: they learn planted maps, are seeded without global state, stop early, save/load."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from neurodiscovery.decoding import (  # noqa: E402
    GRUDecoder,
    LSTMDecoder,
    MLPClassifierDecoder,
    MLPDecoder,
    WienerFilter,
    lagged_design,
)


def r2(y, p):
    return 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum()


@pytest.fixture(scope="module")
def seq_task():
    """y_t depends nonlinearly on the last 5 bins of 8 neurons."""
    rng = np.random.default_rng(0)
    T, N = 2500, 8
    X = rng.poisson(2.0, size=(T, N)).astype(float)
    w = rng.normal(size=(5, N)) / 4
    seq, idx = lagged_design(X, 4, 0, flat=False)
    drive = np.einsum("sln,ln->s", seq, w)
    y = np.tanh(drive - drive.mean()) + 0.05 * rng.normal(size=len(drive))
    return np.ascontiguousarray(seq), y


def test_mlp_beats_linear_on_nonlinear_map(seq_task):
    seq, y = seq_task
    flat = seq.reshape(len(seq), -1)
    tr, te = slice(0, 2000), slice(2000, None)
    mlp = MLPDecoder(hidden_size=32, max_epochs=60, patience=8, seed=0).fit(flat[tr], y[tr])
    lin = WienerFilter().fit(flat[tr], y[tr])
    assert r2(y[te], mlp.predict(flat[te])) > r2(y[te], lin.predict(flat[te])) + 0.03
    assert r2(y[te], mlp.predict(flat[te])) > 0.8


@pytest.mark.parametrize("cls", [GRUDecoder, LSTMDecoder])
def test_recurrent_decoders_learn_sequence_map(cls, seq_task):
    seq, y = seq_task
    m = cls(hidden_size=16, max_epochs=40, patience=6, seed=0).fit(seq[:2000], y[:2000])
    assert r2(y[2000:], m.predict(seq[2000:])) > 0.75
    # flat input with n_lags is the same model
    flat = seq.reshape(len(seq), -1)
    m2 = cls(hidden_size=16, max_epochs=3, n_lags=5, seed=0).fit(flat[:500], y[:500])
    m3 = cls(hidden_size=16, max_epochs=3, seed=0).fit(seq[:500], y[:500])
    np.testing.assert_allclose(m2.predict(flat[2000:]), m3.predict(seq[2000:]), atol=1e-6)


def test_seeded_by_generator_without_global_state(seq_task):
    seq, y = seq_task
    flat = seq.reshape(len(seq), -1)[:600]
    state = torch.random.get_rng_state().clone()
    a = MLPDecoder(hidden_size=16, max_epochs=5, seed=3).fit(flat, y[:600]).predict(flat)
    assert torch.equal(state, torch.random.get_rng_state())   # global RNG neither seeded nor advanced
    torch.manual_seed(12345)                                   # global seeding has no effect
    b = MLPDecoder(hidden_size=16, max_epochs=5, seed=3).fit(flat, y[:600]).predict(flat)
    c = MLPDecoder(hidden_size=16, max_epochs=5, seed=4).fit(flat, y[:600]).predict(flat)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_thread_setting_is_respected(seq_task):
    seq, y = seq_task
    torch.set_num_threads(1)
    GRUDecoder(hidden_size=8, max_epochs=2).fit(seq[:300], y[:300])
    assert torch.get_num_threads() == 1


def test_early_stopping_on_noise_target():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(800, 10)), rng.normal(size=800)
    m = MLPDecoder(hidden_size=64, max_epochs=200, patience=3, seed=0).fit(X, y)
    assert m.n_epochs_ < 200
    assert m.n_epochs_ - 1 - m.best_epoch_ == 3            # stopped after `patience` bad epochs
    val = [h[1] for h in m.history_]
    assert m.best_val_loss_ == pytest.approx(min(val))


def test_full_batch_and_weight_decay_options(seq_task):
    seq, y = seq_task
    flat = seq.reshape(len(seq), -1)
    m = MLPDecoder(batch_size=None, weight_decay=0.0, max_epochs=5).fit(flat[:400], y[:400])
    assert m.n_epochs_ == 5 or m.n_epochs_ <= 5
    assert m.predict(flat[:10]).shape == (10,)


def test_save_and_load_round_trip(tmp_path, seq_task):
    seq, y = seq_task
    m = LSTMDecoder(hidden_size=8, max_epochs=3).fit(seq[:400], np.column_stack([y[:400], -y[:400]]))
    m.save(tmp_path / "lstm")
    m2 = LSTMDecoder.load(tmp_path / "lstm")
    np.testing.assert_allclose(m2.predict(seq[400:500]), m.predict(seq[400:500]), atol=1e-6)
    assert (tmp_path / "lstm" / "config.json").exists()


def test_checkpoint_is_the_package_format_and_tampering_is_refused(tmp_path, seq_task):
    import json

    from neurodiscovery._utils.checkpoint import load_checkpoint
    from neurodiscovery._utils.errors import DataFileError, InputError

    seq, y = seq_task
    m = GRUDecoder(hidden_size=8, max_epochs=2).fit(seq[:300], y[:300])
    path = m.save(tmp_path / "gru")
    ck = load_checkpoint(path, kind="decoding.GRUDecoder")
    assert ck.config["params"]["hidden_size"] == 8 and ck.config["params"]["seed"] == 0
    with pytest.raises(InputError):  # another class's checkpoint
        LSTMDecoder.load(path)
    with pytest.raises(InputError, match="exists"):  # never overwritten
        m.save(path)
    doc = json.loads((path / "config.json").read_text())
    doc["config"]["params"]["hidden_size"] = 4096  # a config asking for a huge network
    (path / "config.json").write_text(json.dumps(doc))
    with pytest.raises(DataFileError, match="do not match its config"):
        GRUDecoder.load(path)


def test_mlp_classifier_learns_conditions():
    rng = np.random.default_rng(2)
    labels = np.repeat(np.arange(4), 60)
    centers = rng.normal(size=(4, 20)) * 1.5
    X = centers[labels] + rng.normal(size=(240, 20))
    perm = rng.permutation(240)
    X, labels = X[perm], labels[perm]
    m = MLPClassifierDecoder(max_epochs=100, seed=0).fit(X[:180], labels[:180])
    assert m.score(X[180:], labels[180:]) > 0.85
    p = m.predict_proba(X[180:])
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-6)


def test_package_adamw_equals_torch_adamw():
    """The decoders' AdamW (no torch.optim import) takes torch.optim.AdamW's steps exactly."""
    import copy

    import torch

    from neurodiscovery.decoding._torch_nets import AdamW

    g = torch.Generator().manual_seed(0)
    a = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    b, start = copy.deepcopy(a), copy.deepcopy(a)
    X, Y = torch.randn(64, 10, generator=g), torch.randn(64, 2, generator=g)
    opts = ((a, AdamW(a.parameters(), lr=4e-3, weight_decay=1e-2)),
            (b, torch.optim.AdamW(b.parameters(), lr=4e-3, weight_decay=1e-2)))
    for _ in range(30):
        for m, o in opts:
            o.zero_grad(set_to_none=True)
            ((m(X) - Y) ** 2).mean().backward()
            o.step()
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-7)
    assert (a[0].weight - start[0].weight).abs().max() > 1e-2  # the steps moved the parameters
