"""Hostile input through ``PhotoApp.serve``: small messages, no 500, nothing stored by a refusal."""

from __future__ import annotations

import io
import json
from typing import Any

import azure.functions as func
import pytest
from PIL import Image

from tests import tokens
from tests.unit.app_harness import Harness, graph_error, host_routing

LONG = "x" * 5000
MOST_ECHOED = 100
"""No message quotes more than this many characters of what the client sent."""


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def harness() -> Harness:
    return Harness()


def _assert_small(error: dict[str, Any]) -> None:
    assert len(error["message"]) < 400, error["message"]
    assert "x" * MOST_ECHOED not in error["message"]


async def test_545_unknown_properties_name_a_few_and_count_the_rest(harness: Harness) -> None:
    names = [
        f"{first}{second}"
        for first in "pqrstuvwxyzabcdef"
        for second in "0123456789abcdefghijklmnopqrstuvwxyz"
    ]
    document = {"height": 6, "width": 5, **dict.fromkeys(names[:545], 1)}
    body = json.dumps(document, separators=(",", ":")).encode()  # under the 4 KiB body limit
    response = await harness.send(
        "POST",
        "me/photos",
        token=tokens.build_access_token(),
        body=body,
        headers={"Content-Type": "application/json"},
    )

    error = graph_error(response, 400, "BadRequest")
    assert len(response.get_body()) < 1024
    assert "'p0'" in error["message"]
    assert "'q0'" not in error["message"]
    assert "542 more properties" in error["message"]
    assert harness.store.count() == 0


@pytest.mark.parametrize(
    ("method", "path", "query", "status", "code"),
    [
        ("GET", LONG, {}, 404, "ResourceNotFound"),
        ("GET", f"me/{LONG}", {}, 404, "ResourceNotFound"),
        ("PATCH", f"users/{LONG}/photos", {}, 405, "MethodNotAllowed"),
        ("GET", "me/photos", {"$" + LONG: "1"}, 400, "BadRequest"),
        ("GET", "me/photos", {"$top": LONG}, 400, "BadRequest"),
        ("GET", "me/photos", {"$select": LONG}, 400, "BadRequest"),
        ("GET", "me/photos", {"$select": f"id,{LONG}"}, 400, "BadRequest"),
        ("GET", f"me/photos/{'x' * 300}", {}, 404, "ResourceNotFound"),
        ("GET", f"me/photos/{LONG}/$value", {}, 404, "ImageNotFound"),
        ("PUT", f"me/photos/{'1' * 120}x{'1' * 120}/$value", {}, 405, "MethodNotAllowed"),
        ("DELETE", f"me/photos/{'1' * 120}x{'1' * 120}", {}, 405, "MethodNotAllowed"),
    ],
)
async def test_messages_quote_little_of_the_request(
    harness: Harness, method: str, path: str, query: dict[str, str], status: int, code: str
) -> None:
    response = await harness.send(
        method, path, token=tokens.build_access_token(), query=query, body=b"\xff\xd8"
    )
    _assert_small(graph_error(response, status, code))


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": LONG},
        {"Content-Type": f"application/json; charset={LONG}"},
        {"Content-Type": "application/json", "Idempotency-Key": LONG},
    ],
)
async def test_header_values_are_quoted_clipped(harness: Harness, headers: dict[str, str]) -> None:
    response = await harness.send(
        "POST",
        "me/photos",
        token=tokens.build_access_token(),
        body=b'{"height": 6, "width": 5}',
        headers=headers,
    )
    assert response.status_code in (400, 415)
    _assert_small(json.loads(response.get_body())["error"])


async def test_a_long_size_like_id_is_quoted_clipped(harness: Harness) -> None:
    body = {"height": 6, "width": 5, "id": f"{'1' * 120}x{'1' * 120}"}
    response = await harness.send("POST", "me/photos", token=tokens.build_access_token(), body=body)
    _assert_small(graph_error(response, 400, "BadRequest"))


async def test_every_response_says_nosniff_and_errors_are_not_stored(harness: Harness) -> None:
    token = tokens.build_access_token()
    octets = {"Content-Type": "application/octet-stream"}
    put = await harness.send(
        "PUT", "me/photo/$value", token=token, body=jpeg(64, 64), headers=octets
    )
    etag = put.headers["ETag"]
    answers = [
        put,
        await harness.send("GET", "me/photos", token=token),
        await harness.send("POST", "me/photos", token=token, body={"height": 6, "width": 5}),
        await harness.send("GET", "me/photo", token=token),
        await harness.send("HEAD", "me/photo", token=token),
        await harness.send("GET", "openapi.json"),
        await harness.send("OPTIONS", "me/photos"),
        await harness.send("DELETE", "me/photos/none", token=token),
        await harness.send("GET", "me/photos"),
        await harness.send("PATCH", "me/photos"),
        await harness.send("GET", "nowhere"),
    ]
    content = await harness.send("GET", "me/photo/$value", token=token)
    not_modified = await harness.send(
        "GET", "me/photo/$value", token=token, headers={"If-None-Match": etag}
    )

    for response in [*answers, content, not_modified]:
        assert response.headers.get("X-Content-Type-Options") == "nosniff", response.status_code
    for response in answers:
        if response.status_code >= 400:
            assert response.headers["Cache-Control"] == "no-store", response.status_code
    assert {response.status_code for response in answers} >= {200, 201, 204, 401, 404, 405}
    assert (content.status_code, not_modified.status_code) == (200, 304)
    assert content.headers["Cache-Control"] == not_modified.headers["Cache-Control"] == "private"


CONTROL_CHARACTERS = ["\x00", "\x01", "\t", "\n", "\x1f", "\x7f", "\x80", "\x85", "\x9f"]


@pytest.mark.parametrize("control", CONTROL_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
async def test_a_photo_id_with_a_control_character_is_400_naming_the_rule(
    harness: Harness, control: str
) -> None:
    body = {"height": 6, "width": 5, "id": f"a{control}b"}
    response = await harness.send("POST", "me/photos", token=tokens.build_access_token(), body=body)

    error = graph_error(response, 400, "BadRequest")
    assert "control characters" in error["message"]
    assert harness.store.count() == 0


@pytest.mark.parametrize("control", CONTROL_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("GET", "users/a{c}b/photos"),
        ("POST", "users/a{c}b/photos"),
        ("GET", "me/photos/a{c}b"),
        ("DELETE", "users/u/photos/a{c}b"),
        ("PUT", "me/photos/a{c}b/$value"),
        ("PUT", "users/a{c}b/photo/$value"),
    ],
)
async def test_path_values_with_a_control_character_are_400_naming_the_rule(
    harness: Harness, control: str, method: str, template: str
) -> None:
    response = await harness.send(
        method,
        template.format(c=control),
        token=tokens.build_app_only_token()
        if "users/" in template
        else tokens.build_access_token(),
        body={"height": 6, "width": 5} if method == "POST" else jpeg(8, 8),
    )

    error = graph_error(response, 400, "BadRequest")
    assert "control characters" in error["message"]
    assert harness.store.count() == harness.store.blob_count() == 0


async def test_other_unusual_characters_are_still_fine_ids(harness: Harness) -> None:
    token = tokens.build_access_token()
    for photo_id in ["a/b", "a#b?c", "a\\b", "tab-less\u00a0nbsp", "\u2028", "é"]:
        body = {"height": 6, "width": 5, "id": photo_id}
        response = await harness.send("POST", "me/photos", token=token, body=body)
        assert response.status_code == 201, (photo_id, response.get_body())


def _request_to(url: str, method: str, path: str, body: bytes = b"") -> func.HttpRequest:
    _function, route_values = host_routing(method, path)
    headers = {
        "Authorization": tokens.bearer(tokens.build_access_token()),
        "Content-Type": "application/json",
    }
    request = func.HttpRequest(
        method, url, headers=headers, params={}, route_params=route_values, body=body
    )
    return request


@pytest.mark.parametrize(
    "origin",
    [
        "http://[::1",  # urlsplit: "Invalid IPv6 URL"
        "http://h\udcff",  # a non-UTF-8 byte of the Host, surrogate-escaped
        "http://h\u00e9",  # not ASCII
        "http://user@host",
        "http://a b",
        "http://",
        "ftp://host",
        "http://host:port",
    ],
)
@pytest.mark.parametrize(
    ("method", "path"), [("POST", "me/photos"), ("GET", "me/photos"), ("GET", "me/photos/p")]
)
async def test_a_bad_host_is_400_and_nothing_is_stored(
    harness: Harness, origin: str, method: str, path: str
) -> None:
    body = b'{"height": 6, "width": 5}' if method == "POST" else b""
    request = _request_to(f"{origin}/api/{path}", method, path, body)

    response = await harness.app.serve(host_routing(method, path)[0], request)

    error = graph_error(response, 400, "BadRequest")
    assert "Host" in error["message"] or "URL" in error["message"]
    assert harness.store.count() == 0


async def test_an_odd_but_valid_host_and_a_non_ascii_path_make_ascii_urls(
    harness: Harness,
) -> None:
    request = _request_to(
        "http://[::1]:8080/caf\u00e9\udcff/api/me/photos",
        "POST",
        "me/photos",
        b'{"height": 6, "width": 5}',
    )

    response = await harness.app.serve("add_photo", request)

    assert response.status_code == 201, response.get_body()
    assert response.headers["Location"].isascii()
    assert response.headers["Location"].startswith(
        "http://[::1]:8080/caf%C3%A9%ED%B3%BF/api/users/"
    )


async def test_an_idempotency_key_belongs_to_the_caller_and_the_user(harness: Harness) -> None:
    key = {"Idempotency-Key": '"shared-key"'}
    path = f"users/{tokens.USER_OID}/photos"
    body = {"height": 6, "width": 5}
    mine = await harness.send(
        "POST", path, token=tokens.build_access_token(), body=body, headers=key
    )
    again = await harness.send(
        "POST", path, token=tokens.build_access_token(), body=body, headers=key
    )
    an_app = await harness.send(
        "POST", path, token=tokens.build_app_only_token(), body=body, headers=key
    )
    other_app = tokens.build_access_token(azp="9a1b7c3d-0000-4000-8000-000000000001")
    via_other_app = await harness.send("POST", path, token=other_app, body=body, headers=key)

    ids = [json.loads(r.get_body())["id"] for r in (mine, again, an_app, via_other_app)]
    assert [r.status_code for r in (mine, again, an_app, via_other_app)] == [201] * 4
    assert ids[0] == ids[1]
    assert len({ids[0], ids[2], ids[3]}) == 3
    assert harness.store.count() == 3


async def test_another_callers_key_on_the_same_client_id_is_no_repeat(harness: Harness) -> None:
    key = {"Idempotency-Key": '"shared-key"'}
    path = f"users/{tokens.USER_OID}/photos"
    body = {"height": 6, "width": 5, "id": "p1"}
    await harness.send("POST", path, token=tokens.build_access_token(), body=body, headers=key)
    theirs = await harness.send(
        "POST", path, token=tokens.build_app_only_token(), body=body, headers=key
    )
    graph_error(theirs, 409, "Conflict")
