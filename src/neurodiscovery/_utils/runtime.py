"""Run-time state a command sets and restores: thread limits and off-screen figures."""
from __future__ import annotations

import contextlib
import sys

__all__ = ["figure_context", "thread_limits"]


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


@contextlib.contextmanager
def figure_context():
    """Draw report figures without showing them and without switching the user's backend.

    pyplot's interactive mode is off inside (no window or notebook output for figures the report
    saves and closes); ``matplotlib.get_backend()`` is the same before and after.
    """
    import matplotlib.pyplot as plt

    with plt.ioff():
        yield
