"""A JWS in compact serialization (RFC 7515), split and decoded once, strictly.

``split_token`` checks the whole token in one pass before anything is decoded: ASCII only,
at most ``MAX_TOKEN_LENGTH`` characters, three segments, nothing but the base64url alphabet
(no ``=`` padding, no ``+`` / ``/``, no whitespace). It decodes and checks the header;
``decode_payload`` decodes the payload once the signature has been verified.

What the header must say: an ``alg`` from the caller's allow-list and a ``kid``
of printable ASCII; ``typ`` and other registered names are ignored, and so are ``jku``,
``x5u``, ``jwk`` and ``x5c``: keys come from the configured JWKS only, never from the token.
Refused: ``crit`` (no extension is understood here), ``b64`` other than ``true``, ``cty``
``JWT`` (nested tokens), duplicate member names anywhere (RFC 7515 section 4 allows a
receiver to refuse them; silently keeping the last one would let a forger pick which
``alg`` or ``oid`` counts), ``NaN`` / ``Infinity``, and JSON that is not an object.

Every refusal is a ``MalformedToken`` whose message never quotes the token.

One issuer signs all its tokens with a few keys, so a process sees few distinct header
segments: a checked header is kept per (segment, allowed algorithms), bounded
(``_checked_header``), and a token costs one JSON decode (its payload), not two.
"""

from __future__ import annotations

import binascii
import functools
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, NamedTuple

MAX_TOKEN_LENGTH: Final = 16 * 1024
MAX_KEY_ID_LENGTH: Final = 256
_HEADERS_KEPT: Final = 64

_ALPHABET_AND_DOT: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
# The last character of a segment whose length is 2 or 3 mod 4 carries unused low bits; a
# canonical encoding leaves them zero, so only these characters may end such a segment.
_CANONICAL_LAST: Final = {2: frozenset(b"AQgw"), 3: frozenset(b"AEIMQUYcgkosw048")}

_FROM_URLSAFE: Final = bytes.maketrans(b"-_", b"+/")
_PADDING: Final = {0: b"", 2: b"==", 3: b"="}

_NOT_A_JWT: Final = "Access token is malformed: it is not a signed JWT."


class MalformedToken(Exception):
    """The token is not a JWS this service reads; ``message`` says why (no token text)."""

    def __init__(self, message: str = _NOT_A_JWT) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedHeader(MalformedToken):
    """The header asks for something this service refuses (``crit``, nested JWT, ``kid``)."""


UNSUPPORTED_ALGORITHM: Final = (
    "Access token uses an unsupported signing algorithm; RS256 is required."
)


class SplitToken(NamedTuple):
    """A compact JWS whose header is decoded; the payload is still encoded."""

    header: Mapping[str, Any]
    kid: str
    signing_input: bytes
    payload_segment: bytes
    signature: bytes


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member name")
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates, parse_constant=_refuse_constant
)


def _decode_segment(segment: bytes) -> bytes:
    remainder = len(segment) % 4
    if remainder == 1:
        raise MalformedToken()
    if remainder and segment[-1] not in _CANONICAL_LAST[remainder]:
        raise MalformedToken()
    try:
        return binascii.a2b_base64(
            segment.translate(_FROM_URLSAFE) + _PADDING[remainder], strict_mode=True
        )
    except binascii.Error as error:
        raise MalformedToken() from error


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = _DECODER.decode(data.decode("utf-8"))
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise MalformedToken() from error
    if not isinstance(value, dict):
        raise MalformedToken()
    return value


def _is_key_id(kid: object) -> bool:
    return (
        isinstance(kid, str)
        and 0 < len(kid) <= MAX_KEY_ID_LENGTH
        and kid.isascii()
        and kid.isprintable()
        and " " not in kid
    )


def _check_header(header: dict[str, Any], algorithms: frozenset[str]) -> str:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise UnsupportedHeader(UNSUPPORTED_ALGORITHM)
    if "crit" in header:
        raise UnsupportedHeader(
            "Access token has critical header parameters (crit) this service does not support."
        )
    if header.get("b64", True) is not True:
        raise MalformedToken()
    cty = header.get("cty")
    if isinstance(cty, str) and cty.upper() == "JWT":
        raise UnsupportedHeader("Access token is a nested JWT (cty), which is not accepted.")
    kid = header.get("kid")
    if kid is None or kid == "":
        raise UnsupportedHeader("Access token has no key id (kid) in its header.")
    if not _is_key_id(kid):
        raise UnsupportedHeader("Access token has an invalid key id (kid) in its header.")
    return str(kid)


def split_token(token: str, algorithms: frozenset[str]) -> SplitToken:
    """The token's segments, checked, and its header, decoded and checked.

    ``algorithms`` are the ``alg`` values accepted (an unhashable ``alg`` is refused too).
    """
    if len(token) > MAX_TOKEN_LENGTH:
        raise MalformedToken("Access token is too large.")
    if not token.isascii():
        raise MalformedToken()
    data = token.encode("ascii")
    if data.count(b".") != 2 or data.translate(None, _ALPHABET_AND_DOT):
        raise MalformedToken()
    signing_input, _, signature_segment = data.rpartition(b".")
    header_segment, _, payload_segment = signing_input.partition(b".")
    if not header_segment or not payload_segment:
        raise MalformedToken()
    header, kid = _checked_header(header_segment, algorithms)
    if len(payload_segment) % 4 == 1:
        raise MalformedToken()
    return SplitToken(
        header=header,
        kid=kid,
        signing_input=signing_input,
        payload_segment=payload_segment,
        signature=_decode_segment(signature_segment),
    )


@functools.lru_cache(maxsize=_HEADERS_KEPT)
def _checked_header(segment: bytes, algorithms: frozenset[str]) -> tuple[Mapping[str, Any], str]:
    """The header ``segment`` decodes to (read-only: it is shared) and its ``kid``, checked."""
    header = _json_object(_decode_segment(segment))
    return MappingProxyType(header), _check_header(header, algorithms)


def decode_payload(token: SplitToken) -> dict[str, Any]:
    """The claims: the payload segment decoded, a JSON object without duplicate names."""
    return _json_object(_decode_segment(token.payload_segment))
