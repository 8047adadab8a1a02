"""Run-time state a command sets and restores: thread limits and off-screen figures."""
from __future__ import annotations

import contextlib
import sys

__all__ = ["blas_threads", "figure_context", "thread_limits"]


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
