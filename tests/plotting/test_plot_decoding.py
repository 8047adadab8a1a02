"""Decoding plots: take ax=None or an Axes, return the Axes, draw what they are given."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurodiscovery.plotting.decoding import plot_confusion_matrix, plot_decoder_comparison, plot_predictions  # noqa: E402


def test_plot_predictions_linear_and_circular():
    t = np.arange(100) * 0.05
    ax = plot_predictions(np.sin(t), np.sin(t) + 0.1, t_s=t, label="wiener")
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.sin(t))
    fig, ax2 = plt.subplots()
    out = plot_predictions(np.linspace(0, 7, 50), np.linspace(0, 7, 50), ax=ax2, circular=True)
    assert out is ax2 and ax2.get_ylim() == (0, 360)
    assert ax2.lines[0].get_ydata().max() < 360
    plt.close("all")


def test_plot_decoder_comparison_clips_very_negative_chance():
    table = [{"decoder": "wiener", "control": "none", "r2_mean": 0.8},
             {"decoder": "wiener", "control": "shifted", "r2_mean": -12.0}]
    ax = plot_decoder_comparison(table)
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights[-1] == 0.8 and heights[0] >= -0.25 - 1e-9
    assert any("-12" in t.get_text() for t in ax.texts)
    plt.close("all")


def test_plot_confusion_matrix_row_normalised():
    ax = plot_confusion_matrix([[3, 1], [0, 4]], labels=["a", "b"])
    np.testing.assert_allclose(ax.images[0].get_array(), [[0.75, 0.25], [0, 1]])
    plt.close("all")
