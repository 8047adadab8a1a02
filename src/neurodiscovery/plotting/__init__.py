"""Matplotlib figures: each function takes ``ax=None``, draws, and returns the Axes.

No computation happens here beyond what display needs; callers pass results
computed by the domain packages.
"""
