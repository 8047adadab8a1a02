"""The shipped ISBI-2012 checkpoint: size, weights-only loading, held-out accuracy."""
from pathlib import Path

import numpy as np
import pytest
import torch

from neurodiscovery.connectomics.em import (
    evaluate,
    label_interior,
    load_checkpoint,
    segment_volume,
    threshold_components,
)
from neurodiscovery.connectomics.em.model import default_checkpoint_path

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "isbi2012_slices00-19.npz"


def test_shipped_checkpoint_small_and_weights_only():
    p = default_checkpoint_path()
    assert p.is_dir()
    assert sum(f.stat().st_size for f in p.iterdir()) <= 5 * 1024 * 1024
    sd = torch.load(p / "state_dict.pt", weights_only=True)
    assert all(v.dtype == torch.float16 for v in sd.values() if v.is_floating_point())
    model, meta = load_checkpoint(p)
    assert meta["train_slices"] == list(range(14)) and meta["val_slices"] == [14, 15]
    assert not set(meta["train_slices"] + meta["val_slices"]) & {16, 17, 18, 19}


@pytest.mark.needs_shared
def test_shipped_model_on_held_out_slices():
    if not DATA.exists():
        pytest.skip("shared ISBI data not available")
    d = np.load(DATA)
    raw, truth = d["raw"][16:20], label_interior(d["membrane_label"][16:20] != 0)
    model, meta = load_checkpoint(default_checkpoint_path())
    labels, bnd = segment_volume(raw)  # shipped model + its tuned watershed parameters
    scores = [evaluate(truth[i], labels[i].astype(np.int64)) for i in range(4)]
    arand = np.mean([s.adapted_rand_error for s in scores])
    voi = np.mean([s.voi for s in scores])
    # the numbers recorded in the checkpoint (and the README) are reproduced
    assert arand == pytest.approx(meta["test_adapted_rand_error"], abs=2e-3)
    assert voi == pytest.approx(meta["test_voi"], abs=1e-2)
    # issue targets, and far better than the threshold + connected-components baseline
    assert arand <= 0.08 and voi <= 0.35
    base = threshold_components(bnd)
    base_arand = np.mean([evaluate(truth[i], base[i].astype(np.int64)).adapted_rand_error
                          for i in range(4)])
    assert base_arand > 2 * arand
