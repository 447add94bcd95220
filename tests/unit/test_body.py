from __future__ import annotations

import json

import pytest

from shared.graph.body import parse_photo
from shared.graph.errors import GraphError
from shared.limits import MAX_BODY_BYTES
from shared.models import MAX_ID_LENGTH
from tests.awkward_ids import ACCEPTED_AWKWARD_IDS

JSON = "application/json"
GOOD = b'{"height": 6, "width": 5}'


def body(**properties: object) -> bytes:
    """A JSON body: height 6 and width 5 unless overridden; a value of ... drops the property."""
    document: dict[str, object] = {"height": 6, "width": 5}
    for name, value in properties.items():
        name = {"odata_type": "@odata.type"}.get(name, name)
        if value is ...:
            document.pop(name, None)
        else:
            document[name] = value
    return json.dumps(document).encode()


def raw(text: str) -> bytes:
    return text.encode()


BAD = [
    # (id, content type, body, status, code, message fragment)
    ("no content type", None, GOOD, 415, "UnsupportedMediaType", "Content-Type header is missing"),
    ("blank content type", "  ", GOOD, 415, "UnsupportedMediaType", "missing"),
    ("text/plain", "text/plain", GOOD, 415, "UnsupportedMediaType", "'text/plain'"),
    ("application/xml", "application/xml", GOOD, 415, "UnsupportedMediaType", "application/xml"),
    ("form", "application/x-www-form-urlencoded", GOOD, 415, "UnsupportedMediaType", "form"),
    ("json suffix", "application/merge-patch+json", GOOD, 415, "UnsupportedMediaType", "patch"),
    ("text/json", "text/json", GOOD, 415, "UnsupportedMediaType", "application/json"),
    ("wildcard", "*/*", GOOD, 415, "UnsupportedMediaType", "*/*"),
    ("latin-1", "application/json; charset=iso-8859-1", GOOD, 415, "UnsupportedMediaType", "iso"),
    ("utf-16", "application/json;charset=utf-16", GOOD, 415, "UnsupportedMediaType", "utf-16"),
    ("too big", JSON, b" " * (MAX_BODY_BYTES - 1) + b"{}", 413, "RequestEntityTooLarge", "4096"),
    (
        "too big id",
        JSON,
        body(id="x" * MAX_BODY_BYTES),
        413,
        "RequestEntityTooLarge",
        "limit is 4096 bytes",
    ),
    ("empty", JSON, b"", 400, "BadRequest", "body is empty"),
    ("whitespace", JSON, b" \r\n\t ", 400, "BadRequest", "body is empty"),
    ("bom only", JSON, b"\xef\xbb\xbf", 400, "BadRequest", "body is empty"),
    ("two boms", JSON, b"\xef\xbb\xbf" * 2 + GOOD, 400, "BadRequest", "Unexpected UTF-8 BOM"),
    ("not utf-8", JSON, b'{"id": "\xff", "height": 6, "width": 5}', 400, "BadRequest", "UTF-8"),
    ("utf-16 body", JSON, GOOD.decode().encode("utf-16"), 400, "BadRequest", "UTF-8"),
    ("truncated", JSON, raw('{"height": 6,'), 400, "BadRequest", "line 1, column 14"),
    (
        "second line",
        JSON,
        raw('{"height": 6,\n  "width" 5}'),
        400,
        "BadRequest",
        "line 2, column 11",
    ),
    ("single quotes", JSON, raw("{'height': 6}"), 400, "BadRequest", "not valid JSON"),
    ("trailing comma", JSON, raw('{"height": 6, "width": 5,}'), 400, "BadRequest", "column 26"),
    ("trailing data", JSON, raw('{"height": 6, "width": 5} {}'), 400, "BadRequest", "Extra data"),
    ("comment", JSON, raw('{"height": 6, /* x */ "width": 5}'), 400, "BadRequest", "column 15"),
    ("NaN", JSON, raw('{"height": NaN, "width": 5}'), 400, "BadRequest", "NaN and Infinity"),
    ("Infinity", JSON, raw('{"height": Infinity, "width": 5}'), 400, "BadRequest", "NaN and"),
    ("-Infinity", JSON, raw('{"height": -Infinity, "width": 5}'), 400, "BadRequest", "NaN and"),
    ("deep nesting", JSON, raw("[" * 4000), 400, "BadRequest", "nested too deeply"),
    (
        "duplicate",
        JSON,
        raw('{"height": 6, "height": 7, "width": 5}'),
        400,
        "BadRequest",
        "'height' appears more than once",
    ),
    (
        "array",
        JSON,
        raw("[]"),
        400,
        "BadRequest",
        "must be a JSON object (microsoft.graph.profilePhoto); got an array",
    ),
    (
        "string",
        JSON,
        raw('"photo"'),
        400,
        "BadRequest",
        'JSON object (microsoft.graph.profilePhoto); got "photo"',
    ),
    ("number", JSON, raw("6"), 400, "BadRequest", "got 6."),
    ("null", JSON, raw("null"), 400, "BadRequest", "got null."),
    ("true", JSON, raw("true"), 400, "BadRequest", "got true."),
    ("empty object", JSON, raw("{}"), 400, "BadRequest", "Property 'height' is required"),
    (
        "missing height",
        JSON,
        body(height=...),
        400,
        "BadRequest",
        "Property 'height' is required: a JSON integer between 1 and 2147483647.",
    ),
    ("missing width", JSON, body(width=...), 400, "BadRequest", "Property 'width' is required"),
    (
        "height 0",
        JSON,
        body(height=0),
        400,
        "BadRequest",
        "Property 'height' must be a JSON integer between 1 and 2147483647; got 0.",
    ),
    ("height -1", JSON, body(height=-1), 400, "BadRequest", "got -1."),
    ("height 2^31", JSON, body(height=2**31), 400, "BadRequest", "got 2147483648."),
    ("height 2^63", JSON, body(height=2**63), 400, "BadRequest", "got 9223372036854775808."),
    (
        "height huge",
        JSON,
        body(height=10**300),
        400,
        "BadRequest",
        "got 100000000000000000000000000000000000000….",
    ),
    (
        "height 6.0",
        JSON,
        raw('{"height": 6.0, "width": 5}'),
        400,
        "BadRequest",
        "Property 'height' must be a JSON integer between 1 and 2147483647; got 6.0.",
    ),
    ("height 6.5", JSON, raw('{"height": 6.5, "width": 5}'), 400, "BadRequest", "got 6.5."),
    ("height 1e3", JSON, raw('{"height": 1e3, "width": 5}'), 400, "BadRequest", "got 1e3."),
    ("height 1e400", JSON, raw('{"height": 1e400, "width": 5}'), 400, "BadRequest", "got 1e400."),
    ("height -0.0", JSON, raw('{"height": -0.0, "width": 5}'), 400, "BadRequest", "got -0.0."),
    ("height '6'", JSON, body(height="6"), 400, "BadRequest", 'got "6".'),
    ("height true", JSON, body(height=True), 400, "BadRequest", "got true."),
    ("height false", JSON, body(height=False), 400, "BadRequest", "got false."),
    (
        "height null",
        JSON,
        body(height=None),
        400,
        "BadRequest",
        "'height' must be a JSON integer between 1 and 2147483647; got null.",
    ),
    ("height array", JSON, body(height=[6]), 400, "BadRequest", "got an array."),
    ("height object", JSON, body(height={"value": 6}), 400, "BadRequest", "got an object."),
    ("width 0", JSON, body(width=0), 400, "BadRequest", "Property 'width' must be a JSON integer"),
    ("width float", JSON, raw('{"height": 6, "width": 5.0}'), 400, "BadRequest", "'width'"),
    (
        "both bad",
        JSON,
        body(height=0, width="x"),
        400,
        "BadRequest",
        "'height' must be a JSON integer between 1 and 2147483647; got 0. Property 'width'",
    ),
    (
        "wrong type",
        JSON,
        body(odata_type="#microsoft.graph.user"),
        400,
        "BadRequest",
        "Property '@odata.type' must be '#microsoft.graph.profilePhoto' when present; "
        'got "#microsoft.graph.user".',
    ),
    (
        "type no hash",
        JSON,
        body(odata_type="microsoft.graph.profilePhoto"),
        400,
        "BadRequest",
        "'@odata.type'",
    ),
    (
        "type case",
        JSON,
        body(odata_type="#Microsoft.Graph.ProfilePhoto"),
        400,
        "BadRequest",
        "'@odata.type'",
    ),
    (
        "type number",
        JSON,
        body(odata_type=5),
        400,
        "BadRequest",
        "'@odata.type' must be '#microsoft.graph.profilePhoto' when present; got 5.",
    ),
    ("type object", JSON, body(odata_type={}), 400, "BadRequest", "got an object"),
    ("id empty", JSON, body(id=""), 400, "BadRequest", "Property 'id' must not be empty"),
    (
        "id number",
        JSON,
        body(id=5),
        400,
        "BadRequest",
        "Property 'id' must be a JSON string; got 5.",
    ),
    ("id true", JSON, body(id=True), 400, "BadRequest", "'id' must be a JSON string; got true."),
    (
        "id array",
        JSON,
        body(id=["a"]),
        400,
        "BadRequest",
        "'id' must be a JSON string; got an array.",
    ),
    (
        "id too long",
        JSON,
        body(id="x" * (MAX_ID_LENGTH + 1)),
        400,
        "BadRequest",
        f"Property 'id' must be at most {MAX_ID_LENGTH} characters; got {MAX_ID_LENGTH + 1}.",
    ),
    (
        "id lone surrogate",
        JSON,
        raw('{"id": "\\ud800", "height": 6, "width": 5}'),
        400,
        "BadRequest",
        "unpaired surrogate",
    ),
    (
        "id dot",
        JSON,
        body(id="."),
        400,
        "BadRequest",
        "Property 'id' cannot be '.': URLs resolve '.' and '..' path segments, so the photo "
        "could never be read or deleted.",
    ),
    ("id dot dot", JSON, body(id=".."), 400, "BadRequest", "Property 'id' cannot be '..'"),
    (
        "id $ref",
        JSON,
        body(id="$ref"),
        400,
        "BadRequest",
        "Property 'id' cannot be '$ref' (in any case): '…/photos/$ref' is the collection's "
        "reference path, so the photo could never be read or deleted.",
    ),
    ("id $REF", JSON, body(id="$REF"), 400, "BadRequest", "Property 'id' cannot be '$ref'"),
    ("id $Ref", JSON, body(id="$Ref"), 400, "BadRequest", "Property 'id' cannot be '$ref'"),
    (
        "id %2F",
        JSON,
        body(id="a%2Fb"),
        400,
        "BadRequest",
        "Property 'id' must not contain '%2F' (in any case): in a URL path it reads as '/', "
        "so the photo could never be read or deleted.",
    ),
    ("id %2f", JSON, body(id="%2f"), 400, "BadRequest", "must not contain '%2F'"),
    ("id ends %2F", JSON, body(id="x" * 200 + "%2F"), 400, "BadRequest", "'%2F'"),
    (
        "id %2F escaped",
        JSON,
        raw('{"id": "\\u0025\\u0032\\u0046", "height": 6, "width": 5}'),
        400,
        "BadRequest",
        "'%2F'",
    ),
    (
        "id dot and bad height",
        JSON,
        body(id="..", height=0),
        400,
        "BadRequest",
        "Property 'id' cannot be '..': URLs resolve '.' and '..' path segments, so the photo "
        "could never be read or deleted. Property 'height' must be a JSON integer",
    ),
    (
        "unknown",
        JSON,
        body(color="red"),
        400,
        "BadRequest",
        "Property 'color' does not exist on type 'microsoft.graph.profilePhoto'.",
    ),
    (
        "several unknown",
        JSON,
        body(color="red", size=1),
        400,
        "BadRequest",
        "Property 'color' does not exist on type 'microsoft.graph.profilePhoto'. "
        "Property 'size' does not exist",
    ),
    (
        "python name",
        JSON,
        raw('{"odata_type": "#microsoft.graph.profilePhoto", "height": 6, "width": 5}'),
        400,
        "BadRequest",
        "Property 'odata_type' does not exist",
    ),
    (
        "nested object",
        JSON,
        body(metadata={"a": {"b": 1}}),
        400,
        "BadRequest",
        "Property 'metadata' does not exist",
    ),
    (
        "@ without a namespace: no annotation",
        JSON,
        body(**{"@context": "x"}),
        400,
        "BadRequest",
        "Property '@context' does not exist",
    ),
    ("case matters", JSON, body(Height=6), 400, "BadRequest", "Property 'Height' does not exist"),
    (
        "unknown and bad",
        JSON,
        body(color=1, height=0),
        400,
        "BadRequest",
        "Property 'color' does not exist on type 'microsoft.graph.profilePhoto'. "
        "Property 'height' must be",
    ),
    (
        "long unknown name",
        JSON,
        body(**{"x" * 100: 1}),
        400,
        "BadRequest",
        "Property 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' does not exist",
    ),
    (
        "duplicate nested",
        JSON,
        raw('{"height": 6, "width": 5, "x": {"a": 1, "a": 2}}'),
        400,
        "BadRequest",
        "'a' appears more than once",
    ),
]


def test_at_least_40_bad_cases() -> None:
    assert len(BAD) >= 40


@pytest.mark.parametrize(
    ("content_type", "payload", "status", "code", "fragment"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_request(
    content_type: str | None, payload: bytes, status: int, code: str, fragment: str
) -> None:
    with pytest.raises(GraphError) as caught:
        parse_photo(content_type, payload)
    error = caught.value
    assert (error.status, error.code) == (status, code), error.message
    assert fragment in error.message


GOOD_CASES = [
    ("minimal", JSON, GOOD, (None, 6, 5)),
    ("charset utf-8", "application/json; charset=utf-8", GOOD, (None, 6, 5)),
    ("charset UTF-8 quoted", 'application/json;charset="UTF-8"', GOOD, (None, 6, 5)),
    ("charset utf8", "application/json; charset=utf8", GOOD, (None, 6, 5)),
    ("media type case", "Application/JSON", GOOD, (None, 6, 5)),
    (
        "odata parameters",
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false",
        GOOD,
        (None, 6, 5),
    ),
    ("spaces around", " application/json ; charset=utf-8 ", GOOD, (None, 6, 5)),
    ("bom", JSON, b"\xef\xbb\xbf" + GOOD, (None, 6, 5)),
    ("whitespace around", JSON, b"\n\t " + GOOD + b"\r\n", (None, 6, 5)),
    ("with type", JSON, body(odata_type="#microsoft.graph.profilePhoto"), (None, 6, 5)),
    ("type null", JSON, body(odata_type=None), (None, 6, 5)),
    ("id", JSON, body(id="photo-1"), ("photo-1", 6, 5)),
    ("id null", JSON, body(id=None), (None, 6, 5)),
    ("guest upn id", JSON, body(id="a_b.com#EXT#@c.com"), ("a_b.com#EXT#@c.com", 6, 5)),
    ("awkward id", JSON, body(id="a/b\\c?d#e%f'g\u00a0"), ("a/b\\c?d#e%f'g\u00a0", 6, 5)),
    ("unicode id", JSON, body(id="日本😀é"), ("日本😀é", 6, 5)),
    (
        "escaped unicode id",
        JSON,
        raw('{"id": "\\ud83d\\ude00", "height": 6, "width": 5}'),
        ("😀", 6, 5),
    ),
    ("max id", JSON, body(id="😀" * MAX_ID_LENGTH), ("😀" * MAX_ID_LENGTH, 6, 5)),
    ("id of three dots", JSON, body(id="..."), ("...", 6, 5)),
    ("id dot and more", JSON, body(id=".a"), (".a", 6, 5)),
    ("id dot slash", JSON, body(id="./"), ("./", 6, 5)),
    ("id dot space", JSON, body(id=". "), (". ", 6, 5)),
    ("id $refs", JSON, body(id="$refs"), ("$refs", 6, 5)),
    ("id ref", JSON, body(id="ref"), ("ref", 6, 5)),
    ("id %2", JSON, body(id="%2"), ("%2", 6, 5)),
    ("id %252F", JSON, body(id="%252F"), ("%252F", 6, 5)),
    ("id %2 F", JSON, body(id="%2 F"), ("%2 F", 6, 5)),
    ("id slash", JSON, body(id="/"), ("/", 6, 5)),
    ("int32 bounds", JSON, body(height=1, width=2147483647), (None, 1, 2147483647)),
    ("property order", JSON, raw('{"width": 5, "id": "z", "height": 6}'), ("z", 6, 5)),
    ("exact limit", JSON, GOOD + b" " * (MAX_BODY_BYTES - len(GOOD)), (None, 6, 5)),
]


@pytest.mark.parametrize(
    ("content_type", "payload", "expected"),
    [case[1:] for case in GOOD_CASES],
    ids=[case[0] for case in GOOD_CASES],
)
def test_good_body(
    content_type: str, payload: bytes, expected: tuple[str | None, int, int]
) -> None:
    photo = parse_photo(content_type, payload)
    assert (photo.id, photo.height, photo.width) == expected


def test_largest_valid_body_fits_the_limit() -> None:
    escaped_id = "\\ud83d\\ude00" * MAX_ID_LENGTH  # every character as a surrogate-pair escape
    payload = (
        '{"@odata.type": "#microsoft.graph.profilePhoto", '
        f'"id": "{escaped_id}", "height": 2147483647, "width": 2147483647}}'
    ).encode()
    assert len(payload) <= MAX_BODY_BYTES
    assert parse_photo(JSON, payload).id == "😀" * MAX_ID_LENGTH


def test_content_type_is_checked_before_size() -> None:
    with pytest.raises(GraphError) as caught:
        parse_photo("text/plain", b"x" * (MAX_BODY_BYTES + 1))
    assert caught.value.status == 415


def test_messages_are_encodable_even_for_lone_surrogates() -> None:
    payload = raw('{"\\udc00": 1, "height": 6, "width": 5}')
    with pytest.raises(GraphError) as caught:
        parse_photo(JSON, payload)
    caught.value.message.encode("utf-8")
    assert "Property name '\\udc00' is not valid Unicode" in caught.value.message


@pytest.mark.parametrize("photo_id", ACCEPTED_AWKWARD_IDS)
def test_awkward_ids_are_valid(photo_id: str) -> None:
    assert parse_photo(JSON, body(id=photo_id)).id == photo_id
