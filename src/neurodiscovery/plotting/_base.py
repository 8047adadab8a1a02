"""Shared plotting helpers (headless backend, axes creation)."""
from __future__ import annotations


def get_ax(ax=None, polar: bool = False, figsize=(5, 3.5)):
    """Return ``ax`` or a new Axes on a new pyplot figure (the user's backend is never switched)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    return fig.add_subplot(111, projection="polar" if polar else None)
