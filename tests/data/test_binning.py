import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.data import TimeSeries, bin_spikes, resample_behavior


def test_binning_equals_hand_histogram(tiny_recording):
    b = tiny_recording.bin(0.25)
    edges = tiny_recording.time_support_s[0] + 0.25 * np.arange(b.n_bins + 1)
    for j, st in enumerate(tiny_recording.spike_times):
        hand = np.array([np.sum((st >= lo) & (st < hi)) for lo, hi in zip(edges[:-1], edges[1:])])
        np.testing.assert_array_equal(b.counts[:, j], hand)
    assert b.counts.shape == (b.n_bins, 3)
    np.testing.assert_allclose(np.diff(b.t_s), 0.25)


def test_bin_spikes_edges_half_open():
    c = bin_spikes([np.array([0.0, 0.5, 1.0, 1.0, 1.999])], np.array([0.0, 1.0, 2.0]))
    np.testing.assert_array_equal(c[:, 0], [2, 3])


def test_epoch_binning_and_segments(tiny_recording):
    b = tiny_recording.bin(0.5, epoch="b")
    assert b.t_s.min() > 5 and b.t_s.max() < 10 and b.n_bins == 10
    assert np.all(b.segment == 0)


def test_circular_resampling_across_wrap():
    # angle steps from 6.2 rad to 0.1 rad: the midpoint must be near 2pi (≈0), not near pi
    ts = TimeSeries("hd", [0.0, 1.0], [6.2, 0.1], circular=True, units="rad")
    v = resample_behavior(ts, np.array([0.5]), max_gap_s=2.0)[0, 0]
    mid = (6.2 + 0.1 + 2 * np.pi) / 2 % (2 * np.pi)
    assert np.isclose(v, mid, atol=1e-12)
    assert v < 0.1 or v > 6.2


def test_gaps_are_nan_not_invented():
    t = np.r_[np.arange(0, 1, 0.01), np.arange(3, 4, 0.01)]
    ts = TimeSeries("x", t, np.arange(len(t), dtype=float))
    out = resample_behavior(ts, np.array([0.5, 2.0, 3.5, 5.0]), max_gap_s=0.05)
    assert np.isfinite(out[0, 0]) and np.isfinite(out[2, 0])
    assert np.isnan(out[1, 0]) and np.isnan(out[3, 0])


def test_gap_report(tiny_recording):
    rec = tiny_recording.with_behavior(TimeSeries("late", np.arange(5, 10, 0.01), np.ones(500)))
    b = rec.bin(0.5)
    assert b.gap_report["late"]["n_nan_bins"] == 10
    assert b.valid("late").sum() == 10


@pytest.mark.parametrize("bad", [0, -0.1, float("nan")])
def test_bin_size_not_positive(tiny_recording, bad):
    with pytest.raises(InputError, match="bin_size_s must be > 0"):
        tiny_recording.bin(bad)


def test_bin_size_longer_than_data(tiny_recording):
    with pytest.raises(InputError, match="longer than the data"):
        tiny_recording.bin(100.0)


def test_unknown_behaviour_lists_available(tiny_recording):
    b = tiny_recording.bin(0.5)
    with pytest.raises(InputError, match="available: head_direction, position"):
        b.behavior("speed")
    with pytest.raises(InputError, match="available: head_direction, position"):
        tiny_recording.behavior("speed")


def test_speed_from_position_constant_velocity():
    from neurodiscovery.data import speed_from_position

    t = np.arange(0, 20, 0.02)
    pos = TimeSeries("position", t, np.column_stack([0.3 * t, -0.4 * t]), ("x", "y"), "m")
    sp = speed_from_position(pos, smooth_s=0.1)
    assert sp.units == "m/s"
    np.testing.assert_allclose(sp.values[50:-50, 0], 0.5, rtol=1e-9)  # |(0.3, -0.4)| m/s


def test_speed_not_across_gaps():
    from neurodiscovery.data import speed_from_position

    t = np.r_[np.arange(0, 1, 0.01), np.arange(5, 6, 0.01)]
    x = np.r_[np.zeros(100), np.full(100, 10.0)]  # a jump during the gap is not a 2.5 m/s run
    sp = speed_from_position(TimeSeries("position", t, x), smooth_s=0.0)
    assert np.allclose(sp.values, 0)
