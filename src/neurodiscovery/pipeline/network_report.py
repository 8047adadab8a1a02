"""``report.html`` for the commands that read conclusions off a fitted rate network.

``circuit`` (connectivity) and ``dynamics --method fixed-points`` (fixed points) both report the
network's held-out R² first (their first key number), beside what they read off it, with a warning when it is below
:data:`~neurodiscovery.dynamics.MIN_FIT_R2`.
"""
from __future__ import annotations

from .report import Section

__all__ = ["fit_quality_entries", "fit_quantity", "network_section"]


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
    if warn:  # the command line shows it too ("neurodiscovery circuit: warning: ..."), not only the report
        import warnings

        warnings.warn(warn, UserWarning, stacklevel=2)
    return {"fit_r2_test": q.to_json(), "fit_r2_threshold": MIN_FIT_R2, "fit_warning": warn}


def network_section(title: str, metrics: dict, text: list[str], figures: list) -> Section:
    """The report section of a command that reads claims off a fitted network: fit quality first.

    Parameters
    ----------
    title : str
        Section title.
    metrics : dict
        The run's metrics (needs the entries of :func:`fit_quality_entries`).
    text : list of str
        Paragraphs after the fit-quality sentence (a warning when the fit is below the threshold).
    figures : list of Figure
        Saved figures to show.

    Returns
    -------
    Section
    """
    warn = metrics.get("fit_warning")
    intro = [f"Warning: {warn}."] if warn else [
        f"The network reaches the documented threshold (held-out R² >= {metrics['fit_r2_threshold']})."]
    return Section("network", title, intro + list(text), list(figures), [])


def fit_quantity(metrics: dict):
    """The network's held-out R² as the :class:`~neurodiscovery._utils.quantity.Quantity` of its metrics.

    Parameters
    ----------
    metrics : dict
        With ``fit_r2_test`` (from :func:`fit_quality_entries`).
    """
    from .._utils.quantity import Quantity

    return Quantity(**metrics["fit_r2_test"])
