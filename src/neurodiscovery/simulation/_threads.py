"""Thread helpers of the native engine: how many cores, how busy the machine is, numba's threading layer."""
from __future__ import annotations

import os
import sys
import time

import numpy as np


def choose_threading_layer() -> None:
    """Keep numba's OpenMP pool out of a process that has imported NEST.

    NEST wheels ship their own libgomp; numba's default OpenMP layer loads the system one,
    and two OpenMP runtimes in one process crash (``nest.ResetKernel`` segfaults after a
    native run). Before numba starts its threads, choose its own ``workqueue`` layer when
    ``nest`` is already imported, unless the user chose a layer (``NUMBA_THREADING_LAYER``).
    Importing NEST after a native run is safe: NEST's runtime then coexists with numba's.
    """
    from numba import config
    from numba.np.ufunc import parallel

    if "nest" not in sys.modules or os.environ.get("NUMBA_THREADING_LAYER"):
        return
    if not getattr(parallel, "_is_initialized", False):
        config.THREADING_LAYER = "workqueue"


def _other_runnable_processes(samples: int = 5, interval_s: float = 0.005) -> float | None:
    """Threads of other processes ready to run right now (median of a few samples of
    ``/proc/loadavg``'s running count minus this process's running threads, which include
    spinning OpenMP workers), or None where /proc does not exist. An instantaneous count,
    unlike the one-minute load average, is not inflated by work that has just finished.
    """
    import glob

    counts = []
    for i in range(samples):
        try:
            with open("/proc/loadavg") as fh:
                running = int(fh.read().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return None
        own = 0
        for stat in glob.glob("/proc/self/task/*/stat"):
            try:
                with open(stat) as fh:
                    # state is the field after the parenthesised command name
                    own += fh.read().rsplit(")", 1)[1].split()[0] == "R"
            except (OSError, IndexError):
                pass
        counts.append(max(running - max(own, 1), 0))
        if i + 1 < samples:
            time.sleep(interval_s)
    return float(np.median(counts))


def _max_threads_available() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def _max_threads() -> int:
    from numba import config

    return int(config.NUMBA_NUM_THREADS)


