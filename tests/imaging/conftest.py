"""An imaging NWB written the way suite2p writes one (pynwb directly, not neurodiscovery)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest


def write_suite2p_nwb(path, truth, *, transpose: bool = False, nan_frames=(), no_rate: bool = False,
                      neuropil_rois: int | None = None, behaviour: bool = True, iscell=None, spks=None):
    """suite2p layout: processing/ophys with ImageSegmentation/PlaneSegmentation (pixel masks,
    ``iscell`` as two columns), and Fluorescence containers named Fluorescence and Neuropil."""
    import h5py
    import pynwb
    from pynwb.behavior import CompassDirection, Position
    from pynwb.ophys import Fluorescence, ImageSegmentation, OpticalChannel

    rec = truth.recording
    trc = rec.traces
    nwb = pynwb.NWBFile(session_description="suite2p-like", identifier="s2p",
                        session_start_time=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    device = nwb.create_device(name="Microscope")
    plane = nwb.create_imaging_plane(
        name="ImagingPlane", optical_channel=OpticalChannel(name="OpticalChannel", description="green",
                                                            emission_lambda=510.0),
        imaging_rate=float("nan") if no_rate else trc.rate_hz, description="plane 0", device=device,
        excitation_lambda=920.0, indicator="GCaMP6f", location="CA1")
    mod = nwb.create_processing_module("ophys", "optical physiology processed data")
    img_seg = ImageSegmentation()
    ps = img_seg.create_plane_segmentation(name="PlaneSegmentation", description="suite2p output",
                                           imaging_plane=plane)
    mod.add(img_seg)
    for m in trc.rois.pixel_masks:
        ps.add_roi(pixel_mask=[(int(x), int(y), float(w)) for x, y, w in m])
    isc = trc.rois.iscell
    label, prob = (isc >= 0.5, isc) if iscell is None else iscell
    ps.add_column("iscell", "two columns - iscell & probcell", data=np.column_stack([label, prob]).astype(float))
    region = ps.create_roi_table_region(region=list(range(trc.n_rois)), description="all ROIs")
    n_neu = trc.n_rois if neuropil_rois is None else neuropil_rois
    region_neu = ps.create_roi_table_region(region=list(range(n_neu)), description="neuropil ROIs")
    for name, kind, reg in (("Fluorescence", "fluorescence", region), ("Neuropil", "neuropil", region_neu)):
        data = np.array(trc.series[kind][:, : (trc.n_rois if kind == "fluorescence" else n_neu)], np.float32)
        for f in nan_frames:
            data[f] = np.nan
        if transpose:
            data = data.T
        fl = Fluorescence(name=name)
        mod.add(fl)
        fl.create_roi_response_series(name=name, data=data, rois=reg, unit="lumens", rate=trc.rate_hz,
                                      starting_time=float(trc.t_s[0]))
    if spks is not None:  # suite2p's own deconvolution, in a Fluorescence container named Deconvolved
        fl = Fluorescence(name="Deconvolved")
        mod.add(fl)
        fl.create_roi_response_series(name="Deconvolved", data=np.asarray(spks, np.float32), rois=region,
                                      unit="lumens", rate=trc.rate_hz, starting_time=float(trc.t_s[0]))
    if behaviour:
        beh = nwb.create_processing_module("behavior", "tracking")
        pos, hd = rec.behavior("position"), rec.behavior("head_direction")
        p = Position(name="Position")
        p.create_spatial_series(name="position", data=pos.values, reference_frame="box", unit="meters",
                                description="tracked position", **_timing(pos.t_s))
        c = CompassDirection(name="CompassDirection")
        c.create_spatial_series(name="head_direction", data=hd.values[:, 0], reference_frame="north",
                                unit="radians", description="head direction", **_timing(hd.t_s))
        beh.add(p)
        beh.add(c)
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    if no_rate:  # files in the wild: a series with neither a rate nor timestamps
        with h5py.File(path, "a") as f:
            for name in ("Fluorescence", "Neuropil"):
                del f[f"processing/ophys/{name}/{name}/starting_time"]
    return path


def _timing(t):
    step = (t[-1] - t[0]) / (len(t) - 1)
    if np.abs(np.diff(t) - step).max() < 1e-6 * step:
        return {"starting_time": float(t[0]), "rate": 1.0 / step}
    return {"timestamps": t}


@pytest.fixture(scope="session")
def small_calcium():
    """8 tuned + 2 non-cell ROIs, 120 s at 30 Hz, SNR 8 (ground truth attached)."""
    from neurodiscovery.datasets import make_calcium_imaging

    return make_calcium_imaging(n_hd=4, n_place=4, n_noncell=2, duration_s=120, snr=8.0, seed=5)


@pytest.fixture(scope="session")
def small_inferred(small_calcium):
    """``small_calcium`` after ΔF/F and OASIS with the defaults (session decay, AR(2))."""
    from neurodiscovery.imaging import infer_spikes

    return infer_spikes(small_calcium.recording)


@pytest.fixture
def suite2p_file(tmp_path, small_calcium):
    def make(**kw):
        return write_suite2p_nwb(tmp_path / "s2p.nwb", small_calcium, **kw)
    return make


#: the curated suite2p file: 92 ROIs, 20 labelled cells; the classifier's probability disagrees
#: (every ROI has probability >= 0.5 except 3 labelled cells the user promoted)
N_ROIS, N_CURATED = 92, 20


def curated_iscell(n_cells: int = N_CURATED, n_rois: int = N_ROIS, seed: int = 3):
    """``(label, probability)``: cells are the first ``n_cells`` ROIs; 3 of them have p < 0.5."""
    rng = np.random.default_rng(seed)
    label = np.r_[np.ones(n_cells), np.zeros(n_rois - n_cells)]
    prob = np.r_[rng.uniform(0.6, 1.0, n_cells - 3), rng.uniform(0.2, 0.45, 3), rng.uniform(0.5, 0.95, n_rois - n_cells)]
    return label, prob


@pytest.fixture(scope="session")
def curated_calcium():
    """20 tuned ROIs (the cells) and 72 non-cell ROIs, 90 s at 30 Hz."""
    from neurodiscovery.datasets import make_calcium_imaging

    return make_calcium_imaging(n_hd=10, n_place=10, n_noncell=N_ROIS - N_CURATED, duration_s=90, snr=8.0, seed=7)


@pytest.fixture(scope="session")
def curated_s2p(tmp_path_factory, curated_calcium):
    """suite2p-layout NWB of ``curated_calcium`` with curated labels and suite2p's own Deconvolved series."""
    return write_suite2p_nwb(tmp_path_factory.mktemp("s2p") / "curated.nwb", curated_s2p_truth(curated_calcium),
                             iscell=curated_iscell(), spks=curated_spks(curated_calcium))


#: planted in the curated file: ROIs whose stored F and Fneu are centred on zero (baseline-subtracted
#: upstream, as some pipelines store them) and ROIs whose suite2p inference is empty
CENTRED_ROIS, EMPTY_SPKS_ROIS = np.arange(62, 92), np.arange(40, 45)


def curated_s2p_truth(truth):
    """``truth`` with the fluorescence and neuropil of :data:`CENTRED_ROIS` centred on zero."""
    import types

    trc = truth.recording.traces
    ser = {k: v.copy() for k, v in trc.series.items()}
    for k in ("fluorescence", "neuropil"):
        ser[k][:, CENTRED_ROIS] -= np.median(ser[k][:, CENTRED_ROIS], axis=0)
    return types.SimpleNamespace(recording=truth.recording.with_traces(trc._replace(series=ser)))


def curated_spks(truth):
    """suite2p-like sparse event amounts: upward F steps above 3 noise SD; none for :data:`EMPTY_SPKS_ROIS`."""
    f = truth.recording.traces.series["fluorescence"]
    d = np.diff(f, axis=0, prepend=f[:1])
    sd = 1.4826 * np.median(np.abs(d - np.median(d, axis=0)), axis=0)
    spks = np.where(d > 3 * sd, d, 0.0)
    spks[:, EMPTY_SPKS_ROIS] = 0.0
    return spks
