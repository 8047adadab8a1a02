"""Figures of observer models: each ``plot_*`` takes ``ax=None`` and returns the Axes."""
from __future__ import annotations

import numpy as np
from scipy import stats


def _ax(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(4.5, 3.5))
    return ax


def plot_prior_likelihood_posterior(prior_mean: float, prior_sd: float, measurement: float, noise_sd: float,
                                    ax=None):
    """Prior, likelihood of one measurement and the resulting posterior (stimulus units).

    Parameters
    ----------
    prior_mean : float
        Mean of the Gaussian prior (stimulus units).
    prior_sd : float
        SD of the prior (stimulus units).
    measurement : float
        The noisy measurement (stimulus units).
    noise_sd : float
        Measurement noise SD (stimulus units).
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    """
    ax = _ax(ax)
    w = prior_sd**2 / (prior_sd**2 + noise_sd**2)
    post_mean, post_sd = prior_mean + w * (measurement - prior_mean), np.sqrt(w) * noise_sd
    lo = min(prior_mean - 3 * prior_sd, measurement - 3 * noise_sd)
    hi = max(prior_mean + 3 * prior_sd, measurement + 3 * noise_sd)
    x = np.linspace(lo, hi, 400)
    for mean, sd, label in ((prior_mean, prior_sd, "prior"), (measurement, noise_sd, "likelihood"),
                            (post_mean, post_sd, "posterior")):
        ax.plot(x, stats.norm.pdf(x, mean, sd), label=f"{label} (mean {mean:.2f}, SD {sd:.2f})")
    ax.set_xlabel("stimulus (stimulus units)")
    ax.set_ylabel("probability density")
    ax.legend(fontsize=7)
    return ax


def plot_responses(stimulus, response, condition, predicted_mean=None, ax=None):
    """Responses against stimulus per condition, with the fitted mean response as lines.

    Parameters
    ----------
    stimulus : array_like, shape (trials,)
        Presented stimulus (stimulus units).
    response : array_like, shape (trials,)
        Reported value (stimulus units).
    condition : array_like, shape (trials,)
        Condition of each trial (one colour each).
    predicted_mean : array_like, shape (trials,), optional
        Fitted mean response of each trial, drawn as one line per condition.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    """
    ax = _ax(ax)
    for c in dict.fromkeys(np.asarray(condition).tolist()):
        sel = np.asarray(condition) == c
        pts = ax.scatter(np.asarray(stimulus)[sel], np.asarray(response)[sel], s=4, alpha=0.4, label=str(c))
        if predicted_mean is not None:
            order = np.argsort(np.asarray(stimulus)[sel])
            ax.plot(np.asarray(stimulus)[sel][order], np.asarray(predicted_mean)[sel][order],
                    color=pts.get_facecolor()[0], alpha=1.0, lw=1.5)
    lim = [float(np.min(stimulus)), float(np.max(stimulus))]
    ax.plot(lim, lim, "k:", lw=0.8, label="identity")
    ax.set_xlabel("stimulus (stimulus units)")
    ax.set_ylabel("response (stimulus units)")
    ax.legend(fontsize=7, title="condition (dots: trials, lines: fitted mean)", title_fontsize=7)
    return ax


def plot_psychometric(levels, k, n, curve_x, curve_p, threshold: float | None = None, ax=None):
    """Proportion positive/correct per level (marker area ∝ trials) and the fitted function.

    Parameters
    ----------
    levels : array_like, shape (levels,)
        Stimulus levels.
    k : array_like of int, shape (levels,)
        Positive/correct responses per level.
    n : array_like of int, shape (levels,)
        Trials per level.
    curve_x : array_like, shape (m,)
        Levels of the fitted curve.
    curve_p : array_like, shape (m,)
        Fitted proportion at curve_x.
    threshold : float, optional
        Threshold level, marked.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    """
    ax = _ax(ax)
    n = np.asarray(n, float)
    ax.scatter(levels, np.asarray(k) / n, s=20 * n / n.max(), color="k", label="data (area ∝ trials)")
    ax.plot(curve_x, curve_p, label="maximum-likelihood fit")
    if threshold is not None:
        ax.axvline(threshold, color="0.5", ls=":", label=f"threshold {threshold:.3g}")
    ax.set_xlabel("stimulus intensity (stimulus units)")
    ax.set_ylabel("proportion correct / 'yes'")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7)
    return ax


def plot_parameter_recovery(true, recovered, name: str, ax=None):
    """Recovered against true values of one parameter over simulated subjects.

    Parameters
    ----------
    true : array_like, shape (subjects,)
        Planted values.
    recovered : array_like, shape (subjects,)
        Fitted values.
    name : str
        Parameter name (with unit).
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    """
    ax = _ax(ax)
    ax.scatter(true, recovered, s=10)
    lim = [min(np.min(true), np.min(recovered)), max(np.max(true), np.max(recovered))]
    ax.plot(lim, lim, "k:", lw=0.8, label="perfect recovery")
    ax.set_xlabel(f"true {name}")
    ax.set_ylabel(f"recovered {name}")
    ax.set_title(name, fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_matrix(matrix, labels, title: str, colorbar_label: str, fmt: str = "{:.2f}", ax=None):
    """A labelled square matrix (model-recovery confusion, error correlations) with values written in.

    Parameters
    ----------
    matrix : ndarray, shape (n, n)
        Values drawn.
    labels : sequence of str
        Row and column labels.
    title : str
        Axes title.
    colorbar_label : str
        What the values are (with unit).
    fmt : str
        Format of the values written in the cells.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    """
    ax = _ax(ax)
    m = np.asarray(matrix, float)
    im = ax.imshow(m, cmap="viridis")
    ax.figure.colorbar(im, ax=ax, label=colorbar_label)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(j, i, fmt.format(m[i, j]), ha="center", va="center", color="w", fontsize=7)
    ax.set_title(title, fontsize=9)
    return ax


def plot_loglik_surface(values_x, values_y, loglik, xlabel: str, ylabel: str, estimate=None, ax=None):
    """Log-likelihood drop from its maximum over two parameters, with the 95 % joint region.

    Parameters
    ----------
    values_x, values_y : array_like (n_x,), (n_y,)
        Grid values (natural units).
    loglik : ndarray (n_y, n_x)
        Log-likelihood on the grid (natural log).
    xlabel, ylabel : str
        Axis labels (with units).
    estimate : tuple of float, optional
        The maximum-likelihood (x, y), marked.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _ax(ax)
    drop = np.max(loglik) - np.asarray(loglik)
    im = ax.pcolormesh(values_x, values_y, np.minimum(drop, 20.0), cmap="viridis_r", shading="auto")
    ax.figure.colorbar(im, ax=ax, label="log-likelihood below the maximum (capped at 20)")
    ax.contour(values_x, values_y, drop, levels=[2.996], colors="w", linewidths=1.2)  # chi2_2(0.95) / 2
    if estimate is not None:
        ax.plot(*estimate, "r+", ms=10, mew=2, label="estimate")
        ax.legend(fontsize=7, loc="upper right")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    return ax
