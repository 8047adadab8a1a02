"""Registry of built-in datasets (real files shipped in the package, and synthetic recordings)."""
from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path

import numpy as np

from .._utils.errors import InputError

_DATA = "_data"
HEAD_DIRECTION_FILE = "A2929-200711_adn_ca1_head_direction.nwb"
TRAJECTORY_FILE = "sargolini2006_rat_trajectory.npz"
#: subject of the head-direction file (its own Subject is blank): animal A2929 of session A2929-200711
#: (Peyrache lab naming animal-date), a mouse (Viejo et al. 2023); sex and age are not documented
HEAD_DIRECTION_SUBJECT = {"subject_id": "A2929", "species": "Mus musculus", "sex": "U", "age": "P0D/",
                          "description": "mouse A2929 (Peyrache lab; Viejo et al. 2023, eLife); sex and age "
                                         "not stated in the source file"}


def dataset_path(filename: str) -> Path:
    """Path of the file ``filename`` shipped in ``neurodiscovery/datasets/_data``.

    Parameters
    ----------
    filename : str
        File name inside the package data folder.

    Returns
    -------
    Path
    """
    p = Path(str(resources.files(__package__).joinpath(_DATA, filename)))
    if not p.exists():
        raise InputError(f"built-in data file {filename} is missing from the installation ({p})")
    return p


def load_head_direction():
    """The real ADn + CA1 head-direction recording as a :class:`~neurodiscovery.data.Recording`.

    15 units (7 ``adn``, 8 ``ca1``), 98,794 spikes over 0–1200 s; epochs ``sleep``
    (0–600 s) and ``wake`` (600–1200 s); behaviours ``head_direction`` (rad, yaw),
    ``position`` (x, y, z) and ``compass_rx``/``compass_rz``, tracked 670.6–1200 s.
    Source: pynapple test data (MIT), Peyrache lab; cite Viejo et al. 2023 (eLife).
    """
    from ..data import read_nwb

    rec = read_nwb(dataset_path(HEAD_DIRECTION_FILE))
    return rec


def load_rat_trajectory() -> tuple[np.ndarray, np.ndarray]:
    """Real rat trajectory (Sargolini et al. 2006 via RatInABox, MIT).

    Returns
    -------
    t_s : ndarray (29800,)
        Sample times, 50 Hz over 600 s.
    pos_m : ndarray (29800, 2)
        Position in metres in a 1 m × 1 m box.
    """
    with np.load(dataset_path(TRAJECTORY_FILE), allow_pickle=False) as z:
        return np.asarray(z["t"], float), np.asarray(z["pos"], float)


def _reaching_recording(seed: int = 0, n_conditions: int = 8):
    from .synthetic import make_reaching

    return make_reaching(n_conditions=n_conditions, seed=seed).to_recording()


def _hd_place_recording(seed: int = 0):
    from .synthetic import make_hd_place_cells

    return make_hd_place_cells(seed=seed).recording


def _lorenz_recording(seed: int = 0):
    from .synthetic import make_lorenz_population

    return make_lorenz_population(seed=seed).to_recording()


def _calcium_recording(seed: int = 0):
    from .calcium import make_calcium_imaging

    return make_calcium_imaging(seed=seed).recording


DATASETS = {
    "head_direction": ("real: mouse ADn + CA1, head direction, sleep/wake (Peyrache lab, pynapple; MIT)",
                       lambda seed=0: load_head_direction()),
    "reaching": ("synthetic: centre-out reaching, 8 conditions, rotational dynamics, hand velocity",
                 _reaching_recording),
    "hd_place": ("synthetic: head-direction and place cells driven by a real rat trajectory",
                 _hd_place_recording),
    "lorenz": ("synthetic: Poisson population driven by Lorenz latent states", _lorenz_recording),
    "calcium": ("synthetic: two-photon GCaMP6f imaging (30 Hz) of HD and place-cell ROIs on a real rat path",
                _calcium_recording),
}


#: the head-direction file's electrode locations as Allen CCF acronyms (NWB best practice): "adn" is the
#: anterodorsal thalamic nucleus (CCF "AD"), "ca1" field CA1; the units' regions keep the file's own labels
_HD_CCF = {"adn": "AD", "ca1": "CA1"}


def _ccf_electrode_locations(rec):
    nwb = dict(rec.meta.get("nwb") or {})
    el = dict(nwb.get("electrodes") or {})
    if "location" not in el:
        return rec
    el["location"] = [_HD_CCF.get(str(x), str(x)) for x in el["location"]]
    groups = [{**g, "location": _HD_CCF.get(str(g.get("location")), g.get("location"))}
              for g in nwb.get("electrode_groups") or []]
    return dataclasses.replace(rec, meta={**rec.meta, "nwb": {**nwb, "electrodes": el, "electrode_groups": groups}})


def load(name: str, seed: int = 0, n_conditions: int | None = None):
    """Load a built-in dataset by name as a Recording (see :data:`DATASETS`).

    Parameters
    ----------
    name : str
        Key of :data:`DATASETS`.
    seed : int
        Seed of synthetic datasets (default 0).
    n_conditions : int, optional
        Reach directions of the ``reaching`` generator (default 8; at least 2); other datasets refuse it.

    Returns
    -------
    Recording
    """
    if name not in DATASETS:
        raise InputError(f"unknown dataset '{name}'; available: {', '.join(DATASETS)}")
    if n_conditions is None:
        return DATASETS[name][1](seed=seed)
    if name != "reaching":
        raise InputError(f"--n-conditions applies to the 'reaching' generator only, not to {name!r}")
    return DATASETS[name][1](seed=seed, n_conditions=int(n_conditions))


def export(name: str, path, seed: int = 0, n_conditions: int | None = None):
    """Write a built-in dataset to ``path`` (``.nwb`` or ``.npz``, never overwritten).

    Parameters
    ----------
    name : str
        Key of :data:`DATASETS`.
    path : path-like
        Output file; its suffix picks the format.
    seed : int
        Seed of synthetic datasets (default 0).
    n_conditions : int, optional
        Reach directions of the ``reaching`` generator (see :func:`load`).

    Returns
    -------
    (Path, Recording)
        The file written and the recording it holds.
    """
    from ..data import simulated_subject, write_recording

    rec = load(name, seed=seed, n_conditions=n_conditions)
    if str(path).lower().endswith(".nwb"):
        opts = {"command": f"datasets export {name}"}
        if DATASETS[name][0].startswith("synthetic"):  # no animal: say so (DANDI needs a Subject)
            rec = dataclasses.replace(rec, meta={**rec.meta, "simulated": True})
            opts["subject"] = simulated_subject(f"datasets.{name}: {DATASETS[name][0]}", seed=seed)
        elif name == "head_direction":  # the shipped file's Subject is blank; what its source documents
            opts["subject"] = HEAD_DIRECTION_SUBJECT
            rec = _ccf_electrode_locations(rec)
        return write_recording(rec, path, **opts), rec
    return write_recording(rec, path), rec
