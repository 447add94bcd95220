"""scripts/: what they say before they do anything (no set-up, no network)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _script(name: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", f"scripts/{name}", *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_run_local_help_names_its_flag_and_every_setting() -> None:
    result = _script("run-local", "--help")
    assert result.returncode == 0
    for name in ("--reset", "PORT", "AZURITE_TABLE_PORT", "AZURITE_BLOB_PORT"):
        assert name in result.stdout
    for name in ("AZURITE_QUEUE_PORT", "AZURITE_LOCATION", "PYTHON", "PHOTOS_STORAGE"):
        assert name in result.stdout
    assert "set -euo" not in result.stdout  # the comment block only


def test_setup_help_installs_nothing() -> None:
    result = _script("setup", "--help")
    assert result.returncode == 0
    assert "--no-infra" in result.stdout
    assert "setup:" not in result.stdout + result.stderr  # no step ran


@pytest.mark.parametrize("name", ["run-local", "setup"])
def test_unknown_argument_is_refused(name: str) -> None:
    result = _script(name, "--no-such-flag")
    assert result.returncode == 2
    assert "unknown argument '--no-such-flag'" in result.stderr
