"""HTTP edges: request ids, JSON responses, and the one place a GraphError becomes a response.

Every response carries the request ids and ``X-Content-Type-Options: nosniff`` (a browser never
guesses another type than the one sent); every error also ``Cache-Control: no-store``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import azure.functions as func

from shared.graph.errors import GraphError
from shared.guids import new_guid

JSON_MIMETYPE = "application/json"
# Graph's own JSON responses carry the OData metadata level and the charset.
JSON_CONTENT_TYPE = "application/json; odata.metadata=minimal; charset=utf-8"
# A client-request-id is echoed only when it is a sane token; otherwise the request-id stands in.
CLIENT_REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:\-{}]{1,128}$"
_CLIENT_REQUEST_ID = re.compile(CLIENT_REQUEST_ID_PATTERN)
NOSNIFF: Final = {"X-Content-Type-Options": "nosniff"}
"""On every response."""
ERROR_CACHING: Final = {"Cache-Control": "no-store"}
"""On every error: no cache keeps an answer that depends on the moment (a 503, a 401)."""
MAX_MESSAGE_LENGTH: Final = 1024
"""A message is never longer; those that quote the client are far shorter (``errors.shown``)."""
_JSON: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""What every JSON body is written with: UTF-8 as it is, no spaces (built once, not per body)."""


@dataclass(frozen=True)
class RequestIds:
    request_id: str
    client_request_id: str

    def headers(self) -> dict[str, str]:
        return {"request-id": self.request_id, "client-request-id": self.client_request_id}


def common_headers(ids: RequestIds) -> dict[str, str]:
    """The headers every response carries: the request ids and ``NOSNIFF``."""
    return {**ids.headers(), **NOSNIFF}


def request_ids(headers: Mapping[str, str]) -> RequestIds:
    """A new request-id, and the caller's client-request-id echoed (else the request-id)."""
    request_id = new_guid()
    client_value = (headers.get("client-request-id") or "").strip()
    if not _CLIENT_REQUEST_ID.match(client_value):
        client_value = request_id
    return RequestIds(request_id=request_id, client_request_id=client_value)


def json_response(
    status: int,
    body: Mapping[str, object],
    ids: RequestIds,
    headers: Mapping[str, str] | None = None,
) -> func.HttpResponse:
    all_headers = {**(headers or {}), **common_headers(ids), "Content-Type": JSON_CONTENT_TYPE}
    return func.HttpResponse(
        body=_JSON.encode(body),
        status_code=status,
        headers=all_headers,
        mimetype=JSON_MIMETYPE,
        charset="utf-8",
    )


def empty_response(
    status: int, ids: RequestIds, headers: Mapping[str, str] | None = None
) -> func.HttpResponse:
    """A response without a body (``204 No Content``), with the request ids."""
    return func.HttpResponse(status_code=status, headers={**(headers or {}), **common_headers(ids)})


def bytes_response(
    status: int,
    body: bytes,
    ids: RequestIds,
    content_type: str,
    headers: Mapping[str, str] | None = None,
) -> func.HttpResponse:
    """A binary response (a photo's bytes) with the request ids."""
    return func.HttpResponse(
        body=body,
        status_code=status,
        headers={**(headers or {}), **common_headers(ids), "Content-Type": content_type},
        mimetype=content_type,
    )


def render_error(
    error: GraphError, ids: RequestIds, *, now: datetime | None = None
) -> func.HttpResponse:
    """Graph's JSON error for ``error``, with its status and headers."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    message = error.message
    if len(message) > MAX_MESSAGE_LENGTH:
        message = message[: MAX_MESSAGE_LENGTH - 1] + "…"
    body = {
        "error": {
            "code": error.code,
            "message": message,
            "innerError": {
                "date": moment.strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": ids.request_id,
                "client-request-id": ids.client_request_id,
            },
        }
    }
    return json_response(error.status, body, ids, {**error.headers, **ERROR_CACHING})
