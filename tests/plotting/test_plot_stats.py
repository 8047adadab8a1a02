import numpy as np

from neurodiscovery import datasets
from neurodiscovery.plotting.stats import (
    plot_direction_tuning,
    plot_glm_attribution,
    plot_null_distribution,
    plot_place_map,
)
from neurodiscovery.units import direction_tuning, encoding_glm, place_maps


def test_stat_figures_draw_labelled_axes(rng):
    gt = datasets.make_hd_place_cells(n_hd=1, n_place=1, duration_s=200, seed=0)
    b = gt.recording.bin(0.1)
    pm = place_maps(b.counts, b.behavior("position"), 0.1, n_shuffles=20)
    ax = plot_place_map(pm, 1)
    assert ax.get_xlabel() == "x (m)" and "bits/spike" in ax.get_title()
    th = np.repeat(np.arange(8) * np.pi / 4, 10)
    dt = direction_tuning(10 + 5 * np.cos(th)[:, None] + rng.normal(0, 1, (80, 1)), th, n_permutations=50)
    ax = plot_direction_tuning(dt, 0)
    assert ax.get_xlabel() == "reach direction (°)" and ax.get_ylabel() == "rate (Hz)"
    em = encoding_glm(b.counts, 0.1, head_direction=b.behavior("head_direction")[:, 0], n_folds=5)
    ax = plot_glm_attribution(em, groups=["hd", "place"])
    assert ax.get_ylabel() == "units" and len(ax.get_legend().get_texts()) == 2
    ax = plot_null_distribution(rng.normal(size=100), 2.0, p_value=0.01)
    assert "p = 0.01" in ax.get_legend().get_texts()[1].get_text()
