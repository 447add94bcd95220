"""The local dev issuer: ``python -m devtools.token`` prints an access token, and nothing else.

On first use it creates an RSA key pair in ``.dev-issuer/`` (relative to the current
directory; ``--dir`` to change): ``private_key.pem`` (mode 0600) and the public
``jwks.json`` that ``local.settings.json`` points ``AUTH_JWKS_URI`` at. Issuer, audience and
tenant default to ``local.settings.json``'s ``Values`` when present, so the token passes the
service's real validation path. ``--help`` shows every option, its default and examples.

Never use this key pair, or this tool, outside a developer's machine.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

DEFAULT_DIR = ".dev-issuer"
DEFAULT_ISSUER = "http://localhost/graph-photos-dev-issuer"
DEFAULT_AUDIENCE = "api://graph-photos-dev"
DEFAULT_TENANT = "00000000-0000-4000-8000-00000000d3c0"
DEFAULT_OID = "6b3e1a52-7d0c-4f1e-9a8b-2c4d6e8f0a1b"
DEFAULT_UPN = "dev@graph-photos.local"
DEFAULT_APP_ID = "3f2a9c4e-1b7d-4e6a-8c5f-0d9e8b7a6c51"
DEFAULT_APP_OID = "8d1c4b7e-2a6f-4c3d-9e0b-5f7a1c3e9d24"
DEFAULT_SCOPES = "User.ReadWrite ProfilePhoto.ReadWrite.All"
DEFAULT_ROLES = ("ProfilePhoto.ReadWrite.All",)
DEFAULT_LIFETIME_MINUTES = 60

PRIVATE_KEY_FILE = "private_key.pem"
JWKS_FILE = "jwks.json"


@dataclass(frozen=True)
class DevIssuer:
    """The dev issuer's signing key, its ``kid`` and where its public JWKS is."""

    private_key: rsa.RSAPrivateKey = field(repr=False)
    kid: str
    jwks_path: Path


def _thumbprint(public_jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256) of an RSA public key: a stable ``kid``."""
    canonical = json.dumps(
        {"e": public_jwk["e"], "kty": "RSA", "n": public_jwk["n"]}, separators=(",", ":")
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _write_new(
    directory: Path, name: str, data: bytes, *, replace: bool, mode: int = 0o600
) -> None:
    """Write ``data`` to ``directory/name`` atomically (temp file, then link or rename).

    With ``replace=False`` an existing file wins: two first runs racing end with one key.
    """
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, mode)
        if replace:
            os.replace(temp, directory / name)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(temp, directory / name)  # fails if another run got there first
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def ensure_dev_issuer(directory: Path) -> DevIssuer:
    """Load the dev issuer's key from ``directory``, creating the key pair on first use."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_path = directory / PRIVATE_KEY_FILE
    if not key_path.exists():
        new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = new_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_new(directory, PRIVATE_KEY_FILE, pem, replace=False)
        gitignore = directory / ".gitignore"
        if not gitignore.exists():
            ignore_all = b"# the dev issuer's private key: never commit\n*\n"
            _write_new(directory, ".gitignore", ignore_all, replace=False, mode=0o644)
    loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise SystemExit(f"{key_path} is not an RSA private key; delete {directory} to start over")

    public_jwk = RSAAlgorithm.to_jwk(loaded.public_key(), as_dict=True)
    kid = _thumbprint(public_jwk)
    document = {"keys": [{**public_jwk, "kid": kid, "use": "sig", "alg": "RS256"}]}
    jwks_bytes = (json.dumps(document, indent=2) + "\n").encode()
    jwks_path = directory / JWKS_FILE
    if not jwks_path.exists() or jwks_path.read_bytes() != jwks_bytes:
        _write_new(directory, JWKS_FILE, jwks_bytes, replace=True, mode=0o644)
    return DevIssuer(private_key=loaded, kid=kid, jwks_path=jwks_path)


@dataclass(frozen=True)
class TokenRequest:
    """What the token says: who, with which permissions, for whom, for how long."""

    issuer: str = DEFAULT_ISSUER
    audience: str = DEFAULT_AUDIENCE
    tenant: str = DEFAULT_TENANT
    oid: str = DEFAULT_OID
    upn: str = DEFAULT_UPN
    scopes: str = DEFAULT_SCOPES
    app_only: bool = False
    roles: tuple[str, ...] = DEFAULT_ROLES
    app_id: str = DEFAULT_APP_ID
    lifetime_minutes: float = DEFAULT_LIFETIME_MINUTES


def claims_for(request: TokenRequest, *, now: float | None = None) -> dict[str, Any]:
    """Entra v2-shaped access-token claims for ``request``."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "aud": request.audience,
        "iss": request.issuer,
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(request.lifetime_minutes * 60),
        "tid": request.tenant,
        "azp": request.app_id,
        "ver": "2.0",
        "uti": uuid.uuid4().hex,
    }
    if request.app_only:
        claims.update(oid=DEFAULT_APP_OID, sub=DEFAULT_APP_OID, idtyp="app")
        claims["roles"] = list(request.roles)
    else:
        claims.update(oid=request.oid, sub=request.oid, idtyp="user", scp=request.scopes)
        claims.update(preferred_username=request.upn, upn=request.upn, name=request.upn)
    return claims


def mint(issuer: DevIssuer, request: TokenRequest) -> str:
    """A signed RS256 access token for ``request``."""
    return jwt.encode(
        claims_for(request),
        issuer.private_key,
        algorithm="RS256",
        headers={"kid": issuer.kid, "typ": "JWT"},
    )


def _settings_values(path: Path) -> dict[str, str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        print(f"devtools.token: ignoring {path}: {error}", file=sys.stderr)
        return {}
    values = document.get("Values") if isinstance(document, dict) else None
    if not isinstance(values, dict):
        return {}
    return {k: v for k, v in values.items() if isinstance(k, str) and isinstance(v, str)}


_EXAMPLES = """\
examples:
  TOKEN=$(python -m devtools.token)
  TOKEN=$(python -m devtools.token --upn someone@graph-photos.local --scopes User.ReadWrite)
  TOKEN=$(python -m devtools.token --app-only --roles ProfilePhoto.ReadWrite.All)
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.token",
        description="Print an access token from the local dev issuer (and nothing else).",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(DEFAULT_DIR),
        help="key folder, made on first use (default: %(default)s, in the current directory)",
    )
    parser.add_argument(
        "--settings",
        type=Path,
        default=Path("local.settings.json"),
        help="read issuer/audience/tenant defaults from this file's Values (default: %(default)s)",
    )
    parser.add_argument(
        "--oid", default=DEFAULT_OID, help="the user's object id (default: %(default)s)"
    )
    parser.add_argument("--upn", default=DEFAULT_UPN, help="the user's UPN (default: %(default)s)")
    parser.add_argument(
        "--scopes",
        default=DEFAULT_SCOPES,
        help="delegated scopes, space-separated (default: '%(default)s')",
    )
    parser.add_argument(
        "--app-only",
        action="store_true",
        help=f"an app-only token: roles, no user; its oid is {DEFAULT_APP_OID} "
        "(default: a delegated token for --oid/--upn)",
    )
    parser.add_argument(
        "--roles",
        nargs="*",
        default=list(DEFAULT_ROLES),
        help=f"app roles, with --app-only (default: {' '.join(DEFAULT_ROLES)})",
    )
    parser.add_argument(
        "--app-id",
        default=DEFAULT_APP_ID,
        help="the client application id, azp (default: %(default)s)",
    )
    parser.add_argument(
        "--lifetime",
        type=float,
        default=DEFAULT_LIFETIME_MINUTES,
        help="minutes (default: %(default)s)",
    )
    parser.add_argument(
        "--tenant",
        help=f"tid (default: AUTH_TENANT_ID from --settings, else {DEFAULT_TENANT})",
    )
    parser.add_argument(
        "--audience",
        help=f"aud (default: the first of AUTH_AUDIENCES from --settings, else {DEFAULT_AUDIENCE})",
    )
    parser.add_argument(
        "--issuer", help=f"iss (default: AUTH_ISSUER from --settings, else {DEFAULT_ISSUER})"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    values = _settings_values(args.settings)
    audiences = [a.strip() for a in values.get("AUTH_AUDIENCES", "").split(",") if a.strip()]
    request = TokenRequest(
        issuer=args.issuer or values.get("AUTH_ISSUER") or DEFAULT_ISSUER,
        audience=args.audience or (audiences[0] if audiences else DEFAULT_AUDIENCE),
        tenant=args.tenant or values.get("AUTH_TENANT_ID") or DEFAULT_TENANT,
        oid=args.oid,
        upn=args.upn,
        scopes=args.scopes,
        app_only=args.app_only,
        roles=tuple(args.roles),
        app_id=args.app_id,
        lifetime_minutes=args.lifetime,
    )
    print(mint(ensure_dev_issuer(args.dir), request))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
