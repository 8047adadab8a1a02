"""The synthetic imaging generator plants what it says: SNR, neuropil, kernel, tuning."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.datasets import make_calcium_imaging
from neurodiscovery.datasets.calcium import calcium_kernel


def test_planted_snr_neuropil_and_kernel():
    d = make_calcium_imaging(n_hd=3, n_place=3, n_noncell=2, duration_s=60, snr=5.0, drift=0.0, seed=1)
    trc = d.recording.traces
    own = trc.series["fluorescence"] - d.neuropil_coef * trc.series["neuropil"]
    quiet = d.calcium_dff < 1e-3  # frames without calcium: only baseline and noise remain
    f0 = np.array([np.median(own[quiet[:, j], j]) for j in range(own.shape[1])])
    noise_dff = np.array([np.std(own[quiet[:, j], j] / f0[j]) for j in range(own.shape[1])])
    # the observed neuropil's own noise (sigma/3) leaks in at r=0.7: sqrt(1 + 0.7^2/9) = 1.027
    np.testing.assert_allclose(noise_dff, d.amplitude / d.snr * 1.027, rtol=0.08)
    h = calcium_kernel(30.0, 0.05, 0.7)
    assert h.max() == 1.0 and np.argmax(h) == 4  # GCaMP6f peaks ~140 ms after the spike
    assert h[60] / h[30] == pytest.approx(np.exp(-1 / 0.7), rel=1e-3)  # decay 0.7 s once the rise is over
    assert d.recording.n_units == 8 and np.all(d.spike_counts[:, 6:] == 0)
    counts, _ = d.binned_spike_counts(0.1)
    assert counts.shape == (600, 8) and counts.sum() == d.spike_counts.sum()


def test_generator_is_seeded_and_validates():
    a = make_calcium_imaging(n_hd=2, n_place=1, n_noncell=0, duration_s=20, seed=3)
    b = make_calcium_imaging(n_hd=2, n_place=1, n_noncell=0, duration_s=20, seed=3)
    np.testing.assert_array_equal(a.recording.traces.values, b.recording.traces.values)
    with pytest.raises(InputError, match="unknown indicator"):
        make_calcium_imaging(indicator="OGB-1", duration_s=20)
    with pytest.raises(InputError, match="under 10 s"):
        make_calcium_imaging(duration_s=5)
