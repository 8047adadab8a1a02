"""Decoding tests run torch on one thread: these small networks gain nothing from more, and
extra threads thrash a shared 2-core machine (torch.set_num_threads is respected by the
decoders, never changed by them)."""
import pytest


@pytest.fixture(autouse=True)
def _torch_one_thread():
    try:
        import torch
    except ImportError:  # pragma: no cover
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
