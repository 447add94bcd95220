"""Access-token validation: the ``Authorization`` header in, a ``Principal`` out.

``TokenValidator.validate`` checks, in order: the Bearer scheme; the token's form and its
JWS header (``shared.auth.compact_jws``: ASCII, base64url, ``alg`` on the allow-list, a
``kid``, no ``crit``, no nested JWT, no duplicate names); the signing key for that ``kid``
from a ``KeySource``; the RS256 signature (PyJWT's algorithm object over ``cryptography``);
then the claims: ``exp``, ``iat``, ``aud``, ``iss`` present; ``exp`` / ``nbf`` / ``iat``
JSON numbers (RFC 7519 NumericDate: no strings, no booleans, finite) judged against the
injected wall clock with the configured leeway; ``iss`` and ``aud`` accepted; the tenant
(``tid``) in tenant mode; ``oid`` on delegated tokens.

Validated tokens are remembered (``shared.auth.principal_cache``) until they would be
refused: a repeated token costs a hash and a key look-up, not an RSA verify.

Every failure is an ``InvalidAuthenticationToken`` (401) whose message says which check
failed, except "no signing keys could ever be loaded", a ``ServiceUnavailable`` (503): the
service cannot judge the token, the token is not at fault. Tokens never appear in messages
or log lines.

Who may do what with a ``Principal`` lives in ``shared.auth.permissions``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import jwt

from shared.auth.compact_jws import (
    MAX_TOKEN_LENGTH,
    UNSUPPORTED_ALGORITHM,
    MalformedToken,
    SplitToken,
    decode_payload,
    split_token,
)
from shared.auth.principal_cache import (
    DEFAULT_MAX_ENTRIES,
    CachedPrincipal,
    PrincipalCache,
    token_digest,
)
from shared.auth.signing_keys import (
    ALLOWED_ALGORITHMS,
    KeySource,
    SigningKeysUnavailable,
    UnknownSigningKey,
)
from shared.config import AuthSettings
from shared.graph.errors import InvalidAuthenticationToken, ServiceUnavailable

logger = logging.getLogger(__name__)

__all__ = ["MAX_TOKEN_LENGTH", "REQUIRED_CLAIMS", "Principal", "TokenValidator"]

REQUIRED_CLAIMS: Final = ("exp", "iat", "aud", "iss")

EMPTY_TOKEN: Final = "Access token is empty."  # noqa: S105 - a message, not a secret
_KEYS_UNAVAILABLE: Final = (
    "Access tokens cannot be validated right now: the signing keys could not be loaded."
)
_ALGORITHMS: Final = frozenset(ALLOWED_ALGORITHMS)


@dataclass(frozen=True)
class Principal:
    """The caller, as a validated access token describes it."""

    object_id: str | None
    tenant_id: str | None
    upn: str | None
    scopes: frozenset[str]
    roles: frozenset[str]
    app_only: bool
    app_id: str | None
    issued_at: float | None = None
    """``iat``: which of two tokens naming one UPN is the newer (``shared.auth.directory``)."""


def _invalid(message: str) -> InvalidAuthenticationToken:
    return InvalidAuthenticationToken(message, token_presented=True)


def _bearer_token(authorization: str | None) -> str:
    if authorization and not authorization.isascii():
        # A header is bytes on the wire; the host hands undecodable ones over as surrogate
        # escapes or Latin-1. Nothing non-ASCII is a token (and str.split would cut at U+2028).
        raise _invalid("Access token is malformed: it is not a signed JWT.")
    parts = (authorization or "").split(None, 1)
    if not parts:
        raise InvalidAuthenticationToken(EMPTY_TOKEN, token_presented=False)
    if parts[0].lower() != "bearer":
        raise InvalidAuthenticationToken(
            "The Authorization header must use the Bearer scheme.", token_presented=False
        )
    token = parts[1].strip() if len(parts) == 2 else ""
    if not token:
        raise InvalidAuthenticationToken(EMPTY_TOKEN, token_presented=False)
    return token


def _optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(f"Access token has an invalid '{name}' claim.")
    return value or None


def _string_set(claims: Mapping[str, Any], name: str) -> frozenset[str]:
    value = claims.get(name)
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid(f"Access token has an invalid '{name}' claim.")
    return frozenset(value)


def _numeric_date(claims: Mapping[str, Any], name: str) -> float | None:
    """``name`` as RFC 7519 NumericDate: a JSON number (not a string, not a boolean), finite."""
    value = claims.get(name)
    if value is None:
        return None
    if type(value) not in (int, float) or not math.isfinite(value):
        raise _invalid(f"Access token has an invalid '{name}' claim.")
    return float(value)


def _is_app_only(claims: Mapping[str, Any], roles: frozenset[str]) -> bool:
    """DESIGN.md: ``idtyp`` ``app``, or no ``idtyp``, ``roles`` and no ``scp``."""
    idtyp = _optional_str(claims, "idtyp")
    if idtyp is not None:
        return idtyp == "app"
    return bool(roles) and "scp" not in claims


def _principal(claims: Mapping[str, Any]) -> Principal:
    scp = _optional_str(claims, "scp")
    roles = _string_set(claims, "roles")
    app_only = _is_app_only(claims, roles)
    object_id = _optional_str(claims, "oid")
    if not app_only and object_id is None:
        raise _invalid("Access token is missing the 'oid' claim.")
    return Principal(
        object_id=object_id,
        tenant_id=_optional_str(claims, "tid"),
        upn=_optional_str(claims, "upn") or _optional_str(claims, "preferred_username"),
        scopes=frozenset(scp.split()) if scp else frozenset(),
        roles=roles,
        app_only=app_only,
        app_id=_optional_str(claims, "azp") or _optional_str(claims, "appid"),
        issued_at=_numeric_date(claims, "iat"),
    )


class _Lifetime(NamedTuple):
    """When a token is accepted, leeway included: ``not_before <= now < expires``."""

    not_before: float
    expires: float


class TokenValidator:
    """Validates bearer tokens against ``settings`` with keys from ``keys``.

    ``clock`` is the wall clock (seconds since the epoch) that ``exp`` / ``nbf`` / ``iat``
    are judged by; ``cache_size`` bounds the validated-token cache (0 turns it off).
    """

    def __init__(
        self,
        settings: AuthSettings,
        keys: KeySource,
        *,
        clock: Callable[[], float] = time.time,
        cache_size: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self._keys = keys
        self._audiences = frozenset(settings.audiences)
        self._issuers = frozenset(settings.issuers)
        self._tenant_id = settings.tenant_id.lower() if settings.tenant_id else None
        self._leeway = float(settings.clock_skew_seconds)
        self._clock = clock
        self._cache = PrincipalCache(cache_size)
        self._authorization_uri = settings.authorization_uri

    async def validate(self, authorization: str | None) -> Principal:
        """The caller described by the raw ``Authorization`` header value.

        Raises ``InvalidAuthenticationToken`` (401, its challenge naming the settings'
        ``authorization_uri``), or ``ServiceUnavailable`` (503) when no signing keys could ever
        be loaded.
        """
        try:
            return await self._validate(authorization)
        except InvalidAuthenticationToken as error:
            raise error.challenging(self._authorization_uri) from error.__cause__

    async def _validate(self, authorization: str | None) -> Principal:
        token = _bearer_token(authorization)
        if len(token) > MAX_TOKEN_LENGTH:
            raise _invalid("Access token is too large.")
        digest = token_digest(token)
        cached = self._cache.get(digest)
        if cached is not None:
            principal = await self._from_cache(digest, cached)
            if principal is not None:
                return principal
        try:
            split = split_token(token, _ALGORITHMS)
        except MalformedToken as error:
            raise _invalid(error.message) from error
        key = await self._signing_key(split.kid)
        self._verify(split, key)
        try:
            claims = decode_payload(split)
        except MalformedToken as error:
            raise _invalid(error.message) from error
        lifetime = self._check_claims(claims)
        principal = _principal(claims)
        self._cache.put(
            digest,
            CachedPrincipal(principal, split.kid, key, lifetime.not_before, lifetime.expires),
        )
        return principal

    async def _from_cache(self, digest: bytes, cached: CachedPrincipal) -> Principal | None:
        """The cached principal if its token is still accepted and its key still the same."""
        if cached.usable_at(self._clock()):
            try:
                key = await self._signing_key(cached.kid)
            except InvalidAuthenticationToken:
                self._cache.discard(digest)
                raise
            if key is cached.key:
                return cached.principal
        self._cache.discard(digest)
        return None

    async def _signing_key(self, kid: str) -> jwt.PyJWK:
        try:
            return await self._keys.signing_key(kid)
        except UnknownSigningKey as error:
            raise _invalid("Access token is signed with an unknown key.") from error
        except SigningKeysUnavailable as error:
            logger.warning("Answering 503: %s", error.reason)
            raise ServiceUnavailable(_KEYS_UNAVAILABLE, retry_after=error.retry_after) from error

    @staticmethod
    def _verify(split: SplitToken, key: jwt.PyJWK) -> None:
        if key.algorithm_name != split.header["alg"]:
            raise _invalid(UNSUPPORTED_ALGORITHM)
        algorithm = key.Algorithm
        if algorithm.check_key_length(key.key) is not None:
            raise _invalid("Access token is signed with an unacceptable key.")
        if not algorithm.verify(split.signing_input, key.key, split.signature):
            raise _invalid("Access token signature is invalid.")

    def _check_claims(self, claims: Mapping[str, Any]) -> _Lifetime:
        for name in REQUIRED_CLAIMS:
            if claims.get(name) is None:
                raise _invalid(f"Access token is missing the '{name}' claim.")
        lifetime = self._lifetime(claims)
        now = self._clock()
        if now < lifetime.not_before:
            raise _invalid("Access token is not yet valid (nbf or iat in the future).")
        if now >= lifetime.expires:
            raise _invalid("Access token has expired.")
        self._check_issuer(claims)
        self._check_audience(claims)
        self._check_tenant(claims)
        return lifetime

    def _lifetime(self, claims: Mapping[str, Any]) -> _Lifetime:
        exp = _numeric_date(claims, "exp")
        iat = _numeric_date(claims, "iat")
        nbf = _numeric_date(claims, "nbf")
        assert exp is not None and iat is not None  # noqa: S101 - REQUIRED_CLAIMS
        starts = iat if nbf is None else max(iat, nbf)
        return _Lifetime(not_before=starts - self._leeway, expires=exp + self._leeway)

    def _check_issuer(self, claims: Mapping[str, Any]) -> None:
        issuer = claims["iss"]
        if not isinstance(issuer, str):
            raise _invalid("Access token has an invalid 'iss' claim.")
        if issuer not in self._issuers:
            raise _invalid("Access token has the wrong issuer (iss).")

    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        audience = claims["aud"]
        values = [audience] if isinstance(audience, str) else audience
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise _invalid("Access token has an invalid 'aud' claim.")
        if not values:
            raise _invalid("Access token is missing the 'aud' claim.")
        if self._audiences.isdisjoint(values):
            raise _invalid("Access token has the wrong audience (aud).")

    def _check_tenant(self, claims: Mapping[str, Any]) -> None:
        if self._tenant_id is None:
            return
        tid = _optional_str(claims, "tid")
        if tid is None:
            raise _invalid("Access token is missing the 'tid' claim.")
        if tid.lower() != self._tenant_id:
            raise _invalid("Access token is from the wrong tenant (tid).")
