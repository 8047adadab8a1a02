"""3-D phantom of serial-section EM with known neurites: branching tubes with membranes.

Each neuron is a trunk that runs through the whole stack (z = first to last section) with
a smooth lateral drift, plus branches that leave the trunk at a known branch point and run
to the last section. Every tube is a sphere-swept centreline; the outer ``membrane_nm`` of
each tube is membrane (truth label 0), the rest is interior (truth label = neuron id).
The boundary map is 1 on membranes and outside the tubes, 0 inside, blurred, with Gaussian
noise, and whole sections are blanked (set to 1: no interior seen) at ``missing_rate``.

Ground truth returned: the instance volume, every tube's centreline (physical units),
each neuron's cable length (of the arbor's medial axis) and branch points.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.random import as_rng


@dataclass(frozen=True)
class NeuritePhantom:
    """A synthetic EM stack with its ground truth.

    Attributes
    ----------
    boundaries : ndarray (z, y, x) float32
        Noisy membrane probability in [0, 1] (the tracer's input).
    raw : ndarray (z, y, x) uint8
        EM-like intensities (membranes dark), same noise; missing sections are uniform grey.
    labels : ndarray (z, y, x) uint32
        True neuron ids (1..n_neurons) on tube interiors, 0 on membranes and outside.
    voxel_size_nm : tuple of float (z, y, x)
    centerlines : tuple of tuple of ndarray
        ``centerlines[k][j]``: (n_points, 3) (z, y, x) nm polyline of tube ``j`` of neuron
        ``k + 1`` (tube 0 is the trunk).
    cable_length_nm : ndarray (n_neurons,)
        True cable length of every neuron: the medial axis of its tubes, i.e. the trunk
        centreline plus each branch centreline from where it leaves the trunk tube,
        joined to the trunk centreline by a straight piece.
    branch_points_nm : ndarray (n_branch_points, 3)
        (z, y, x) nm positions where branches leave trunks.
    branch_neuron : ndarray (n_branch_points,) int
        Neuron id of each branch point.
    missing_sections : ndarray (n_missing,) int
        Indices of the blanked sections.
    radius_nm : ndarray (n_neurons,)
        Outer tube radius of each neuron.
    """

    boundaries: np.ndarray
    raw: np.ndarray
    labels: np.ndarray
    voxel_size_nm: tuple
    centerlines: tuple
    cable_length_nm: np.ndarray
    branch_points_nm: np.ndarray
    branch_neuron: np.ndarray
    missing_sections: np.ndarray
    radius_nm: np.ndarray


def _path(rng, z_nm: np.ndarray, start_yx: np.ndarray, slope, extent: np.ndarray):
    """Smooth lateral drift: (len(z_nm), 3) polyline, drift direction turning slowly.

    ``slope`` (lateral nm per nm of depth) is a number or one value per section.
    """
    ang = rng.uniform(0, 2 * np.pi)
    turn = rng.normal(0, 0.04, len(z_nm)).cumsum()
    dz = np.diff(z_nm, prepend=z_nm[0])
    slope = np.broadcast_to(np.asarray(slope, float), z_nm.shape)
    step = (slope * dz)[:, None] * np.column_stack([np.sin(ang + turn), np.cos(ang + turn)])
    yx = start_yx + step.cumsum(axis=0)
    return np.column_stack([z_nm, np.clip(yx[:, 0], 0, extent[1]), np.clip(yx[:, 1], 0, extent[2])])


def _min_gap(a: np.ndarray, b: np.ndarray) -> float:
    """Smallest in-plane distance between two polylines sampled on shared sections."""
    za = {round(float(z), 3): p for z, p in zip(a[:, 0], a[:, 1:])}
    d = [np.linalg.norm(za[round(float(z), 3)] - p) for z, p in zip(b[:, 0], b[:, 1:])
         if round(float(z), 3) in za]
    return min(d) if d else np.inf


def _draw_neuron(rng, nz, vs, extent, radius, n_branch, min_branch_sections, membrane_nm):
    """Trunk + branches; None when the branches cannot be kept apart from each other."""
    z_nm = np.arange(nz) * vs[0]
    margin = radius + 2 * vs[1]
    start = rng.uniform(margin, extent[1:] - margin)
    trunk = _path(rng, z_nm, start, rng.uniform(0.05, 0.2), extent)
    tubes, bps = [trunk], []
    for _ in range(n_branch):
        for _try in range(50):
            zb = int(rng.integers(nz // 8, max(nz // 8 + 1, nz - min_branch_sections)))
            # a branch leaves at ~45-50 degrees and bends toward the stack axis within ~4
            # sections, so its branch point is well defined and it stays in the field
            k = np.arange(nz - zb)
            slope = 0.15 + rng.uniform(0.9, 1.1) * np.exp(-k / 4.0)
            branch = _path(rng, z_nm[zb:], trunk[zb, 1:], slope, extent)
            # once separated (after 8 sections) tubes of one neuron never touch again:
            # otherwise the true arbor would hold loops that no tree describes
            if all(_min_gap(t, branch[8:]) > 2 * radius + 2 * membrane_nm for t in tubes):
                tubes.append(branch)
                bps.append(trunk[zb])
                break
        else:
            return None, None
    return tubes, bps


def _polyline_length(p: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum()) if len(p) > 1 else 0.0


def _arbor_length(tubes, radius: float) -> float:
    """Cable length of the arbor's medial axis: the trunk, plus each branch from where its
    centreline leaves the trunk tube, joined to the trunk centreline by a straight piece
    (the part of a branch that runs inside the trunk is no separate neurite).
    """
    trunk = tubes[0]
    total = _polyline_length(trunk)
    for b in tubes[1:]:
        zb = len(trunk) - len(b)
        gap = np.linalg.norm(b[:, 1:] - trunk[zb:, 1:], axis=1)
        out = int(np.argmax(gap > radius)) if (gap > radius).any() else len(b) - 1
        total += _polyline_length(b[out:]) + float(np.linalg.norm(b[out] - trunk[zb + out]))
    return total


def _rasterize(shape, vs, neurons, radii, membrane_nm):
    """Nearest-centreline distance per voxel -> truth ids and the clean membrane map."""
    nz, ny, nx = shape
    yy, xx = np.meshgrid(np.arange(ny) * vs[1], np.arange(nx) * vs[2], indexing="ij")
    labels = np.zeros(shape, np.uint32)
    clean = np.ones(shape, np.float32)
    for z in range(nz):
        best = np.full((ny, nx), np.inf)
        owner = np.zeros((ny, nx), np.int64)
        for k, tubes in enumerate(neurons):
            for t in tubes:
                rows = np.flatnonzero(np.isclose(t[:, 0], z * vs[0]))
                if rows.size == 0:
                    continue
                cy, cx = t[rows[0], 1:]
                d = np.hypot(yy - cy, xx - cx) / radii[k]  # in units of this tube's radius
                closer = d < best
                best[closer], owner[closer] = d[closer], k + 1
        inside = best <= 1.0
        interior = best <= 1.0 - membrane_nm / radii[owner.clip(1) - 1]
        labels[z][interior] = owner[interior]
        clean[z][interior] = 0.0
        clean[z][inside & ~interior] = 1.0
    return labels, clean


def _place_neurons(rng, shape, vs, extent, n_neurons, n_branches, radius_nm, membrane_nm,
                   min_branch_sections):
    """Rejection sampling: every tube inside the field, two membranes from other neurons."""
    neurons, bps, owners, radii = [], [], [], []
    for _attempt in range(400 * n_neurons):
        if len(neurons) == n_neurons:
            break
        r = rng.uniform(*radius_nm)
        tubes, bp = _draw_neuron(rng, shape[0], vs, extent, r, n_branches, min_branch_sections,
                                 membrane_nm)
        if tubes is None:
            continue
        inside = all(((t[:, 1:] > r) & (t[:, 1:] < extent[1:] - r)).all() for t in tubes)
        far = all(_min_gap(a, b) > r + radii[k] + 2 * membrane_nm
                  for k, other in enumerate(neurons) for a in other for b in tubes)
        if inside and far:
            neurons.append(tubes)
            radii.append(r)
            bps.extend(bp)
            owners.extend([len(neurons)] * len(bp))
    if len(neurons) < n_neurons:
        raise InputError(f"could not place {n_neurons} separate neurons in a {shape} stack; "
                         "use fewer neurons or a larger shape")
    return neurons, bps, owners, radii


def make_neurite_phantom(shape: tuple[int, int, int] = (48, 192, 192), n_neurons: int = 5,
                         n_branches: int = 1, voxel_size_nm: tuple[float, float, float] = (40.0, 8.0, 8.0),
                         radius_nm: tuple[float, float] = (56.0, 72.0), membrane_nm: float = 12.0,
                         noise_sd: float = 0.25, blur_px: float = 1.0, missing_rate: float = 0.05,
                         min_branch_sections: int = 24, seed: int = 0) -> NeuritePhantom:
    """Generate a serial-section stack of branching neurites with known truth.

    Parameters
    ----------
    shape : (z, y, x)
        Sections and pixels per section.
    n_neurons : int
        Neurons (trunks through the whole stack); their tubes keep >= 2 membranes apart.
    n_branches : int
        Branches per neuron, each running from its branch point to the last section.
    voxel_size_nm : (z, y, x)
        Section thickness and pixel size, nm.
    radius_nm : (low, high)
        Outer tube radius range (drawn per neuron), nm.
    membrane_nm : float
        Membrane thickness at the tube surface, nm.
    noise_sd : float
        Gaussian noise added to the blurred boundary map.
    blur_px : float
        In-plane Gaussian blur of the boundary map, pixels.
    missing_rate : float in [0, 0.5)
        Fraction of sections blanked (never the first or last).
    min_branch_sections : int
        Branches span at least this many sections.
    seed : int

    Returns
    -------
    NeuritePhantom
    """
    from scipy import ndimage as ndi

    shape = tuple(int(s) for s in shape)
    vs = tuple(float(v) for v in voxel_size_nm)
    if len(shape) != 3 or min(shape) < 8 or len(vs) != 3 or min(vs) <= 0:
        raise InputError(f"shape must be 3 sizes >= 8 and voxel_size_nm 3 positive sizes, got "
                         f"{shape} and {voxel_size_nm}")
    if not 0 <= missing_rate < 0.5 or n_neurons < 1 or n_branches < 0:
        raise InputError("need missing_rate in [0, 0.5), n_neurons >= 1 and n_branches >= 0")
    if min_branch_sections >= shape[0]:
        raise InputError(f"min_branch_sections ({min_branch_sections}) must be < the number of "
                         f"sections ({shape[0]})")
    rng = as_rng(seed)
    extent = (np.asarray(shape) - 1) * np.asarray(vs)
    neurons, bps, owners, radii = _place_neurons(rng, shape, vs, extent, n_neurons, n_branches,
                                                 radius_nm, membrane_nm, min_branch_sections)
    radii = np.asarray(radii)
    labels, clean = _rasterize(shape, vs, neurons, radii, membrane_nm)
    n_missing = int(round(missing_rate * shape[0]))
    missing = np.sort(rng.choice(np.arange(1, shape[0] - 1), n_missing, replace=False))
    bnd = ndi.gaussian_filter(clean, (0, blur_px, blur_px)) + rng.normal(0, noise_sd, shape)
    bnd = np.clip(bnd, 0, 1).astype(np.float32)
    raw = np.clip(200 - 140 * bnd + rng.normal(0, 10, shape), 0, 255).astype(np.uint8)
    bnd[missing] = 1.0
    raw[missing] = 128
    lengths = np.array([_arbor_length(tubes, r) for tubes, r in zip(neurons, radii)])
    return NeuritePhantom(bnd, raw, labels, vs, tuple(tuple(t) for t in neurons), lengths,
                          np.asarray(bps).reshape(-1, 3), np.asarray(owners, np.int64),
                          missing.astype(np.int64), radii)
