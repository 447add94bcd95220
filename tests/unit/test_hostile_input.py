"""Hostile input through ``PhotoApp.serve``: small messages, no 500, nothing stored by a refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests import tokens
from tests.unit.app_harness import Harness, graph_error

LONG = "x" * 5000
MOST_ECHOED = 100
"""No message quotes more than this many characters of what the client sent."""


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
