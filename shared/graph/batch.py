"""Graph's JSON batching, the wire format: a ``$batch`` body in, each item's answer out.

``parse_batch`` is a pure function from (Content-Type, bytes) to the batch's items. A malformed
batch is one ``GraphError`` for the whole of it (``415`` not JSON, ``413`` over
``MAX_BATCH_BODY_BYTES``, ``400``: not an object, no ``requests`` array, more than
``MAX_BATCH_REQUESTS``, an item that is not an object, an ``id`` missing, not a string or given
twice, a ``method`` or ``url`` missing or not a string, ``headers`` not an object of strings,
``dependsOn`` (or ``depends_on``, as msgraph-core writes it) not an array of ids, naming an unknown id, or making a cycle). A problem of one item
only (an absolute ``url``, a ``$batch`` inside the batch, a ``body`` that does not fit its
``Content-Type``) is that item's own ``400``: ``BatchItem.problem``.

Item URLs are relative to the prefix the batch was sent to (``/v1.0/$batch`` + ``/me/photos`` is
``v1.0/me/photos``). An item's ``body`` is JSON when its ``Content-Type`` is JSON (or it has no
``Content-Type`` and the body is an object or array), else a base64 string (a photo upload).
``item_answer`` turns an item's response into ``{"id", "status", "headers", "body"}``: a JSON
body as JSON, any other body base64, no ``body`` when there is none.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

import azure.functions as func

from shared.graph.body import json_document
from shared.graph.errors import BadRequest, GraphError, RequestEntityTooLarge
from shared.limits import MAX_BATCH_BODY_BYTES, MAX_BATCH_REQUESTS
from shared.routes import BATCH_OPERATION, ROUTES

_ENCODED_SLASH = re.compile("(%2F)", re.IGNORECASE)
_SHOWN = 40


@dataclass(frozen=True)
class BatchItem:
    """One request of a batch, ready to be served in process (or its own ``problem``)."""

    id: str
    method: str
    path: str
    """The route path as the host gives it: percent-decoded except ``%2F``."""
    raw_path: str
    """The same path as sent, percent-encoded, for the request's URL."""
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    depends_on: tuple[str, ...] = ()
    problem: GraphError | None = None


def _shown(value: str) -> str:
    return value if len(value) <= _SHOWN else value[: _SHOWN - 1] + "…"


def parse_batch(content_type: str | None, body: bytes, *, version: str | None) -> list[BatchItem]:
    """The items of a ``$batch`` sent under ``version`` (None: the bare ``…/api``)."""
    if len(body) > MAX_BATCH_BODY_BYTES:
        raise RequestEntityTooLarge(
            f"The batch is {len(body)} bytes; the limit is {MAX_BATCH_BODY_BYTES} bytes."
        )
    if not body.strip():
        raise BadRequest('The batch is empty; send {"requests": [...]}.')
    document = json_document(content_type, body)
    if not isinstance(document, dict) or not isinstance(document.get("requests"), list):
        raise BadRequest('The batch must be a JSON object with a "requests" array.')
    requests: list[object] = document["requests"]
    if not 1 <= len(requests) <= MAX_BATCH_REQUESTS:
        raise BadRequest(
            f"A batch holds 1 to {MAX_BATCH_REQUESTS} requests; this one has {len(requests)}."
        )
    items = [_item(position, request, version) for position, request in enumerate(requests)]
    _check_ids(items)
    return items


def _item(position: int, request: object, version: str | None) -> BatchItem:
    if not isinstance(request, dict):
        raise BadRequest(f"Request {position} of the batch must be a JSON object.")
    item_id = _string(request, "id", position)
    method = _string(request, "method", position).upper()
    url = _string(request, "url", position)
    headers = _headers(request.get("headers", {}), item_id)
    # msgraph-core (Python) writes "depends_on": honoured too, so its batches keep their order
    depends_on = _depends_on(request.get("dependsOn", request.get("depends_on", [])), item_id)
    base = BatchItem(item_id, method, "", "", headers=headers, depends_on=depends_on)
    try:
        raw_path, query = _relative(url, version)
        body = _body(request, headers)
    except BadRequest as problem:
        return _with_problem(base, problem)
    path = "".join(
        part if _ENCODED_SLASH.fullmatch(part) else unquote(part)
        for part in _ENCODED_SLASH.split(raw_path)
    )
    if _is_batch(path):
        return _with_problem(base, BadRequest("A batch cannot hold another $batch request."))
    headers = {**headers, "Content-Length": str(len(body))} if body else headers
    return BatchItem(item_id, method, path, raw_path, query, headers, body, depends_on)


def _is_batch(path: str) -> bool:
    return any(
        route.match_path(path) is not None
        for route in ROUTES
        if BATCH_OPERATION in route.operations.values()
    )


def _with_problem(item: BatchItem, problem: GraphError) -> BatchItem:
    return BatchItem(item.id, item.method, "", "", headers=item.headers, problem=problem,
                     depends_on=item.depends_on)  # fmt: skip


def _string(request: Mapping[str, object], name: str, position: int) -> str:
    value = request.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"Request {position} of the batch needs '{name}', a non-empty string.")
    return value


def _headers(value: object, item_id: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise BadRequest(
            f"The headers of request '{_shown(item_id)}' must be an object of strings."
        )
    return dict(value)


def _depends_on(value: object, item_id: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"The dependsOn of request '{_shown(item_id)}' must be an array of ids.")
    return tuple(value)


def _relative(url: str, version: str | None) -> tuple[str, dict[str, str]]:
    """The path (with the batch's version segment in front) and the query of an item's URL."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme or parts.netloc or url.strip().startswith("//"):
        raise BadRequest(
            f"The url '{_shown(url)}' must be relative to the batch's base URL, e.g. /me/photos."
        )
    path = parts.path.lstrip("/")
    if version is not None:
        path = f"{version}/{path}"
    return path, dict(parse_qsl(parts.query, keep_blank_values=True))


def _is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _content_type(headers: Mapping[str, str]) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == "content-type"), None)


def _body(request: Mapping[str, object], headers: dict[str, str]) -> bytes:
    """An item's body as bytes: JSON re-encoded, or base64 decoded (binary content types)."""
    if "body" not in request or request["body"] is None:
        return b""
    body = request["body"]
    content_type = _content_type(headers)
    if content_type is None and isinstance(body, dict | list):
        headers["Content-Type"] = "application/json"
        content_type = "application/json"
    if content_type is None:
        raise BadRequest("A request with a body needs a Content-Type header.")
    if _is_json(content_type):
        return json.dumps(body, ensure_ascii=False).encode()
    if not isinstance(body, str):
        raise BadRequest(f"The body of a '{_shown(content_type)}' request must be a base64 string.")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("The body is not valid base64.") from None


def _check_ids(items: Sequence[BatchItem]) -> None:
    """Unique ids; every ``dependsOn`` names another item; no cycles."""
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise BadRequest(f"The id '{_shown(item.id)}' is used by more than one request.")
        seen.add(item.id)
    graph = {item.id: item.depends_on for item in items}
    for item in items:
        for dependency in item.depends_on:
            if dependency not in graph:
                raise BadRequest(
                    f"Request '{_shown(item.id)}' depends on '{_shown(dependency)}', "
                    "which is not in the batch."
                )
    done: set[str] = set()
    for item in items:
        _visit(item.id, graph, done, ())


def _visit(
    item_id: str, graph: Mapping[str, tuple[str, ...]], done: set[str], path: tuple[str, ...]
) -> None:
    if item_id in done:
        return
    if item_id in path:
        raise BadRequest(f"The dependsOn of request '{_shown(item_id)}' makes a cycle.")
    for dependency in graph[item_id]:
        _visit(dependency, graph, done, (*path, item_id))
    done.add(item_id)


def item_answer(item_id: str, response: func.HttpResponse) -> dict[str, object]:
    """``{"id", "status", "headers", "body"}`` of one item's response."""
    headers = dict(response.headers)
    answer: dict[str, object] = {"id": item_id, "status": response.status_code, "headers": headers}
    body = response.get_body()
    if body:
        if _is_json(_content_type(headers)):
            answer["body"] = json.loads(body)
        else:
            answer["body"] = base64.b64encode(body).decode("ascii")
    return answer
