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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from types import TracebackType
from typing import Any

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm

from shared.auth.compact_jws import MAX_TOKEN_LENGTH
from shared.config import AuthSettings

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
AUTHORIZATION_URI = f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/authorize"
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


def retired_key() -> TestKey:
    """A key the issuer published once and then removed from its JWKS."""
    return TestKey("test-key-0", _rsa_key("retired"))


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
        authorization_uri=AUTHORIZATION_URI,
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


UNUSED_LOOPBACK_URL = "http://127.0.0.1:9/attacker/keys"
"""Where the embedded-key builders point by default (nothing listens on the discard port)."""


def sign_raw(header: bytes, payload: bytes, *, key: TestKey | None = None) -> str:
    """A compact JWS of the raw JSON ``header`` and ``payload`` bytes, RS256-signed as given.

    For tokens PyJWT would not write (duplicate keys, strings for NumericDates, NaN).
    """
    key = key or signing_key()
    signing_input = f"{_b64(header)}.{_b64(payload)}"
    signature = key.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _rs256_header(**extra: Any) -> dict[str, Any]:
    return {"alg": "RS256", "typ": "JWT", "kid": signing_key().kid, **extra}


def delegated_claims_json(**raw_values: str) -> bytes:
    """Valid delegated claims as JSON, each of ``raw_values`` put in verbatim (``"true"``)."""
    claims = _json(delegated_claims(**dict.fromkeys(raw_values, 0)))
    for name, raw in raw_values.items():
        claims = claims.replace(f'"{name}":0'.encode(), f'"{name}":{raw}'.encode())
    return claims


def _claims_with(name: str, raw_value: str) -> bytes:
    return delegated_claims_json(**{name: raw_value})


def _with_header(**extra: Any) -> str:
    """A validly signed token whose header also carries ``extra``."""
    return sign_raw(_json(_rs256_header(**extra)), _json(delegated_claims()))


def build_other_tenant_token() -> str:
    """Another tenant's own token: its issuer and its ``tid`` (tenant mode refuses both)."""
    return build_access_token(
        iss=f"https://login.microsoftonline.com/{OTHER_TENANT_ID}/v2.0", tid=OTHER_TENANT_ID
    )


def build_hs256_public_jwk_token() -> str:
    """HS256 "signed" with the issuer's published JWK (JSON bytes) as the HMAC secret."""
    header = {"alg": "HS256", "typ": "JWT", "kid": signing_key().kid}
    signing_input = f"{_segment(header)}.{_segment(delegated_claims())}"
    secret = json.dumps(signing_key().public_jwk()).encode()
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _other_algorithm(algorithm: str, private_key: Any) -> str:
    headers = {"kid": signing_key().kid}
    return jwt.encode(delegated_claims(), private_key, algorithm=algorithm, headers=headers)


def build_rs384_token() -> str:
    """Signed by the real key, but RS384 (only RS256 is allowed)."""
    return _other_algorithm("RS384", signing_key().private_key)


def build_ps256_token() -> str:
    """Signed by the real key, but RSASSA-PSS (PS256)."""
    return _other_algorithm("PS256", signing_key().private_key)


@cache
def _ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def build_es256_token() -> str:
    """ES256 with an attacker's P-256 key under the published ``kid``."""
    return _other_algorithm("ES256", _ec_key())


def _attacker_jwks_header(name: str, url: str) -> str:
    """Signed by the attacker, under the published kid, pointing at the attacker's keys."""
    header = _rs256_header(**{name: url})
    return sign_raw(_json(header), _json(delegated_claims()), key=evil_key())


def build_jku_header_token(url: str = UNUSED_LOOPBACK_URL) -> str:
    """``jku``: "fetch my keys from ``url``" (must never be fetched)."""
    return _attacker_jwks_header("jku", url)


def build_x5u_header_token(url: str = UNUSED_LOOPBACK_URL) -> str:
    """``x5u``: "fetch my certificate from ``url``" (must never be fetched)."""
    return _attacker_jwks_header("x5u", url)


def build_embedded_jwk_token() -> str:
    """``jwk``: the attacker's public key embedded in the header, signed with it."""
    header = _rs256_header(jwk=evil_key().public_jwk())
    return sign_raw(_json(header), _json(delegated_claims()), key=evil_key())


@cache
def _evil_certificate() -> bytes:
    key = evil_key().private_key
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "login.microsoftonline.com")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


def build_embedded_x5c_token() -> str:
    """``x5c``: the attacker's self-signed certificate embedded in the header, signed with it."""
    header = _rs256_header(x5c=[base64.b64encode(_evil_certificate()).decode()])
    return sign_raw(_json(header), _json(delegated_claims()), key=evil_key())


def build_unknown_crit_token() -> str:
    """``crit`` names an extension no one implements (RFC 7515: the token must be refused)."""
    return _with_header(crit=["urn:example:must-understand"], **{"urn:example:must-understand": 1})


def build_b64_false_token() -> str:
    """``b64: false`` (RFC 7797, unencoded payload) listed in ``crit``."""
    return _with_header(b64=False, crit=["b64"])


def build_path_kid_token() -> str:
    """A ``kid`` that is a path (``../``): only ever a dictionary key, never a file or URL."""
    return build_access_token(kid="../../../../etc/passwd")


def build_nul_kid_token() -> str:
    """A ``kid`` with a NUL and other control characters."""
    return build_access_token(kid="test-key-1\x00\r\n")


def build_long_kid_token() -> str:
    """A ``kid`` of 8,000 characters (the token stays under the size limit)."""
    return build_access_token(kid="k" * 8000)


def build_non_string_kid_token() -> str:
    """A ``kid`` that is a number."""
    return sign_raw(_json(_rs256_header(kid=1)), _json(delegated_claims()))


def build_nested_jwt_token() -> str:
    """``cty: JWT``: a valid signed token whose payload is another (valid) JWT."""
    inner = build_access_token().encode()
    return sign_raw(_json(_rs256_header(cty="JWT")), inner)


def _mistyped(name: str, value: Any) -> str:
    return build_access_token(**{name: value})


def build_numeric_audience_token() -> str:
    return _mistyped("aud", 12345)


def build_list_scp_token() -> str:
    return _mistyped("scp", ["User.ReadWrite"])


def build_integer_oid_token() -> str:
    return _mistyped("oid", 1234)


def build_object_tid_token() -> str:
    return _mistyped("tid", {"id": TENANT_ID})


def build_string_roles_token() -> str:
    return encode(app_only_claims(roles="ProfilePhoto.ReadWrite.All"))


def build_string_exp_token() -> str:
    """``"exp": "9999999999"``: a string, not a NumericDate."""
    return sign_raw(_json(_rs256_header()), _claims_with("exp", '"9999999999"'))


def build_string_nbf_token() -> str:
    return sign_raw(_json(_rs256_header()), _claims_with("nbf", '"0"'))


def build_boolean_iat_token() -> str:
    """``"iat": true`` (``True`` is an ``int`` in Python: 1970-01-01T00:00:01)."""
    return sign_raw(_json(_rs256_header()), _claims_with("iat", "true"))


def build_nan_exp_token() -> str:
    """``"exp": NaN`` (Python's json reads it; JSON has no NaN)."""
    return sign_raw(_json(_rs256_header()), _claims_with("exp", "NaN"))


def build_infinite_exp_token() -> str:
    """``"exp": 1e999``: a JSON number that is infinity as a float."""
    return sign_raw(_json(_rs256_header()), _claims_with("exp", "1e999"))


def build_duplicate_header_key_token() -> str:
    """``alg`` twice in the header: ``none`` first, ``RS256`` last (the one json keeps)."""
    header = _json(_rs256_header()).replace(b'{"alg":"RS256"', b'{"alg":"none","alg":"RS256"')
    return sign_raw(header, _json(delegated_claims()))


def build_duplicate_claim_token() -> str:
    """``oid`` twice in the payload: another user's first, the caller's last."""
    claims = _json(delegated_claims())
    forged = claims.replace(b'"oid":', f'"oid":"{uuid.uuid4()}","oid":'.encode(), 1)
    return sign_raw(_json(_rs256_header()), forged)


def build_oversized_token() -> str:
    """Validly signed, but longer than the validator's size limit."""
    return build_access_token(padding="x" * MAX_TOKEN_LENGTH)


def build_extra_segment_token() -> str:
    """Four segments: a valid token with one more ``.segment``."""
    return f"{build_access_token()}.{_b64(b'extra')}"


def build_missing_signature_segment_token() -> str:
    """Two segments: header and payload, no signature part at all."""
    return build_access_token().rsplit(".", 1)[0]


def build_empty_signature_token() -> str:
    """Three segments, the signature empty."""
    return build_access_token().rsplit(".", 1)[0] + "."


def build_padded_segments_token() -> str:
    """A valid token with base64 ``=`` padding put back on each segment (RFC 7515 has none)."""
    while True:  # padding needs a segment whose length is not a multiple of 4
        segments = build_access_token().split(".")
        if any(len(segment) % 4 for segment in segments):
            return ".".join(segment + "=" * (-len(segment) % 4) for segment in segments)


def build_non_base64url_token() -> str:
    """The signature in standard base64 (``+`` and ``/``), not base64url."""
    while True:
        header, payload, signature = build_access_token().split(".")
        if "-" in signature or "_" in signature:
            standard = signature.replace("-", "+").replace("_", "/")
            return f"{header}.{payload}.{standard}"


def build_junk_character_token() -> str:
    """A ``!`` and a space inside the payload segment."""
    header, payload, signature = build_access_token().split(".")
    return f"{header}.{payload[:10]}! {payload[10:]}.{signature}"


def build_array_payload_token() -> str:
    """Validly signed; the payload is a JSON array, not an object."""
    return sign_raw(_json(_rs256_header()), b"[1, 2, 3]")


def build_deeply_nested_payload_token() -> str:
    """Validly signed; the payload nests arrays 5,000 deep (json's recursion limit)."""
    return sign_raw(_json(_rs256_header()), b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}")


def build_retired_key_token() -> str:
    """Signed by ``retired_key()``: accepted while the JWKS publishes it, refused after."""
    return build_access_token(key=retired_key())


def _with_character(character: str) -> str:
    header, payload, signature = build_access_token().split(".")
    return f"{header}.{payload[:20]}{character}{payload[20:]}.{signature}"


def build_surrogate_escape_token() -> str:
    """A lone surrogate (``\\udcff``), as a host hands an undecodable header byte to Python."""
    return _with_character("\udcff")


def build_latin1_token() -> str:
    """A Latin-1 letter (``é``) inside the token."""
    return _with_character("\u00e9")


def build_line_separator_token() -> str:
    """U+2028 LINE SEPARATOR: whitespace to ``str.split()``, not to HTTP."""
    return _with_character("\u2028")


FORGED_TOKENS: dict[str, Callable[[], str]] = {
    "alg-none": build_alg_none_token,
    "hs256-public-pem": build_hs256_public_key_token,
    "hs256-public-jwk": build_hs256_public_jwk_token,
    "rs384": build_rs384_token,
    "ps256": build_ps256_token,
    "es256": build_es256_token,
    "jku-header": build_jku_header_token,
    "x5u-header": build_x5u_header_token,
    "embedded-jwk": build_embedded_jwk_token,
    "embedded-x5c": build_embedded_x5c_token,
    "unknown-crit": build_unknown_crit_token,
    "b64-false": build_b64_false_token,
    "path-kid": build_path_kid_token,
    "nul-kid": build_nul_kid_token,
    "long-kid": build_long_kid_token,
    "non-string-kid": build_non_string_kid_token,
    "random-kid": build_random_kid_token,
    "nested-jwt": build_nested_jwt_token,
    "evil-key": build_evil_access_token,
    "tampered": build_tampered_token,
    "retired-key": build_retired_key_token,
    "expired": build_access_token_expired,
    "not-yet-valid": build_access_token_not_yet_valid,
    "wrong-audience": build_wrong_audience_token,
    "wrong-issuer": build_wrong_issuer_token,
    "wrong-tenant": build_wrong_tenant_token,
    "other-tenant": build_other_tenant_token,
    "aud-number": build_numeric_audience_token,
    "scp-list": build_list_scp_token,
    "oid-int": build_integer_oid_token,
    "tid-object": build_object_tid_token,
    "roles-string": build_string_roles_token,
    "exp-string": build_string_exp_token,
    "nbf-string": build_string_nbf_token,
    "iat-boolean": build_boolean_iat_token,
    "exp-nan": build_nan_exp_token,
    "exp-infinite": build_infinite_exp_token,
    "duplicate-header-key": build_duplicate_header_key_token,
    "duplicate-claim": build_duplicate_claim_token,
    "oversized": build_oversized_token,
    "extra-segment": build_extra_segment_token,
    "missing-segment": build_missing_signature_segment_token,
    "empty-signature": build_empty_signature_token,
    "padded-segments": build_padded_segments_token,
    "non-base64url": build_non_base64url_token,
    "junk-character": build_junk_character_token,
    "array-payload": build_array_payload_token,
    "deeply-nested-payload": build_deeply_nested_payload_token,
    "surrogate-escape": build_surrogate_escape_token,
    "latin-1": build_latin1_token,
    "line-separator": build_line_separator_token,
}
"""Every forged or broken token kind by name: each must be a 401 in tenant mode with
``jwks()`` published (the retired key is not)."""


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
