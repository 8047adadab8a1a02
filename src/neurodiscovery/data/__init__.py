"""Recordings (spikes or imaging traces), binning, trial alignment, leak-free splits and NWB/NPZ I/O.

This is the bottom domain layer: it imports only :mod:`neurodiscovery._utils`.
Arrays are time-major: counts ``(time, neurons)``, aligned trials
``(trials, time, neurons)``, behaviour ``(time, features)``; units live in names.
"""
from ._nwb_ecephys import read_nwb_session
from .binning import BinnedRecording, bin_recording, bin_spikes, check_binning_memory, resample_behavior
from .derive import speed_from_position
from .io import read_recording, write_recording
from .io_npz import read_npz, write_npz
from .io_nwb import read_nwb
from .io_phy import read_phy, read_si_sorting
from .nwb_units import add_electrodes, add_units, infer_spike_resolution_s
from .nwb_write import merge_subject, simulated_subject, write_nwb
from .pynapple_io import from_pynapple, to_pynapple
from .recording import Recording, Trials
from .splits import BlockedKFold, StratifiedTrialKFold, blocked_kfold, validation_block
from .timeseries import TimeSeries, check_intervals, in_intervals
from .traces import INDICATOR_KINETICS, TRACE_KINDS, RoiTable, Traces, bin_traces, fill_nan_frames, indicator_kinetics
from .transforms import gaussian_smooth, sqrt_transform, zscore
from .trial_tensor import trial_tensor
from .trials import PSTH, AlignedTrials, align_to_events, align_trials, psth

__all__ = [
    "AlignedTrials", "BinnedRecording", "PSTH", "BlockedKFold", "Recording", "StratifiedTrialKFold",
    "TimeSeries", "Trials", "trial_tensor", "align_to_events", "align_trials", "bin_recording", "bin_spikes",
    "blocked_kfold", "check_binning_memory", "check_intervals", "from_pynapple", "gaussian_smooth", "in_intervals",
    "psth", "read_npz", "read_nwb_session", "read_phy", "read_si_sorting", "speed_from_position", "read_nwb", "read_recording", "resample_behavior", "sqrt_transform",
    "to_pynapple", "validation_block", "write_npz", "write_nwb", "write_recording", "zscore",
    "add_electrodes", "add_units", "infer_spike_resolution_s", "merge_subject", "simulated_subject",
    "INDICATOR_KINETICS", "TRACE_KINDS", "RoiTable", "indicator_kinetics", "Traces", "bin_traces", "fill_nan_frames",
]
