"""The NWB writer: subject, provenance, resolution, units with electrodes and waveforms, what a round trip keeps."""
import datetime as dt
import warnings

import numpy as np
import pytest

from neurodiscovery.data import (
    Recording,
    infer_spike_resolution_s,
    merge_subject,
    read_recording,
    simulated_subject,
    write_nwb,
)
from neurodiscovery.data.nwb_units import spike_resolution_s

SUBJECT = {"subject_id": "M7", "species": "Mus musculus", "sex": "M", "age": "P60D"}


def test_resolution_found_on_the_acquisition_grid(rng):
    for fs in (20000.0, 30000.0, 32000.0):
        trains = [np.sort(rng.integers(0, int(600 * fs), 400)) / fs for _ in range(3)]
        assert infer_spike_resolution_s(trains) == pytest.approx(1 / fs)
    continuous = [np.sort(rng.uniform(0, 600, 400)) for _ in range(3)]
    assert infer_spike_resolution_s(continuous) is None
    assert infer_spike_resolution_s([np.array([0.1, 0.2])]) is None  # too few spikes to show a grid
    assert spike_resolution_s(continuous, simulated=True) == np.spacing(max(t.max() for t in continuous))
    assert spike_resolution_s(continuous, 1 / 25000) == 1 / 25000


def test_subject_input_wins_options_fill_gaps():
    assert merge_subject({"subject_id": "A1"}, {"species": "Mus musculus", "sex": "U"}) == {
        "subject_id": "A1", "species": "Mus musculus", "sex": "U"}
    with pytest.warns(UserWarning, match="the input's subject says species='Rattus norvegicus'"):
        out = merge_subject({"species": "Rattus norvegicus"}, {"species": "Mus musculus"})
    assert out == {"species": "Rattus norvegicus"}
    assert merge_subject(None, {"subject_id": "a/b"})["subject_id"] == "a_b"  # DANDI: no slashes
    sim = simulated_subject("test", seed=3)
    assert sim["subject_id"] == "simulated-seed3" and "simulated" in sim["description"]


def test_sorted_units_with_electrodes_and_waveforms(rng, tmp_path, nwb_problems):
    import pynwb

    fs = 30000.0
    trains = [np.sort(rng.choice(int(60 * fs), 300, replace=False)) / fs for _ in range(4)]
    rec = Recording(trains, unit_ids=[3, 5, 8, 13], regions=["CA1"] * 4,
                    unit_columns={"snr": np.array([5.0, 7.5, 3.2, 9.9]), "label": np.array(["good", "mua"] * 2)})
    wf = rng.normal(0, 20, (4, 90, 6))
    detail = {"electrode_positions_um": np.column_stack([np.zeros(6), np.arange(6) * 20.0]),
              "electrode_location": "CA1", "unit_electrodes": [[0, 1], [2], [3, 4, 5], [1]],
              "waveform_mean": wf, "waveform_sd": np.abs(wf) / 5, "waveform_rate_hz": fs}
    p = write_nwb(rec, tmp_path / "sorted.nwb", subject=SUBJECT, units_detail=detail, command="sort")
    assert nwb_problems(p) == []
    with pynwb.NWBHDF5IO(str(p), "r") as io:
        u = io.read().units
        assert u.resolution == pytest.approx(1 / fs) and u.waveform_rate == fs
        np.testing.assert_allclose(u["waveform_mean"].data[:], wf)
        assert [list(u["electrodes"][i].index) for i in range(4)] == [[0, 1], [2], [3, 4, 5], [1]]
    back = read_recording(p)
    assert list(back.unit_ids) == [3, 5, 8, 13] and list(back.unit_columns["label"]) == ["good", "mua"] * 2
    for a, b in zip(trains, back.spike_times):
        np.testing.assert_array_equal(a, b)


def _file_with_extras(path, rng):
    """An NWB file with subject, experimenter, devices, electrodes and an acquisition object a Recording does not hold."""
    import pynwb
    from pynwb.ecephys import ElectricalSeries

    nwb = pynwb.NWBFile(session_description="lab session", identifier="lab-file-1", experimenter=["Doe, Jane"],
                        session_start_time=dt.datetime(2024, 3, 1, 9, tzinfo=dt.timezone.utc),
                        subject=pynwb.file.Subject(**SUBJECT))
    dev = nwb.create_device(name="probe", description="32-channel silicon probe")
    grp = nwb.create_electrode_group(name="shank0", description="shank", location="CA1", device=dev)
    for i in range(4):
        nwb.add_electrode(group=grp, location="CA1")
    region = nwb.create_electrode_table_region(list(range(4)), "all")
    nwb.add_acquisition(ElectricalSeries(name="raw", data=rng.normal(size=(300, 4)), electrodes=region, rate=30000.0))
    for _ in range(3):
        nwb.add_unit(spike_times=np.sort(rng.integers(0, 600000, 100)) / 30000.0)
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def test_round_trip_keeps_file_metadata_and_names_what_it_drops(rng, tmp_path):
    import pynwb

    src = _file_with_extras(tmp_path / "lab.nwb", rng)
    rec = read_recording(src)
    with pytest.warns(UserWarning, match=r"not written: acquisition/raw \(write_nwb"):
        out = write_nwb(rec, tmp_path / "again.nwb")
    with pynwb.NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        assert nwb.devices["probe"].description == "32-channel silicon probe"  # hardware carried over
        assert len(nwb.electrodes) == 4 and nwb.electrodes["group"][0].name == "shank0"
        assert list(nwb.electrodes["location"].data[:]) == ["CA1"] * 4
        assert nwb.subject.subject_id == "M7" and nwb.subject.age == "P60D"
        assert list(nwb.experimenter) == ["Doe, Jane"] and nwb.session_start_time.year == 2024
        assert nwb.identifier != "lab-file-1" and "lab-file-1" in nwb.source_script
        assert nwb.units.resolution == pytest.approx(1 / 30000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # with source=, nothing is dropped and nothing is said
        kept = write_nwb(rec, tmp_path / "whole.nwb", source=src)
    with pynwb.NWBHDF5IO(str(kept), "r") as io:
        nwb = io.read()
        assert "raw" in nwb.acquisition and len(nwb.electrodes) == 4 and "probe" in nwb.devices
        assert nwb.identifier != "lab-file-1"
    assert read_recording(kept).name == read_recording(src).name


def test_spike_sorting_layout_electrodes_and_waveform_column(rng, tmp_path, nwb_problems):
    """The ``sort`` command's call: electrodes as x_um/y_um/unit_electrodes, waveforms as a 3-D unit column."""
    import pynwb

    fs = 30000.0
    trains = [np.sort(rng.choice(int(30 * fs), 200, replace=False)) / fs for _ in range(3)]
    wf = rng.normal(0, 30, (3, 60, 4)).astype(np.float32)
    rec = Recording(trains, unit_columns={"quality": np.array(["good", "mua", "good"]), "waveform_mean": wf})
    el = {"x_um": [0.0, 0.0, 16.0, 16.0], "y_um": [0.0, 20.0, 0.0, 20.0], "unit_electrodes": [[0, 1], [2], [1, 3]],
          "channel_name": ["AP0", "AP1", "AP2", "AP3"], "device": "Neuropixels 1.0",
          "location": ["CA1"] * 4}  # a mouse file's electrode locations must be Allen CCF terms
    p = write_nwb(rec, tmp_path / "sorted.nwb", electrodes=el, description="kilosort4 on raw.bin",
                  subject=SUBJECT, resolution_s=1 / fs)
    assert nwb_problems(p) == []
    with pynwb.NWBHDF5IO(str(p), "r") as io:
        nwb = io.read()
        assert nwb.session_description == "kilosort4 on raw.bin" and "Neuropixels 1.0" in nwb.devices
        assert list(nwb.electrodes["channel_name"].data[:]) == el["channel_name"]
        np.testing.assert_allclose(nwb.electrodes["rel_x"].data[:], el["x_um"])
        np.testing.assert_allclose(nwb.units["waveform_mean"].data[:], wf)
        assert [list(nwb.units["electrodes"][i].index) for i in range(3)] == el["unit_electrodes"]
    with pytest.raises(Exception, match="unit_electrodes"):
        write_nwb(rec, tmp_path / "bad.nwb", electrodes={**el, "unit_electrodes": [[0], [9], [1]]}, subject=SUBJECT)


def test_session_reader_names_the_session_not_its_uuid(tmp_path):
    from neurodiscovery.data import read_nwb_session, read_recording
    from neurodiscovery.datasets import export

    path, rec = export("hd_place", tmp_path / "s.nwb", seed=1)
    sess = read_nwb_session(path)
    assert sess.name == read_recording(path).name == rec.name
    assert sorted(sess.behavior_names) == sorted(rec.behavior_names)
