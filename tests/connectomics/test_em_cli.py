"""`neurodiscovery em train|segment|evaluate` end to end on a tiny planted dataset, and bad input."""
import json

import numpy as np
import pytest
import torch

from neurodiscovery.cli import main


def _planted(tmp_path, n=4, size=64, seed=0):
    rng = np.random.default_rng(seed)
    lab = np.full((n, size, size), 255, np.uint8)
    lab[:, ::16, :] = 0
    lab[:, :, ::16] = 0
    raw = np.clip(np.where(lab == 0, 60, 190) + rng.normal(0, 15, lab.shape), 0, 255)
    p = tmp_path / "tiny.npz"
    np.savez(p, raw=raw.astype(np.uint8), membrane_label=lab)
    return p


def _run(argv):
    return main(["em"] + [str(a) for a in argv])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("em_cli")
    data = _planted(tmp)
    run = tmp / "train"
    rc = _run(["train", data, "--train-slices", "0-1", "--val-slices", "2", "--test-slices", "3",
               "--base-channels", "4", "--depth", "2", "--n-iter", "40", "--batch-size", "2",
               "--patch-px", "32", "--lr", "0.01", "--threads", "1", "--out", run])
    assert rc == 0
    return tmp, data, run


def test_train_writes_run_folder(trained):
    _, _, run = trained
    m = json.loads((run / "metrics.json").read_text())
    assert {"test_adapted_rand_error", "test_voi", "watershed_params"} <= set(m)
    assert (run / "model" / "state_dict.pt").exists() and (run / "config.json").exists()
    doc = json.loads((run / "model" / "config.json").read_text())
    assert doc["metadata"]["watershed_params"] == m["watershed_params"]
    assert [p.name for p in (run / "figures").iterdir()] == ["training_loss.png"]  # the loss curve, nothing empty


def test_segment_and_evaluate(trained, capsys):
    tmp, data, run = trained
    seg_run = tmp / "seg"
    assert _run(["segment", data, "--model", run / "model", "--out", seg_run]) == 0
    labels = np.load(seg_run / "segmentation.npz")["labels"]
    assert labels.shape == (4, 64, 64)
    html = (seg_run / "report.html").read_text()
    assert (seg_run / "figures" / "segmentation_slice.png").exists() and "2-D segments" in html
    sm = json.loads((seg_run / "metrics.json").read_text())
    # the planted grid: the segment count excludes the membrane label 0, empty sections are a typed count
    assert sm["n_labels"] == len(np.unique(labels[labels > 0]))
    assert sm["key_numbers"]["sections without any segment"] == {
        "label": "sections without any segment", "value": 0, "unit": "1", "of": 4, "counts": "sections"}
    ev = tmp / "ev"
    assert _run(["evaluate", seg_run / "segmentation.npz", data, "--out", ev]) == 0
    m = json.loads((ev / "metrics.json").read_text())
    assert len(m["per_slice"]) == 4
    assert 0 <= m["mean_adapted_rand_error"] <= 1
    assert (ev / "report.html").exists() and (ev / "figures" / "scores_per_section.png").exists()
    assert f"{m['mean_adapted_rand_error']:.4f}" in (ev / "report.html").read_text()
    ev2 = tmp / "ev2"
    assert _run(["evaluate", seg_run / "segmentation.npz", data, "--slices", "3",
                 "--out", ev2]) == 0
    assert len(json.loads((ev2 / "metrics.json").read_text())["per_slice"]) == 1


def test_segment_zarr_blockwise(trained):
    import zarr

    tmp, data, run = trained
    raw = np.load(data)["raw"]
    z = zarr.open_array(str(tmp / "vol.zarr"), mode="w", shape=raw.shape, dtype="uint8",
                        chunks=(2, 32, 32))
    z[...] = raw
    out = tmp / "segz"
    assert _run(["segment", tmp / "vol.zarr", "--model", run / "model", "--block-shape",
                 "2,32,32", "--halo", "0,16,16", "--out", out]) == 0
    lab = zarr.open_array(str(out / "segmentation.zarr" / "labels"), mode="r")[...]
    assert lab.shape == raw.shape and lab.min() >= 1


# ----------------------------- bad input: one test each -----------------------------
def test_bad_wrong_ndim(trained, tmp_path, capsys):
    _, _, run = trained
    np.save(tmp_path / "v4.npy", np.random.default_rng(0).integers(0, 255, (2, 2, 16, 16)))
    assert _run(["segment", tmp_path / "v4.npy", "--model", run / "model",
                 "--out", tmp_path / "o"]) == 2
    assert "dimensions" in capsys.readouterr().err


def test_bad_constant_volume(trained, tmp_path, capsys):
    _, _, run = trained
    np.save(tmp_path / "c.npy", np.full((2, 32, 32), 9, np.uint8))
    assert _run(["segment", tmp_path / "c.npy", "--model", run / "model",
                 "--out", tmp_path / "o"]) == 2
    assert "constant" in capsys.readouterr().err


def test_bad_empty_volume(trained, tmp_path, capsys):
    _, _, run = trained
    np.save(tmp_path / "e.npy", np.zeros((0, 32, 32), np.uint8))
    assert _run(["segment", tmp_path / "e.npy", "--model", run / "model",
                 "--out", tmp_path / "o"]) == 2
    assert "empty" in capsys.readouterr().err


def test_bad_gt_shape(tmp_path, capsys):
    np.save(tmp_path / "seg.npy", np.ones((2, 32, 32), np.uint32))
    np.save(tmp_path / "gt.npy", np.ones((2, 32, 30), np.uint32))
    assert _run(["evaluate", tmp_path / "seg.npy", tmp_path / "gt.npy",
                 "--out", tmp_path / "o"]) == 2
    assert "shape" in capsys.readouterr().err


def test_bad_checkpoint_architecture(tmp_path, capsys):
    from dataclasses import asdict

    from neurodiscovery._utils.checkpoint import save_checkpoint
    from neurodiscovery.connectomics.em import UNetConfig

    data = _planted(tmp_path)
    save_checkpoint(tmp_path / "other", torch.nn.Conv2d(1, 1, 3).state_dict(),
                    asdict(UNetConfig(base_channels=4, depth=2)), kind="em_unet")
    assert _run(["segment", data, "--model", tmp_path / "other", "--out", tmp_path / "o"]) == 2
    assert "architecture" in capsys.readouterr().err
    torch.save(torch.nn.Conv2d(1, 1, 3).state_dict(), tmp_path / "other.pt")
    assert _run(["segment", data, "--model", tmp_path / "other.pt", "--out", tmp_path / "o"]) == 2
    assert "checkpoint" in capsys.readouterr().err


def test_bad_train_label_shape(tmp_path, capsys):
    np.savez(tmp_path / "bad.npz", raw=np.random.default_rng(0).integers(0, 255, (4, 32, 32)),
             membrane_label=np.zeros((4, 32, 16), np.uint8))
    assert _run(["train", tmp_path / "bad.npz", "--out", tmp_path / "o"]) == 2
    assert "shape" in capsys.readouterr().err
