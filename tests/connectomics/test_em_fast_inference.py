"""Fast inference paths give the reference answer: folded batch norms, bfloat16, pipelined slices."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from neurodiscovery._utils.errors import InputError
from neurodiscovery.connectomics.em import UNet, UNetConfig, predict, segment_boundaries, segment_volume
from neurodiscovery.connectomics.em.inference import inference_copy


def _model(ndim: int = 2) -> UNet:
    torch.manual_seed(0)
    m = UNet(UNetConfig(ndim=ndim, base_channels=4, depth=3, anisotropic_levels=1))
    with torch.no_grad():  # non-trivial running statistics, so folding them matters
        for mod in m.modules():
            if isinstance(mod, (torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)):
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
    return m.eval()


def _volume(shape, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=shape).astype(np.uint8)


@pytest.mark.parametrize("ndim,shape", [(2, (2, 1, 32, 48)), (3, (1, 1, 4, 32, 32))])
def test_folded_copy_equals_the_model(ndim, shape):
    """Batch norms folded into the convolutions (and channels-last in 2D): the same logits to float rounding."""
    m = _model(ndim)
    x = torch.randn(shape)
    with torch.inference_mode():
        ref, fast = m(x), inference_copy(m)(x)
    assert not any(isinstance(k, torch.nn.BatchNorm2d) for k in inference_copy(m).modules())
    np.testing.assert_allclose(fast.numpy(), ref.numpy(), atol=1e-4 * float(ref.abs().max()))


def test_predict_bfloat16_close_and_checked():
    """bfloat16 probabilities stay near float32's; an unknown precision is refused."""
    m = _model()
    v = _volume((2, 32, 32))
    p32 = predict(m, v)
    p16 = predict(m, v, precision="bfloat16")
    assert p16.dtype == np.float32 and p16.shape == p32.shape
    assert np.abs(p16 - p32).max() < 0.05
    with pytest.raises(InputError, match="precision"):
        predict(m, v, precision="float16")


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_pipelined_slices_equal_whole_volume(dtype):
    """segment_volume's batch-by-batch path (inference overlapped with the instance step) equals predicting
    and segmenting the whole volume at once, ids included, for uint8 and float (whole-volume range) input."""
    m = _model()
    v = _volume((5, 32, 32), seed=1).astype(dtype)
    if dtype == np.float32:
        v = v * 3.0 + 7.0
        v[2] = 100.0  # a constant slice inside a non-constant volume is allowed
    labels, bnd = segment_volume(v, m, batch_size=2)
    ref_bnd = predict(m, v, batch_size=2)
    np.testing.assert_allclose(bnd, ref_bnd, atol=1e-6)
    np.testing.assert_array_equal(labels, segment_boundaries(bnd))
