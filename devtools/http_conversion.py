"""The dev host's conversions, as the Python worker does them: an aiohttp request to an
``azure.functions.HttpRequest``, and a function's return value to the aiohttp response."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func
from aiohttp import web
from multidict import CIMultiDict

_SERVER_MANAGED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


class FunctionResultError(TypeError):
    """A function returned something that is not an HTTP response."""


def request_url(request: web.BaseRequest) -> str:
    """The URL as the client sent it: scheme, Host header, raw path and query.

    Without a ``Host`` (HTTP/1.0) or with an empty one, the address the request came in on.
    """
    host = request.headers.get("Host") or _local_authority(request)
    return f"{request.scheme}://{host}{request.raw_path}"


def _local_authority(request: web.BaseRequest) -> str:
    address = request.transport.get_extra_info("sockname") if request.transport else None
    if not isinstance(address, tuple):
        return "localhost"
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def build_function_request(
    *,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    route_params: Mapping[str, str],
) -> func.HttpRequest:
    """The ``HttpRequest`` the Python worker would build; repeated headers or query
    parameters are joined with ``,`` as the host does (``StringValues.ToString()``)."""
    query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    return func.HttpRequest(
        method.upper(),
        url,
        headers=_join_repeated((name.lower(), value) for name, value in headers),
        params=_join_repeated(query),
        route_params=dict(route_params),
        body=body,
    )


_NO_CONTENT = (204, 304)
"""Statuses without content: no Content-Type is made up for them from the default mimetype."""


def build_web_response(result: object) -> web.Response:
    """The HTTP response for a function's return value, converted as the Python worker does.

    Content-Type comes from ``mimetype`` (plus ``charset`` for ``text/*``) unless the function
    set the header itself, or the status has no content (``204``, ``304``). Raises ``FunctionResultError`` for anything but an HttpResponse or str.
    """
    if isinstance(result, str):
        return web.Response(body=result.encode(), content_type="text/plain", charset="utf-8")
    if not isinstance(result, func.HttpResponse):
        raise FunctionResultError(
            f"expected azure.functions.HttpResponse or str, got {type(result).__name__}"
        )
    status: object = result.status_code
    if not isinstance(status, int) or not 100 <= status <= 999:
        raise FunctionResultError(f"invalid HTTP status code {status!r}")
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in result.headers.items():
        if name.lower() not in _SERVER_MANAGED_HEADERS:
            headers.add(name, value)
    if "Content-Type" not in headers and status not in _NO_CONTENT:
        mimetype: str = result.mimetype
        headers["Content-Type"] = (
            f"{mimetype}; charset={result.charset}" if mimetype.startswith("text/") else mimetype
        )
    return web.Response(status=status, headers=headers, body=result.get_body())


def _join_repeated(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, list[str]] = {}
    for name, value in pairs:
        joined.setdefault(name, []).append(value)
    return {name: ",".join(values) for name, values in joined.items()}
