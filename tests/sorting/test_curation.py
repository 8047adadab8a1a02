"""Threshold curation: labels every unit (removes none), Allen bounds inclusive, undefined metrics fail."""
from __future__ import annotations

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("spikeinterface")

from neurodiscovery._utils.errors import InputError
from neurodiscovery.sorting import ALLEN_THRESHOLDS, curate


def _metrics(rng, n=200):
    return pd.DataFrame({"isi_violations_ratio": rng.exponential(0.4, n), "amplitude_cutoff": rng.uniform(0, 0.2, n),
                         "presence_ratio": rng.uniform(0.7, 1.0, n), "snr": rng.uniform(1, 20, n)},
                        index=np.arange(n) + 100)


def test_labels_match_the_allen_rule(rng):
    m = _metrics(rng)
    m.iloc[0] = [0.5, 0.1, 0.9, 5.0]  # exactly on every bound: good (AllenSDK uses <= and >=)
    m.iloc[1, 2] = np.nan              # undefined presence ratio: bad
    cur = curate(m)
    want = ((m["isi_violations_ratio"] <= 0.5) & (m["amplitude_cutoff"] <= 0.1) & (m["presence_ratio"] >= 0.9))
    assert len(cur.labels) == len(m)   # no unit removed
    np.testing.assert_array_equal(cur.labels == "good", want.to_numpy())
    assert cur.labels[0] == "good" and cur.labels[1] == "bad" and "presence_ratio undefined" in cur.failed[1]
    assert cur.n_good == int(want.sum()) and 0 < cur.n_good < len(m)
    bad = np.flatnonzero(cur.labels == "bad")
    assert all(cur.failed[i] for i in bad) and not any(cur.failed[i] for i in np.flatnonzero(cur.labels == "good"))
    assert cur.thresholds == ALLEN_THRESHOLDS


def test_custom_thresholds_and_reasons(rng):
    m = _metrics(rng, 50)
    cur = curate(m, {"snr": {"greater": 10.0}})
    np.testing.assert_array_equal(cur.labels == "good", (m["snr"] >= 10).to_numpy())
    i = int(np.flatnonzero(cur.labels == "bad")[0])
    assert cur.failed[i].startswith("snr ") and "< 10" in cur.failed[i]


def test_unknown_metric_or_bound(rng):
    m = _metrics(rng, 5)
    with pytest.raises(InputError, match="not computed"):
        curate(m, {"l_ratio": {"less": 0.1}})
    with pytest.raises(InputError, match="less"):
        curate(m, {"snr": {"above": 3}})
