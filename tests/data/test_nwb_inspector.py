"""Every NWB file the package writes passes the NWB Inspector under DANDI's configuration.

No CRITICAL, no BEST_PRACTICE_VIOLATION, no schema-validation error, on the files of every
``datasets export`` dataset, on ``deconvolve``'s output, on the large-session writer and on a
read -> write round trip; and reading each file back gives the recording that was written.
"""
import dataclasses
import uuid
import warnings

import numpy as np
import pytest

from neurodiscovery.data import read_recording, simulated_subject, write_recording
from neurodiscovery.datasets import DATASETS, export, load, make_calcium_imaging, make_large_session
from neurodiscovery.imaging import deconvolve_file


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    d = tmp_path_factory.mktemp("nwb_written")
    files = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in DATASETS:
            files[f"export {name}"] = export(name, d / f"{name}.nwb")[0]
        small = make_calcium_imaging(n_hd=3, n_place=3, n_noncell=2, duration_s=60, seed=2).recording
        small = dataclasses.replace(small, meta={**small.meta, "simulated": True})
        src = write_recording(small, d / "calcium_small.nwb", subject=simulated_subject("small calcium", 2))
        files["deconvolve"] = deconvolve_file(src, d / "calcium_deconvolved.nwb")
        files["large session"] = make_large_session(d / "large.nwb", n_units=6, duration_s=30.0, seed=1).path
        files["round trip"] = write_recording(read_recording(files["export reaching"]), d / "reaching_again.nwb")
    return files


WRITERS = [f"export {n}" for n in DATASETS] + ["deconvolve", "large session", "round trip"]


@pytest.mark.parametrize("writer", WRITERS)
def test_inspector_finds_nothing_critical(written, writer, nwb_problems):
    assert nwb_problems(written[writer]) == []


def _same_recording(a, b):
    assert a.n_units == b.n_units and list(map(str, a.regions)) == list(map(str, b.regions))
    for x, y in zip(a.spike_times, b.spike_times):
        np.testing.assert_array_equal(x, y)  # spike times exact
    assert set(a.behaviors) == set(b.behaviors)
    for k, ts in a.behaviors.items():  # rate-based timing: sub-nanosecond agreement
        np.testing.assert_allclose(b.behaviors[k].t_s, ts.t_s, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(b.behaviors[k].values, ts.values)
        assert (b.behaviors[k].units, b.behaviors[k].columns, b.behaviors[k].circular) == \
            (ts.units, ts.columns, ts.circular)
    assert set(a.epochs) == set(b.epochs)
    for k, iv in a.epochs.items():
        np.testing.assert_array_equal(np.sort(b.epochs[k], axis=0), np.sort(iv, axis=0))
    assert (a.trials is None) == (b.trials is None)
    if a.trials is not None:
        np.testing.assert_array_equal(a.trials.start_s, b.trials.start_s)
    if a.traces is not None:
        for k, v in a.traces.series.items():
            np.testing.assert_allclose(b.traces.series[k], v, rtol=1e-12)
    assert a.name == b.name


@pytest.mark.parametrize("name", list(DATASETS))
def test_export_reads_back_as_the_same_recording(written, name):
    back = read_recording(written[f"export {name}"])
    _same_recording(load(name), back)


def test_derived_file_has_a_new_identifier_and_names_its_input(written):
    import json

    import pynwb

    with pynwb.NWBHDF5IO(str(written["deconvolve"].with_name("calcium_small.nwb")), "r") as a, \
            pynwb.NWBHDF5IO(str(written["deconvolve"]), "r") as b:
        src, out = a.read(), b.read()
        assert uuid.UUID(out.identifier).version == 4 and out.identifier != src.identifier
        prov = json.loads(out.source_script)
        assert prov["derived_from"] == {"file": "calcium_small.nwb", "identifier": src.identifier}
        assert prov["command"] == "deconvolve" and src.identifier in out.notes
        assert out.subject.species == src.subject.species == "http://purl.obolibrary.org/obo/NCBITaxon_32630"
        assert "simulated" in out.subject.description
        assert out.session_start_time == src.session_start_time
        ps = out.processing["ophys"]
        assert "DeconvolvedOASIS" in ps.data_interfaces
        position = out.processing["behavior"]["Position"]["position"]
        assert position.timestamps is None and position.rate == pytest.approx(30.0)  # starting_time + rate


def test_head_direction_keeps_its_metadata_and_gets_its_acquisition_resolution(written):
    import pynwb

    with pynwb.NWBHDF5IO(str(written["export head_direction"]), "r") as io:
        nwb = io.read()
        assert nwb.units.resolution == pytest.approx(1 / 20000)  # spike times sit on a 20 kHz grid
        assert list(nwb.experimenter) == ["guillaume"] and nwb.session_start_time.year == 2022
        assert nwb.subject.subject_id == "A2929" and nwb.subject.species == "Mus musculus"
        assert len(nwb.electrodes) == 16 and set(nwb.electrodes["location"].data[:]) == {"AD", "CA1"}  # CCF terms
        assert set(nwb.devices) == {"-0", "-1"}  # the input's devices, carried
        groups = [g.name for g in nwb.units["electrode_group"].data[:]]
        assert groups == ["group0_"] * 7 + ["group1_"] * 8  # each unit's electrode group, carried
        starts = nwb.epochs["start_time"].data[:]
        assert np.all(np.diff(starts) >= 0) and len(starts) > 500  # sorted, ripples included


@pytest.mark.slow
def test_deconvolve_of_the_calcium_export_passes(written, tmp_path, nwb_problems):
    out = deconvolve_file(written["export calcium"], tmp_path / "calcium_deconvolved.nwb")
    assert nwb_problems(out) == []
