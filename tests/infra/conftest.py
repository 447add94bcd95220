"""Shared set-up for the infrastructure tests: the separate tool venv and its subprocesses.

checkov and pycep-parser live in ``.venv-infra`` (requirements-infra.txt), not in ``.venv``:
their dependency tree must not move the app's pins. These tests run under the main pytest and
call the infra venv's tools by subprocess, offline, each under a time limit.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
INFRA_VENV = REPO / ".venv-infra"
REQUIREMENTS = REPO / "requirements-infra.txt"
CHECKOV_CONFIG = REPO / ".checkov.yaml"
PARSE_SCRIPT = Path(__file__).with_name("parse_bicep.py")

SUBPROCESS_TIMEOUT_SECONDS = 300
_SETUP_HINT = (
    "create it with: python3 -m venv .venv-infra && "
    ".venv-infra/bin/pip install -r requirements-infra.txt (scripts/setup does this)"
)

# checkov calls home unless told not to: the Prisma/Bridgecrew guideline mapping, policy
# downloads, PyPI's latest version (at import time). None of that may happen in a test.
_OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "CKV_PARSE_ERROR_FAIL": "true",
}
_PLATFORM_CREDENTIALS = ("BC_API_KEY", "PRISMA_API_URL", "BC_API_URL")


def infra_tool(name: str) -> Path:
    """The path of a tool in .venv-infra; fails the test (never skips) when it is not installed."""
    tool = INFRA_VENV / "bin" / name
    if not tool.exists():
        pytest.fail(f"{tool.relative_to(REPO)} is missing: {_SETUP_HINT}", pytrace=False)
    _check_pins()
    return tool


@cache
def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", line)
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


@cache
def _installed_versions() -> dict[str, str]:
    wanted = ("checkov", "pycep-parser")
    code = (
        "import json, sys, importlib.metadata as m; "
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    result = run([str(INFRA_VENV / "bin" / "python"), "-c", code, *wanted], timeout=60)
    if result.returncode != 0:
        pytest.fail(
            f".venv-infra is broken ({result.stderr.strip()}): {_SETUP_HINT}", pytrace=False
        )
    versions: dict[str, str] = json.loads(result.stdout)
    return versions


def _check_pins() -> None:
    pins = _pins()
    for name, version in _installed_versions().items():
        if pins.get(name) != version:
            pytest.fail(
                f".venv-infra has {name} {version}, requirements-infra.txt pins "
                f"{pins.get(name)}: {_SETUP_HINT}",
                pytrace=False,
            )


@cache
def _no_network_prefix() -> tuple[str, ...]:
    """``unshare -n`` where this machine allows it (root on Linux): the tool then has no network
    at all, so a call home fails at once instead of hanging. Elsewhere, the env switches above."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    try:
        probe = subprocess.run(
            [unshare, "-n", "true"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return (unshare, "-n") if probe.returncode == 0 else ()


def run(
    args: Sequence[str],
    *,
    timeout: float = SUBPROCESS_TIMEOUT_SECONDS,
    extra_env: Mapping[str, str] | None = None,
    offline: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository root with a time limit; a hang fails the test."""
    env = {k: v for k, v in os.environ.items() if k not in _PLATFORM_CREDENTIALS}
    env.update(_OFFLINE_ENV)
    env.update(extra_env or {})
    command = [*(_no_network_prefix() if offline else ()), *args]
    try:
        return subprocess.run(
            command,
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"{' '.join(command)} did not finish in {timeout:.0f} s "
            "(is it trying to reach the network?)",
            pytrace=False,
        )


def parse_bicep(*paths: Path) -> dict[str, dict[str, Any]]:
    """pycep's parse of every .bicep file under ``paths``, keyed by file path."""
    python = infra_tool("python")
    result = run([str(python), str(PARSE_SCRIPT), *map(str, paths)], offline=True)
    if result.returncode != 0:
        pytest.fail(f"parse_bicep.py failed:\n{result.stderr}", pytrace=False)
    parsed: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return parsed


def run_checkov(directory: Path) -> dict[str, Any]:
    """checkov's Bicep report for ``directory``, with the repository's .checkov.yaml.

    Not ``--quiet``: the passed checks show that each file was really scanned (checkov passes
    silently over a file it cannot parse)."""
    checkov = infra_tool("checkov")
    result = run(
        [
            str(checkov),
            "--config-file",
            str(CHECKOV_CONFIG),
            "--directory",
            str(directory),
            "--framework",
            "bicep",
            "--skip-download",
            "--compact",
            "--output",
            "json",
        ],
        offline=True,
    )
    if result.returncode not in (0, 1):  # 1: some check failed; anything else: checkov broke
        pytest.fail(f"checkov exited {result.returncode}:\n{result.stderr[-4000:]}", pytrace=False)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov printed no JSON report:\n{result.stdout[-2000:]}", pytrace=False)
    if isinstance(report, list):  # one report per framework; only bicep runs here
        (report,) = [r for r in report if r.get("check_type") == "bicep"]
    if "results" not in report:
        pytest.fail(f"checkov found nothing to scan in {directory}: {report}", pytrace=False)
    bicep_report: dict[str, Any] = report
    return bicep_report


@pytest.fixture(scope="session")
def bicep() -> dict[str, dict[str, Any]]:
    """pycep's parse of each .bicep file under infra/, keyed by its path relative to infra/."""
    parsed = parse_bicep(INFRA)
    return {str(Path(path).relative_to(INFRA)): result for path, result in parsed.items()}


@pytest.fixture(scope="session")
def checkov_report() -> dict[str, Any]:
    return run_checkov(INFRA)
