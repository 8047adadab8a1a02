"""Shared fixtures: an ``rng``, the ../shared/data folder, tiny synthetic recordings."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

# every metrics.json a command writes during the tests is validated against its declared schema (issue 24)
os.environ.setdefault("NEURODISCOVERY_VALIDATE_METRICS", "1")

# One BLAS / OpenMP / torch thread per test process (and the subprocesses it starts): scripts/test.sh runs
# two xdist workers on two cores, and on test-sized data the libraries' extra threads spin against the
# other worker for far more CPU than they save (GPFA: 15x the CPU time with OpenBLAS's 2 threads). Tests of
# thread handling set their own limits explicitly.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def pytest_configure(config):
    """Apply the one-thread default to BLAS libraries that were loaded before this file (threadpoolctl)."""
    if os.environ.get("OPENBLAS_NUM_THREADS") == "1":
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HD_NWB = SHARED_DATA / "A2929-200711_adn_ca1_head_direction.nwb"


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def shared_hd_nwb():
    if not HD_NWB.exists():
        pytest.skip("../shared/data is not available")
    return HD_NWB


@pytest.fixture
def tiny_recording(rng):
    """3 units, 10 s, a circular and a linear behaviour, two epochs, 6 trials."""
    from neurodiscovery.data import Recording, TimeSeries, Trials

    spikes = [np.sort(rng.uniform(0, 10, n)) for n in (50, 120, 7)]
    t = np.arange(0, 10, 0.01)
    hd = TimeSeries("head_direction", t, np.mod(t * 2.0, 2 * np.pi), units="rad", circular=True)
    pos = TimeSeries("position", t, np.column_stack([np.sin(t), np.cos(t)]), ("x", "y"), "m")
    trials = Trials(np.arange(6) + 1.0, np.arange(6) + 1.5, {"condition": np.array([0, 1, 0, 1, 0, 1])})
    return Recording(spikes, unit_ids=[10, 11, 12], regions=["adn", "adn", "ca1"],
                     behaviors={"head_direction": hd, "position": pos},
                     epochs={"a": [[0, 5]], "b": [[5, 10]]}, trials=trials, name="tiny")


def inspector_problems(path) -> list[str]:
    """What the NWB Inspector (DANDI configuration) finds in ``path`` above a best-practice suggestion."""
    from nwbinspector import Importance, inspect_nwbfile, load_config

    bad = {Importance.ERROR, Importance.PYNWB_VALIDATION, Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION}
    return [f"{m.importance.name} {m.check_function_name} at {m.location}: {m.message}"
            for m in inspect_nwbfile(nwbfile_path=str(path), config=load_config("dandi")) if m.importance in bad]


@pytest.fixture
def nwb_problems():
    """``nwb_problems(path)`` -> list of CRITICAL / BEST_PRACTICE_VIOLATION / validation findings (empty = passes)."""
    return inspector_problems
