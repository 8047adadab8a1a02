"""Trajectories coloured by a behaviour that was never tracked on the drawn trials (e.g. sleep segments)."""
import numpy as np
from matplotlib.colors import to_rgba

from neurodiscovery.plotting.latents import plot_trajectories


def test_all_nan_behaviour_colour_falls_back_to_one_colour_per_trial():
    rng = np.random.default_rng(0)
    traj = rng.normal(size=(4, 20, 2))
    ax = plot_trajectories(traj, np.full((4, 20), np.nan))
    colours = {to_rgba(line.get_color()) for line in ax.lines}
    # before: every path drawn in the grey under-layer, with invisible (NaN) points on top
    assert len(colours) == 4 and to_rgba("0.8") not in colours


def test_partly_tracked_behaviour_keeps_its_colour_scale():
    traj = np.zeros((2, 5, 2))
    color = np.array([[np.nan] * 5, [0.0, 1, 2, 3, 4]])
    ax = plot_trajectories(traj, color)
    assert ax.collections[-2].get_clim() == (0.0, 4.0)
