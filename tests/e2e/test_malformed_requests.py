"""Malformed requests through the dev host, against Azurite: a documented answer, nothing stored.

Every case is sent as raw bytes on a socket (so nothing is normalised on the way: bad framing,
non-UTF-8 headers, a missing Host). Each one gets its expected status; the app's answers are
Graph's error with a ``request-id``, the dev host's own refusals (header limits, a bad Host,
framing, an oversized or slow body: see ``devtools.request_limits``) are a bare status line,
as Kestrel's are. The table's entities and the container's blobs are counted once before the
cases and once after them all: no case writes anything.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import ContainerClient
from PIL import Image

from shared.config import DEFAULT_CONTAINER_NAME
from shared.routes import BATCH_OPERATION, ROUTES, NoRoute, match
from tests import tokens
from tests.e2e.conftest import Service
from tests.leaks import assert_no_internals

DEDICATED_OID = "0f5e0c1e-7d7b-4c1a-9a55-6d2b8f3c4e71"
"""The user every authenticated case acts as: no other test writes to this partition."""
HOST_REFUSAL = "host"
"""A case the dev host refuses itself, with a bare status line."""
OVER_LIMIT = "over limit"
"""A body over the route's limit: ``413`` from the dev host (bare) or, where the host lets the
function answer a body over the function's own limit, from the app (Graph's error)."""


@dataclass(frozen=True)
class Case:
    """One request (raw bytes after the request line's target is filled in) and its answer."""

    name: str
    method: str
    target: str  # after /api/; may hold anything
    status: int
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""
    token: bool = True
    raw_head: bytes | None = None  # the whole head, for what no header list can say
    answer: str = "graph"  # "graph", HOST_REFUSAL, OVER_LIMIT or "success"
    pause_after: float = 0.0  # slow bodies: send the head and part of the body, then wait
    code: str | None = None
    host: bytes | None = None  # the Host header, when not the host's own address


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def _bearer(scopes: str = tokens.DELEGATED_SCOPES) -> bytes:
    token = tokens.build_access_token(oid=DEDICATED_OID, preferred_username=None, scp=scopes)
    return tokens.bearer(token).encode()


def _jpeg(width: int = 8, height: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 10)).save(out, "JPEG")
    return out.getvalue()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


JSON = ((b"Content-Type", b"application/json"),)
OCTETS = ((b"Content-Type", b"application/octet-stream"),)
GOOD = b'{"height": 6, "width": 5}'


# ---- every route's methods, from the route table ---------------------------------------------

_ROUTE_PATHS = sorted(
    {
        template.replace("{user}", "u1").replace("{photo-id}", "p1")
        for route in ROUTES
        for template in route.templates
    }
)
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _route_case(method: str, path: str) -> Case:
    found = match(method, path)
    if isinstance(found, NoRoute):
        if method == "OPTIONS" and found.allowed:
            return Case(f"{method} {path}", method, path, 204, token=False, answer="success")
        return Case(f"{method} {path}", method, path, 405 if found.allowed else 404, token=False)
    if found.operation == BATCH_OPERATION:  # no token needed to be told the batch is empty
        return Case(f"{method} {path}", method, path, 400, token=False)
    if found.route.anonymous:
        return Case(f"{method} {path}", method, path, 200, token=False, answer="success")
    return Case(f"{method} {path}", method, path, 401, token=False)


ROUTE_CASES = [_route_case(method, path) for path in _ROUTE_PATHS for method in _METHODS]


# ---- bodies of "Add photos" -------------------------------------------------------------------


def _post(
    name: str, body: bytes, status: int, headers: tuple[tuple[bytes, bytes], ...] = JSON
) -> Case:
    return Case(name, "POST", "me/photos", status, headers=headers, body=body)


BODY_CASES = [
    _post("no content type", GOOD, 415, ()),
    _post("text/plain", GOOD, 415, ((b"Content-Type", b"text/plain"),)),
    _post("form", GOOD, 415, ((b"Content-Type", b"application/x-www-form-urlencoded"),)),
    _post("json+latin-1", GOOD, 415, ((b"Content-Type", b"application/json; charset=latin-1"),)),
    _post("json+utf-16", GOOD, 415, ((b"Content-Type", b"application/json; charset=utf-16"),)),
    _post("empty content type", GOOD, 415, ((b"Content-Type", b""),)),
    _post("content type garbage", GOOD, 415, ((b"Content-Type", b";;;==;"),)),
    _post("empty body", b"", 400),
    _post("whitespace body", b" \r\n\t ", 400),
    _post("truncated object", b'{"height": 6, "wid', 400),
    _post("truncated string", b'{"height": 6, "width": 5, "id": "ab', 400),
    _post("trailing comma", b'{"height": 6, "width": 5,}', 400),
    _post("single quotes", b"{'height': 6, 'width': 5}", 400),
    _post("two documents", GOOD + GOOD, 400),
    _post("comment", b'{"height": 6, /* c */ "width": 5}', 400),
    _post("array", b"[1, 2]", 400),
    _post("string", b'"photo"', 400),
    _post("null", b"null", 400),
    _post("number", b"6", 400),
    _post("deep arrays", b"[" * 4000, 400),
    _post("deep objects", b'{"a":' * 800, 400),
    _post("deep in a property", b'{"height": 6, "width": 5, "x": ' + b"[" * 3000 + b"}", 400),
    _post("huge integer", b'{"height": 1' + b"0" * 4000 + b', "width": 5}', 400),
    _post("int32 + 1", b'{"height": 2147483648, "width": 5}', 400),
    _post("zero", b'{"height": 0, "width": 5}', 400),
    _post("negative", b'{"height": -6, "width": 5}', 400),
    _post("huge float", b'{"height": 1e400, "width": 5}', 400),
    _post("float", b'{"height": 6.0, "width": 5}', 400),
    _post("string number", b'{"height": "6", "width": 5}', 400),
    _post("boolean", b'{"height": true, "width": 5}', 400),
    _post("NaN", b'{"height": NaN, "width": 5}', 400),
    _post("Infinity", b'{"height": Infinity, "width": 5}', 400),
    _post("-Infinity", b'{"height": -Infinity, "width": 5}', 400),
    _post("duplicate key", b'{"height": 6, "height": 6, "width": 5}', 400),
    _post("duplicate escaped key", b'{"height": 6, "h\\u0065ight": 6, "width": 5}', 400),
    _post("non-UTF-8", b'{"height": 6, "width": 5, "id": "\xff\xfe"}', 400),
    _post("latin-1 text", '{"height": 6, "width": 5, "id": "é"}'.encode("latin-1"), 400),
    _post("UTF-16 with BOM", "\ufeff".encode("utf-16-le") + GOOD.decode().encode("utf-16-le"), 400),
    _post("BOM and broken JSON", b"\xef\xbb\xbf{", 400),
    _post("two BOMs", b"\xef\xbb\xbf\xef\xbb\xbf" + GOOD, 400),
    _post("lone surrogate id", b'{"height": 6, "width": 5, "id": "\\ud800"}', 400),
    _post("lone surrogate name", b'{"height": 6, "width": 5, "\\udfff": 1}', 400),
    _post("control character id", b'{"height": 6, "width": 5, "id": "a\\u0000b"}', 400),
    _post("C1 id", b'{"height": 6, "width": 5, "id": "a\\u0085b"}', 400),
    _post("DEL id", b'{"height": 6, "width": 5, "id": "a\\u007fb"}', 400),
    _post("newline id", b'{"height": 6, "width": 5, "id": "a\\nb"}', 400),
    _post("dot id", b'{"height": 6, "width": 5, "id": "."}', 400),
    _post("dot-dot id", b'{"height": 6, "width": 5, "id": ".."}', 400),
    _post("$ref id", b'{"height": 6, "width": 5, "id": "$REF"}', 400),
    _post("%2F id", b'{"height": 6, "width": 5, "id": "a%2fb"}', 400),
    _post("size id", b'{"height": 6, "width": 5, "id": "48x48"}', 400),
    _post("empty id", b'{"height": 6, "width": 5, "id": ""}', 400),
    _post("long id", b'{"height": 6, "width": 5, "id": "' + b"x" * 3000 + b'"}', 400),
    _post("number id", b'{"height": 6, "width": 5, "id": 7}', 400),
    _post("wrong type", b'{"@odata.type": "#microsoft.graph.user", "height": 6, "width": 5}', 400),
    _post("unknown property", b'{"height": 6, "width": 5, "colour": "red"}', 400),
    _post(
        "many unknown",
        json.dumps({f"p{i}": 1 for i in range(300)}, separators=(",", ":")).encode(),
        400,
    ),
    _post("missing width", b'{"height": 6}', 400),
    _post("nested body", b'{"profilePhoto": {"height": 6, "width": 5}}', 400),
    Case(
        "over the body limit",
        "POST",
        "me/photos",
        413,
        headers=JSON,
        body=b'{"height": 6, "width": 5, "id": "' + b"x" * 5000 + b'"}',
        answer=OVER_LIMIT,
    ),
    _post("bad idempotency key", GOOD, 400, (*JSON, (b"Idempotency-Key", b"two words"))),
    _post("long idempotency key", GOOD, 400, (*JSON, (b"Idempotency-Key", b"k" * 300))),
    Case("post to $ref, bad body", "POST", "me/photos/$ref", 400, headers=JSON, body=b"{"),
    Case(
        "post for another user, no scope",
        "POST",
        "users/bob@contoso.example/photos",
        403,
        headers=(*JSON, (b"Authorization", _bearer("User.ReadWrite"))),
        body=GOOD,
        token=False,
    ),
]


# ---- headers -----------------------------------------------------------------------------------

_RAW_GET = b"GET /api/me/photos HTTP/1.1\r\n"


def _auth(name: str, value: bytes, status: int = 401, answer: str = "graph") -> Case:
    return Case(
        name,
        "GET",
        "me/photos",
        status,
        headers=((b"Authorization", value),),
        token=False,
        answer=answer,
    )


def _put(
    name: str,
    target: str,
    body: bytes,
    status: int,
    headers: tuple[tuple[bytes, bytes], ...] = OCTETS,
) -> Case:
    return Case(name, "PUT", target, status, headers=headers, body=body)


def _refused_post(
    name: str, header: tuple[bytes, bytes], body: bytes = b"", answer: str = OVER_LIMIT
) -> Case:
    """A POST whose body is over the limit: ``413``."""
    return Case(name, "POST", "me/photos", 413, headers=(*JSON, header), body=body, answer=answer)


HEADER_CASES = [
    _auth("empty authorization", b""),
    _auth("scheme only", b"Bearer"),
    _auth("basic", b"Basic dXNlcjpwYXNz"),
    _auth("not a jwt", b"Bearer abc"),
    _auth("three empty parts", b"Bearer .."),
    _auth("garbage segments", b"Bearer a.b.c"),
    _auth("alg none", tokens.bearer(tokens.build_alg_none_token()).encode()),
    _auth("tampered", tokens.bearer(tokens.build_tampered_token()).encode()),
    _auth("expired", tokens.bearer(tokens.build_access_token_expired()).encode()),
    _auth("evil key", tokens.bearer(tokens.build_evil_access_token()).encode()),
    _auth("huge token", b"Bearer " + b"a" * 20000 + b".b.c"),
    _auth("UTF-8 in the token", "Bearer é.é.é".encode()),
    _auth("non-UTF-8 in the token", b"Bearer \xff\xfe.a.b", 400, HOST_REFUSAL),
    Case(
        "header over 32 KiB",
        "GET",
        "me/photos",
        431,
        headers=((b"X-Big", b"x" * 40000),),
        answer=HOST_REFUSAL,
    ),
    Case(
        "too many headers",
        "GET",
        "me/photos",
        431,
        headers=tuple((f"X-H{i}".encode(), b"v") for i in range(150)),
        answer=HOST_REFUSAL,
    ),
    Case("no Host", "GET", "me/photos", 400, raw_head=_RAW_GET + b"\r\n", answer=HOST_REFUSAL),
    Case(
        "two Hosts",
        "GET",
        "me/photos",
        400,
        raw_head=_RAW_GET + b"Host: a\r\nHost: b\r\n\r\n",
        answer=HOST_REFUSAL,
    ),
    Case(
        "Host with a space",
        "GET",
        "me/photos",
        400,
        raw_head=_RAW_GET + b"Host: a b\r\n\r\n",
        answer=HOST_REFUSAL,
    ),
    Case(
        "Host unclosed [",
        "GET",
        "me/photos",
        400,
        raw_head=_RAW_GET + b"Host: [::1\r\n\r\n",
        answer=HOST_REFUSAL,
    ),
    Case(
        "Host non-UTF-8",
        "GET",
        "me/photos",
        400,
        raw_head=_RAW_GET + b"Host: h\xff\r\n\r\n",
        answer=HOST_REFUSAL,
    ),
    Case(
        "Host with userinfo",
        "GET",
        "me/photos",
        400,
        raw_head=_RAW_GET + b"Host: u@h\r\n\r\n",
        answer=HOST_REFUSAL,
    ),
    Case(
        "Host with a 6-digit port",
        "POST",
        "me/photos",
        400,
        headers=JSON,
        body=GOOD,
        host=b"h:123456",
    ),
    Case(
        "Host a bare colon run",
        "POST",
        "me/photos",
        400,
        headers=JSON,
        body=GOOD,
        host=b"h::1",
        answer=HOST_REFUSAL,
    ),
    Case(
        "non-ASCII header name",
        "GET",
        "me/photos",
        400,
        raw_head=_RAW_GET + b"Host: h\r\nX-\xc3\xa9: v\r\n\r\n",
        answer=HOST_REFUSAL,
    ),
    Case(
        "header without a colon",
        "GET",
        "me/photos",
        400,
        raw_head=_RAW_GET + b"Host: h\r\nnocolon\r\n\r\n",
        answer=HOST_REFUSAL,
    ),
    Case(
        "UTF-8 header value",
        "GET",
        "me/photos",
        200,
        headers=((b"X-Name", "é日本".encode()),),
        answer="success",
    ),
    Case(
        "odd client-request-id",
        "GET",
        "me/photos/none",
        404,
        headers=((b"client-request-id", b"<script>" + b"x" * 300),),
    ),
    Case(
        "Accept html on $value", "GET", "me/photo/$value", 406, headers=((b"Accept", b"text/html"),)
    ),
    Case("Accept q=0", "GET", "me/photo/$value", 406, headers=((b"Accept", b"image/jpeg;q=0"),)),
    _put(
        "If-Match garbage", "me/photo/$value", _jpeg(), 400, (*OCTETS, (b"If-Match", b"not-a-tag"))
    ),
    _put(
        "If-Match 30 tags",
        "me/photo/$value",
        _jpeg(),
        400,
        (*OCTETS, (b"If-Match", b", ".join([b'"t"'] * 30))),
    ),
    _put("If-Match stale", "me/photo/$value", _jpeg(), 412, (*OCTETS, (b"If-Match", b'"stale"'))),
    Case(
        "If-None-Match garbage, no photo",
        "GET",
        "me/photo/$value",
        404,
        headers=((b"If-None-Match", b"garbage"),),
    ),
    Case(
        "Content-Length not a number",
        "POST",
        "me/photos",
        400,
        raw_head=b"POST /api/me/photos HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
        answer=HOST_REFUSAL,
    ),
    Case(
        "two Content-Lengths",
        "POST",
        "me/photos",
        400,
        raw_head=(
            b"POST /api/me/photos HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
            b"Content-Length: 2\r\n\r\nab"
        ),
        answer=HOST_REFUSAL,
    ),
    Case(
        "bad chunked framing",
        "POST",
        "me/photos",
        400,
        raw_head=(
            b"POST /api/me/photos HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
        ),
        answer=HOST_REFUSAL,
    ),
    _refused_post(  # over the host's own limit too
        "declared body over the limit", (b"Content-Length", b"999999999"), answer=HOST_REFUSAL
    ),
    _refused_post(
        "chunked body over the limit",
        (b"Transfer-Encoding", b"chunked"),
        b"2000\r\n" + b"x" * 0x2000 + b"\r\n0\r\n\r\n",
    ),
    Case(
        "slow body",
        "POST",
        "me/photos",
        408,
        headers=(*JSON, (b"Content-Length", b"100")),
        body=b'{"height"',
        answer=HOST_REFUSAL,
        pause_after=7.0,
    ),
    Case("bad request line", "GET", "", 400, raw_head=b"GARBAGE\r\n\r\n", answer=HOST_REFUSAL),
    Case(
        "HTTP/2 preface",
        "GET",
        "",
        400,
        raw_head=b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        answer=HOST_REFUSAL,
    ),
]


# ---- query strings and paths -------------------------------------------------------------------


def _get(name: str, target: str, status: int, code: str | None = None) -> Case:
    return Case(name, "GET", target, status, code=code)


QUERY_CASES = [
    _get("$top=0", "me/photos?$top=0", 400),
    _get("$top=-1", "me/photos?$top=-1", 400),
    _get("$top=1000", "me/photos?$top=1000", 400),
    _get("$top=abc", "me/photos?$top=abc", 400),
    _get("$top huge", "me/photos?$top=" + "9" * 5000, 400),
    _get("$top twice", "me/photos?$top=1&$top=2", 400),
    _get("$TOP and $top", "me/photos?$TOP=1&$top=2", 400),
    _get("$filter", "me/photos?$filter=id%20eq%20'a'", 400),
    _get("$expand", "me/photos?$expand=*", 400),
    _get("$select unknown", "me/photos?$select=colour", 400),
    _get("$select long", "me/photos?$select=" + "x" * 3000, 400),
    _get("$skiptoken garbage", "me/photos?$skiptoken=!!!", 400),
    _get("$skiptoken nested", "me/photos?$skiptoken=" + _b64(b"[" * 1000), 400),
    _get("$skiptoken deep object", "me/photos?$skiptoken=" + _b64(b'{"a":' * 500), 400),
    _get("$skiptoken wrong shape", "me/photos?$skiptoken=" + _b64(b'{"createdAt": 1}'), 400),
    _get("$skiptoken non-UTF-8", "me/photos?$skiptoken=" + _b64(b"\xff\xfe\xfd"), 400),
    _get("$skiptoken too long", "me/photos?$skiptoken=" + "A" * 5000, 400),
    _get("percent garbage in a name", "me/photos?$%zz=1", 400),
    _get("non-UTF-8 percent in a name", "me/photos?$%ff=1", 400),
    _get("$select on an item", "me/photos/p1?$top=1", 400),
    _get("no such photo, odd query", "me/photos/none?a=%00&b", 404),
    Case("plain unknown option", "GET", "me/photos?colour=red", 200, answer="success"),
]

PATH_CASES = [
    _get("upper case", "ME/PHOTOS/none", 404),
    _get("double slash", "me//photos", 404),
    _get("dot segment", "me/photos/%2e", 404),
    _get("dot-dot segment", "me/photos/%2e%2e", 404),
    _get("encoded slash in user", "users/a%2Fb/photos", 400),  # neither an object id nor a UPN
    _get("null byte photo", "me/photos/a%00b", 400),
    _get("DEL photo", "me/photos/a%7Fb", 400),
    _get("C1 photo", "me/photos/a%C2%85b", 400),
    _get("tab user", "users/a%09b/photos", 400),
    _get("null byte user", "users/%00/photos", 400),
    _get("overlong UTF-8", "me/photos/%C0%AF", 404),
    _get("invalid UTF-8", "me/photos/%FF%FE", 404),
    _get("lone surrogate encoded", "me/photos/%ED%A0%80", 404),
    _get("long photo id", "me/photos/" + "x" * 3000, 404),
    _get("long unknown path", "x/" * 2000, 404),
    _get("backslash", "me\\photos", 404),
    _get("$ref read", "me/photos/$ref", 405),
    _get("space in id", "me/photos/a%20b", 404),
    Case("path over the line limit", "GET", "me/photos/" + "x" * 9000, 414, answer=HOST_REFUSAL),
    Case("raw non-ASCII path", "GET", "me/photos/\u00e9", 400, answer=HOST_REFUSAL),
]


# ---- image bytes on the $value routes ---------------------------------------------------------


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMAGE_CASES = [
    _put("empty image", "me/photo/$value", b"", 400),
    _put("text as image", "me/photo/$value", b"hello, world", 400),
    _put("truncated jpeg", "me/photo/$value", _jpeg()[:40], 400),
    _put("jpeg header only", "me/photo/$value", b"\xff\xd8\xff\xe0", 400),
    _put("png signature only", "me/photo/$value", _PNG_SIGNATURE, 400),
    _put("gif header only", "me/photo/$value", b"GIF89a", 400),
    _put("svg", "me/photo/$value", b'<svg xmlns="http://www.w3.org/2000/svg"/>', 400),
    _put("json content type", "me/photo/$value", _jpeg(), 415, JSON),
    _put("text content type", "me/photo/$value", _jpeg(), 415, ((b"Content-Type", b"text/plain"),)),
    _put(
        "+json content type",
        "me/photo/$value",
        _jpeg(),
        415,
        ((b"Content-Type", b"application/problem+json"),),
    ),
    _put("patch garbage", "me/photo/$value", b"\x00" * 100, 400),
    _put("no such photo", "me/photos/none/$value", _jpeg(), 404),
    _put("size is read-only", "me/photos/48x48/$value", _jpeg(), 405),
    _put("control character photo", "me/photos/a%01b/$value", _jpeg(), 400),
    Case(
        "image over the limit, declared",
        "PUT",
        "me/photo/$value",
        413,
        headers=(*OCTETS, (b"Content-Length", b"99999999")),
        answer=OVER_LIMIT,
    ),
    Case("delete a size", "DELETE", "me/photos/48x48", 405),
    Case("get no photo", "GET", "me/photo/$value", 404),
    Case("get no photo item", "GET", "me/photos/none/$value", 404),
]

ALL_CASES = ROUTE_CASES + BODY_CASES + HEADER_CASES + QUERY_CASES + PATH_CASES + IMAGE_CASES


# ---- sending ------------------------------------------------------------------------------------


def _head(case: Case, authority: str, bearer: bytes) -> bytes:
    if case.raw_head is not None:
        return case.raw_head
    host = authority.encode() if case.host is None else case.host
    lines = [f"{case.method} /api/{case.target} HTTP/1.1".encode(), b"Host: " + host]
    if case.token:
        lines.append(b"Authorization: " + bearer)
    names = {name.lower() for name, _value in case.headers}
    lines += [name + b": " + value for name, value in case.headers]
    if b"content-length" not in names and b"transfer-encoding" not in names:
        lines.append(f"Content-Length: {len(case.body)}".encode())
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + (b"" if case.raw_head else case.body)


def _exchange(host: str, port: int, request: bytes, pause: float) -> Answer:
    with socket.create_connection((host, port), timeout=30) as connection:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(request)  # refused before the body was read: the answer stays
        if pause:
            time.sleep(pause)
        received = b""
        while True:
            try:
                chunk = connection.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    return _parse(received)


def _parse(raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _unchunk(body)
    return Answer(int(status_line.split(" ")[1]), headers, body)


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, data = out + data[:size], data[size + 2 :]
    return out


# ---- counting -----------------------------------------------------------------------------------


def _counts(service: Service) -> tuple[int, int]:
    container = ContainerClient.from_connection_string(
        service.connection_string, DEFAULT_CONTAINER_NAME
    )
    with container:
        try:
            blobs = sum(1 for _blob in container.list_blobs())
        except ResourceNotFoundError:
            blobs = 0
    try:
        entities = len(service.entities())
    except ResourceNotFoundError:  # the table is made on first use
        entities = 0
    return entities, blobs


@pytest.fixture(scope="module")
def before(service: Service) -> tuple[int, int]:
    return _counts(service)


@pytest.fixture(scope="module")
def bearer() -> bytes:
    return _bearer()


@pytest.fixture(scope="module")
def address(service: Service) -> Iterator[tuple[str, int, str]]:
    parts = urlsplit(service.base_url)
    yield parts.hostname or "", parts.port or 80, parts.netloc


def test_there_are_enough_distinct_cases() -> None:
    assert len({case.name for case in ALL_CASES}) == len(ALL_CASES) >= 150


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.name for case in ALL_CASES])
def test_malformed_request(
    case: Case, before: tuple[int, int], bearer: bytes, address: tuple[str, int, str]
) -> None:
    host, port, authority = address
    answer = _exchange(host, port, _head(case, authority, bearer), case.pause_after)
    assert_no_internals(answer.body)

    assert answer.status == case.status, (answer.status, answer.body[:300])
    if case.answer == HOST_REFUSAL or (case.answer == OVER_LIMIT and not answer.body):
        assert answer.body == b""
        return
    assert answer.headers.get("x-content-type-options") == "nosniff"
    assert answer.headers.get("request-id")
    if case.answer == "success" or case.method == "HEAD":
        return
    assert answer.headers["cache-control"] == "no-store"
    error = json.loads(answer.body)["error"]
    assert error["innerError"]["request-id"] == answer.headers["request-id"]
    assert len(answer.body) < 2048
    if case.code is not None:
        assert error["code"] == case.code


def test_no_case_wrote_anything(service: Service, before: tuple[int, int]) -> None:
    assert _counts(service) == before
