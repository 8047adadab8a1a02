"""Declared parameters: one frozen dataclass per command is the single home of every default.

Each field is declared with :func:`option` (its help text, unit and constraints). From that one
declaration come

* the command-line options (:func:`add_arguments`: flag names, types that check ranges and name
  the flag in a one-line error, ``(default ...)`` in the help text);
* the check a Python user gets when building the dataclass (:func:`check`, called from the
  dataclass' ``__post_init__`` through :class:`Params`);
* the JSON form written to ``config.json`` (:func:`params_to_json`) and the JSON Schema of the
  parameters (:func:`params_schema`).

Nothing here imports a numerical package: the CLI builds its parser from these declarations and
``neurodiscovery --help`` must stay instant.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class P(Params):
...     bin_size_s: float = option(0.05, "bin width", unit="s", low=0, low_open=True, flag="--bin-size")
>>> P(bin_size_s=0.1).bin_size_s
0.1
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import typing
from typing import Any

from .errors import InputError

__all__ = ["Params", "add_arguments", "check", "from_namespace", "option", "params_schema", "params_to_json"]

_MISSING = dataclasses.MISSING


def option(default: Any = _MISSING, help: str = "", *, unit: str | None = None, low: float | None = None,
           high: float | None = None, low_open: bool = False, choices: tuple | None = None,
           flag: str | None = None, positional: bool = False, cli: bool = True, show_default: bool = True,
           metavar: str | None = None, aliases: tuple = (), nargs: str | None = None, repeat: bool = False,
           parse: Any = None, const: Any = None) -> Any:
    """Declare one parameter (a :func:`dataclasses.field` carrying its documentation and constraints).

    Parameters
    ----------
    default : object
        The one default (omit for a required parameter; tuples for sequences).
    help : str
        What the parameter means, as the ``--help`` text shows it.
    unit : str, optional
        Physical unit of a number (``"s"``, ``"Hz"``); ``"1"`` or None for dimensionless.
    low, high : float, optional
        Inclusive bounds (``low`` exclusive when ``low_open``).
    low_open : bool
        ``low`` itself is not allowed (``> low``).
    choices : tuple, optional
        Allowed values (for sequences: allowed items).
    flag : str, optional
        Command-line flag (default ``--`` + the name with ``-`` for ``_``; for a boolean whose
        default is True, the flag that turns it off, e.g. ``"--no-control"``).
    positional : bool
        A positional argument (optional when the default is not missing; a sequence takes any number
        of values, ``nargs="*"``).
    cli : bool
        False keeps the parameter out of the command line (Python users only).
    show_default : bool
        Append ``(default ...)`` to the help text.
    metavar : str, optional
        Name of the value in ``--help``.
    aliases : tuple of str
        Further flags accepted for the same option (e.g. an older name).
    nargs : str, optional
        A sequence given as separate words (``"+"``: ``--voxel-size 50 4 4``) instead of one
        comma-separated word.
    repeat : bool
        A sequence given by repeating the flag (``--param a=1 --param b=2``); its default must be None.
    parse : callable, optional
        ``text -> value`` for the command line (raise ``ValueError`` with the expected form), e.g.
        index ranges ``0-13``; the value is still checked against the declared constraints.
    const : object, optional
        The value of the flag given without one (``--motion`` alone means ``const``).

    Returns
    -------
    dataclasses.Field
    """
    meta = {"help": help, "unit": unit, "low": low, "high": high, "low_open": low_open, "choices": choices,
            "flag": flag, "positional": positional, "cli": cli, "show_default": show_default, "metavar": metavar,
            "aliases": tuple(aliases), "nargs": nargs, "repeat": repeat, "parse": parse,
            "const": const}
    if isinstance(default, list):
        raise TypeError("use a tuple for a sequence default (parameters are frozen)")
    return dataclasses.field(default=default, metadata={"param": meta})


def _meta(f: dataclasses.Field) -> dict:
    return f.metadata.get("param") or {"help": "", "cli": False}


def _hint(cls, name: str):
    """(base type, is_sequence, optional) of a field's annotation."""
    hint = typing.get_type_hints(cls)[name]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    optional = type(None) in typing.get_args(hint)
    if optional and len(args) == 1:
        hint = args[0]
    origin = typing.get_origin(hint)
    if origin in (tuple, list):
        inner = [a for a in typing.get_args(hint) if a is not Ellipsis]
        return (inner[0] if inner else str), True, optional
    return hint, False, optional


def _bounds_text(meta: dict) -> str:
    parts = []
    if meta.get("low") is not None:
        parts.append(f"{'>' if meta.get('low_open') else '>='} {meta['low']:g}")
    if meta.get("high") is not None:
        parts.append(f"<= {meta['high']:g}")
    return " and ".join(parts)


def _check_value(name: str, value, base, meta: dict, flag: str | None = None) -> None:
    """InputError naming the parameter (and its flag) when ``value`` breaks a constraint."""
    who = f"{name}" + (f" ({flag})" if flag else "")
    if value is None:
        return
    if base in (int, float) and not isinstance(value, bool):
        if not isinstance(value, (int, float)) or (base is int and float(value) != int(value)):
            raise InputError(f"{who} must be {'an integer' if base is int else 'a number'}, got {value!r}")
        if not math.isfinite(value):
            raise InputError(f"{who} must be finite, got {value!r}")
        low, high = meta.get("low"), meta.get("high")
        if (low is not None and (value < low or (meta.get("low_open") and value == low))) or \
                (high is not None and value > high):
            raise InputError(f"{who} must be {_bounds_text(meta)}, got {value!r}")
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise InputError(f"{who}: unknown value {value!r}; available: {', '.join(map(str, choices))}")


def check(params) -> None:
    """Check every declared constraint of a parameters dataclass instance.

    Parameters
    ----------
    params : dataclass instance
        Fields declared with :func:`option`.

    Raises
    ------
    InputError
        Naming the parameter, the constraint and the value.
    """
    for f in dataclasses.fields(params):
        meta = _meta(f)
        base, seq, _ = _hint(type(params), f.name)
        value = getattr(params, f.name)
        flag = meta.get("flag")
        if seq and value is not None:
            if isinstance(value, str) or not isinstance(value, (tuple, list)):
                raise InputError(f"{f.name} must be a sequence of {base.__name__}, got {value!r}")
            for v in value:
                _check_value(f.name, v, base, meta, flag)
        else:
            _check_value(f.name, value, base, meta, flag)


class Params:
    """Mixin for frozen parameter dataclasses: checks constraints on construction, gives JSON.

    Subclass it in a ``@dataclass(frozen=True)`` whose fields are declared with :func:`option`;
    a sequence given as a list is stored as a tuple. The class docstring's ``Parameters`` section is
    written from the declarations (help, unit, bounds, default), so each is documented once.
    """

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        lines = []
        for name, hint in cls.__dict__.get("__annotations__", {}).items():
            f = cls.__dict__.get(name)
            meta = f.metadata.get("param") if isinstance(f, dataclasses.Field) else None
            if meta is None:
                continue
            extra = [f"in {meta['unit']}"] if meta.get("unit") not in (None, "1") else []
            if _bounds_text(meta):
                extra.append(_bounds_text(meta))
            if meta.get("choices"):
                extra.append("one of " + ", ".join(map(str, meta["choices"])))
            if f.default is not _MISSING:
                extra.append(f"default {f.default!r}")
            lines += [f"{name} : {hint}", f"    {meta.get('help', '')}" + (f" ({'; '.join(extra)})" if extra else "")]
        if lines:
            cls.__doc__ = (cls.__doc__ or cls.__name__).rstrip() + "\n\n    Parameters\n    ----------\n" + \
                "".join(f"    {line}\n" for line in lines)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))
        check(self)

    def to_json(self) -> dict:
        """Every parameter, JSON-ready (tuples become lists)."""
        return params_to_json(self)

    def replace(self, **changes):
        """A copy with ``changes`` applied (checked again)."""
        return dataclasses.replace(self, **changes)


def params_to_json(params) -> dict:
    """``{name: value}`` of a parameters dataclass, tuples as lists.

    Parameters
    ----------
    params : dataclass instance
    """
    out = {}
    for f in dataclasses.fields(params):
        v = getattr(params, f.name)
        out[f.name] = list(v) if isinstance(v, tuple) else v
    return out


def _argparse_type(base, meta: dict):
    def parse(text: str):
        if base is int:
            try:
                value = int(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        elif base is float:
            try:
                value = float(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
            if not math.isfinite(value):
                raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
        else:
            value = text
        try:
            _check_value("value", value, base, {**meta, "choices": None})
        except InputError:
            raise argparse.ArgumentTypeError(f"must be {_bounds_text(meta)}, got {value}") from None
        return value

    parse.__name__ = getattr(base, "__name__", "value")
    return parse


def _custom_type(parse):
    def convert(text: str):
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = getattr(parse, "__name__", "value")
    return convert


def _flag(f: dataclasses.Field, meta: dict) -> str:
    return meta.get("flag") or "--" + f.name.replace("_", "-")


def _help(f: dataclasses.Field, meta: dict, seq: bool) -> str:
    text = meta.get("help", "")
    if meta.get("unit") not in (None, "1") and f"({meta['unit']})" not in text:
        text += f" ({meta['unit']})"
    if seq and not meta.get("positional"):
        text += "; repeat the flag" if meta.get("repeat") else "" if meta.get("nargs") else "; comma-separated"
    if meta.get("show_default", True) and f.default is not _MISSING and not isinstance(f.default, bool):
        shown = ",".join(map(str, f.default)) if isinstance(f.default, tuple) else f.default
        text += f" (default {shown})" if shown is not None else ""
    return text.replace("%", "%%")


def add_arguments(parser: argparse.ArgumentParser, cls) -> None:
    """Add one option per declared field of ``cls`` (fields with ``cli=False`` are left out).

    Parameters
    ----------
    parser : argparse.ArgumentParser
    cls : type
        A parameters dataclass.
    """
    for f in dataclasses.fields(cls):
        meta = _meta(f)
        if not meta.get("cli", True):
            continue
        base, seq, _ = _hint(cls, f.name)
        kw: dict[str, Any] = {"help": _help(f, meta, seq), "dest": f.name}
        if base is bool:
            parser.add_argument(_flag(f, meta), action="store_false" if f.default else "store_true", **kw)
            continue
        if seq and meta.get("positional"):  # PATH ... : each value is one item
            kw.update(type=_argparse_type(base, meta), nargs="*", default=f.default)
            kw.pop("dest")
            parser.add_argument(f.name, **kw)
            continue
        if meta.get("parse") is not None:
            kw["type"] = _custom_type(meta["parse"])
        elif seq and (meta.get("nargs") or meta.get("repeat")):
            kw["type"] = _argparse_type(base, meta)
            kw.update({"nargs": meta["nargs"]} if meta.get("nargs") else {"action": "append"})
        elif seq:
            item = _argparse_type(base, meta)
            kw["type"] = lambda text, item=item: tuple(item(s.strip()) for s in text.split(",") if s.strip())
        else:
            kw["type"] = _argparse_type(base, meta)
            if meta.get("choices") is not None:
                kw["choices"] = meta["choices"]
            if meta.get("const") is not None:
                kw.update(nargs="?", const=meta["const"])
        if not meta.get("positional") and not meta.get("choices"):
            kw["metavar"] = meta.get("metavar") or _flag(f, meta).lstrip("-").replace("-", "_").upper()
        if meta.get("positional"):
            del kw["dest"]
            if f.default is not _MISSING:
                kw.update(nargs="?", default=f.default)
            parser.add_argument(f.name, **kw)
        else:
            if f.default is _MISSING:
                kw["required"] = True
            else:
                kw["default"] = f.default
            parser.add_argument(_flag(f, meta), *meta.get("aliases", ()), **kw)


def from_namespace(cls, ns: argparse.Namespace):
    """Build ``cls`` from parsed arguments (fields not on the command line keep their default).

    Parameters
    ----------
    cls : type
        A parameters dataclass.
    ns : argparse.Namespace
        From a parser built with :func:`add_arguments`.
    """
    kw = {f.name: getattr(ns, f.name) for f in dataclasses.fields(cls) if hasattr(ns, f.name)}
    return cls(**kw)


_JSON_TYPES = {int: "integer", float: "number", str: "string", bool: "boolean"}


def params_schema(cls) -> dict:
    """JSON Schema of a parameters dataclass (each number carries its ``unit``).

    Parameters
    ----------
    cls : type
        A parameters dataclass.
    """
    props, required = {}, []
    for f in dataclasses.fields(cls):
        meta = _meta(f)
        base, seq, optional = _hint(cls, f.name)
        leaf: dict[str, Any] = {"type": "object" if dataclasses.is_dataclass(base) else _JSON_TYPES.get(base, "string")}
        if base in (int, float):
            leaf["unit"] = meta.get("unit") or "1"
            if meta.get("low") is not None:
                leaf["exclusiveMinimum" if meta.get("low_open") else "minimum"] = meta["low"]
            if meta.get("high") is not None:
                leaf["maximum"] = meta["high"]
        if meta.get("choices") is not None:
            leaf["enum"] = list(meta["choices"])
        node = {"type": "array", "items": leaf} if seq else leaf
        if optional:
            node = {"anyOf": [node, {"type": "null"}]}
        node["description"] = meta.get("help", "")
        props[f.name] = node
        if f.default is _MISSING:
            required.append(f.name)
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}
