"""Declared ``metrics.json`` schemas of the commands not yet on the :mod:`~.command` protocol."""
from __future__ import annotations

LEGACY_SCHEMAS: dict = {}
