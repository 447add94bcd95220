"""A PEP 517 build backend that refuses to build, with a message saying what to do instead.

graph-photos is not a Python distribution: it deploys as an Azure Functions folder (``host.json``,
one folder per function, ``shared/``), and its dependencies are ``requirements*.txt``, which
``scripts/setup`` installs. ``pyproject.toml`` names this backend so that ``pip install .`` says
so, instead of setuptools' "Multiple top-level packages discovered in a flat-layout".
"""

from __future__ import annotations

import sys
from typing import NoReturn

MESSAGE = (
    "graph-photos is not an installable Python package: it runs as an Azure Functions app "
    "folder. Install what it needs with `scripts/setup` (or `pip install -r "
    "requirements-dev.txt`), run it with `scripts/run-local`, deploy it with `azd up`."
)


def _refuse() -> NoReturn:
    print(MESSAGE, file=sys.stderr)
    raise SystemExit(1)


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, object] | None = None,
    metadata_directory: str | None = None,
) -> NoReturn:
    _refuse()


def build_sdist(sdist_directory: str, config_settings: dict[str, object] | None = None) -> NoReturn:
    _refuse()


build_editable = build_wheel  # PEP 660: `pip install -e .`
