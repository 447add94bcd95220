"""Property-based: whatever a client sends, ``PhotoApp.serve`` answers a documented status.

Bodies, headers, paths and query strings drawn by hypothesis go through the app over the
in-memory store (``tests.unit.app_harness``). Every answer is one of the documented statuses
(the ``GraphError`` statuses but ``500``, and 200/201/204/304); an error is Graph's JSON with the
request ids, small, with ``nosniff``. Runs are derandomized, so CI sees the same examples.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.graph import errors
from shared.routes import ROUTES
from tests import tokens
from tests.unit.app_harness import Harness

SUCCESS_STATUSES = frozenset({200, 201, 204, 304})
ERROR_STATUSES = frozenset(
    cls.status
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.GraphError) and cls.status < 500
) | {errors.ServiceUnavailable.status}
DOCUMENTED = SUCCESS_STATUSES | ERROR_STATUSES
MAX_ERROR_BYTES = 2048

_COMMON = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    yield running
    running.close()


@pytest.fixture(scope="module")
def harness() -> Harness:
    return Harness()


@pytest.fixture(scope="module")
def bearer() -> str:
    return tokens.bearer(tokens.build_access_token())


def _check(response: func.HttpResponse) -> None:
    status = response.status_code
    assert status in DOCUMENTED, (status, response.get_body()[:300])
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    body = response.get_body()
    assert b"Traceback" not in body
    if status < 400:
        return
    assert len(body) < MAX_ERROR_BYTES, body[:300]
    assert response.headers["Cache-Control"] == "no-store"
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "innerError"}
    assert error["innerError"]["request-id"] == response.headers["request-id"]
    assert error["innerError"]["client-request-id"] == response.headers["client-request-id"]


def _serve(
    loop: asyncio.AbstractEventLoop,
    harness: Harness,
    method: str,
    path: str,
    *,
    headers: dict[str, str],
    body: bytes = b"",
    query: dict[str, str] | None = None,
) -> func.HttpResponse:
    sent = harness.send(method, path, headers=headers, body=body, query=query)
    return loop.run_until_complete(sent)


# ---- strategies ------------------------------------------------------------------------------

_METHODS = st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
_TEMPLATES = sorted({template for route in ROUTES for template in route.templates})
_AWKWARD_TEXT = st.text(
    st.characters(codec=None, exclude_categories=()), max_size=40
)  # any code point, lone surrogates included
_SEGMENT = st.one_of(
    _AWKWARD_TEXT.filter(lambda text: "/" not in text),
    st.sampled_from(
        [".", "..", "$ref", "$value", "%2F", "%2f", "1x1", "96x96", " ", "me", "x" * 300]
    ),
)


@st.composite
def _paths(draw: st.DrawFn) -> str:
    template = draw(st.sampled_from([*_TEMPLATES, "users", "", "photos/x", "me/photo/x/y"]))
    segments = [
        draw(_SEGMENT) if segment.startswith("{") else segment for segment in template.split("/")
    ]
    if draw(st.booleans()):
        segments.append(draw(_SEGMENT))
    return "/".join(segments)


_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    _AWKWARD_TEXT,
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["height", "width", "id", "@odata.type", "x"]), children)
    ),
    max_leaves=8,
)


@st.composite
def _photo_documents(draw: st.DrawFn) -> bytes:
    document: dict[str, Any] = {}
    for name in ("height", "width", "id", "@odata.type", draw(_AWKWARD_TEXT)):
        if draw(st.booleans()):
            document[name] = draw(
                st.one_of(_JSON, st.integers(min_value=1, max_value=4000), _AWKWARD_TEXT)
            )
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass")


_BODIES = st.one_of(
    _photo_documents(),
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"",
            b"{",
            b'{"height": 6, "width": 5',
            b'{"height": NaN, "width": 5}',
            b'{"height": Infinity, "width": 5}',
            b'{"height": 6, "height": 6, "width": 5}',
            b"\xef\xbb\xbf" + b'{"height": 6, "width": 5}',
            b"[" * 2000,
            b'{"a":' * 2000,
            b'{"height": 1' + b"0" * 5000 + b', "width": 5}',
            b'{"height": 6, "width": 5, "id": "\\ud800"}',
            b'{"height": 6.0, "width": 5}',
        ]
    ),
)
_CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=latin-1",
            "application/json; odata.metadata=minimal",
            "text/plain",
            "image/jpeg",
            "application/octet-stream",
            "",
        ]
    ),
    _AWKWARD_TEXT,
)
_HEADER_NAMES = st.sampled_from(
    [
        "Authorization",
        "Content-Type",
        "Content-Length",
        "Accept",
        "If-Match",
        "If-None-Match",
        "Idempotency-Key",
        "client-request-id",
        "Host",
        "X-Anything",
    ]
)
_HEADER_VALUES = st.one_of(
    _AWKWARD_TEXT,
    st.sampled_from(
        ['"abc"', "*", 'W/"x"', "Bearer", "Bearer a.b.c", "-1", "99999999999", "x" * 20000]
    ),
)
_SKIPTOKENS = st.one_of(
    st.binary(max_size=200),
    _JSON.map(lambda value: json.dumps(value).encode("utf-8", "surrogatepass")),
    st.integers(min_value=1, max_value=3000).map(lambda depth: b"[" * depth),
).map(lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("="))
_QUERY_NAMES = st.one_of(
    st.sampled_from(["$top", "$TOP", "$skiptoken", "$select", "$filter", "$expand", "$", "top"]),
    _AWKWARD_TEXT,
)


# ---- properties ------------------------------------------------------------------------------


@settings(_COMMON, max_examples=3000)
@given(
    body=_BODIES, content_type=_CONTENT_TYPES, path=st.sampled_from(["me/photos", "me/photos/$ref"])
)
def test_any_body_gets_a_documented_answer(
    loop: asyncio.AbstractEventLoop,
    harness: Harness,
    bearer: str,
    body: bytes,
    content_type: str,
    path: str,
) -> None:
    headers = {"Authorization": bearer, "Content-Type": content_type}
    _check(_serve(loop, harness, "POST", path, headers=headers, body=body))


@settings(_COMMON, max_examples=1000)
@given(
    body=st.one_of(st.binary(max_size=200), _BODIES),
    content_type=_CONTENT_TYPES,
    method=st.sampled_from(["PUT", "PATCH"]),
    path=st.sampled_from(["me/photo/$value", "me/photos/p1/$value", "me/photos/48x48/$value"]),
)
def test_any_image_body_gets_a_documented_answer(
    loop: asyncio.AbstractEventLoop,
    harness: Harness,
    bearer: str,
    body: bytes,
    content_type: str,
    method: str,
    path: str,
) -> None:
    headers = {"Authorization": bearer, "Content-Type": content_type}
    _check(_serve(loop, harness, method, path, headers=headers, body=body))


@settings(_COMMON, max_examples=2500)
@given(
    method=_METHODS,
    path=st.sampled_from(_TEMPLATES).map(
        lambda t: t.replace("{user}", "u1").replace("{photo-id}", "p1")
    ),
    extra=st.dictionaries(_HEADER_NAMES, _HEADER_VALUES, max_size=4),
    with_token=st.booleans(),
)
def test_any_headers_get_a_documented_answer(
    loop: asyncio.AbstractEventLoop,
    harness: Harness,
    bearer: str,
    method: str,
    path: str,
    extra: dict[str, str],
    with_token: bool,
) -> None:
    headers = {"Authorization": bearer, **extra} if with_token else extra
    _check(_serve(loop, harness, method, path, headers=headers))


@settings(_COMMON, max_examples=2500)
@given(method=_METHODS, path=_paths(), with_token=st.booleans())
def test_any_path_gets_a_documented_answer(
    loop: asyncio.AbstractEventLoop,
    harness: Harness,
    bearer: str,
    method: str,
    path: str,
    with_token: bool,
) -> None:
    headers = {"Authorization": bearer} if with_token else {}
    _check(_serve(loop, harness, method, path, headers=headers))


@settings(_COMMON, max_examples=1500)
@given(
    path=st.sampled_from(["me/photos", "me/photos/p1", "users/u1/photos"]),
    query=st.dictionaries(
        _QUERY_NAMES,
        st.one_of(_HEADER_VALUES, st.integers().map(str), _SKIPTOKENS),
        max_size=4,
    ),
)
def test_any_query_gets_a_documented_answer(
    loop: asyncio.AbstractEventLoop,
    harness: Harness,
    bearer: str,
    path: str,
    query: dict[str, str],
) -> None:
    _check(_serve(loop, harness, "GET", path, headers={"Authorization": bearer}, query=query))
