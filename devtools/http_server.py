"""The dev host's HTTP server: aiohttp's low-level ``web.Server`` with Kestrel's limits.

``HostLimits`` holds the numbers (Kestrel's defaults, the Functions host's body limit).
``create_server(handler, limits)`` builds the server; requests the parser refuses get a plain,
empty answer and one log line naming the status and the exception type, never what was sent:

    request line over 8 KiB                          414 URI Too Long
    a header over 32 KiB, or over 100 headers        431 Request Header Fields Too Large
    any other malformed request (bad bytes, framing) 400 Bad Request

``keepalive_timeout`` is aiohttp's one timer for "no complete request head yet": it runs
from the moment a connection opens or its last response ends, so it is both the request
headers deadline and the idle keep-alive timeout (``HostLimits.request_headers_timeout``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong

logger = logging.getLogger("devtools.host")

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

_TOO_MANY_HEADERS = "Too many headers received"  # aiohttp's message; no class of its own


@dataclass(frozen=True)
class HostLimits:
    max_request_line_bytes: int = 8 * 1024  # Kestrel MaxRequestLineSize
    max_header_bytes: int = 32 * 1024  # Kestrel MaxRequestHeadersTotalSize
    max_header_count: int = 100  # Kestrel MaxRequestHeaderCount
    max_body_bytes: int = 100 * 1024 * 1024  # the Functions host's request size limit
    request_headers_timeout: float = 30.0  # Kestrel RequestHeadersTimeout (and idle keep-alive)
    min_body_rate: float = 240.0  # Kestrel MinRequestBodyDataRate, bytes per second ...
    min_body_rate_grace: float = 5.0  # ... after this grace period
    shutdown_timeout: float = 5.0  # in-flight requests on stop, then the shutdown hooks


def plain_refusal(status: int) -> web.Response:
    """The host's own refusal: status line only, no body, connection closed (as Kestrel)."""
    response = web.Response(status=status)
    response.force_close()
    return response


class _HostRequestHandler(web.RequestHandler):
    """aiohttp's connection handler, refusing malformed requests without echoing them."""

    def __init__(self, manager: web.Server, *, limits: HostLimits, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._limits = limits

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if not isinstance(exc, BadHttpMessage):  # the dev host's own failure: keep the traceback
            return super().handle_error(request, status, exc, message)
        refused = _refusal_status(exc, self._limits)
        logger.warning(
            "Refused a request from %s: %d %s (%s)",
            request.remote,
            refused,
            HTTPStatus(refused).phrase,
            type(exc).__name__,
        )
        if request.writer.output_size > 0:
            raise ConnectionError("a response was already sent on this connection")
        return plain_refusal(refused)


def _refusal_status(error: BadHttpMessage, limits: HostLimits) -> int:
    if isinstance(error, LineTooLong):
        limit = error.args[1] if len(error.args) > 1 else None
        line_limit = limits.max_request_line_bytes
        if limit == line_limit and line_limit != limits.max_header_bytes:
            return HTTPStatus.REQUEST_URI_TOO_LONG
        return HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    if error.message == _TOO_MANY_HEADERS:
        return HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    return HTTPStatus.BAD_REQUEST


class _HostServer(web.Server):
    def __init__(self, handler: Handler, limits: HostLimits) -> None:
        self._handler_options: dict[str, Any] = {
            "limits": limits,
            "max_line_size": limits.max_request_line_bytes,
            "max_field_size": limits.max_header_bytes,
            "max_headers": limits.max_header_count,
            "keepalive_timeout": limits.request_headers_timeout,
            "access_log": None,
        }
        super().__init__(handler, **self._handler_options)

    def __call__(self) -> web.RequestHandler:
        return _HostRequestHandler(self, loop=asyncio.get_running_loop(), **self._handler_options)


def create_server(handler: Handler, limits: HostLimits) -> web.Server:
    """The protocol factory for ``web.ServerRunner``: ``handler`` answers every request."""
    return _HostServer(handler, limits)
