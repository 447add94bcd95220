"""checkov's Bicep policies pass on infra/, offline; each skipped policy is justified."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.infra.conftest import CHECKOV_CONFIG, INFRA, run_checkov

# Checks that must run and pass: they guard what the deployment promises (HTTPS only, TLS 1.2,
# no public blobs, no FTP, no CORS for every origin by default). A checkov upgrade that drops
# one should be noticed.
_KEY_CHECKS = {
    "CKV_AZURE_3",  # storage: HTTPS traffic only
    "CKV_AZURE_44",  # storage: TLS 1.2
    "CKV_AZURE_34",  # blob container: no public access
    "CKV_AZURE_70",  # function app: HTTPS only
    "CKV_AZURE_145",  # function app: TLS 1.2
    "CKV_AZURE_78",  # function app: FTP disabled
    "CKV_AZURE_71",  # function app: managed identity
    "CKV_AZURE_57",  # app service: CORS does not allow every origin
    "CKV_AZURE_62",  # function app: CORS does not allow every origin
}


def _failures(report: dict[str, Any]) -> list[str]:
    return [
        f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
        for c in report["results"].get("failed_checks", [])
    ]


def _skipped_in_config() -> list[str]:
    text = CHECKOV_CONFIG.read_text(encoding="utf-8")
    block = text.split("skip-check:", 1)[1]
    return re.findall(r"^\s*-\s*(CKV2?_[A-Z]+_\d+)\s*$", block, flags=re.MULTILINE)


def test_checkov_finds_no_failed_checks(checkov_report: dict[str, Any]) -> None:
    assert _failures(checkov_report) == []
    assert checkov_report["summary"]["parsing_errors"] == 0


def test_checkov_really_scanned_the_templates(checkov_report: dict[str, Any]) -> None:
    # checkov passes silently over a file it cannot parse: make sure the resources were seen.
    passed = checkov_report["results"].get("passed_checks", [])
    scanned = {Path(c["file_path"]).name for c in passed}
    assert {"storage.bicep", "function-app.bicep"} <= scanned
    assert {c["check_id"] for c in passed} >= _KEY_CHECKS
    assert checkov_report["summary"]["resource_count"] >= 15


def test_every_skipped_check_is_justified() -> None:
    lines = CHECKOV_CONFIG.read_text(encoding="utf-8").splitlines()
    skipped = _skipped_in_config()
    assert skipped, "no skip-check list found"
    assert len(skipped) == len(set(skipped)), "a check is skipped twice"
    assert not _KEY_CHECKS & set(skipped)
    for check in skipped:
        index = next(i for i, line in enumerate(lines) if line.strip() == f"- {check}")
        above = lines[:index]
        # The nearest line above that is not another skipped check is its comment.
        comment = next(line for line in reversed(above) if not line.strip().startswith("- CKV"))
        assert comment.strip().startswith("#") and len(comment.strip()) > 10, check


def test_checkov_fails_a_weakened_template(tmp_path: Path) -> None:
    weakenings = {
        "storage.bicep": [
            ("minimumTlsVersion: 'TLS1_2'", "minimumTlsVersion: 'TLS1_0'"),
            ("supportsHttpsTrafficOnly: true", "supportsHttpsTrafficOnly: false"),
            (
                "name: photosContainerName\n  properties: {\n    publicAccess: 'None'",
                "name: photosContainerName\n  properties: {\n    publicAccess: 'Blob'",
            ),
        ],
        "function-app.bicep": [
            ("param corsAllowedOrigins array = []", "param corsAllowedOrigins array = ['*']"),
        ],
    }
    for module, edits in weakenings.items():
        text = (INFRA / "modules" / module).read_text(encoding="utf-8")
        for old, new in edits:
            assert text.count(old) == 1, f"{module}: {old!r} is gone or not unique"
            text = text.replace(old, new)
        (tmp_path / module).write_text(text, encoding="utf-8")
    failed = {
        (c["check_id"], c["resource"].rsplit(".", 1)[-1])
        for c in run_checkov(tmp_path)["results"].get("failed_checks", [])
    }
    assert {
        ("CKV_AZURE_44", "storage"),
        ("CKV_AZURE_3", "storage"),
        ("CKV_AZURE_34", "photosContainer"),
        ("CKV_AZURE_57", "functionApp"),
        ("CKV_AZURE_62", "functionApp"),
    } <= failed
    assert ("CKV_AZURE_34", "deploymentContainer") not in failed  # only the weakened one
