import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.data import Recording, TimeSeries, Trials


def test_non_monotonic_spike_times():
    with pytest.raises(InputError, match="not sorted"):
        Recording([np.array([0.1, 0.3, 0.2])])


def test_non_monotonic_behaviour_timestamps():
    with pytest.raises(InputError, match="not strictly increasing"):
        TimeSeries("x", [0.0, 0.2, 0.1], [1.0, 2.0, 3.0])


def test_nan_behaviour_message_and_gap_option():
    with pytest.raises(InputError, match="1 of 3 samples are NaN"):
        TimeSeries("x", [0.0, 0.1, 0.2], [1.0, np.nan, 3.0])
    ts = TimeSeries.from_samples("x", [0.0, 0.1, 0.2], [1.0, np.nan, 3.0], drop_nan=True)
    assert ts.n_samples == 2 and ts.meta["n_dropped_nan"] == 1


def test_mismatched_lengths():
    with pytest.raises(InputError, match="mismatched lengths"):
        TimeSeries("x", [0.0, 0.1], [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="mismatched lengths"):
        Recording([np.array([0.1]), np.array([0.2])], regions=["a"])
    with pytest.raises(InputError, match="mismatched lengths"):
        Trials([0.0, 1.0], [0.5, 1.5], {"condition": [1]})


def test_restrict_is_new_object(tiny_recording):
    r = tiny_recording.restrict(epoch="a")
    assert all(np.all(st < 5) for st in r.spike_times)
    assert any(np.any(st >= 5) for st in tiny_recording.spike_times)  # original untouched
    assert r.behavior("position").t_s.max() < 5
    assert len(r.trials) == 4 and set(r.epochs) == {"a"}
    np.testing.assert_allclose(r.time_support_s, [0, 5])


def test_arrays_are_read_only(tiny_recording):
    with pytest.raises(ValueError):
        tiny_recording.spike_times[0][0] = 3.0


def test_select_units(tiny_recording):
    r = tiny_recording.select_units(tiny_recording.regions == "adn")
    assert r.n_units == 2 and list(r.unit_ids) == [10, 11]


def test_unknown_epoch(tiny_recording):
    with pytest.raises(InputError, match="available: a, b"):
        tiny_recording.restrict(epoch="wake")


def test_short_repr_and_equality(tiny_recording):
    text = repr(tiny_recording)
    assert len(text) < 600 and "3 units (adn: 2, ca1: 1)" in text and "trials: 6 (condition)" in text
    assert "array(" not in text
    assert tiny_recording == tiny_recording._replace()
    assert tiny_recording != tiny_recording._replace(name="other")
