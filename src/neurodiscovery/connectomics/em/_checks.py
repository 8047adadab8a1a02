"""Validation of watershed settings (they come from checkpoint files and the command line)."""
from __future__ import annotations

from ..._utils.errors import InputError
from ..._utils.validation import check_field_types


def check_watershed_params(p) -> None:
    """Refuse :class:`~.instances.WatershedParams` of the wrong type or outside their ranges, in one line."""
    check_field_types(p, "watershed parameters")
    if not 0 < p.threshold < 1 or not 0 <= p.merge_threshold <= 1:
        raise InputError(f"watershed thresholds must lie in (0, 1), got threshold={p.threshold}, "
                         f"merge_threshold={p.merge_threshold}")
    if min(p.sigma_seeds_px, p.sigma_boundary_px, p.min_seed_distance_px, p.min_size) < 0:
        raise InputError("watershed smoothing widths, seed distance and min_size must be >= 0")
