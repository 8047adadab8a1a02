"""Second hardening round (issue 27), EM inputs: checkpoint configs, non-zarr folders, pickled volumes."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from neurodiscovery._utils.errors import NeurodiscoveryError
from neurodiscovery.connectomics.em import WatershedParams, read_volume
from neurodiscovery.connectomics.em.model import default_checkpoint_path, load_checkpoint
from neurodiscovery.connectomics.em.segment import default_params as watershed_params_from


def _tampered(tmp_path, edit):
    ck = tmp_path / "ck"
    shutil.copytree(default_checkpoint_path(), ck)
    cfg = json.loads((ck / "config.json").read_text())
    edit(cfg)
    (ck / "config.json").write_text(json.dumps(cfg))
    return ck


@pytest.mark.parametrize("field, value", [("depth", "four"), ("base_channels", 16.5), ("ndim", True)])
def test_checkpoint_config_with_wrong_types_is_refused(tmp_path, field, value):
    ck = _tampered(tmp_path, lambda c: c["config"].__setitem__(field, value))
    with pytest.raises(NeurodiscoveryError, match=field):
        load_checkpoint(ck)


def test_unknown_or_invalid_watershed_setting_is_refused():
    with pytest.raises(NeurodiscoveryError, match="unknown setting"):
        watershed_params_from({"watershed_params": {"threshold": 0.5, "flood_level": 3}})
    with pytest.raises(NeurodiscoveryError, match="threshold"):
        watershed_params_from({"watershed_params": {"threshold": "high"}})
    assert watershed_params_from({"watershed_params": {"min_size": np.int64(50)}}).min_size == 50
    with pytest.raises(NeurodiscoveryError):
        WatershedParams(threshold=1.5)


def test_folder_that_is_not_zarr_and_pickled_npy_say_so(tmp_path):
    (tmp_path / "notzarr").mkdir()
    (tmp_path / "notzarr" / "a.txt").write_text("x")
    with pytest.raises(NeurodiscoveryError, match="not a zarr store"):
        read_volume(tmp_path / "notzarr")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(NeurodiscoveryError, match="never loaded") as e:
        read_volume(tmp_path / "obj.npy")
    assert "unsafe" not in str(e.value) and "allow_pickle" not in str(e.value)


def test_validation_slices_must_not_be_training_slices():
    from neurodiscovery.connectomics.em.workflows import _check_split

    with pytest.raises(NeurodiscoveryError, match="also training"):
        _check_split(20, [0], [0], [])
    _check_split(20, [0, 1], [2], [3])  # disjoint is fine
