"""The declared, versioned layout of ``analyze``'s ``metrics.json``.

The JSON Schema ships in the package (``pipeline/schemas/analyze_metrics.schema.json``); every
``metrics.json`` names it (``{"schema": {"name": ..., "version": ...}}``) and ``config.json``
records the version. A changed or removed key bumps :data:`METRICS_SCHEMA_VERSION`.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

__all__ = ["METRICS_SCHEMA_NAME", "METRICS_SCHEMA_VERSION", "metrics_schema", "schema_stamp"]

METRICS_SCHEMA_NAME = "neurodiscovery.analyze.metrics"
METRICS_SCHEMA_VERSION = 3


@lru_cache(maxsize=1)
def metrics_schema() -> dict:
    """The JSON Schema (draft 2020-12) of ``metrics.json``, read from the package."""
    text = resources.files(__package__).joinpath("schemas", "analyze_metrics.schema.json").read_text("utf-8")
    return json.loads(text)


def schema_stamp() -> dict:
    """``{"name": ..., "version": ...}``, written into every ``metrics.json``."""
    return {"name": METRICS_SCHEMA_NAME, "version": METRICS_SCHEMA_VERSION}
