"""Real RS256 access tokens from throw-away keys, named for the case they test.

Keys are RSA 2048, generated once per test session (generation is slow) and never written
to disk. ``build_access_token()`` makes a valid delegated Entra v2 token for ``TENANT_ID``
and ``AUDIENCE``; the other builders are that token with one thing wrong. ``JwksServer``
serves a JWK Set over real HTTP on loopback, counting requests, switchable down and
rotatable; ``FakeClock`` drives the key cache's refresh and throttle windows.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import socket
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from types import TracebackType
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.config import AuthSettings

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
ISSUER_V2 = f"https://login.microsoftonline.com/{TENANT_ID}/v2.0"
ISSUER_V1 = f"https://sts.windows.net/{TENANT_ID}/"
AUDIENCE = "api://graph-photos-test"
CLIENT_ID_AUDIENCE = "6e74172b-be56-4843-9ff4-e66a39bb12e3"
CUSTOM_ISSUER = "http://localhost/graph-photos-test-issuer"

USER_OID = "a6f1bd1e-5c2b-4c47-9d0f-2a4f3f0a9e11"
USER_UPN = "AdeleV@contoso.example"
APP_ID = "0d9d7c4a-2b8e-4a44-8f6e-7f1c9a3b5d20"
APP_OID = "5b0e3f7c-1e0a-4a1d-b0b2-6f7b1c2d3e4f"

DELEGATED_SCOPES = "User.ReadWrite ProfilePhoto.ReadWrite.All"

MINTED: list[str] = []
"""Every token this module made, so ``tests.leaks`` can look for them in logs."""


def _minted(token: str) -> str:
    MINTED.append(token)
    return token


APP_ROLES = ("ProfilePhoto.ReadWrite.All",)


@dataclass(frozen=True)
class TestKey:
    """A throw-away RSA signing key and its ``kid``."""

    __test__ = False  # not a pytest test class

    kid: str
    private_key: rsa.RSAPrivateKey = field(repr=False)

    def public_jwk(self, **extra: Any) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", **extra}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@cache
def _rsa_key(name: str) -> rsa.RSAPrivateKey:
    del name  # one key per name, generated once per session
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def signing_key() -> TestKey:
    """The issuer's current key: published in the JWKS."""
    return TestKey("test-key-1", _rsa_key("signing"))


def rotated_key() -> TestKey:
    """The issuer's next key: published only after a rotation."""
    return TestKey("test-key-2", _rsa_key("rotated"))


def evil_key() -> TestKey:
    """An attacker's key, never published."""
    return TestKey(signing_key().kid, _rsa_key("evil"))


def jwks(*keys: TestKey) -> dict[str, Any]:
    """A JWK Set publishing ``keys`` (default: the signing key)."""
    return {"keys": [key.public_jwk() for key in (keys or (signing_key(),))]}


def tenant_settings(*, clock_skew_seconds: int = 300) -> AuthSettings:
    """Entra tenant mode: v1 and v2 issuers of ``TENANT_ID``, ``AUDIENCE`` and the client id."""
    return AuthSettings(
        audiences=(AUDIENCE, CLIENT_ID_AUDIENCE),
        issuers=(ISSUER_V2, ISSUER_V1),
        jwks_uri=f"https://login.microsoftonline.com/{TENANT_ID}/discovery/v2.0/keys",
        tenant_id=TENANT_ID,
        clock_skew_seconds=clock_skew_seconds,
    )


def issuer_settings(jwks_uri: str = "jwks.json") -> AuthSettings:
    """Custom issuer mode: ``CUSTOM_ISSUER`` and ``AUDIENCE``, no tenant."""
    return AuthSettings(audiences=(AUDIENCE,), issuers=(CUSTOM_ISSUER,), jwks_uri=jwks_uri)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def delegated_claims(**overrides: Any) -> dict[str, Any]:
    """Claims of a valid delegated v2 token; an override of ``None`` removes the claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "aud": AUDIENCE,
        "iss": ISSUER_V2,
        "iat": now - 60,
        "nbf": now - 60,
        "exp": now + 3600,
        "tid": TENANT_ID,
        "oid": USER_OID,
        "sub": "s8Vq0V0aQ1Y5d3R0x6f2m1k9p4b7n3c8",
        "preferred_username": USER_UPN,
        "name": "Adele Vance",
        "scp": DELEGATED_SCOPES,
        "azp": APP_ID,
        "azpacr": "1",
        "ver": "2.0",
        "uti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def app_only_claims(**overrides: Any) -> dict[str, Any]:
    """Claims of a valid app-only (client credentials) v2 token."""
    base = delegated_claims(
        scp=None,
        preferred_username=None,
        name=None,
        oid=APP_OID,
        sub=APP_OID,
        roles=list(APP_ROLES),
        idtyp="app",
    )
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def encode(
    claims: dict[str, Any],
    *,
    key: TestKey | None = None,
    kid: str | None = None,
    headers: dict[str, Any] | None = None,
) -> str:
    """Sign ``claims`` with RS256 (``key`` default: the signing key; ``kid`` default: key's)."""
    key = key or signing_key()
    header = {"kid": kid or key.kid, "typ": "JWT", **(headers or {})}
    return _minted(jwt.encode(claims, key.private_key, algorithm="RS256", headers=header))


def build_access_token(*, key: TestKey | None = None, kid: str | None = None, **claims: Any) -> str:
    """A valid delegated token (claims overridable; ``None`` removes one)."""
    return encode(delegated_claims(**claims), key=key, kid=kid)


def build_app_only_token(*, roles: tuple[str, ...] = APP_ROLES, **claims: Any) -> str:
    """A valid app-only token with ``roles``."""
    return encode(app_only_claims(roles=list(roles), **claims))


def build_v1_access_token(**claims: Any) -> str:
    """A valid delegated token in Entra's v1 form (sts.windows.net issuer, upn, appid)."""
    v1 = {
        "iss": ISSUER_V1,
        "ver": "1.0",
        "upn": USER_UPN,
        "preferred_username": None,
        "azp": None,
        "appid": APP_ID,
        **claims,
    }
    return build_access_token(**v1)


def build_access_token_expired(seconds_ago: int = 3600) -> str:
    """Expired ``seconds_ago`` (default well beyond the 300 s leeway)."""
    now = int(time.time())
    return build_access_token(
        iat=now - seconds_ago - 3600, nbf=now - seconds_ago - 3600, exp=now - seconds_ago
    )


def build_access_token_not_yet_valid(seconds_ahead: int = 3600) -> str:
    """``nbf`` ``seconds_ahead`` in the future."""
    return build_access_token(nbf=int(time.time()) + seconds_ahead)


def build_wrong_audience_token() -> str:
    return build_access_token(aud="api://someone-else")


def build_wrong_issuer_token() -> str:
    return build_access_token(iss="https://login.microsoftonline.com/common/v2.0")


def build_wrong_tenant_token() -> str:
    """Right issuer, wrong ``tid`` (the issuer check alone would not see it)."""
    return build_access_token(tid=OTHER_TENANT_ID)


def build_evil_access_token() -> str:
    """The published ``kid``, signed with the attacker's key."""
    return build_access_token(key=evil_key(), kid=signing_key().kid)


def build_random_kid_token() -> str:
    """Signed with the attacker's key under a ``kid`` nobody has published."""
    return build_access_token(key=evil_key(), kid=f"random-{uuid.uuid4().hex}")


def build_rotated_key_token() -> str:
    """Signed with the rotated key (valid once the JWKS publishes it)."""
    return build_access_token(key=rotated_key())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def build_alg_none_token() -> str:
    """Unsigned (``alg: none``), otherwise valid claims."""
    header = {"alg": "none", "typ": "JWT", "kid": signing_key().kid}
    return _minted(f"{_segment(header)}.{_segment(delegated_claims())}.")


def build_hs256_public_key_token() -> str:
    """HS256 "signed" with the issuer's public key PEM as the HMAC secret (key confusion)."""
    header = {"alg": "HS256", "typ": "JWT", "kid": signing_key().kid}
    signing_input = f"{_segment(header)}.{_segment(delegated_claims())}"
    mac = hmac.new(signing_key().public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return _minted(f"{signing_input}.{_b64(mac)}")


def build_tampered_token() -> str:
    """A valid token whose payload was edited (more scopes, another user) after signing."""
    header, _payload, signature = build_access_token().split(".")
    forged = _segment(delegated_claims(oid=str(uuid.uuid4()), scp="User.ReadWrite.All"))
    return _minted(f"{header}.{forged}.{signature}")


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class JwksServer:
    """A JWK Set over real HTTP on 127.0.0.1 (an ephemeral port), in the running loop.

    ``requests`` counts the requests served; ``down`` answers 503; ``delay`` stalls
    responses; ``document`` is what is served (assign to rotate keys).
    """

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        self.document: Any = document if document is not None else jwks()
        self.requests = 0
        self.down = False
        self.delay = 0.0
        self.raw_body: bytes | None = None
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self.url = ""

    async def _serve(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.delay:
            with contextlib.suppress(TimeoutError):  # stop() cuts a stalled response short
                await asyncio.wait_for(self._stopping.wait(), self.delay)
        if self.down:
            return web.Response(status=503, text="down")
        if self.raw_body is not None:
            return web.Response(body=self.raw_body, content_type="application/json")
        return web.json_response(self.document)

    def rotate(self, *keys: TestKey) -> None:
        self.document = jwks(*keys)

    async def start(self) -> JwksServer:
        app = web.Application()
        app.router.add_get("/discovery/v2.0/keys", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        site = web.SockSite(self._runner, sock)
        await site.start()
        port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/discovery/v2.0/keys"
        return self

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> JwksServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
