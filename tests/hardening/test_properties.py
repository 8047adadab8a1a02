"""Hypothesis properties of the readers, binning and splitting (small ``max_examples``, no deadline)."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurodiscovery._utils.errors import NeurodiscoveryError
from neurodiscovery.data import Recording, bin_spikes, blocked_kfold, read_npz, write_npz
from neurodiscovery.data.binning import bin_edges

FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
times = st.lists(st.floats(0, 100, allow_nan=False, allow_infinity=False), max_size=60)


@FAST
@given(st.lists(times, min_size=1, max_size=4), st.floats(0.01, 10))
def test_binning_conserves_spikes_inside_the_edges(trains, bin_size_s):
    spikes = [np.sort(np.asarray(t, float)) for t in trains]
    (edges,) = bin_edges(np.array([[0.0, 100.0]]), bin_size_s)
    counts = bin_spikes(spikes, edges)
    assert counts.shape == (len(edges) - 1, len(spikes))
    for j, s in enumerate(spikes):  # every spike in [first edge, last edge) is counted exactly once
        assert counts[:, j].sum() == np.sum((s >= edges[0]) & (s < edges[-1]))
    assert np.all(counts >= 0)


@FAST
@given(st.integers(2, 400), st.integers(2, 8), st.integers(0, 10))
def test_blocked_kfold_partitions_and_keeps_the_gap(n, k, gap):
    try:
        folds = blocked_kfold(n, k, gap)
    except NeurodiscoveryError:
        return  # too few samples for k folds with this gap: refused, never a silent bad split
    tests = np.concatenate([te for _, te in folds])
    assert np.array_equal(np.sort(tests), np.arange(n))  # test blocks partition the samples
    for tr, te in folds:
        assert np.all(np.diff(te) == 1)  # contiguous
        near = (tr >= te[0] - gap) & (tr <= te[-1] + gap)
        assert not near.any()  # nothing within `gap` of the test block is trained on


@FAST
@given(st.lists(times, min_size=1, max_size=3))
def test_npz_round_trip(tmp_path, trains):
    rec = Recording([np.sort(np.asarray(t, float)) for t in trains], name="prop")
    path = tmp_path / f"r{abs(hash(str(trains)))}.npz"
    back = read_npz(write_npz(rec, path))
    for a, b in zip(rec.spike_times, back.spike_times):
        np.testing.assert_array_equal(a, b)


@FAST
@given(st.binary(max_size=2000), st.integers(0, 4000))
def test_npz_reader_on_arbitrary_bytes_raises_only_our_errors(tmp_path, junk, cut):
    """Random bytes, or a valid file cut anywhere, either read or raise a one-line user error."""
    good = tmp_path / "good.npz"
    if not good.exists():
        write_npz(Recording([np.arange(50) * 0.1], name="g"), good)
    for data in (junk, good.read_bytes()[:cut]):
        p = tmp_path / "x.npz"
        p.write_bytes(data)
        try:
            read_npz(p)
        except NeurodiscoveryError as exc:
            assert "\n" not in str(exc).strip()


@FAST
@given(st.lists(st.integers(0, 10**15), min_size=1, max_size=3))
def test_npz_declared_shapes_are_checked_before_reading(tmp_path, shape):
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": tuple(shape)})
    p = tmp_path / "h.npz"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("spike_times.npy", buf.getvalue() + b"\0" * 16)
        b2 = io.BytesIO()
        np.save(b2, np.array([0, 0]))
        z.writestr("spike_ptr.npy", b2.getvalue())
    if int(np.prod(shape, dtype=object)) <= 2:
        return  # fits the 16 bytes written: a legitimate (tiny) array
    with pytest.raises(NeurodiscoveryError):
        read_npz(p)


@FAST
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12))
def test_npz_round_trip_keeps_hostile_behaviour_names(tmp_path, name):
    from neurodiscovery.data import TimeSeries

    t = np.arange(5) * 0.1
    rec = Recording([t], behaviors={name: TimeSeries(name, t, t[:, None])}, name="names")
    path = tmp_path / f"n{abs(hash(name))}.npz"
    back = read_npz(write_npz(rec, path))
    assert back.behavior_names == [name]
    np.testing.assert_array_equal(back.behavior(name).values[:, 0], t)
