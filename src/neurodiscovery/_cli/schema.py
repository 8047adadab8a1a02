"""``neurodiscovery schema COMMAND``: the JSON Schema of a command's ``metrics.json``.

The schema is generated from the command's declarations; every numeric leaf carries a ``unit``.
"""
from __future__ import annotations

NAME = "schema"
HELP = "print the JSON Schema of a command's metrics.json (generated from its declarations; every number has a unit)"


def add_arguments(p) -> None:
    p.add_argument("command", help="command whose metrics.json schema to print (e.g. analyze, decode)")


def main(args) -> int:
    import json

    from ..pipeline.command import command_schema

    print(json.dumps(command_schema(args.command), indent=2))
    return 0
