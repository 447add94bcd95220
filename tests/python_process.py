"""Python in a new process, in the repository, for tests of what a fresh interpreter does
(what it imports): nothing an earlier test imported counts there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_python(*arguments: str) -> str:
    """``python ARGUMENTS`` in the repository root; its stdout. Fails the test on a non-zero
    exit, showing stderr."""
    result = subprocess.run(
        [sys.executable, *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
