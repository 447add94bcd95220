"""What a new process has imported once it has loaded a function folder (and, with
``--handlers``, built the production handlers, as the first request does).

    python -m tests.unit.start_up_modules add_photo [--handlers]

Prints the names in ``sys.modules``, one a line. Run in a new process by
``tests/unit/test_start_up_imports.py``, so nothing another test imported counts.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys

from shared.app import build_handlers
from shared.config import load_settings

_SETTINGS = {"AUTH_AUDIENCES": "api://x", "AUTH_ISSUER": "https://i", "AUTH_JWKS_URI": "k.json"}
"""Enough for the handlers; storage defaults to the development connection string."""


async def _build_and_close_handlers() -> None:
    handlers = build_handlers(load_settings(_SETTINGS))
    await handlers.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("function")
    parser.add_argument("--handlers", action="store_true")
    args = parser.parse_args()
    importlib.import_module(args.function)
    if args.handlers:
        asyncio.run(_build_and_close_handlers())
    sys.stdout.write("\n".join(sorted(sys.modules)) + "\n")


if __name__ == "__main__":
    main()
