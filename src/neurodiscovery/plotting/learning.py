"""Plots for learning-rule results: accuracy table, learning curves, gradient alignment, STDP window.

Each function takes ``ax=None`` (a new figure is made) and returns the Axes; the numbers
come from :mod:`neurodiscovery.learning`.
"""
from __future__ import annotations

import numpy as np

from ._base import get_ax


def plot_rule_accuracy(comparison, ax=None):
    """Test accuracy (mean ± SD over seeds, dots = seeds) of each rule in a ``RuleComparison``.

    Parameters
    ----------
    comparison : RuleComparison
        Test accuracy per rule and seed.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    """
    ax = get_ax(ax, figsize=(5.5, 3.5))
    for i, res in enumerate(comparison.results):
        acc = 100 * res.test_accuracy
        ax.bar(i, acc.mean(), yerr=acc.std(ddof=1) if len(acc) > 1 else 0, color=f"C{i}", alpha=0.7,
               capsize=3)
        ax.plot(np.full(len(acc), i), acc, "k.", ms=4)
    ax.set_xticks(range(len(comparison.results)), [r.rule for r in comparison.results])
    lo = min(100 * r.test_accuracy.min() for r in comparison.results)
    ax.set_ylim(max(0.0, lo - 5), 100)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{comparison.task}: held-out test accuracy")
    return ax


def plot_learning_curves(results, ax=None, which: str = "val_accuracy"):
    """Validation accuracy (or train loss) per epoch of the selection run, one line per seed.

    Parameters
    ----------
    results : sequence of RuleResult
    which : {"val_accuracy", "train_loss"}
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    """
    ax = get_ax(ax, figsize=(5.5, 3.5))
    for i, res in enumerate(results):
        for k, s in enumerate(res.seeds):
            y = getattr(s.selection_history, which)
            y = 100 * y if which == "val_accuracy" else y
            ax.plot(np.arange(1, len(y) + 1), y, color=f"C{i}", lw=1, alpha=0.8,
                    label=res.rule if k == 0 else None)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy (%)" if which == "val_accuracy" else "training loss")
    if which == "train_loss":
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return ax


def plot_alignment(history, ax=None, label: str = ""):
    """Angle (degrees) between the rule's update and the true gradient, per layer, over training.

    Parameters
    ----------
    history : TrainingHistory
        ``alignment_step (checks,)`` and ``alignment_rad (checks, layers)``.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    label : str
        Legend prefix (e.g. the rule's name).
    """
    ax = get_ax(ax, figsize=(5.5, 3.5))
    deg = np.degrees(history.alignment_rad)
    n_layers = deg.shape[1]
    # a short running mean: single-batch angles of noisy rules jump around
    k = max(1, len(deg) // 50)
    for layer in range(n_layers):
        y = deg[:, layer]
        if np.all(np.isnan(y)):
            continue
        if k > 1:
            y = np.convolve(np.nan_to_num(y, nan=90.0), np.ones(k) / k, mode="valid")
        name = "readout" if layer == n_layers - 1 else f"hidden {layer + 1}"
        ax.plot(history.alignment_step[:len(y)], y, lw=1, label=name)
    ax.axhline(90, color="0.6", ls=":", lw=1)
    ax.set_ylim(-3, 100)
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("angle to true gradient (deg)")
    ax.set_title(f"{label}: update vs gradient".strip(": "))
    ax.legend(fontsize=8)
    return ax


def plot_stdp_window(delta_t_ms, dw, fit=None, ax=None):
    """Measured STDP window ``dw(dt)`` with the fitted exponentials (``STDPWindowFit``).

    Parameters
    ----------
    delta_t_ms : array_like, shape (pairs,)
        Post minus pre spike time (ms).
    dw : array_like, shape (pairs,)
        Weight change of each pair (weight units).
    fit : STDPWindowFit, optional
        Fitted exponentials, drawn as lines.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    """
    ax = get_ax(ax, figsize=(5, 3.5))
    d, w = np.asarray(delta_t_ms, float), np.asarray(dw, float)
    ax.plot(d, w, "k.", ms=4, label="trace rule")
    if fit is not None:
        tp = np.linspace(1e-3, d.max(), 200)
        tm = np.linspace(d.min(), -1e-3, 200)
        ax.plot(tp, fit.a_plus * np.exp(-tp / fit.tau_plus_ms), "C3",
                label=f"fit tau+ {fit.tau_plus_ms:.1f} ms")
        ax.plot(tm, -fit.a_minus * np.exp(tm / fit.tau_minus_ms), "C0",
                label=f"fit tau- {fit.tau_minus_ms:.1f} ms")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("t_post - t_pre (ms)")
    ax.set_ylabel("weight change")
    ax.legend(fontsize=8)
    return ax
