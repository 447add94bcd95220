"""pyproject.toml is tool configuration only: `pip install .` says what to do instead."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from devtools.refuse_build import MESSAGE

REPO = Path(__file__).resolve().parents[2]


def test_pyproject_declares_no_distribution() -> None:
    document = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "project" not in document
    assert document["build-system"] == {
        "requires": [],
        "build-backend": "refuse_build",
        "backend-path": ["devtools"],
    }


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
