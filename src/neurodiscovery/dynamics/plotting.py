"""Figures of the dynamics tools: ``plot_*(..., ax=None) -> Axes``, display only."""
from __future__ import annotations

import numpy as np


def _ax(ax, figsize=(4.5, 4)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_jpca_plane(result, plane: int = 0, ax=None, cmap: str = "hsv"):
    """Condition trajectories projected on one jPCA plane (dot = start), titled with its frequency.

    Parameters
    ----------
    result : JPCAResult
    plane : int
        Plane index (0 = fastest rotation).
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    cmap : str
        Colormap of the conditions (cyclic by default).
    """
    import matplotlib.pyplot as plt

    ax = _ax(ax)
    proj = result.projections[:, :, 2 * plane:2 * plane + 2]
    colors = plt.get_cmap(cmap)(np.linspace(0, 1, len(proj), endpoint=False))
    for c, tr in enumerate(proj):
        ax.plot(tr[:, 0], tr[:, 1], color=colors[c], lw=1.2)
        ax.plot(tr[0, 0], tr[0, 1], "o", color=colors[c], ms=4)
    ax.set_title(f"jPCA plane {plane + 1}: {result.frequencies_hz[plane]:.2f} Hz, "
                 f"R² {result.plane_r2[plane]:.2f}")
    ax.set_xlabel(f"jPC{2 * plane + 1}")
    ax.set_ylabel(f"jPC{2 * plane + 2}")
    ax.set_aspect("equal", "datalim")
    return ax


def plot_error_growth(comparison, ax=None):
    """Held-out mean squared error per bin against the forecast horizon, one line per model.

    Parameters
    ----------
    comparison : ForecastComparison
        Held-out errors per model and horizon.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    """
    ax = _ax(ax, (5, 3.5))
    h = comparison.horizons * (comparison.bin_size_s or 1.0)
    for name in comparison.models:
        ax.plot(h, comparison.mse[name], marker="o", ms=3, label=name)
    ax.set_xlabel("horizon (s)" if comparison.bin_size_s else "horizon (bins)")
    ax.set_ylabel("test MSE per bin and neuron")
    ax.set_title("error growth of free-running forecasts\n(same test bins at every horizon)", fontsize=9)
    ax.legend(frameon=False)
    return ax


def plot_forecast_skill(comparison, ax=None):
    """Held-out skill (bits/spike or R²) against horizon, one line per model.

    Parameters
    ----------
    comparison : ForecastComparison
        Held-out skill per model and horizon.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    """
    ax = _ax(ax, (5, 3.5))
    h = comparison.horizons * (comparison.bin_size_s or 1.0)
    for name in comparison.models:
        ax.plot(h, comparison.skill[name], marker="o", ms=3, label=name)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("horizon (s)" if comparison.bin_size_s else "horizon (bins)")
    ax.set_ylabel("bits/spike vs mean rate" if comparison.noise == "poisson" else "R²")
    ax.legend(frameon=False)
    return ax


_MARK = {"stable": ("o", "tab:blue"), "saddle": ("x", "tab:red"), "unstable": ("^", "tab:orange"),
         "marginal": ("s", "tab:green"), "slow": (".", "0.5")}


def plot_fixed_points(fixed_points, trajectories=None, ax=None):
    """Fixed/slow points and trajectories in the top-2 PCs of the trajectories (or of the points).

    Parameters
    ----------
    fixed_points : FixedPoints
    trajectories : ndarray, shape (trials, time, units), optional
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    """
    ax = _ax(ax)
    ref = trajectories.reshape(-1, trajectories.shape[-1]) if trajectories is not None else fixed_points.points
    mu = ref.mean(0)
    basis = np.linalg.svd(ref - mu, full_matrices=False)[2][:2].T
    if trajectories is not None:
        for tr in trajectories:
            p = (tr - mu) @ basis
            ax.plot(p[:, 0], p[:, 1], color="0.75", lw=0.6)
    pts = (fixed_points.points - mu) @ basis if len(fixed_points.points) else np.zeros((0, 2))
    for kind, (m, c) in _MARK.items():
        sel = np.array([k == kind for k in fixed_points.kinds], bool)
        if sel.any():
            ax.scatter(pts[sel, 0], pts[sel, 1], marker=m, color=c, label=f"{kind} ({sel.sum()})", zorder=3)
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
    ax.legend(frameon=False, fontsize=8)
    return ax


def plot_connectivity(matrix, ax=None, title: str = "fitted connectivity"):
    """Heat map of a connectivity matrix (symmetric colour scale).

    Parameters
    ----------
    matrix : ndarray, shape (n, n)
        Connectivity (row: target, column: source).
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    title : str
        Axes title.
    """
    ax = _ax(ax)
    v = float(np.max(np.abs(matrix))) or 1.0
    im = ax.imshow(matrix, cmap="RdBu_r", vmin=-v, vmax=v)
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    ax.set_xlabel("presynaptic unit")
    ax.set_ylabel("postsynaptic unit")
    ax.set_title(title)
    return ax
