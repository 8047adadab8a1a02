"""Shared plotting helpers (headless backend, axes creation)."""
from __future__ import annotations


def get_ax(ax=None, polar: bool = False, figsize=(5, 3.5)):
    """Return ``ax`` or a new Axes on a new figure (Agg backend, safe without a display)."""
    if ax is not None:
        return ax
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "svg", "pdf", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    return fig.add_subplot(111, projection="polar" if polar else None)
