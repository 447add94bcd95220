"""Writes every function folder (``function.json`` + ``__init__.py`` glue) from the route table.

    python -m devtools.functions           write what is out of date
    python -m devtools.functions --check   exit 1 if anything is out of date; write nothing

One folder per ``shared.routes.ROUTES`` row, plus the fallback (``{*path}``, every method).
Each ``main`` is the same two lines: hand the request to ``shared.app.photo_app.serve`` with the
function's name. The host tries routes in order of function names, so the fallback must sort
after every other function: the generator refuses a table where it would not, and a function
folder the table does not know is reported as stale.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from devtools.generated_files import generator_main
from shared.routes import FALLBACK_FUNCTION, FALLBACK_MAX_BODY_BYTES, ROUTES, Route

ROOT: Final = Path(__file__).resolve().parents[1]

_GLUE = '''"""{summary}

Generated from shared/routes.py by `python -m devtools.functions`; do not edit.
"""

import azure.functions as func

from shared.app import photo_app

max_request_body_bytes = {limit}
"""The dev host refuses a larger declared body unread (the app answers 413 as well)."""

on_host_shutdown = photo_app.aclose
"""The dev host awaits this once when it stops: the app's sessions are closed."""


async def main(req: func.HttpRequest) -> func.HttpResponse:
    return await photo_app.serve("{function}", req)
'''


def _function_json(route: str, methods: Sequence[str] | None) -> str:
    trigger: dict[str, object] = {
        "type": "httpTrigger",
        "direction": "in",
        "name": "req",
        "authLevel": "anonymous",
    }
    if methods is not None:
        trigger["methods"] = [method.lower() for method in methods]
    trigger["route"] = route
    document = {
        "scriptFile": "__init__.py",
        "entryPoint": "main",
        "bindings": [trigger, {"type": "http", "direction": "out", "name": "$return"}],
    }
    return json.dumps(document, indent=2) + "\n"


def _summary(route: Route) -> str:
    methods = ", ".join(route.methods)
    paths = ", ".join(f"/{template}" for template in route.templates)
    return f"{methods} {paths}: glue to shared.app."


def expected_files() -> dict[Path, str]:
    """Every generated file and its text."""
    if any(route.function >= FALLBACK_FUNCTION for route in ROUTES):
        raise ValueError(
            f"every function name must sort before {FALLBACK_FUNCTION!r}: the host tries "
            "routes in order of function names and the fallback takes everything"
        )
    files: dict[Path, str] = {}
    for route in ROUTES:
        folder = ROOT / route.function
        files[folder / "function.json"] = _function_json(route.host_route(), route.methods)
        files[folder / "__init__.py"] = _GLUE.format(
            summary=_summary(route), function=route.function, limit=route.max_body_bytes
        )
    fallback = ROOT / FALLBACK_FUNCTION
    files[fallback / "function.json"] = _function_json("{*path}", None)
    files[fallback / "__init__.py"] = _GLUE.format(
        summary="Any method, any path no other function takes: Graph's 404 / 405; glue to "
        "shared.app.",
        function=FALLBACK_FUNCTION,
        limit=FALLBACK_MAX_BODY_BYTES,
    )
    return files


def stale_folders(expected: Mapping[Path, str]) -> list[Path]:
    """Function folders on disk that the route table does not know."""
    known = {path.parent for path in expected}
    return sorted(path.parent for path in ROOT.glob("*/function.json") if path.parent not in known)


def _stale_messages(expected: Mapping[Path, str]) -> list[str]:
    return [
        f"{folder.name}/ is a function the route table does not know: remove it"
        for folder in stale_folders(expected)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    return generator_main(
        argv,
        prog="python -m devtools.functions",
        description=__doc__,
        root=ROOT,
        expected=expected_files,
        stale=_stale_messages,
    )


if __name__ == "__main__":
    sys.exit(main())
