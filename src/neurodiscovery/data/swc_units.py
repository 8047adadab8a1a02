"""Length units of SWC files: what a header declares and how many micrometres a unit is."""
from __future__ import annotations

import json
import re

import numpy as np

from .._utils.errors import InputError

__all__ = ["header_units", "um_per_unit"]

#: Length units a header may declare, in micrometres per unit (SWC's customary unit is µm).
_UM_PER_UNIT = {"nm": 1e-3, "nanometer": 1e-3, "nanometre": 1e-3, "um": 1.0, "µm": 1.0, "μm": 1.0,
                "micron": 1.0, "micrometer": 1.0, "micrometre": 1.0, "mm": 1e3, "millimeter": 1e3,
                "millimetre": 1e3}
_HEADER_UNITS = re.compile(r"^\s*#\s*units?\s*[:=]\s*(.+?)\s*$", re.IGNORECASE)


def um_per_unit(units: str) -> float:
    """Micrometres per coordinate unit: ``"nm"`` -> 0.001, ``"8 nanometer"`` -> 0.008, ``"um"`` -> 1.

    Parameters
    ----------
    units : str
        A length unit, optionally preceded by a scale (navis writes ``"8 nanometer"`` for
        8-nm voxels); plural and British spellings are accepted.

    Returns
    -------
    float

    Raises
    ------
    InputError
        Not a length unit this reader knows.
    """
    m = re.fullmatch(r"\s*([0-9.eE+-]+)?\s*([^\s\d]+?)s?\s*", str(units))
    key = m.group(2).lower() if m else ""
    if key not in _UM_PER_UNIT:
        raise InputError(f"unknown length unit {units!r}; use nm, um (µm) or mm, optionally with a "
                         "scale such as '8 nm'")
    try:
        scale = float(m.group(1)) if m.group(1) else 1.0
    except ValueError:
        raise InputError(f"unknown length unit {units!r}: {m.group(1)!r} is not a number") from None
    if not np.isfinite(scale) or scale <= 0:
        raise InputError(f"length unit {units!r} needs a positive scale")
    return scale * _UM_PER_UNIT[key]


def header_units(text: str) -> str | None:
    """The length unit an SWC file's comment header declares, or None.

    Recognised: ``# units: nm`` (neurodiscovery, and ``# unit = um`` spellings) and navis's
    JSON meta line ``# Meta: {"units": "8 nanometer", ...}``.

    Parameters
    ----------
    text : str
        SWC text.

    Returns
    -------
    str or None
    """
    for line in text.splitlines():
        if not line.lstrip().startswith("#"):
            if line.strip():
                break  # the header ends at the first node line
            continue
        m = _HEADER_UNITS.match(line)
        if m:
            return m.group(1)
        body = line.lstrip()[1:].strip()
        if body.lower().startswith("meta:"):
            try:
                meta = json.loads(body[5:])
            except ValueError:
                continue
            if isinstance(meta, dict) and meta.get("units"):
                return str(meta["units"])
    return None
