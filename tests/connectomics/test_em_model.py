"""U-Net shapes, checkpoint round trip (weights_only), foreign checkpoints, blended inference."""
import json

import numpy as np
import pytest
import torch

from neurodiscovery._utils.errors import InputError, MissingFileError
from neurodiscovery.connectomics.em.inference import affinities_to_boundary, blending_window, predict
from neurodiscovery.connectomics.em.model import UNet, UNetConfig, load_checkpoint, save_checkpoint
from neurodiscovery.connectomics.em.train import (
    TrainConfig,
    affinity_target,
    augment_pair,
    elastic_deform,
    loss_fn,
    train_unet,
)


@pytest.mark.parametrize("cfg,shape", [
    (UNetConfig(ndim=2, base_channels=4, depth=3), (2, 1, 32, 48)),
    (UNetConfig(ndim=2, base_channels=4, depth=2, target="affinities"), (1, 1, 16, 16)),
    (UNetConfig(ndim=3, base_channels=4, depth=3, anisotropic_levels=1), (1, 1, 4, 32, 32)),
    (UNetConfig(ndim=3, base_channels=4, depth=3, anisotropic_levels=0, target="affinities"),
     (1, 1, 8, 16, 16)),
])
def test_unet_output_shape(cfg, shape):
    out = UNet(cfg)(torch.zeros(shape))
    assert out.shape == (shape[0], cfg.out_channels) + shape[2:]


def test_anisotropic_divisor():
    cfg = UNetConfig(ndim=3, depth=4, anisotropic_levels=2)
    assert cfg.divisor == (2, 8, 8)  # only the third pooling is along z


def test_bad_config():
    with pytest.raises(InputError):
        UNetConfig(ndim=4)
    with pytest.raises(InputError):
        UNetConfig(target="membranes")


def test_checkpoint_round_trip_weights_only(tmp_path):
    torch.manual_seed(0)
    m = UNet(UNetConfig(base_channels=4, depth=3))
    p = save_checkpoint(m, tmp_path / "m", metadata={"note": "x"}, half=False)
    doc = json.loads((p / "config.json").read_text())
    assert doc["kind"] == "em_unet" and doc["config"]["base_channels"] == 4
    sd = torch.load(p / "state_dict.pt", weights_only=True)  # tensors only, no pickled objects
    assert all(isinstance(v, torch.Tensor) for v in sd.values())
    m2, meta = load_checkpoint(p)
    assert meta == {"note": "x"}
    x = torch.randn(1, 1, 32, 32)
    m.eval()
    with torch.no_grad():
        torch.testing.assert_close(m(x), m2(x))


def test_checkpoint_from_other_architecture(tmp_path):
    from neurodiscovery._utils.checkpoint import save_checkpoint as save_generic
    from neurodiscovery._utils.errors import DataFileError

    m = UNet(UNetConfig(base_channels=4, depth=3))
    p = save_checkpoint(m, tmp_path / "m")
    # weights of one architecture under the config of another
    other = UNetConfig(base_channels=8, depth=3)
    from dataclasses import asdict
    save_generic(tmp_path / "tampered", m.state_dict(), asdict(other), kind="em_unet")
    with pytest.raises(InputError, match="another architecture"):
        load_checkpoint(tmp_path / "tampered")
    # a checkpoint of some other model kind, and a bare torch file
    save_generic(tmp_path / "linear", torch.nn.Linear(3, 2).state_dict(), {}, kind="gru_decoder")
    with pytest.raises(InputError, match="not a 'em_unet'"):
        load_checkpoint(tmp_path / "linear")
    torch.save(torch.nn.Linear(3, 2).state_dict(), tmp_path / "linear.pt")
    with pytest.raises(InputError, match="is a file"):
        load_checkpoint(tmp_path / "linear.pt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFileError):
        load_checkpoint(tmp_path / "empty")
    with pytest.raises(InputError, match="architecture"):
        load_checkpoint(p, expect=other)
    with pytest.raises(MissingFileError):
        load_checkpoint(tmp_path / "absent")


def _constant_model(value: float) -> UNet:
    m = UNet(UNetConfig(base_channels=2, depth=2))
    with torch.no_grad():
        m.head.weight.zero_()
        m.head.bias.fill_(float(np.log(value / (1 - value))))
    return m.eval()


def test_blending_normalises_exactly():
    # a model that outputs a constant must give that constant everywhere, whatever the tiling
    vol = np.random.default_rng(0).integers(0, 255, (2, 70, 90), dtype=np.uint8)
    out = predict(_constant_model(0.3), vol, patch_shape=(32, 32), overlap=12, batch_size=3,
                  tta=True)
    assert out.shape == vol.shape
    np.testing.assert_allclose(out, 0.3, atol=1e-5)


def test_tiled_equals_whole_for_translation_equivariant_model():
    # BN in eval mode + 'same' convs: away from patch borders the tiled, blended result
    # agrees with a single whole-image pass
    torch.manual_seed(0)
    m = UNet(UNetConfig(base_channels=4, depth=2)).eval()
    img = np.random.default_rng(1).integers(0, 255, (128, 128), dtype=np.uint8)
    whole = predict(m, img, patch_shape=(128, 128))
    tiled = predict(m, img, patch_shape=(64, 64), overlap=32)
    assert whole.shape == img.shape
    assert np.abs(whole - tiled).mean() < 0.01


def test_blending_window_positive_and_peaked():
    w = blending_window((8, 10))
    assert w.min() > 0 and w.max() <= 1 and w[4, 5] > 0.9


def test_predict_bad_inputs():
    m = _constant_model(0.5)
    with pytest.raises(InputError, match="2D"):
        predict(m, np.zeros((2, 2, 8, 8), np.uint8))
    with pytest.raises(InputError, match="constant"):
        predict(m, np.full((32, 32), 7, np.uint8))
    with pytest.raises(InputError, match="empty"):
        predict(m, np.zeros((0, 32), np.uint8))


def test_affinity_target_and_back():
    inst = np.array([[1, 1, 2], [1, 0, 2]])
    aff = affinity_target(inst, 2)
    np.testing.assert_array_equal(aff[0], [[0, 0, 0], [1, 0, 1]])   # along y
    np.testing.assert_array_equal(aff[1], [[0, 1, 0], [0, 0, 0]])   # along x
    b = affinities_to_boundary(aff)
    assert b.shape == inst.shape and b[1, 1] == 1.0


def test_augmentation_keeps_pairs_aligned():
    rng = np.random.default_rng(0)
    lab = np.zeros((64, 64), np.uint8)
    lab[16:48, 16:48] = 255
    raw = np.where(lab > 0, 0.5, -0.5).astype(np.float32)
    for _ in range(5):
        r, l = augment_pair(raw, lab, rng, elastic_p=1.0)
        assert r.shape == l.shape == (64, 64)
        # raw stays bright exactly where the label is interior (jitter keeps the order)
        assert r[l > 0].mean() > r[l == 0].mean() + 0.3
    a, b = elastic_deform([raw, lab], 4.0, 8.0, rng, [1, 0])
    assert set(np.unique(b)) <= {0, 255}


def test_losses_prefer_the_truth():
    y = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
    good, bad = y * 20 - 10, -(y * 20 - 10)
    for kind in ("dice_bce", "balanced_bce"):
        assert loss_fn(good, y, kind) < loss_fn(bad, y, kind)


def test_training_reduces_loss_on_planted_membranes():
    # images = noisy membrane maps: a tiny net must learn to read them out
    rng = np.random.default_rng(0)
    lab = np.full((4, 64, 64), 255, np.uint8)
    lab[:, ::16, :] = 0
    lab[:, :, ::16] = 0
    raw = np.clip(np.where(lab == 0, 60, 190) + rng.normal(0, 20, lab.shape), 0, 255).astype(np.uint8)
    import torch

    from neurodiscovery._utils.runtime import thread_limits

    with thread_limits(2):  # training on one thread gives the caller's two back
        m, hist = train_unet(raw[:3], lab[:3], raw[3:], lab[3:], UNetConfig(base_channels=4, depth=2),
                             TrainConfig(n_iter=60, batch_size=2, patch_px=32, lr=1e-2, val_every=20,
                                         time_limit_s=60, n_threads=1), seed=0, progress=False)
        assert torch.get_num_threads() == 2
    assert hist["val"][-1]["val_loss"] < hist["val"][0]["val_loss"]
    pred = predict(m, raw[3])
    assert pred[lab[3] == 0].mean() > pred[lab[3] > 0].mean() + 0.2


def test_training_3d_anisotropic_affinities_runs_and_learns():
    rng = np.random.default_rng(1)
    lab = np.full((8, 32, 32), 255, np.uint8)
    lab[:, ::8, :] = 0
    lab[:, :, ::8] = 0
    raw = np.clip(np.where(lab == 0, 60, 190) + rng.normal(0, 15, lab.shape), 0, 255).astype(np.uint8)
    cfg = UNetConfig(ndim=3, base_channels=4, depth=2, anisotropic_levels=1, target="affinities")
    m, hist = train_unet(raw, lab, raw[:4], lab[:4], cfg,
                         TrainConfig(n_iter=30, batch_size=2, patch_px=16, patch_z=4, lr=1e-2,
                                     val_every=10, time_limit_s=60, n_threads=1), seed=0, progress=False)
    assert hist["val"][-1]["val_loss"] < hist["val"][0]["val_loss"]
    aff = predict(m, raw, patch_shape=(4, 16, 16), overlap=(2, 8, 8))
    assert aff.shape == (3,) + raw.shape


def test_inference_memory_is_checked_before_allocating(monkeypatch):
    """A forward pass whose activations cannot fit is refused with the estimate (issue 20)."""
    import numpy as np

    from neurodiscovery._utils.resources import ResourceError
    from neurodiscovery.connectomics.em.inference import inference_memory_bytes, predict
    from neurodiscovery.connectomics.em.model import UNet, UNetConfig

    cfg = UNetConfig(ndim=2, base_channels=4, depth=2)
    small = inference_memory_bytes(cfg, 1, (64, 64), (64, 64), 1)
    # activations grow with channels and batch, the accumulators with the volume
    assert inference_memory_bytes(UNetConfig(ndim=2, base_channels=8, depth=2), 1, (64, 64), (64, 64), 1) > small
    assert inference_memory_bytes(cfg, 1, (64, 64), (64, 64), 4) > small
    assert inference_memory_bytes(cfg, 10, (64, 64), (64, 64), 1) > small
    vol = np.random.default_rng(0).integers(0, 255, (64, 64)).astype(np.uint8)
    monkeypatch.setenv("NEURODISCOVERY_MAX_MEMORY_GB", str(small / 2 / 2**30))
    with pytest.raises(ResourceError, match="U-Net inference"):
        predict(UNet(cfg), vol, patch_shape=(64, 64), batch_size=1)
    monkeypatch.setenv("NEURODISCOVERY_MAX_MEMORY_GB", "4")
    assert predict(UNet(cfg), vol, patch_shape=(64, 64), batch_size=1).shape == (64, 64)
