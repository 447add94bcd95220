"""What the dev host refuses about a request before a function sees it, as Kestrel does.

``head_refusal(request, limits)`` checks a parsed request head: over 32 KiB of header names
and values is ``431``; a header value that is not UTF-8, a missing (HTTP/1.1), repeated or
malformed ``Host`` is ``400``. ``read_body(stream, ...)`` reads a body up to a limit, keeping
at most ``limit + 1`` bytes (``413`` beyond) and a minimum data rate after a grace period
(``408`` when the client is slower, Kestrel's ``MinRequestBodyDataRate``).
"""

from __future__ import annotations

import asyncio
import re
from http import HTTPStatus

from aiohttp import HttpVersion11, StreamReader, web

from devtools.http_server import HostLimits

# RFC 3986 authority as Kestrel checks Host: an IP literal or reg-name, then an optional port
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?")


class BodyRefused(Exception):
    """The body cannot be read within the limits; ``status`` is the answer (413, 408, 400)."""

    def __init__(self, status: HTTPStatus, received: bytes = b"") -> None:
        super().__init__(f"{status.value} {status.phrase}")
        self.status = status
        self.received = received
        """For a 413: the first ``limit + 1`` bytes, enough for the function to see it is over."""


def head_refusal(request: web.BaseRequest, limits: HostLimits) -> HTTPStatus | None:
    """The status to refuse this request head with, or ``None`` when it may go on."""
    size = sum(len(name) + len(value) for name, value in request.raw_headers)
    if size > limits.max_header_bytes:
        return HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    if not all(_is_utf8(value) for value in request.headers.values()):
        return HTTPStatus.BAD_REQUEST
    hosts = request.headers.getall("Host", [])
    if len(hosts) > 1 or (not hosts and request.version >= HttpVersion11):
        return HTTPStatus.BAD_REQUEST
    if hosts and _HOST.fullmatch(hosts[0]) is None:
        return HTTPStatus.BAD_REQUEST
    return None


def _is_utf8(value: str) -> bool:
    """aiohttp decodes header bytes as UTF-8 with ``surrogateescape``: invalid bytes remain."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def read_body(stream: StreamReader, *, limit: int, min_rate: float, grace: float) -> bytes:
    """The whole body; raises ``BodyRefused`` past ``limit`` bytes or below ``min_rate``.

    The client may send nothing for ``grace`` seconds; after that it must have sent
    ``min_rate`` bytes per second since the body began.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    chunks: list[bytes] = []
    received = 0
    while True:
        remaining = started + grace + received / min_rate - loop.time()
        try:
            async with asyncio.timeout(max(remaining, 0)):
                chunk = await stream.read(limit + 1 - received)
        except TimeoutError:
            raise BodyRefused(HTTPStatus.REQUEST_TIMEOUT) from None
        except web.RequestPayloadError:  # broken chunked framing, short Content-Length
            raise BodyRefused(HTTPStatus.BAD_REQUEST) from None
        if not chunk:
            return b"".join(chunks)
        received += len(chunk)
        chunks.append(chunk)
        if received > limit:
            raise BodyRefused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"".join(chunks))
