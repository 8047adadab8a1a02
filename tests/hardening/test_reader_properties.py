"""Property-based tests (Hypothesis) for every file reader added since the first round (issue 27): arbitrary
bytes or arbitrary text in the file's format either read or raise one of our errors, never anything else."""
from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurodiscovery._utils.errors import NeurodiscoveryError

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
num = st.one_of(st.integers(-5, 10**6).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                st.sampled_from(["", "nan", "inf", "-", "1e400", "abc", "0x1F", " "]))


def _read(reader, path):
    try:
        reader(path)
    except NeurodiscoveryError:
        pass  # a clear, typed refusal is the other allowed outcome


@SETTINGS
@given(st.lists(st.lists(num, min_size=0, max_size=9), min_size=0, max_size=8))
def test_swc_reader_on_arbitrary_rows(tmp_path, rows):
    from neurodiscovery.data.swc import read_swc

    p = tmp_path / "x.swc"
    p.write_text("\n".join(" ".join(r) for r in rows))
    _read(read_swc, p)


@SETTINGS
@given(st.binary(max_size=3000))
def test_swc_reader_on_arbitrary_bytes(tmp_path, blob):
    from neurodiscovery.data.swc import read_swc

    p = tmp_path / "x.swc"
    p.write_bytes(blob)
    _read(read_swc, p)


@SETTINGS
@given(st.lists(st.sampled_from(["stimulus", "response", "condition", "cue_a", "x", "", "stimulus"]),
                min_size=0, max_size=5),
       st.lists(st.lists(num, min_size=0, max_size=5), min_size=0, max_size=6))
def test_observer_trials_reader_on_arbitrary_tables(tmp_path, header, rows):
    from neurodiscovery.theory.data import read_trials

    p = tmp_path / "t.csv"
    p.write_text(",".join(header) + "\n" + "\n".join(",".join(r) for r in rows))
    _read(read_trials, p)


@SETTINGS
@given(st.text(string.printable, max_size=600))
def test_learning_csv_reader_on_arbitrary_text(tmp_path, text):
    from neurodiscovery.learning.tasks import load_csv_task

    p = tmp_path / "d.csv"
    p.write_text(text)
    _read(load_csv_task, p)


@SETTINGS
@given(st.binary(max_size=4000))
def test_nwb_reader_on_arbitrary_bytes(tmp_path, blob):
    from neurodiscovery.data import read_recording

    p = tmp_path / "x.nwb"
    p.write_bytes(b"\x89HDF\r\n\x1a\n" + blob)  # an HDF5 signature, then junk
    _read(read_recording, p)


@SETTINGS
@given(st.binary(max_size=2000))
def test_dmri_readers_on_arbitrary_bytes(tmp_path, blob):
    pytest.importorskip("dipy")
    from neurodiscovery.connectomics.dmri.io import load_labels, read_lookup_table
    from neurodiscovery.connectomics.dmri.tractogram import load_tractogram

    for name, reader in (("l.nii.gz", load_labels), ("lut.txt", read_lookup_table), ("t.trk", load_tractogram)):
        p = tmp_path / name
        p.write_bytes(blob)
        _read(reader, p)
