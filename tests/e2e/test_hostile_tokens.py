"""Hostile tokens over real HTTP: raw bytes in ``Authorization`` and every forged kind are 401s.

The dev host hands header bytes to the app as the Functions host does (``str``); whatever
arrives, the answer is Graph's ``InvalidAuthenticationToken``, never a 500.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests import tokens
from tests.e2e.conftest import Service

# The e2e service runs in custom-issuer mode (no tenant): a wrong tid alone is not refused.
_NOT_IN_ISSUER_MODE = {"wrong-tenant"}

# Tokens over 8 KiB: the dev host (aiohttp's default max_field_size, 8190 bytes) answers a
# plain 400 that echoes the start of the header, where DESIGN.md's dev host allows 32 KiB of
# headers like Kestrel and never echoes. Strict: this flips to a failure once the host is fixed.
_LONGER_THAN_THE_DEV_HOST_TAKES = {"long-kid", "oversized", "deeply-nested-payload"}


def _kind(name: str) -> Any:
    if name in _LONGER_THAN_THE_DEV_HOST_TAKES:
        reason = "dev host refuses header lines over 8190 bytes with an echo"
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason))
    return name


def _post_with_raw_authorization(service: Service, authorization: bytes) -> tuple[int, Any]:
    parts = urlsplit(f"{service.base_url}/me/photos")
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.putrequest("POST", parts.path)
        connection.putheader("Authorization", authorization)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", "2")
        connection.endheaders(b"{}")
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _assert_invalid_token(status: int, body: Any) -> None:
    assert status == 401, body
    assert body["error"]["code"] == "InvalidAuthenticationToken"


@pytest.mark.parametrize(
    "raw",
    [b"\xff", b"\xc3\xa9", b"\xe2\x80\xa8", b"\x80\x81"],
    ids=["0xff", "utf8-e-acute", "utf8-line-separator", "continuation-bytes"],
)
def test_non_ascii_bytes_in_the_token(service: Service, raw: bytes) -> None:
    header, payload, signature = tokens.build_access_token().encode().split(b".")
    forged = b"Bearer " + header + b"." + payload[:20] + raw + payload[20:] + b"." + signature
    _assert_invalid_token(*_post_with_raw_authorization(service, forged))


@pytest.mark.parametrize(
    "name", [_kind(name) for name in sorted(set(tokens.FORGED_TOKENS) - _NOT_IN_ISSUER_MODE)]
)
def test_every_forged_kind(service: Service, name: str) -> None:
    token = tokens.FORGED_TOKENS[name]()
    authorization = f"Bearer {token}".encode("utf-8", "surrogateescape")
    _assert_invalid_token(*_post_with_raw_authorization(service, authorization))
