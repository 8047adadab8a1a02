"""Figures name what they show: tuning-curve axes, polar only for angles that fill the circle, behaviour legends."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from neurodiscovery.plotting import plot_tuning_curve  # noqa: E402
from neurodiscovery.plotting.latents import plot_factors_vs_truth  # noqa: E402
from neurodiscovery.plotting.units import angular_span_rad, draws_polar  # noqa: E402

CENTRES = (np.arange(36) + 0.5) * 2 * np.pi / 36


def test_pitch_is_drawn_on_a_linear_axis_over_its_arc():
    # pitch visits -30°..+30° (stored modulo 2π): bins 33..35 and 0..2 -> a 60° arc across 0
    rates = np.full(36, np.nan)
    rates[[33, 34, 35, 0, 1, 2]] = [1, 2, 3, 4, 5, 6]
    assert angular_span_rad(CENTRES, rates) == pytest.approx(np.radians(60))
    assert not draws_polar(True, CENTRES, rates)
    ax = plot_tuning_curve(CENTRES, rates, True, label="u1", units="pitch (rad)")
    assert ax.name != "polar" and "pitch" in ax.get_xlabel() and "deg" in ax.get_xlabel()
    x, y = ax.lines[0].get_data()
    ok = np.isfinite(y)
    # contiguous across 0°: -25 .. 25 degrees, rising rates in order
    assert np.allclose(x[ok], [-25, -15, -5, 5, 15, 25]) and np.all(np.diff(y[ok]) > 0)
    plt.close("all")


def test_head_direction_fills_the_circle_and_names_its_variable():
    rates = 5 + 4 * np.cos(CENTRES - 1.0)
    assert angular_span_rad(CENTRES, rates) == pytest.approx(2 * np.pi) and draws_polar(True, CENTRES, rates)
    ax = plot_tuning_curve(CENTRES, rates, True, label="u1", units="head_direction (rad)")
    assert ax.name == "polar" and ax.get_xlabel().startswith("head_direction (rad)")
    assert not draws_polar(False, CENTRES, rates)  # a linear variable is never polar
    plt.close("all")


def test_behavior_figure_names_its_variables_and_axis():
    t = np.linspace(0, 1, 50)
    true = np.column_stack([np.sin(6 * t), np.cos(6 * t)])
    ax = plot_factors_vs_truth(true + 0.1, true, labels=["vx", "vy"], ylabel="hand_velocity (m/s)", bin_size_s=0.02)
    legend = [tx.get_text() for tx in ax.get_legend().get_texts()]
    assert legend == ["vx recorded", "vx from latents", "vy recorded", "vy from latents"]
    assert ax.get_ylabel() == "hand_velocity (m/s)" and "(s)" in ax.get_xlabel()
    plt.close("all")


def test_wide_figures_click_through_to_full_resolution(tmp_path):
    from neurodiscovery.pipeline.report import Figure, Section, render_html, save_figure

    fig, _ = plt.subplots()
    save_figure(fig, tmp_path, "tuning_grid", formats=("png",))
    html = render_html("t", [], [Section("s", "S", figures=[Figure("tuning_grid", "grid", wide=True)])], tmp_path, {})
    assert '<figure class="wide"><a href="figures/tuning_grid.png" target="_blank"' in html
