"""The dev issuer (python -m devtools.token): files it writes, tokens it prints."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from devtools import token as devtoken
from shared.auth.signing_keys import JwksKeySource
from shared.auth.tokens import Principal, TokenValidator
from shared.config import AuthSettings
from tests.tokens import bearer

REPO = Path(__file__).resolve().parents[2]


def _settings(jwks_path: Path, **overrides: object) -> AuthSettings:
    values: dict[str, object] = {
        "audiences": (devtoken.DEFAULT_AUDIENCE,),
        "issuers": (devtoken.DEFAULT_ISSUER,),
        "jwks_uri": str(jwks_path),
        **overrides,
    }
    return AuthSettings(**values)  # type: ignore[arg-type]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert devtoken.main(list(argv)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 1  # the token and nothing else
    return lines[0]


async def _validate(token: str, settings: AuthSettings) -> Principal:
    keys = JwksKeySource(settings.jwks_uri)
    try:
        return await TokenValidator(settings, keys).validate(bearer(token))
    finally:
        await keys.aclose()


async def test_first_run_creates_the_key_pair_and_prints_a_valid_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "issuer"
    token = _run(capsys, "--dir", str(folder), "--settings", str(tmp_path / "none.json"))
    key_file = folder / devtoken.PRIVATE_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    jwks = json.loads((folder / devtoken.JWKS_FILE).read_text())
    assert "d" not in jwks["keys"][0]  # public only
    assert jwt.get_unverified_header(token)["kid"] == jwks["keys"][0]["kid"]
    principal = await _validate(token, _settings(folder / "jwks.json"))
    assert principal.object_id == devtoken.DEFAULT_OID
    assert principal.upn == "dev@graph-photos.local"
    assert "ProfilePhoto.ReadWrite.All" in principal.scopes


def test_later_runs_reuse_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _run(capsys, "--dir", str(tmp_path))
    pem = (tmp_path / devtoken.PRIVATE_KEY_FILE).read_bytes()
    second = _run(capsys, "--dir", str(tmp_path))
    assert (tmp_path / devtoken.PRIVATE_KEY_FILE).read_bytes() == pem
    assert jwt.get_unverified_header(first)["kid"] == jwt.get_unverified_header(second)["kid"]


def test_default_folder_is_relative_to_the_current_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _run(capsys)
    assert (tmp_path / ".dev-issuer" / "jwks.json").is_file()
    assert (tmp_path / ".dev-issuer" / ".gitignore").read_text().endswith("*\n")


async def test_options_shape_the_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = _run(
        capsys,
        "--dir", str(tmp_path),
        "--oid", "11111111-2222-3333-4444-555555555555",
        "--upn", "patti@graph-photos.local",
        "--scopes", "User.ReadWrite",
        "--tenant", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "--audience", "api://other",
        "--issuer", "http://localhost/other-issuer",
        "--lifetime", "5",
    )  # fmt: skip
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 300
    settings = _settings(
        tmp_path / "jwks.json",
        audiences=("api://other",),
        issuers=("http://localhost/other-issuer",),
        tenant_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    )
    principal = await _validate(token, settings)
    assert principal.object_id == "11111111-2222-3333-4444-555555555555"
    assert principal.upn == "patti@graph-photos.local"
    assert principal.scopes == frozenset({"User.ReadWrite"})


async def test_app_only_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = _run(
        capsys, "--dir", str(tmp_path), "--app-only", "--roles", "User.ReadWrite.All", "X.Y"
    )
    principal = await _validate(token, _settings(tmp_path / "jwks.json"))
    assert principal.app_only
    assert principal.roles == frozenset({"User.ReadWrite.All", "X.Y"})
    assert principal.scopes == frozenset()


def test_defaults_come_from_local_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    values = {
        "AUTH_AUDIENCES": "api://from-settings, api://second",
        "AUTH_ISSUER": "http://localhost/from-settings",
    }
    (tmp_path / "local.settings.json").write_text(json.dumps({"Values": values}))
    monkeypatch.chdir(tmp_path)
    claims = jwt.decode(_run(capsys), options={"verify_signature": False})
    assert claims["aud"] == "api://from-settings"
    assert claims["iss"] == "http://localhost/from-settings"


def test_repository_settings_trust_the_dev_issuer() -> None:
    values = json.loads((REPO / "local.settings.json").read_text())["Values"]
    assert values["AUTH_ISSUER"] == devtoken.DEFAULT_ISSUER
    assert values["AUTH_AUDIENCES"] == devtoken.DEFAULT_AUDIENCE
    assert values["AUTH_JWKS_URI"] == f"{devtoken.DEFAULT_DIR}/{devtoken.JWKS_FILE}"


async def test_concurrent_first_runs_agree_on_one_key(tmp_path: Path) -> None:
    folder = tmp_path / "race"
    command = [sys.executable, "-m", "devtools.token", "--dir", str(folder)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = [
        subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    printed = [run.communicate(timeout=60)[0].strip() for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert sorted(p.name for p in folder.iterdir()) == [
        ".gitignore",
        "jwks.json",
        "private_key.pem",
    ]
    for token in printed:
        assert (await _validate(token, _settings(folder / "jwks.json"))).object_id


def test_help_shows_every_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        devtoken.main(["--help"])
    assert exit_.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())  # unwrapped
    for default in (
        devtoken.DEFAULT_DIR,
        "local.settings.json",
        devtoken.DEFAULT_OID,
        devtoken.DEFAULT_UPN,
        f"'{devtoken.DEFAULT_SCOPES}'",
        devtoken.DEFAULT_APP_OID,
        *devtoken.DEFAULT_ROLES,
        devtoken.DEFAULT_APP_ID,
        f"(default: {devtoken.DEFAULT_LIFETIME_MINUTES})",
        devtoken.DEFAULT_TENANT,
        devtoken.DEFAULT_AUDIENCE,
        devtoken.DEFAULT_ISSUER,
    ):
        assert default in shown
