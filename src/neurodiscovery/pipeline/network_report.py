"""``report.html`` for the commands that read conclusions off a fitted rate network.

``circuit`` (connectivity) and ``dynamics --method fixed-points`` (fixed points) both report the
network's held-out R² first, beside what they read off it, with a warning when it is below
:data:`~neurodiscovery.dynamics.MIN_FIT_R2`.
"""
from __future__ import annotations

from .report import Figure, Section, render_html

__all__ = ["fit_quality_entries", "write_network_report"]


def fit_quality_entries(r2_test: float | None, claim: str) -> dict:
    """``metrics.json`` entries of a network's fit quality.

    Parameters
    ----------
    r2_test : float or None
        Held-out R² of the network (None: not measured).
    claim : str
        What the run reads off the network ("fixed points", "connectivity").

    Returns
    -------
    dict
        ``fit_r2_test`` (a Quantity's JSON), ``fit_r2_threshold`` and ``fit_warning`` (None when the fit is good enough).
    """
    from ..dynamics import MIN_FIT_R2, fit_quality

    q, warn = fit_quality(r2_test, claim)
    return {"fit_r2_test": q.to_json(), "fit_r2_threshold": MIN_FIT_R2, "fit_warning": warn}


def write_network_report(run, title: str, metrics: dict, key: list, text: list[str],
                         figures: list[tuple[str, str]]) -> None:
    """Write ``report.html`` into the run folder: fit quality first, then what is read off the network.

    Parameters
    ----------
    run : RunFolder
        Open run folder whose ``figures/`` holds the PNGs named in ``figures``.
    title : str
        Page title.
    metrics : dict
        The run's metrics (needs the entries of :func:`fit_quality_entries`).
    key : list of Quantity
        Key numbers shown after the fit quality.
    text : list of str
        Paragraphs of the main section.
    figures : list of (stem, caption)
        Saved figures to show.
    """
    from .._utils.quantity import Quantity

    fit = metrics["fit_r2_test"]
    q = Quantity(fit["label"], fit["value"], fit["unit"], note=fit.get("note"))
    rows = [(q.label, q.format())] + [(k.label, k.format()) for k in key]
    warn = metrics.get("fit_warning")
    intro = [f"Warning: {warn}."] if warn else [
        f"The network reaches the documented threshold (held-out R² >= {metrics['fit_r2_threshold']})."]
    sec = Section("network", title, intro + list(text), [Figure(s, c) for s, c in figures], [], metrics)
    run.write_text("report.html", render_html(title, rows, [sec], run.figures, run.config))
