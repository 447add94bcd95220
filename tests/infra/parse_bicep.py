"""Parse Bicep files with pycep and print the result as JSON (run with .venv-infra/bin/python).

Usage: python parse_bicep.py PATH [PATH ...]

Each PATH is a ``.bicep`` file or a directory searched recursively for them. The output is one
JSON object: ``{"<file path>": {"ok": <pycep's parse result>}}`` or ``{"<file path>": {"error":
"<message>"}}`` for a file pycep rejects. The exit status is 0 even then; the tests judge.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pycep import BicepParser


def _bicep_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        files.extend(sorted(path.rglob("*.bicep")) if path.is_dir() else [path])
    return files


def parse(paths: list[str]) -> dict[str, dict[str, Any]]:
    parser = BicepParser()
    results: dict[str, dict[str, Any]] = {}
    for file in _bicep_files(paths):
        try:
            results[str(file)] = {"ok": parser.parse(file_path=file)}
        except Exception as error:
            results[str(file)] = {"error": f"{type(error).__name__}: {error}"}
    return results


def main(argv: list[str]) -> int:
    if not argv:
        sys.stderr.write(__doc__ or "")
        return 2
    sys.stdout.write(json.dumps(parse(argv), default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
