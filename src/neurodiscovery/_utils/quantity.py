"""Numbers that carry their unit and meaning: the one record every reported number comes from.

A :class:`Quantity` is what a command writes to ``metrics.json`` as a key number, shows at the top
of a report or puts in a summary table: a label, a value, a unit (``"1"`` for dimensionless), and,
for counts, what is counted out of what (``7 of 8 units``), with an optional interval and the test
behind it. Because the count's noun and its denominator travel with the value, a label can no
longer say "units" while the number counts tests.

The JSON form (:meth:`Quantity.to_json`) is an object ``{"label", "value", "unit", ...}``;
:data:`QUANTITY_JSON_SCHEMA` is its JSON Schema, used by every command's generated schema.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import InputError

__all__ = ["QUANTITY_JSON_SCHEMA", "Quantity", "count", "number_of", "quantity"]

#: Units a report may show without further explanation; others are allowed but must be non-empty.
DIMENSIONLESS = "1"


@dataclass(frozen=True)
class Quantity:
    """A reported number with its unit, its meaning and, where it has them, its interval and test.

    Attributes
    ----------
    label : str
        What the number is, in words a reader understands ("head_direction R² (nested choice,
        held-out folds)"). Does not repeat the unit.
    value : float or int or None
        The number (None where it is undefined; ``note`` then says why).
    unit : str
        Physical unit ("Hz", "s", "µm", "bits/spike", "deg") or ``"1"`` for dimensionless numbers
        (R², fractions, counts).
    of : int or None
        For counts: the denominator (``value`` of ``of`` ``counts``).
    counts : str or None
        For counts: the plural noun of what is counted ("units", "ROIs", "tests", "sessions"); required
        when ``of`` is given, so that value and denominator count the same thing. Alone (without
        ``of``) it marks a plain count (``15 units``).
    interval : tuple of float or None
        ``(low, high)`` in ``unit``.
    interval_kind : str or None
        How the interval was made ("95 % BCa block bootstrap over 50-bin blocks").
    test : str or None
        The test behind ``p`` ("circular-shift null, 200 refits of the whole procedure").
    p : float or None
        p-value of ``test``.
    note : str or None
        Anything a reader must know to read the number (a cap, a fallback, why it is undefined).
    """

    label: str
    value: float | int | None
    unit: str = DIMENSIONLESS
    of: int | None = None
    counts: str | None = None
    interval: tuple[float, float] | None = None
    interval_kind: str | None = None
    test: str | None = None
    p: float | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if not str(self.label).strip():
            raise InputError("a reported quantity needs a label")
        if not str(self.unit).strip():
            raise InputError(f"quantity {self.label!r} needs a unit ('1' for dimensionless)")
        if self.of is not None and self.counts is None:
            raise InputError(f"quantity {self.label!r}: a count needs both its denominator ('of') and what it counts")
        if self.counts is not None and self.unit != DIMENSIONLESS:
            raise InputError(f"quantity {self.label!r}: a count of {self.counts} is dimensionless (unit '1')")
        if self.of is not None and self.value is not None and not 0 <= self.value <= self.of:
            raise InputError(f"quantity {self.label!r}: count {self.value} is not within 0..{self.of}")
        if self.interval is not None and self.interval_kind is None:
            raise InputError(f"quantity {self.label!r}: an interval needs its kind (interval_kind)")
        if self.p is not None and self.test is None:
            raise InputError(f"quantity {self.label!r}: a p-value needs the test behind it")

    @property
    def is_count(self) -> bool:
        """True for ``k of n things`` quantities."""
        return self.of is not None

    def to_json(self) -> dict[str, Any]:
        """The ``metrics.json`` object: ``label``, ``value``, ``unit`` and every optional field that is set.

        Returns
        -------
        dict
            JSON-ready (non-finite values become None with a note).
        """
        out: dict[str, Any] = {"label": self.label, "value": _finite(self.value), "unit": self.unit}
        for name in ("of", "counts", "interval_kind", "test", "note"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.interval is not None:
            out["interval"] = [_finite(self.interval[0]), _finite(self.interval[1])]
        if self.p is not None:
            out["p"] = _finite(self.p)
        return out

    def format(self, digits: int = 3) -> str:
        """The value as a reader sees it: ``"5 of 8 units"``, ``"0.892 (95 % …: 0.85–0.93)"``, ``"7.2 deg"``.

        Parameters
        ----------
        digits : int
            Significant digits of non-integer values.
        """
        if self.value is None or (isinstance(self.value, float) and not math.isfinite(self.value)):
            text = "undefined"
        elif self.is_count:
            text = f"{int(self.value)} of {self.of} {self.counts}"
        elif self.counts is not None:
            text = f"{_fmt(self.value, digits)} {self.counts}"
        else:
            text = _fmt(self.value, digits) + ("" if self.unit == DIMENSIONLESS else f" {self.unit}")
        if self.interval is not None:
            text += f" ({_fmt(self.interval[0], digits)}–{_fmt(self.interval[1], digits)})"
        if self.p is not None:
            text += f", p = {_fmt(self.p, 2)}"
        return text


def quantity(label: str, value, unit: str = DIMENSIONLESS, **kw) -> Quantity:
    """Shorthand for :class:`Quantity` (``value`` converted to a Python number).

    Parameters
    ----------
    label : str
        What the number is.
    value : float or int or None
        The number.
    unit : str
        Its unit (``"1"`` for dimensionless).
    **kw
        Any other :class:`Quantity` field.
    """
    return Quantity(label, _py(value), unit, **kw)


def count(label: str, k: int, n: int, counts: str, **kw) -> Quantity:
    """A count ``k of n <counts>`` (dimensionless), e.g. ``count("ADn HD-tuned", 7, 7, "units")``.

    Parameters
    ----------
    label : str
        What is being counted, in words.
    k, n : int
        Count and denominator; both count ``counts``.
    counts : str
        Plural noun of the things counted ("units", "ROIs", "tests").
    **kw
        Any other :class:`Quantity` field.
    """
    return Quantity(label, int(k), DIMENSIONLESS, of=int(n), counts=counts, **kw)


def number_of(label: str, n: int, counts: str, **kw) -> Quantity:
    """A plain count without a denominator, ``n <counts>`` (e.g. ``number_of("units", 15, "units")``).

    Parameters
    ----------
    label : str
        What is counted, in words.
    n : int
        The count.
    counts : str
        Plural noun of the things counted.
    **kw
        Any other :class:`Quantity` field.
    """
    return Quantity(label, int(n), DIMENSIONLESS, counts=counts, **kw)


def _py(value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    try:
        v = value.item()  # numpy scalars
    except AttributeError:
        v = float(value)
    return v


def _finite(v):
    v = _py(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _fmt(v: float, digits: int) -> str:
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) < 1e6):
        return str(int(v))
    return f"{v:.{digits}g}"


#: JSON Schema of one :meth:`Quantity.to_json` object.
QUANTITY_JSON_SCHEMA: dict = {
    "type": "object",
    "required": ["label", "value", "unit"],
    "additionalProperties": False,
    "properties": {
        "label": {"type": "string", "minLength": 1},
        "value": {"type": ["number", "null"]},
        "unit": {"type": "string", "minLength": 1},
        "of": {"type": "integer", "minimum": 0},
        "counts": {"type": "string", "minLength": 1},
        "interval": {"type": "array", "items": {"type": ["number", "null"]}, "minItems": 2, "maxItems": 2},
        "interval_kind": {"type": "string"},
        "test": {"type": "string"},
        "p": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "note": {"type": "string"},
    },
    "dependentRequired": {"of": ["counts"], "interval": ["interval_kind"], "p": ["test"]},
}
