"""Sorted outputs made elsewhere: phy / Kilosort folders and SpikeInterface sorting folders.

A phy folder holds ``spike_times.npy`` (samples), ``spike_clusters.npy`` (cluster per spike; Kilosort's
``spike_templates.npy`` when never curated), ``params.py`` (``sample_rate``) and the curation:
``cluster_group.tsv`` (phy, the user's labels) or else ``cluster_KSLabel.tsv`` (Kilosort's own). Only
clusters labelled ``good`` are read by default, as phy users expect; ``all_units=True`` reads every
cluster with its label in the ``quality`` column. ``params.py`` is parsed, never executed.
"""
from __future__ import annotations

import ast
import csv
import os
from pathlib import Path

import numpy as np

from .._utils.errors import DataFileError, InputError
from .recording import Recording

__all__ = ["is_phy_folder", "read_phy", "read_si_sorting"]


def is_phy_folder(path: Path) -> bool:
    """True for a folder with phy/Kilosort files (``params.py`` or ``spike_times.npy``)."""
    return path.is_dir() and ((path / "params.py").is_file() or (path / "spike_times.npy").is_file())


def _sample_rate(folder: Path) -> float:
    p = folder / "params.py"
    if not p.is_file():
        raise DataFileError(f"{folder} has no params.py: the phy folder does not say its sample_rate")
    try:
        tree = ast.parse(p.read_text())
    except SyntaxError as exc:
        raise DataFileError(f"{p} is not a readable params.py ({exc.msg})") from None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "sample_rate" for t in node.targets):
            try:
                rate = float(ast.literal_eval(node.value))
            except (ValueError, TypeError):
                break
            if rate > 0:
                return rate
    raise DataFileError(f"{p} gives no positive numeric sample_rate")


def _labels(folder: Path) -> tuple[dict[int, str], str | None]:
    """Cluster id -> label from cluster_group.tsv (phy) or else cluster_KSLabel.tsv (Kilosort)."""
    for name, col in (("cluster_group.tsv", "group"), ("cluster_KSLabel.tsv", "KSLabel")):
        p = folder / name
        if not p.is_file():
            continue
        with open(p, newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        if rows and ("cluster_id" not in rows[0] or col not in rows[0]):
            raise DataFileError(f"{p} lacks the columns cluster_id and {col}")
        return {int(r["cluster_id"]): str(r[col]).strip() for r in rows}, name
    return {}, None


def _load_npy(p: Path) -> np.ndarray:
    try:
        return np.load(p, allow_pickle=False).ravel()
    except (ValueError, OSError) as exc:
        raise DataFileError(f"{p} is not a readable .npy array ({exc})") from None


def read_phy(path: str | os.PathLike, all_units: bool = False) -> Recording:
    """Read a phy / Kilosort output folder, respecting its curation.

    Parameters
    ----------
    path : path-like
        The folder.
    all_units : bool
        Read every cluster (default: only those labelled ``good``).

    Returns
    -------
    Recording
        One unit per cluster (ids are the cluster ids), spike times in seconds, unit column
        ``quality`` (the label, ``"unsorted"`` where none), ``meta['curation']`` saying what was kept.
    """
    folder = Path(path)
    st_path = folder / "spike_times.npy"
    if not st_path.is_file():
        raise DataFileError(f"{folder} is an empty phy folder (no spike_times.npy); point to the folder "
                            "Kilosort/phy wrote")
    rate = _sample_rate(folder)
    samples = _load_npy(st_path)
    cl_path = next((folder / n for n in ("spike_clusters.npy", "spike_templates.npy") if (folder / n).is_file()),
                   None)
    if cl_path is None:
        raise DataFileError(f"{folder} has spike_times.npy but neither spike_clusters.npy nor spike_templates.npy")
    clusters = _load_npy(cl_path).astype(np.int64)
    if len(clusters) != len(samples):
        raise DataFileError(f"{folder}: {len(samples)} spike times but {len(clusters)} cluster labels")
    if len(samples) == 0:
        raise DataFileError(f"{folder} holds no spikes (empty spike_times.npy)")
    labels, source = _labels(folder)
    ids = np.unique(clusters)
    quality = np.array([labels.get(int(c), "unsorted") for c in ids], dtype=object)
    keep = np.ones(len(ids), bool) if all_units else quality == "good"
    if not keep.any():
        where = source or "no cluster_group.tsv or cluster_KSLabel.tsv"
        raise InputError(f"{folder}: no cluster is labelled good ({where}); read every cluster with --all-units "
                         "(all_units=True)")
    order = np.argsort(clusters, kind="stable")
    bounds = np.searchsorted(clusters[order], ids)
    ends = np.append(bounds[1:], len(order))
    times = samples.astype(np.float64) / rate
    trains = [np.sort(times[order[a:b]]) for a, b, k in zip(bounds, ends, keep) if k]
    note = (f"read all {len(ids)} clusters" if all_units else
            f"kept the {int(keep.sum())} of {len(ids)} clusters labelled good in {source or 'no label file'}")
    return Recording(trains, unit_ids=ids[keep], unit_columns={"quality": quality[keep].astype(str)},
                     name=folder.name, meta={"source": str(folder), "format": "phy", "curation": note,
                                             "sampling_rate_hz": rate})


def read_si_sorting(path: str | os.PathLike, all_units: bool = False) -> Recording:
    """Read a folder saved by SpikeInterface ``sorting.save(folder=...)`` (needs the ``sorting`` extra).

    Parameters
    ----------
    path : path-like
        The folder.
    all_units : bool
        Read every unit even when the sorting has a ``quality`` property (default: its good units).

    Returns
    -------
    Recording
        Spike times in seconds (segment 0), unit ids from the sorting, its scalar properties as columns.
    """
    try:
        from spikeinterface.core import load
    except ImportError:
        from .._utils.errors import MissingDependencyError

        raise MissingDependencyError("reading SpikeInterface folders needs "
                                     "pip install 'neurodiscovery[sorting]'") from None
    folder = Path(path)
    sorting = load(str(folder))
    if not hasattr(sorting, "get_unit_spike_train"):
        raise DataFileError(f"{folder} is a SpikeInterface recording, not a sorting; sort it with "
                            "`neurodiscovery sort`")
    ids = np.asarray(sorting.unit_ids)
    cols = {k: np.asarray(sorting.get_property(k)) for k in sorting.get_property_keys()
            if np.asarray(sorting.get_property(k)).ndim == 1 and np.asarray(sorting.get_property(k)).dtype.kind in "biufUS"}
    keep = np.ones(len(ids), bool)
    if "quality" in cols and not all_units:
        keep = cols["quality"].astype(str) == "good"
        if not keep.any():
            raise InputError(f"{folder}: no unit's quality is good; read every unit with --all-units")
    trains = [np.asarray(sorting.get_unit_spike_train(u, segment_index=0, return_times=True), float)
              for u in ids[keep]]
    return Recording(trains, unit_ids=ids[keep] if ids.dtype.kind in "iu" else None,
                     unit_columns={k: v[keep] for k, v in cols.items()}, name=folder.name,
                     meta={"source": str(folder), "format": "spikeinterface"})
