"""Hostile tokens over real HTTP: raw bytes in ``Authorization`` and every forged kind.

A header value that is not UTF-8 is refused by the host itself with a plain ``400`` (as Kestrel
refuses such bytes), before the app; the app's own answer to odd characters in a token is
tested in process (tests/unit/test_auth_hostile_tokens.py). Every other forged kind, long ones
included (the host takes 32 KiB of headers), is Graph's ``InvalidAuthenticationToken``.
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

_NOT_UTF8 = {"surrogate-escape"}
"""Kinds whose header bytes are not UTF-8: the host's plain 400."""


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
        body = response.read()
        return response.status, json.loads(body) if body.startswith(b"{") else body
    finally:
        connection.close()


def _assert_invalid_token(status: int, body: Any) -> None:
    assert status == 401, body
    assert body["error"]["code"] == "InvalidAuthenticationToken"


def _forged_with(raw: bytes) -> bytes:
    header, payload, signature = tokens.build_access_token().encode().split(b".")
    return b"Bearer " + header + b"." + payload[:20] + raw + payload[20:] + b"." + signature


@pytest.mark.parametrize(
    "raw", [b"\xc3\xa9", b"\xe2\x80\xa8"], ids=["utf8-e-acute", "utf8-line-separator"]
)
def test_non_ascii_utf8_in_the_token_is_401(service: Service, raw: bytes) -> None:
    _assert_invalid_token(*_post_with_raw_authorization(service, _forged_with(raw)))


@pytest.mark.parametrize("raw", [b"\xff", b"\x80\x81"], ids=["0xff", "continuation-bytes"])
def test_bytes_that_are_not_utf8_are_the_hosts_plain_400_without_echo(
    service: Service, raw: bytes
) -> None:
    forged = _forged_with(raw)
    status, body = _post_with_raw_authorization(service, forged)
    assert status == 400
    assert isinstance(body, bytes)
    assert forged[7:40] not in body


@pytest.mark.parametrize(
    "name", sorted(set(tokens.FORGED_TOKENS) - _NOT_IN_ISSUER_MODE - _NOT_UTF8)
)
def test_every_forged_kind(service: Service, name: str) -> None:
    token = tokens.FORGED_TOKENS[name]()
    _assert_invalid_token(*_post_with_raw_authorization(service, f"Bearer {token}".encode()))
