"""OData query options of the read operations: $top, $skiptoken, $select."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.graph.errors import BadRequest
from shared.graph.query import (
    DEFAULT_TOP,
    ListOptions,
    decode_skiptoken,
    encode_skiptoken,
    next_page_query,
    parse_item_options,
    parse_list_options,
    selected,
)
from shared.photo_order import PhotoPosition

POSITION = PhotoPosition(datetime(2026, 11, 27, 14, 0, 0, 123456, tzinfo=UTC), "a/b#c'é")
PHOTO = {"@odata.type": "#microsoft.graph.profilePhoto", "id": "p1", "height": 6, "width": 5}


def test_defaults() -> None:
    assert parse_list_options({}) == ListOptions(top=DEFAULT_TOP, after=None, select=())
    assert DEFAULT_TOP == 100


@pytest.mark.parametrize(("value", "top"), [("1", 1), ("999", 999), ("0042", 42)])
def test_top(value: str, top: int) -> None:
    assert parse_list_options({"$top": value}).top == top


@pytest.mark.parametrize("value", ["0", "1000", "-1", "+5", " 5", "5.0", "", "x", "1,2", "\u0665"])
def test_bad_top_is_a_bad_request(value: str) -> None:
    with pytest.raises(BadRequest, match=r"\$top"):
        parse_list_options({"$top": value})


def test_option_names_ignore_case() -> None:
    options = parse_list_options({"$TOP": "3", "$Select": "ID"})
    assert (options.top, options.select) == (3, ("id",))


def test_other_parameters_are_left_alone() -> None:
    assert parse_list_options({"code": "x", "topmost": "5"}) == ListOptions()


@pytest.mark.parametrize("name", ["$filter", "$orderby", "$skip", "$count", "$expand", "$foo"])
def test_unsupported_options_are_refused(name: str) -> None:
    with pytest.raises(BadRequest, match="not supported") as raised:
        parse_list_options({name: "x"})
    assert name in raised.value.message


def test_an_option_twice_in_two_cases_is_refused() -> None:
    with pytest.raises(BadRequest, match="more than once"):
        parse_list_options({"$top": "1", "$TOP": "2"})


def test_select_keeps_the_model_order_and_drops_repeats() -> None:
    assert parse_list_options({"$select": "width, id,WIDTH"}).select == ("id", "width")


@pytest.mark.parametrize("value", ["", "color", "id,", "id,,width", "*"])
def test_bad_select_names_the_property(value: str) -> None:
    with pytest.raises(BadRequest, match="Could not find a property named"):
        parse_list_options({"$select": value})


def test_item_options_take_only_select() -> None:
    assert parse_item_options({"$select": "height"}) == ("height",)
    assert parse_item_options({}) == ()
    for name in ("$top", "$skiptoken"):
        with pytest.raises(BadRequest, match="not supported"):
            parse_item_options({name: "1"})


def test_selected_keeps_annotations() -> None:
    assert selected(PHOTO, ("width",)) == {"@odata.type": PHOTO["@odata.type"], "width": 5}
    assert selected(PHOTO, ()) == PHOTO


def test_skiptoken_round_trip() -> None:
    token = encode_skiptoken(POSITION)
    assert token.isascii() and "=" not in token and "/" not in token and "+" not in token
    assert decode_skiptoken(token) == POSITION
    assert parse_list_options({"$skiptoken": token}).after == POSITION


def test_skiptoken_time_comes_back_in_utc() -> None:
    local = PhotoPosition(datetime(2026, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))), "p")
    decoded = decode_skiptoken(encode_skiptoken(local))
    assert decoded == local
    assert decoded.created_at.utcoffset() == timedelta(0)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize(
    "token",
    [
        "",
        "!!!",
        "a",
        _b64(b"not json"),
        _b64(b"[1, 2]"),
        _b64(b'"text"'),
        _b64(b'{"createdAt": "2026-01-01T00:00:00+00:00"}'),
        _b64(b'{"createdAt": "2026-01-01T00:00:00", "id": "p"}'),  # no time zone
        _b64(b'{"createdAt": "yesterday", "id": "p"}'),
        _b64(b'{"createdAt": 5, "id": "p"}'),
        _b64(b'{"createdAt": "2026-01-01T00:00:00+00:00", "id": ""}'),
        _b64(b'{"createdAt": "2026-01-01T00:00:00+00:00", "id": 7}'),
        _b64(b'{"createdAt": "2026-01-01T00:00:00+00:00", "id": "\\ud800"}'),  # lone surrogate
        _b64(b'{"createdAt": "0001-01-01T00:00:00+01:00", "id": "p"}'),  # before year 1 in UTC
        _b64(b'{"createdAt": "9999-12-31T23:59:59-01:00", "id": "p"}'),  # after 9999 in UTC
        _b64(b'{"createdAt": "1600-12-31T23:59:59.999999+00:00", "id": "p"}'),  # before 1601
        _b64(b'{"createdAt": "1601-01-01T00:30:00+01:00", "id": "p"}'),  # 1600 in UTC
        _b64(b'{"createdAt": "0001-01-01T00:00:00+00:00", "id": "p"}'),
        _b64(b'{"createdAt": "1000-06-15T12:00:00+00:00", "id": "p"}'),
        _b64(b"\xff\xfe"),
        "A" * 5000,
        _b64(b"[" * 1000),  # json.loads would run out of recursion
        _b64(b"{" * 1000),
        _b64(b'{"createdAt": "2026-01-01T00:00:00+00:00", "id": "p", "x": [[]]}'),
        _b64(b'{"createdAt": "2026-01-01T00:00:00+00:00", "id": "p"}]]]'),
    ],
)
def test_bad_skiptoken_is_a_bad_request(token: str) -> None:
    with pytest.raises(BadRequest, match=r"\$skiptoken"):
        parse_list_options({"$skiptoken": token})


@pytest.mark.parametrize(
    "created_at",
    [
        datetime(1601, 1, 1, tzinfo=UTC),
        datetime(1601, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1))),  # 00:00 UTC
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(9999, 12, 31, 22, 59, tzinfo=timezone(timedelta(hours=-1))),  # 23:59 UTC
    ],
    ids=["first", "first-as-+01:00", "last", "last-as--01:00"],
)
def test_skiptoken_at_the_edges_of_table_storage_time_is_fine(created_at: datetime) -> None:
    position = PhotoPosition(created_at, "p")
    assert decode_skiptoken(encode_skiptoken(position)) == position


def test_brackets_inside_the_id_are_not_nesting() -> None:
    position = PhotoPosition(datetime(2026, 1, 1, tzinfo=UTC), 'a[{"\\[b')
    assert decode_skiptoken(encode_skiptoken(position)) == position


def test_next_page_query_replaces_the_skiptoken_and_keeps_the_rest() -> None:
    query = next_page_query({"$top": "2", "$SkipToken": "old", "$select": "id"}, "new")
    assert query == {"$top": "2", "$select": "id", "$skiptoken": "new"}
