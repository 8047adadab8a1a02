"""A diffusion phantom whose wiring is known: three fibre bundles, one crossing, one bend.

Bundles are tubes around centre lines (voxel coordinates); each fibre voxel gets
dipy's multi-tensor signal model (one tensor per bundle through it, equal
fractions where two cross), the rest of the box is isotropic grey-matter-like
tissue and a frame of air surrounds it. Regions are balls at the bundle ends, so
the true connections are exactly the pairs of ends of each bundle; two more
regions sit in isotropic tissue and should stay unconnected. Noise is Rician with
sigma = S0 / SNR.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..._utils.errors import InputError
from ..._utils.validation import check_positive
from .io import DWI, Parcellation, make_dwi, make_parcellation

FIBRE_EVALS = (1.7e-3, 0.3e-3, 0.3e-3)  # mm^2/s, typical white matter
ISO_EVALS = (0.8e-3, 0.8e-3, 0.8e-3)  # grey-matter-like
S0 = 100.0
SHAPE = (44, 50, 8)
TUBE_RADIUS_VOX = 2.0
REGION_RADIUS_VOX = 3.0
_Z = 3.5


def _line(p0, p1, n=400) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) * np.asarray(p0, float) + t * np.asarray(p1, float)


def _arc(centre, radius, theta0_deg, theta1_deg, n=600) -> np.ndarray:
    th = np.deg2rad(np.linspace(theta0_deg, theta1_deg, n))
    return np.stack([centre[0] + radius * np.cos(th), centre[1] + radius * np.sin(th),
                     np.full(n, _Z)], axis=1)


def bundle_centrelines() -> dict[str, np.ndarray]:
    """Centre lines (n_points, 3) in voxel coordinates: a horizontal and a vertical bundle that
    cross at 90 degrees, and a quarter-circle bundle of radius 14 voxels.
    """
    return {"H": _line((6.5, 12.5, _Z), (37.5, 12.5, _Z)),
            "V": _line((22.5, 5.5, _Z), (22.5, 24.5, _Z)),
            "arc": _arc((6.5, 42.5), 14.0, -90.0, 0.0)}


_ENDS = {"H": ("H_left", "H_right"), "V": ("V_bottom", "V_top"), "arc": ("arc_start", "arc_end")}
_ISO_REGIONS = {"iso_a": (34.5, 32.5, _Z), "iso_b": (34.5, 42.5, _Z)}


@dataclass(frozen=True)
class Phantom:
    """A synthetic DWI with its parcellation and the true region-to-region wiring.

    Attributes
    ----------
    dwi : DWI
    parcellation : Parcellation
        Same grid as ``dwi``.
    true_pairs : tuple of (str, str)
        Region name pairs joined by a bundle.
    fibre_count : ndarray, shape (x, y, z), int
        Bundles through each voxel (2 at the crossing).
    snr : float
    seed : int
    """

    dwi: DWI
    parcellation: Parcellation
    true_pairs: tuple
    fibre_count: np.ndarray
    snr: float
    seed: int

    def true_adjacency(self) -> np.ndarray:
        """Boolean (n_regions, n_regions) matrix of true connections, in parcellation order."""
        idx = {n: i for i, n in enumerate(self.parcellation.names)}
        a = np.zeros((self.parcellation.n_regions,) * 2, bool)
        for u, v in self.true_pairs:
            a[idx[u], idx[v]] = a[idx[v], idx[u]] = True
        return a


def tensor_signal(bvals, bvecs, directions, fractions, evals=FIBRE_EVALS, s0=S0) -> np.ndarray:
    """Noise-free multi-tensor signal (cylindrically symmetric tensors), vectorised over voxels.

    Equals ``dipy.sims.voxel.multi_tensor`` with unit-vector ``angles`` and
    ``snr=None`` (checked in the tests); computed in one pass for many voxels.

    Parameters
    ----------
    bvals : ndarray, shape (n_volumes,)
    bvecs : ndarray, shape (n_volumes, 3)
    directions : ndarray, shape (n_voxels, k, 3)
        Unit fibre directions.
    fractions : ndarray, shape (n_voxels, k)
        Volume fractions summing to 1 per voxel.
    evals : (3,) float
        Axial, radial, radial diffusivity in mm^2/s.

    Returns
    -------
    ndarray, shape (n_voxels, n_volumes)
    """
    lam1, lam2 = float(evals[0]), float(evals[1])
    cos2 = np.einsum("vkc,nc->vkn", directions, bvecs) ** 2
    adc = lam2 + (lam1 - lam2) * cos2
    return s0 * np.einsum("vk,vkn->vn", fractions, np.exp(-bvals[None, None, :] * adc))


def _gradient_scheme() -> tuple[np.ndarray, np.ndarray]:
    from dipy.data import get_fnames

    _, fb, fv = get_fnames(name="small_64D")  # a real 64-direction b=1000 scanner scheme
    bvals = np.loadtxt(fb)
    bvecs = np.nan_to_num(np.loadtxt(fv))
    # five extra b0 volumes: tensor fits at SNR 10 need a stable S0
    return np.r_[np.zeros(5), bvals], np.r_[np.zeros((5, 3)), bvecs]


def _bundle_voxels(line: np.ndarray, shape) -> tuple[np.ndarray, np.ndarray]:
    """Voxels within the tube (flat caps) and their local unit tangent."""
    from scipy.spatial import cKDTree

    grid = np.stack(np.meshgrid(*[np.arange(s) for s in shape], indexing="ij"), -1).reshape(-1, 3)
    _, k = cKDTree(line).query(grid)
    tang = np.gradient(line, axis=0)
    tang /= np.linalg.norm(tang, axis=1, keepdims=True)
    d = grid - line[k]
    along = np.einsum("ij,ij->i", d, tang[k])
    perp = np.linalg.norm(d - along[:, None] * tang[k], axis=1)
    step = np.linalg.norm(line[1] - line[0])
    inside = (perp <= TUBE_RADIUS_VOX) & (np.abs(along) <= step)
    return grid[inside], tang[k[inside]]


def _regions(lines, shape) -> tuple[np.ndarray, list[str]]:
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in shape], indexing="ij"), -1)
    labels = np.zeros(shape, np.int64)
    names: list[str] = []
    centres = []
    for key, (n0, n1) in _ENDS.items():
        centres += [(n0, lines[key][0]), (n1, lines[key][-1])]
    centres += list(_ISO_REGIONS.items())
    for i, (name, c) in enumerate(centres, 1):
        labels[np.linalg.norm(grid - np.asarray(c), axis=-1) <= REGION_RADIUS_VOX] = i
        names.append(name)
    return labels, names


def make_phantom(*, snr: float = 20.0, seed: int = 0, voxel_mm: float = 2.0) -> Phantom:
    """Build the phantom (44 x 50 x 8 voxels, 70 volumes) at a given SNR.

    Parameters
    ----------
    snr : float
        b0 signal over the Rician noise sigma (``inf`` for noise-free).
    seed : int
        Seeds the noise.
    voxel_mm : float
        Isotropic voxel edge in mm.

    Returns
    -------
    Phantom
    """
    snr = check_positive(snr, "snr")
    voxel_mm = check_positive(voxel_mm, "voxel_mm")
    shape = SHAPE
    bvals, bvecs = _gradient_scheme()
    lines = bundle_centrelines()
    dirs = np.zeros(shape + (2, 3))
    count = np.zeros(shape, np.int64)
    for line in lines.values():
        vox, tang = _bundle_voxels(line, shape)
        slot = count[tuple(vox.T)]
        dirs[tuple(vox.T) + (slot,)] = tang
        count[tuple(vox.T)] += 1
    tissue = np.zeros(shape, bool)
    tissue[2:-2, 2:-2, :] = True  # air only in-plane: a thin slab would blur into the mask
    data = np.zeros(shape + (len(bvals),))
    iso = tissue & (count == 0)
    data[iso] = tensor_signal(bvals, bvecs, np.array([[[1.0, 0, 0]]]), np.ones((1, 1)), ISO_EVALS)[0]
    for k in (1, 2):
        m = count == k
        fr = np.full((int(m.sum()), k), 1.0 / k)
        data[m] = tensor_signal(bvals, bvecs, dirs[m][:, :k], fr)
    if np.isfinite(snr):
        rng = np.random.default_rng(seed)
        sigma = S0 / snr
        data = np.hypot(data + sigma * rng.standard_normal(data.shape), sigma * rng.standard_normal(data.shape))
    affine = np.diag([voxel_mm, voxel_mm, voxel_mm, 1.0])
    labels, names = _regions(lines, shape)
    labels[~tissue] = 0
    parc = make_parcellation(labels, affine, dict(enumerate(names, 1)), source="phantom labels")
    pairs = tuple(_ENDS.values())
    return Phantom(make_dwi(data, affine, bvals, bvecs, source="phantom"), parc, pairs, count,
                   float(snr), int(seed))


def save_phantom(phantom: Phantom, folder) -> dict[str, Path]:
    """Write ``dwi.nii.gz``, ``dwi.bval``, ``dwi.bvec`` (FSL layout), ``labels.nii.gz`` and
    ``labels_lut.txt`` into ``folder`` (created); returns the paths by kind.

    Parameters
    ----------
    phantom : Phantom
        The phantom (from :func:`make_phantom`).
    folder : path
        Output folder.

    Returns
    -------
    dict of str to Path
    """
    import nibabel as nib

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    p = {"dwi": folder / "dwi.nii.gz", "bvals": folder / "dwi.bval", "bvecs": folder / "dwi.bvec",
         "labels": folder / "labels.nii.gz", "lut": folder / "labels_lut.txt"}
    nib.save(nib.Nifti1Image(phantom.dwi.data.astype(np.float32), phantom.dwi.affine), p["dwi"])
    np.savetxt(p["bvals"], phantom.dwi.bvals[None], fmt="%g")
    np.savetxt(p["bvecs"], phantom.dwi.bvecs.T, fmt="%.8f")
    nib.save(nib.Nifti1Image(phantom.parcellation.labels.astype(np.int16), phantom.parcellation.affine),
             p["labels"])
    p["lut"].write_text("".join(f"{i} {n}\n" for i, n in zip(phantom.parcellation.region_ids,
                                                                 phantom.parcellation.names)))
    return p


@dataclass(frozen=True)
class PhantomScore:
    """How a connectome built on the phantom compares with its true wiring.

    Attributes
    ----------
    n_streamlines : int
        All streamlines given to the connectome.
    fraction_true : float
        Share of all streamlines whose two end points lie in a truly connected pair.
    fraction_true_of_assigned : float
        The same share among streamlines with both ends in (two different) regions.
    true_edges_found, n_true_edges : int
    missing_edges, false_edges : tuple of (str, str)
        True pairs with no streamline; pairs with streamlines but no bundle.
    false_edge_streamlines : int
    """

    n_streamlines: int
    fraction_true: float
    fraction_true_of_assigned: float
    true_edges_found: int
    n_true_edges: int
    missing_edges: tuple
    false_edges: tuple
    false_edge_streamlines: int

    def as_dict(self) -> dict:
        """The score as a JSON-ready dict (edges as lists)."""
        from dataclasses import asdict

        d = asdict(self)
        d["missing_edges"] = [list(e) for e in self.missing_edges]
        d["false_edges"] = [list(e) for e in self.false_edges]
        return d


def score_connectome(connectome, phantom: Phantom) -> PhantomScore:
    """Compare a :class:`~.connectivity.Connectome` built on ``phantom.parcellation`` with the truth.

    Parameters
    ----------
    connectome : Connectome
        Built on the phantom's parcellation.
    phantom : Phantom
        The phantom and its known wiring.

    Returns
    -------
    PhantomScore
    """
    if tuple(connectome.names) != tuple(phantom.parcellation.names):
        raise InputError("the connectome was not built on this phantom's parcellation")
    truth = phantom.true_adjacency()
    c = np.array(connectome.counts)
    np.fill_diagonal(c, 0)
    iu = np.triu_indices_from(c, 1)
    on_true = int(c[iu][truth[iu]].sum())
    on_false = int(c[iu][~truth[iu]].sum())
    names = connectome.names
    missing = tuple((names[i], names[j]) for i, j in zip(*iu) if truth[i, j] and c[i, j] == 0)
    false = tuple((names[i], names[j]) for i, j in zip(*iu) if not truth[i, j] and c[i, j] > 0)
    n = connectome.n_streamlines
    return PhantomScore(n, on_true / n if n else float("nan"),
                        on_true / (on_true + on_false) if on_true + on_false else float("nan"),
                        int(truth[iu].sum()) - len(missing), int(truth[iu].sum()), missing, false,
                        on_false)
