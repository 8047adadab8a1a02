"""phy / Kilosort folders: spike times in seconds, the user's curation respected (good clusters by default)."""
from __future__ import annotations

import numpy as np
import pytest

from neurodiscovery._utils.errors import DataFileError, InputError
from neurodiscovery.data import read_phy, read_recording


def _phy(folder, rng, labels: dict | None, ks_labels: dict | None = None, rate=30000.0):
    folder.mkdir()
    clusters = np.repeat([3, 5, 8], [40, 60, 25])
    samples = np.sort(rng.integers(0, int(10 * rate), len(clusters))).astype(np.uint64)
    rng.shuffle(clusters)
    np.save(folder / "spike_times.npy", samples[:, None])  # Kilosort writes (n, 1)
    np.save(folder / "spike_clusters.npy", clusters.astype(np.int32))
    (folder / "params.py").write_text(f"dat_path = 'raw.bin'\nn_channels_dat = 32\nsample_rate = {rate}\n"
                                      "hp_filtered = False\n")
    for name, col, lab in (("cluster_group.tsv", "group", labels), ("cluster_KSLabel.tsv", "KSLabel", ks_labels)):
        if lab is not None:
            (folder / name).write_text(f"cluster_id\t{col}\n" + "".join(f"{k}\t{v}\n" for k, v in lab.items()))
    return samples, clusters


def test_good_clusters_by_default(tmp_path, rng):
    samples, clusters = _phy(tmp_path / "ks", rng, {3: "good", 5: "mua", 8: "good"}, {3: "mua", 5: "good", 8: "mua"})
    rec = read_recording(tmp_path / "ks")
    assert list(rec.unit_ids) == [3, 8]  # phy's manual labels win over Kilosort's
    np.testing.assert_allclose(rec.spike_times[0], np.sort(samples[clusters == 3] / 30000.0))
    assert len(rec.spike_times[1]) == 25 and "2 of 3" in rec.meta["curation"]
    every = read_recording(tmp_path / "ks", all_units=True)
    assert list(every.unit_ids) == [3, 5, 8] and list(every.unit_columns["quality"]) == ["good", "mua", "good"]


def test_kilosort_labels_when_uncurated(tmp_path, rng):
    _phy(tmp_path / "ks", rng, None, {3: "mua", 5: "good", 8: "good"})
    assert list(read_phy(tmp_path / "ks").unit_ids) == [5, 8]


def test_unlabelled_clusters_are_not_good(tmp_path, rng):
    _phy(tmp_path / "ks", rng, {5: "good"})  # phy writes only what the user labelled
    rec = read_phy(tmp_path / "ks", all_units=True)
    assert list(rec.unit_columns["quality"]) == ["unsorted", "good", "unsorted"]
    assert list(read_phy(tmp_path / "ks").unit_ids) == [5]


def test_no_good_cluster_names_all_units(tmp_path, rng):
    _phy(tmp_path / "ks", rng, {3: "noise", 5: "mua", 8: "mua"})
    with pytest.raises(InputError, match="--all-units"):
        read_phy(tmp_path / "ks")


def test_params_py_is_parsed_not_run(tmp_path, rng):
    _phy(tmp_path / "ks", rng, {3: "good"})
    marker = tmp_path / "ran"
    (tmp_path / "ks" / "params.py").write_text(f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n"
                                               "sample_rate = 20000\n")
    rec = read_phy(tmp_path / "ks")
    assert not marker.exists() and rec.meta["sampling_rate_hz"] == 20000


@pytest.mark.parametrize("what", ["empty", "no_clusters", "mismatch"])
def test_broken_phy_folders(tmp_path, rng, what):
    folder = tmp_path / "ks"
    _phy(folder, rng, {3: "good"})
    if what == "empty":
        (folder / "spike_times.npy").unlink()
        match = "empty phy folder"
    elif what == "no_clusters":
        (folder / "spike_clusters.npy").unlink()
        match = "spike_clusters"
    else:
        np.save(folder / "spike_clusters.npy", np.zeros(3, np.int32))
        match = "cluster labels"
    with pytest.raises(DataFileError, match=match):
        read_recording(folder)


def test_plain_folder_is_refused(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(DataFileError, match="empty folder"):
        read_recording(tmp_path / "x")
