"""Declarations of a command's ``metrics.json``, from which its JSON Schema is generated.

Every numeric leaf is declared with its unit (:func:`number`, :func:`integer`) or is a
:class:`~neurodiscovery._utils.quantity.Quantity` object (:func:`quantity_field`); :func:`missing_units`
lists any numeric leaf of a schema that does not carry a unit, and the tests require it to be
empty for every registered command. The ``unit`` keyword is a JSON Schema annotation: validators
ignore it, readers (and :func:`missing_units`) use it.

Examples
--------
>>> s = document("neurodiscovery.example.metrics", 1, {"n_units": integer("1", "units in the file")})
>>> missing_units(s)
[]
"""
from __future__ import annotations

import copy
from typing import Any

from .quantity import QUANTITY_JSON_SCHEMA

__all__ = ["any_json", "array", "boolean", "document", "integer", "mapping", "missing_units", "number", "obj",
           "quantity_field", "quantity_map", "text"]

_Q_REF = {"$ref": "#/$defs/quantity"}


def number(unit: str, description: str = "", nullable: bool = True, **extra) -> dict:
    """A number in ``unit`` (``"1"`` for dimensionless); null allowed where undefined (NaN)."""
    out = {"type": ["number", "null"] if nullable else "number", "unit": unit, **extra}
    if description:
        out["description"] = description
    return out


def integer(unit: str = "1", description: str = "", nullable: bool = False, **extra) -> dict:
    """An integer (counts: unit ``"1"`` and ``description`` says what is counted)."""
    out = {"type": ["integer", "null"] if nullable else "integer", "unit": unit, **extra}
    if description:
        out["description"] = description
    return out


def text(description: str = "", nullable: bool = True) -> dict:
    """A string (null allowed unless ``nullable`` is False)."""
    out: dict[str, Any] = {"type": ["string", "null"] if nullable else "string"}
    if description:
        out["description"] = description
    return out


def boolean(description: str = "") -> dict:
    """True or false."""
    return {"type": "boolean", **({"description": description} if description else {})}


def any_json(description: str) -> dict:
    """Free-form, non-numeric content (names, paths, lists of strings); ``description`` says what."""
    return {"type": ["string", "array", "object", "boolean", "null"], "description": description,
            "not": {"type": "number"}}


def array(items: dict, description: str = "") -> dict:
    """A list of ``items``."""
    return {"type": "array", "items": items, **({"description": description} if description else {})}


def obj(properties: dict, required: tuple | list | None = None, extra: dict | bool = False,
        description: str = "") -> dict:
    """An object with declared ``properties`` (all required unless ``required`` says otherwise).

    Parameters
    ----------
    properties : dict
        Name -> schema.
    required : sequence of str, optional
        Default: every property.
    extra : dict or bool
        Schema of undeclared properties (False forbids them).
    description : str
    """
    out = {"type": "object", "properties": properties,
           "required": list(properties if required is None else required), "additionalProperties": extra}
    if description:
        out["description"] = description
    return out


def mapping(values: dict, description: str = "") -> dict:
    """An object whose keys are data-dependent names (decoders, behaviours) and values ``values``."""
    return {"type": "object", "additionalProperties": values, **({"description": description} if description else {})}


def quantity_field(description: str = "") -> dict:
    """A :class:`~neurodiscovery._utils.quantity.Quantity` object (value with unit, count, interval, test)."""
    return {**_Q_REF, **({"description": description} if description else {})}


def quantity_map(description: str = "key numbers: label -> Quantity object") -> dict:
    """Labels mapped to :class:`~neurodiscovery._utils.quantity.Quantity` objects (``key_numbers``)."""
    return mapping(quantity_field(), description)


def document(name: str, version: int, properties: dict, required: tuple | list | None = None,
             title: str | None = None) -> dict:
    """The JSON Schema (draft 2020-12) of one command's ``metrics.json``.

    Adds the ``schema`` stamp (``{"name", "version"}``) and ``key_numbers`` (Quantity objects)
    that every command writes.

    Parameters
    ----------
    name : str
        Schema name (``neurodiscovery.<command>.metrics``).
    version : int
        Bumped when an existing key changes meaning or disappears.
    properties : dict
        The command's own top-level keys.
    required : sequence of str, optional
        Default: every key of ``properties``.
    title : str, optional

    Notes
    -----
    A ``"__pattern__"`` entry of ``properties`` (``{regex: node}``) becomes ``patternProperties``:
    keys numbered per run, such as ``plane<k>_frequency_hz``.
    """
    properties = dict(properties)
    pattern = properties.pop("__pattern__", None)
    stamp = obj({"name": {"const": name}, "version": {"const": version}})
    props = {"schema": stamp, "key_numbers": quantity_map(), **properties}
    req = ["schema", "key_numbers", *(properties if required is None else required)]
    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": name, "title": title or name,
           "type": "object", "properties": props, "required": req, "additionalProperties": False,
           "$defs": {"quantity": copy.deepcopy(QUANTITY_JSON_SCHEMA)}}
    if pattern:
        doc["patternProperties"] = pattern
    return doc


def _numeric(node: dict) -> bool:
    t = node.get("type")
    types = t if isinstance(t, list) else [t]
    return any(x in ("number", "integer") for x in types)


def _carries_unit(node: dict) -> bool:
    props = node.get("properties", {})
    return "unit" in props and "value" in props


def missing_units(schema: dict) -> list[str]:
    """JSON paths of numeric leaves that declare no ``unit`` (empty when every number has one).

    Parameters
    ----------
    schema : dict
        A JSON Schema; objects with ``value`` and ``unit`` properties (Quantity objects) carry
        the unit in the data itself.

    Returns
    -------
    list of str
    """
    bad: list[str] = []

    def walk(node, path, in_quantity=False):
        if isinstance(node, list):
            for i, n in enumerate(node):
                walk(n, f"{path}[{i}]", in_quantity)
            return
        if not isinstance(node, dict):
            return
        in_q = in_quantity or _carries_unit(node)
        if _numeric(node) and "unit" not in node and not in_quantity:
            bad.append(path or "/")
        for key, child in node.items():
            if key in ("properties", "$defs", "patternProperties"):
                for name, sub in (child or {}).items():
                    walk(sub, f"{path}/{name}", in_q)
            elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf", "prefixItems"):
                walk(child, f"{path}/{key}", in_q)

    walk(schema, "")
    return bad
