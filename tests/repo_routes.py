"""The route table the host builds from this repository's host.json and function.json files."""

from __future__ import annotations

from pathlib import Path

from devtools.functions_app import read_function_definition, read_route_prefix
from devtools.routing import Route, RouteTable, RouteTemplate, join_route_prefix

REPO_ROOT = Path(__file__).resolve().parents[1]
FALLBACK = "unmatched_route"
"""The function that takes every request no other function's route takes."""


def repo_route_table() -> RouteTable:
    prefix = read_route_prefix(REPO_ROOT)
    routes = []
    for config in sorted(REPO_ROOT.glob("*/function.json")):
        definition = read_function_definition(config.parent)
        assert definition is not None, f"{config} is disabled"
        template = RouteTemplate.parse(join_route_prefix(prefix, definition.trigger.route))
        routes.append(Route(definition.name, template, definition.trigger.methods))
    return RouteTable(routes)
