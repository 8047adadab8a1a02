import numpy as np
import pytest

nap = pytest.importorskip("pynapple")

from neurodiscovery.data import from_pynapple, to_pynapple  # noqa: E402


def test_roundtrip_through_pynapple(tiny_recording):
    objs = to_pynapple(tiny_recording)
    assert isinstance(objs["units"], nap.TsGroup) and len(objs["units"]) == 3
    assert isinstance(objs["position"], nap.TsdFrame)
    assert isinstance(objs["a"], nap.IntervalSet)
    back = from_pynapple(objs["units"], {"head_direction": objs["head_direction"], "position": objs["position"]},
                         {"a": objs["a"], "b": objs["b"]}, circular={"head_direction"})
    for x, y in zip(tiny_recording.spike_times, back.spike_times):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-9)
    assert list(back.regions) == ["adn", "adn", "ca1"]
    np.testing.assert_allclose(back.behavior("position").values, tiny_recording.behavior("position").values)
    assert back.behavior("head_direction").circular
    np.testing.assert_allclose(back.epoch("a"), [[0, 5]])


def test_pynapple_tuning_agrees(tiny_recording):
    """Binning by pynapple's count() equals ours on the same bins."""
    units = to_pynapple(tiny_recording)["units"]
    ep = nap.IntervalSet(0, 10)
    theirs = np.asarray(units.count(0.5, ep))
    ours = tiny_recording.bin(0.5, intervals=[[0, 10]]).counts
    np.testing.assert_array_equal(theirs, ours)


def test_roundtrip_is_lossless(tiny_recording):
    rec = tiny_recording._replace(unit_columns={"group": np.array([0, 0, 1]), "depth_um": np.array([10.0, 20, 30])})
    back = from_pynapple(to_pynapple(rec))
    assert back == rec
    assert list(back.unit_columns) == ["group", "depth_um"] and list(back.unit_ids) == [10, 11, 12]
    assert back.trials == rec.trials and back.behavior("position").units == "m"
    assert back != rec.select_units([0, 1])


def test_roundtrip_builtin_and_reaching():
    from neurodiscovery import datasets

    for rec in (datasets.load_head_direction(), datasets.make_reaching(n_trials_per_condition=2).to_recording()):
        assert from_pynapple(to_pynapple(rec)) == rec


def test_from_pynapple_rejects_other_objects():
    from neurodiscovery._utils.errors import InputError

    with pytest.raises(InputError, match="TsGroup"):
        from_pynapple([1, 2, 3])
    with pytest.raises(InputError, match="units"):
        from_pynapple({"x": 1})
