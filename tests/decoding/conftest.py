"""Decoding tests run torch and BLAS on one thread: these small models gain nothing from
more, and extra threads spin and thrash a shared 2-core machine (the decoders themselves
respect whatever the caller set and never change it)."""
import pytest


@pytest.fixture(autouse=True)
def _one_thread():
    from threadpoolctl import threadpool_limits

    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None
    old = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    if torch is not None:
        torch.set_num_threads(old)
