"""pyproject.toml holds metadata and tool configuration, no distribution: `pip install .`
says what to do instead."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from devtools.refuse_build import MESSAGE

REPO = Path(__file__).resolve().parents[2]


def test_pip_install_says_what_to_do_instead(tmp_path: Path) -> None:
    # --no-index --no-build-isolation: nothing is fetched (the backend needs nothing anyway).
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index"]
    command += ["--no-build-isolation", "--wheel-dir", str(tmp_path), str(REPO)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert MESSAGE in output
    assert "flat-layout" not in output
    assert list(tmp_path.iterdir()) == []
