"""One trial tensor: trials from a trial table (dynamics, circuit) and pseudo-trials cut from an epoch
(latents) are the same :class:`AlignedTrials`, whose bin times agree with the spikes they count."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.data import AlignedTrials, Recording, TimeSeries, Trials, trial_tensor
from neurodiscovery.latents.recording import trial_counts


def _rec(with_trials=True):
    # one spike at 0.5 s after each trial start, in unit 0; a linear behaviour x(t) = t
    starts = np.arange(5) * 2.0 + 1.0
    spikes = [starts + 0.505, np.array([0.01])]
    beh = {"x": TimeSeries("x", np.arange(0, 13, 0.01), np.arange(0, 13, 0.01)[:, None])}
    trials = Trials(starts, starts + 1.5, {"go_s": starts + 0.5, "condition": np.array([0, 1, 0, 1, 0])})
    return Recording(spikes, behaviors=beh, trials=trials if with_trials else None, time_support_s=np.array([0.0, 12.0]))


def test_trial_table_tensor_aligns_on_the_declared_movement_event():
    al = trial_tensor(_rec(), bin_size_s=0.01, behaviors=["x"])
    assert isinstance(al, AlignedTrials) and al.event == "go_s" and al.source == "trials"
    assert al.counts.shape == (5, 100, 2) and al.window_s == (0.0, 1.0)
    # the planted spike 5 ms after go falls in bin 0 of every trial
    assert np.all(al.counts[:, 0, 0] == 1) and al.counts[:, 1:, 0].sum() == 0
    # behaviour x(t) = t sampled at the absolute bin centres
    np.testing.assert_allclose(al.behavior[..., 0], al.abs_t_s, atol=1e-9)
    np.testing.assert_array_equal(al.conditions, [0, 1, 0, 1, 0])
    assert al.behavior_name == "x" and al.span_s == (0.0, 1.0)


def test_window_into_the_next_trial_is_refused():
    with pytest.raises(InputError, match="window"):
        trial_tensor(_rec(), event="start_s", window_s=(0.0, 2.5), bin_size_s=0.01)


def test_latent_trials_and_segments_are_the_same_type_with_consistent_times():
    tr = trial_counts(_rec(), 0.01, behavior="x")
    seg = trial_counts(_rec(with_trials=False), 0.01, behavior="x", segment_s=2.0)
    for al in (tr, seg):
        assert isinstance(al, AlignedTrials) and al.t_s.ndim == 1
        np.testing.assert_allclose(al.behavior[..., 0], al.abs_t_s, atol=1e-9)
    assert tr.source == "trials" and tr.event == "start_s" and tr.counts[:, 50, 0].tolist() == [1] * 5
    assert seg.source == "segments" and seg.event == "segment_start" and seg.counts.shape == (6, 200, 2)
    np.testing.assert_allclose(seg.event_s, np.arange(6) * 2.0, atol=1e-9)
