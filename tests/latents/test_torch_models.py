"""Tiny torch models: shapes, learning, checkpoints and bad input (the scale runs are slow tests)."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.datasets import make_lorenz_population
from neurodiscovery.latents import GaussianVAE, PoissonVAE, SeqVAE, bits_per_spike

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def lorenz():
    return make_lorenz_population(n_trials=60, n_time=30, n_neurons=12, base_rate_hz=30.0, seed=3)


def test_seqvae_learns_and_round_trips(lorenz, tmp_path):
    X = lorenz.counts
    m = SeqVAE(n_factors=3, enc_hidden=16, gen_hidden=16, max_epochs=4, batch_size=25, lr=1e-2,
               kl_warmup_epochs=2, seed=1).fit(X[:50], X[:50, :, :2] * 0)
    h = m.history_
    assert h.n_epochs == 4 and min(h.val_loss[1:]) < h.val_loss[0]  # deterministic held-out loss improved
    F, R = m.transform(X[50:]), m.predict_rates(X[50:])
    assert F.shape == (10, 30, 3) and R.shape == (10, 30, 14)
    assert np.all(R > 0)
    # the extra (all-zero) output neurons are learnt as silent
    assert R[..., 12:].mean() < 0.2 * R[..., :12].mean()
    folder = m.save(tmp_path / "seqvae")
    m2 = SeqVAE.load(folder)
    assert np.allclose(m2.transform(X[50:]), F, atol=1e-6)
    with pytest.raises(InputError, match="fitted on 12 neurons"):
        m2.transform(X[50:, :, :11])
    # the same seed gives the same model
    m3 = SeqVAE(n_factors=3, enc_hidden=8, gen_hidden=8, max_epochs=1, batch_size=25, seed=1).fit(X[:20])
    m4 = SeqVAE(n_factors=3, enc_hidden=8, gen_hidden=8, max_epochs=1, batch_size=25, seed=1).fit(X[:20])
    assert np.allclose(m3.transform(X[50:]), m4.transform(X[50:]))


def test_seqvae_coordinated_dropout_scores_only_hidden_entries(lorenz):
    m = SeqVAE(n_factors=2, enc_hidden=8, gen_hidden=8, cd_rate=0.5, seed=0)
    m.module_ = m._build(12, 12)
    x = torch.as_tensor(lorenz.counts[:4], dtype=torch.float32)
    torch.manual_seed(0)
    cd_loss = float(m._loss(True)(m.module_, (x, x), 0).detach())
    torch.manual_seed(0)
    keep = (torch.rand(x.shape) >= 0.5).float()
    log_r, _, _ = m.module_(x * keep / 0.5)
    hidden = 1 - keep
    expect = float(((torch.exp(log_r) - x * log_r) * hidden).sum().detach() / hidden.sum())
    assert cd_loss == pytest.approx(expect, rel=1e-5)  # KL weight is 0 at epoch 0


def test_poisson_and_gaussian_vae(lorenz, tmp_path):
    X = lorenz.counts
    p = PoissonVAE(n_components=3, hidden=16, max_epochs=15, batch_size=128, seed=0).fit(X[:50])
    g = GaussianVAE(n_components=3, hidden=16, max_epochs=15, batch_size=128, seed=0).fit(X[:50])
    assert p.transform(X[50:]).shape == (10, 30, 3)
    assert np.all(p.predict_rates(X[50:]) > 0) and np.all(g.predict_rates(X[50:]) >= 0)
    assert bits_per_spike(p.predict_rates(X[50:]), X[50:]) > bits_per_spike(g.predict_rates(X[50:]), X[50:])
    folder = g.save(tmp_path / "g")
    g2 = GaussianVAE.load(folder)
    assert np.allclose(g2.predict_rates(X[50:]), g.predict_rates(X[50:]), atol=1e-5)
    with pytest.raises(InputError, match="latents_poisson_vae|kind"):
        PoissonVAE.load(folder)


@pytest.mark.parametrize("cls", [PoissonVAE, SeqVAE])
def test_poisson_models_reject_bad_counts(cls, lorenz):
    X = lorenz.counts[:10]
    with pytest.raises(InputError, match="non-integer"):
        cls(2).fit(X + 0.5)
    with pytest.raises(InputError, match="negative"):
        cls(2).fit(X - 1)
    bad = X.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        cls(2).fit(bad)
    with pytest.raises(InputError, match="larger than the number of neurons"):
        cls(13).fit(X[:, :, :12])
    with pytest.raises(InputError, match="too few"):
        cls(2).fit(X[:1] if cls is SeqVAE else X[:1, :1])


def test_lr_plateau_decays_the_learning_rate():
    """The seqVAE's learning-rate schedule: with a validation loss that never improves, the step halves per epoch."""
    from neurodiscovery._utils.training import fit_minibatch

    w = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(w.weight)
    x = torch.ones(4, 1)
    steps = []

    def loss(module, batch, epoch):  # a constant gradient: each Adam step moves the weight by ~lr
        steps.append(float(module.weight.detach()))
        return module(batch[0]).sum()

    fit_minibatch(w, loss, (x,), (x,), batch_size=4, lr=0.1, max_epochs=5, patience=10,
                  val_loss_fn=lambda m, b, e: torch.tensor(1.0), lr_plateau=(0.5, 0))
    moves = -np.diff(steps[:5])  # the training calls, one per epoch (validation calls do not record)
    assert np.allclose(moves, [0.1, 0.1, 0.05, 0.025], rtol=0.02)  # the first epoch sets the best loss
    with pytest.raises(InputError, match="lr_plateau"):
        fit_minibatch(w, loss, (x,), (x,), lr_plateau=(2.0, 1))


def test_vae_training_is_not_stopped_by_its_kl_warm_up(lorenz, tmp_path):
    # before: validation read the ramping KL weight, so the held-out loss rose every warm-up epoch and
    # early stopping kept epoch 1-3 of 12-14 (co-bps 0.35 / 0.38 where smoothing scores 0.53, 400-trial Lorenz set)
    X = lorenz.counts
    m = PoissonVAE(n_components=3, hidden=16, context_bins=2, kl_warmup_epochs=6, patience=3, max_epochs=30,
                   batch_size=128, seed=0).fit(X[:50])
    h = m.history_
    assert h.n_epochs >= 6 + 3  # patience only counts epochs after the warm-up
    assert h.best_epoch >= 5 and h.val_loss[h.best_epoch] == min(h.val_loss)
    # the kept model explains held-out trials better than each neuron's mean rate, and decodes only the centre bin
    R = m.predict_rates(X[50:])
    assert R.shape == X[50:].shape and bits_per_spike(R, X[50:]) > 0
    folder = m.save(tmp_path / "pvae")  # the context width travels with the checkpoint
    assert np.allclose(PoissonVAE.load(folder).predict_rates(X[50:]), R, atol=1e-5)


def test_context_windows_reflect_at_trial_edges():
    from neurodiscovery.latents.vae import context_windows

    A = np.arange(2 * 4 * 1, dtype=float).reshape(2, 4, 1)  # trials 0..3 and 4..7
    W = context_windows(A, 1)
    assert W.shape == (2, 4, 3)
    assert W[0, 0].tolist() == [1, 0, 1] and W[0, 3].tolist() == [2, 3, 2]  # reflected, never the other trial
    assert W[1, 1].tolist() == [4, 5, 6]
    assert context_windows(A, 0) is A
