"""Access-token validation: the ``Authorization`` header in, a ``Principal`` out.

``TokenValidator.validate`` checks, in order: the Bearer scheme; the JWS header (``alg`` on
the allow-list, a ``kid``); the signing key for that ``kid`` from a ``KeySource``; then, with
PyJWT, the signature, ``exp`` / ``nbf`` / ``iat`` (with the configured leeway), ``aud`` and
``iss``; then the tenant (``tid``) in tenant mode and ``oid`` on delegated tokens.

Every failure is an ``InvalidAuthenticationToken`` (401) whose message says which check
failed, except "no signing keys could ever be loaded", a ``ServiceUnavailable`` (503): the
service cannot judge the token, the token is not at fault. Tokens never appear in messages
or log lines.

Who may do what with a ``Principal`` lives in ``shared.auth.permissions``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import jwt

from shared.auth.signing_keys import (
    ALLOWED_ALGORITHMS,
    KeySource,
    SigningKeysUnavailable,
    UnknownSigningKey,
)
from shared.config import AuthSettings
from shared.graph.errors import InvalidAuthenticationToken, ServiceUnavailable

logger = logging.getLogger(__name__)

REQUIRED_CLAIMS: Final = ("exp", "iat", "aud", "iss")
MAX_TOKEN_LENGTH: Final = 16 * 1024

EMPTY_TOKEN: Final = "Access token is empty."  # noqa: S105 - a message, not a secret
_KEYS_UNAVAILABLE: Final = (
    "Access tokens cannot be validated right now: the signing keys could not be loaded."
)


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


def _invalid(message: str) -> InvalidAuthenticationToken:
    return InvalidAuthenticationToken(message, token_presented=True)


def _bearer_token(authorization: str | None) -> str:
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


def _key_id(token: str) -> str:
    """The token's ``kid``, once its ``alg`` is allowed (unverified: only picks the key)."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise _invalid("Access token is too large.")
    if token.count(".") != 2:
        raise _invalid("Access token is malformed: it is not a signed JWT.")
    # Only the header segment: PyJWT validates every segment byte by byte in Python, and
    # jwt.decode does that for the whole token anyway once the key is known.
    header_segment = token.partition(".")[0]
    try:
        header = jwt.get_unverified_header(f"{header_segment}..")
    except jwt.InvalidTokenError as error:
        raise _invalid("Access token is malformed: it is not a signed JWT.") from error
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise _invalid("Access token uses an unsupported signing algorithm; RS256 is required.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _invalid("Access token has no key id (kid) in its header.")
    return kid


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


def _principal(claims: Mapping[str, Any]) -> Principal:
    scp = _optional_str(claims, "scp")
    roles = _string_set(claims, "roles")
    app_only = claims.get("idtyp") == "app" or (bool(roles) and scp is None)
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
    )


class TokenValidator:
    """Validates bearer tokens against ``settings`` with keys from ``keys``."""

    def __init__(self, settings: AuthSettings, keys: KeySource) -> None:
        self._keys = keys
        self._audiences = list(settings.audiences)
        self._issuers = tuple(settings.issuers)
        self._tenant_id = settings.tenant_id.lower() if settings.tenant_id else None
        self._leeway = settings.clock_skew_seconds
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
        kid = _key_id(token)
        try:
            key = await self._keys.signing_key(kid)
        except UnknownSigningKey as error:
            raise _invalid("Access token is signed with an unknown key.") from error
        except SigningKeysUnavailable as error:
            logger.warning("Answering 503: %s", error.reason)
            raise ServiceUnavailable(_KEYS_UNAVAILABLE, retry_after=error.retry_after) from error
        claims = self._decode(token, key)
        self._check_tenant(claims)
        return _principal(claims)

    def _decode(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self._audiences,
                issuer=self._issuers,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS), "enforce_minimum_key_length": True},
            )
        except jwt.ExpiredSignatureError as error:
            raise _invalid("Access token has expired.") from error
        except jwt.ImmatureSignatureError as error:
            raise _invalid("Access token is not yet valid (nbf or iat in the future).") from error
        except jwt.MissingRequiredClaimError as error:
            raise _invalid(f"Access token is missing the '{error.claim}' claim.") from error
        except jwt.InvalidAudienceError as error:
            raise _invalid("Access token has the wrong audience (aud).") from error
        except jwt.InvalidIssuerError as error:
            raise _invalid("Access token has the wrong issuer (iss).") from error
        except jwt.InvalidIssuedAtError as error:
            raise _invalid("Access token has an invalid 'iat' claim.") from error
        except jwt.InvalidSignatureError as error:
            raise _invalid("Access token signature is invalid.") from error
        except jwt.InvalidAlgorithmError as error:
            raise _invalid(
                "Access token uses an unsupported signing algorithm; RS256 is required."
            ) from error
        except jwt.DecodeError as error:
            raise _invalid("Access token is malformed.") from error
        except jwt.InvalidKeyError as error:
            raise _invalid("Access token is signed with an unacceptable key.") from error
        except jwt.PyJWTError as error:
            raise _invalid("Access token has an invalid claim.") from error

    def _check_tenant(self, claims: Mapping[str, Any]) -> None:
        if self._tenant_id is None:
            return
        tid = _optional_str(claims, "tid")
        if tid is None:
            raise _invalid("Access token is missing the 'tid' claim.")
        if tid.lower() != self._tenant_id:
            raise _invalid("Access token is from the wrong tenant (tid).")
