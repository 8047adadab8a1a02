"""Run-time state a command sets and restores: thread limits and off-screen figures."""
from __future__ import annotations

import contextlib
import sys

__all__ = ["blas_threads", "cap_worker_threads", "figure_context", "map_threads", "thread_limits", "worker_threads"]

#: Upper bound on :func:`worker_threads` set by :func:`cap_worker_threads` (None: no bound).
_CAP: list = [None]


@contextlib.contextmanager
def thread_limits(n_threads: int, torch: bool = True):
    """Limit BLAS (threadpoolctl) and, with ``torch``, torch's intra-op threads; restore both afterwards.

    Parameters
    ----------
    n_threads : int
    torch : bool
        Also limit torch (imports it; set False for commands that never use it).
    """
    from threadpoolctl import threadpool_limits

    tmod = None
    if torch or "torch" in sys.modules:
        import torch as tmod
    old = tmod.get_num_threads() if tmod is not None else None
    if tmod is not None:
        tmod.set_num_threads(int(n_threads))
    try:
        with threadpool_limits(int(n_threads)):
            yield
    finally:
        if tmod is not None:
            tmod.set_num_threads(old)


def blas_threads(n_threads: int | None):
    """Context limiting only BLAS threads (threadpoolctl), restored afterwards; ``None`` changes nothing.

    Parameters
    ----------
    n_threads : int or None
    """
    if n_threads is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(int(n_threads), user_api="blas")


@contextlib.contextmanager
def figure_context():
    """Draw report figures without showing them and without switching the user's backend.

    pyplot's interactive mode is off inside (no window or notebook output for figures the report
    saves and closes); ``matplotlib.get_backend()`` is the same before and after.
    """
    import matplotlib.pyplot as plt

    with plt.ioff():
        yield


def worker_threads(max_threads: int = 2) -> int:
    """Threads for independent, GIL-releasing work items (compiled kernels, BLAS, torch): up to
    ``max_threads`` where that many cores are free to this process, else 1.

    One in a daemon process or a dask worker (a batch already gives every core a session); at most
    the bound of an enclosing :func:`cap_worker_threads`.

    Parameters
    ----------
    max_threads : int
    """
    import multiprocessing
    import os

    if multiprocessing.current_process().daemon:
        return 1
    if "distributed" in sys.modules:
        try:
            sys.modules["distributed"].get_worker()
            return 1
        except ValueError:
            pass
    n_cpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    cap = n_cpu if _CAP[0] is None else _CAP[0]
    return max(1, min(int(max_threads), n_cpu, cap))


@contextlib.contextmanager
def cap_worker_threads(n: int | None):
    """Bound :func:`worker_threads` by ``n`` inside the context (None lifts the bound); restored after.

    A two-process ``analyze`` caps the first process at one thread while the second works, so the
    second (the longer, decoding) gets the spare core when it refits shifts on two threads.

    Parameters
    ----------
    n : int or None
    """
    old = _CAP[0]
    _CAP[0] = n
    try:
        yield
    finally:
        _CAP[0] = old


def map_threads(fn, items, n_threads: int) -> list:
    """``[fn(x) for x in items]``, computed ``n_threads`` at a time (in order; the same list for any count).

    Parameters
    ----------
    fn : callable
        Applied to each item; items must be independent (no shared mutable state).
    items : iterable
    n_threads : int
    """
    items = list(items)
    if n_threads < 2 or len(items) < 2:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(int(n_threads), len(items))) as pool:
        return list(pool.map(fn, items))
