"""Small raw recordings for the sorting tests: headerless binary with a probeinterface probe."""
from __future__ import annotations

import numpy as np
import pytest


def write_probe(path, n_contacts: int):
    """A linear probe of ``n_contacts`` contacts 20 µm apart, as a probeinterface JSON file."""
    pi = pytest.importorskip("probeinterface")
    probe = pi.generate_linear_probe(num_elec=n_contacts, ypitch=20)
    probe.set_device_channel_indices(np.arange(n_contacts))
    pi.write_probeinterface(path, probe)
    return path


@pytest.fixture
def raw_binary(tmp_path):
    """4-channel int16 noise, 30 kHz, 12 s, with a matching 4-contact probe: (bin path, probe path)."""
    rng = np.random.default_rng(0)
    data = (rng.normal(0, 20, (30000 * 12, 4))).astype(np.int16)
    p = tmp_path / "raw.bin"
    data.tofile(p)
    return p, write_probe(tmp_path / "probe4.json", 4)
