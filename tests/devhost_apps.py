"""Throw-away Functions apps for dev host tests: function.json and file writers."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any


def http_function(route: str | None = None, methods: list[str] | None = None) -> str:
    """An anonymous HTTP-triggered function.json (``req`` in, ``$return`` out)."""
    trigger: dict[str, Any] = {"type": "httpTrigger", "direction": "in", "name": "req"}
    trigger["authLevel"] = "anonymous"
    if route is not None:
        trigger["route"] = route
    if methods is not None:
        trigger["methods"] = methods
    out = {"type": "http", "direction": "out", "name": "$return"}
    return json.dumps({"scriptFile": "__init__.py", "bindings": [trigger, out]})


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def write_host_json(root: Path, route_prefix: str = "testapi") -> None:
    host = {"version": "2.0", "extensions": {"http": {"routePrefix": route_prefix}}}
    write(root / "host.json", json.dumps(host))
