"""The responses' headers are what ``func.HttpResponse(headers=...)`` would have made of them.

``shared.graph.responses`` appends a response's headers to werkzeug's list at once instead of
passing them to the constructor; for any headers (names in any case, values with newlines,
the empty value) the answer must be the constructor's: the same pairs in the same order, or
the same ``ValueError``.
"""

from __future__ import annotations

import azure.functions as func
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.graph.responses import (
    JSON_CONTENT_TYPE,
    RequestIds,
    bytes_response,
    empty_response,
    json_response,
)

IDS = RequestIds("3f2b6c1e-8d4a-4f7e-9b1c-2a5d6e7f8091", "client-1")
_NAMES = st.sampled_from(["Location", "location", "ETag", "Allow", "Retry-After", "X-Extra"])
_VALUES = st.text(alphabet=st.sampled_from(["a", " ", ",", "\r", "\n", "é", "\u2028"]), max_size=6)


def _constructed(
    status: int, headers: dict[str, str], body: bytes | None = None, mimetype: str | None = None
) -> func.HttpResponse | str:
    try:
        return func.HttpResponse(body, status_code=status, headers=headers, mimetype=mimetype)
    except ValueError as error:
        return str(error)


def _answer(build: object) -> list[tuple[str, str]] | str:
    try:
        response = build() if callable(build) else build
    except ValueError as error:
        return str(error)
    assert isinstance(response, func.HttpResponse)
    return list(response.headers.items())


def _expected(headers: dict[str, str], *after: tuple[str, str]) -> list[tuple[str, str]] | str:
    constructed = _constructed(201, {**headers, **dict(after)})
    return constructed if isinstance(constructed, str) else list(constructed.headers.items())


@settings(derandomize=True, database=None, max_examples=300, deadline=None)
@given(st.dictionaries(_NAMES, _VALUES, max_size=4))
def test_every_builder_gives_the_constructors_headers(headers: dict[str, str]) -> None:
    common = (*IDS.headers().items(), ("X-Content-Type-Options", "nosniff"))

    assert _answer(lambda: json_response(201, {}, IDS, headers)) == _expected(
        headers, *common, ("Content-Type", JSON_CONTENT_TYPE)
    )
    assert _answer(lambda: empty_response(201, IDS, headers)) == _expected(headers, *common)
    assert _answer(lambda: bytes_response(201, b"x", IDS, "image/png", headers)) == _expected(
        headers, *common, ("Content-Type", "image/png")
    )


def test_a_newline_in_a_value_is_refused_as_werkzeug_refuses_it() -> None:
    with pytest.raises(ValueError, match="newline") as raised:
        empty_response(204, IDS, {"Location": "/a\r\nSet-Cookie: x=1"})

    assert str(raised.value) == _constructed(204, {"Location": "/a\r\nSet-Cookie: x=1"})


def test_the_body_status_and_type_are_the_constructors() -> None:
    ours = bytes_response(200, b"\x89PNG", IDS, "image/png")
    theirs = func.HttpResponse(b"\x89PNG", status_code=200, mimetype="image/png")

    assert (ours.get_body(), ours.status_code, ours.mimetype, ours.charset) == (
        theirs.get_body(),
        theirs.status_code,
        theirs.mimetype,
        theirs.charset,
    )
    assert ours.headers["content-type"] == "image/png"
