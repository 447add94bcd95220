"""A loopback HTTP/1.1 proxy (asyncio streams) that can lose storage's answers on purpose.

Placed between the photo store and Azurite, it forwards every request and response as bytes.
``proxy.fail(fault, when=is_insert, times=1)`` makes it forward the next matching request,
wait until storage has answered (so the request has taken effect), and then, instead of that
answer, send the client a ``503 ServerBusy`` (``Fault.BUSY``), close the connection
(``Fault.DROP``) or send bytes that are not HTTP (``Fault.GARBLE``). ``Fault.CUT`` instead
forwards only the request's head and half its body, then closes both connections: storage
never gets the whole request (an upload interrupted in the middle).

In async tests: ``async with TcpProxy(port) as proxy``. In sync tests (a dev host in another
process calls through it): ``with ThreadedTcpProxy(port) as proxy`` runs it on its own loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Final

HOST: Final = "127.0.0.1"


class Fault(enum.Enum):
    BUSY = "busy"
    DROP = "drop"
    GARBLE = "garble"
    CUT = "cut"


@dataclass(frozen=True)
class RequestHead:
    method: str
    path: str


def is_blob_upload(head: RequestHead) -> bool:
    """A blob upload: ``PUT /<account>/<container>/<blob>``."""
    return head.method == "PUT" and head.path.split("?", 1)[0].count("/") >= 3


def is_batch(head: RequestHead) -> bool:
    """An entity group transaction: ``POST /<account>/$batch``."""
    return head.method == "POST" and head.path.split("?", 1)[0].endswith("/$batch")


def is_insert(head: RequestHead) -> bool:
    """An entity insert: ``POST /<account>/<table>`` (``POST .../Tables`` creates a table)."""
    path = head.path.split("?", 1)[0].rstrip("/")
    return head.method == "POST" and not path.endswith("/Tables")


_BUSY_BODY: Final = json.dumps(
    {"odata.error": {"code": "ServerBusy", "message": {"lang": "en-US", "value": "busy"}}}
).encode()
_BUSY: Final = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: application/json;odata=minimalmetadata\r\n"
    b"x-ms-error-code: ServerBusy\r\n"
    b"Connection: close\r\n"
    b"Content-Length: " + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY
)
_GARBLE: Final = b"HTTP/1.1 2x1 \x00\xff not a status line\r\n\r\n"


@dataclass
class _Rule:
    fault: Fault
    when: Callable[[RequestHead], bool]
    times: int


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``127.0.0.1:<upstream_port>``, with faults on request."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.requests: list[RequestHead] = []
        self.faulted: list[tuple[Fault, RequestHead]] = []
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()  # rules are set from the test's thread
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def fail(
        self, fault: Fault, *, when: Callable[[RequestHead], bool] = is_insert, times: int = 1
    ) -> None:
        """Apply ``fault`` to the next ``times`` requests that ``when`` matches."""
        with self._lock:
            self._rules.append(_Rule(fault, when, times))

    def clear(self) -> None:
        """Forget the faults not applied yet."""
        with self._lock:
            self._rules.clear()

    def _take_fault(self, head: RequestHead, *, cut: bool = False) -> Fault | None:
        """The fault for ``head``: ``cut`` asks, before forwarding, for a ``Fault.CUT``; then
        (``cut`` False) the request is logged and any other fault is taken."""
        with self._lock:
            if not cut:
                self.requests.append(head)
            for rule in self._rules:
                if (rule.fault is Fault.CUT) != cut:
                    continue
                if rule.times > 0 and rule.when(head):
                    rule.times -= 1
                    self.faulted.append((rule.fault, head))
                    return rule.fault
        return None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()

    async def __aenter__(self) -> TcpProxy:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                HOST, self.upstream_port
            )
            while await self._exchange(reader, writer, upstream_reader, upstream_writer):
                pass
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # either side went away: close both
        finally:
            self._tasks.discard(task)
            for stream in (writer, upstream_writer):
                if stream is not None:
                    stream.close()
                    with contextlib.suppress(OSError):
                        await stream.wait_closed()

    async def _exchange(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        upstream_reader: asyncio.StreamReader,
        upstream_writer: asyncio.StreamWriter,
    ) -> bool:
        """Relay one request and its response; False when the connection is to be closed."""
        head = await _read_head(reader)
        if head is None:
            return False
        request_line, headers = _parse_head(head)
        method, path = request_line.split(" ")[:2]
        body = await _read_body(reader, headers, response_to=None)
        if self._take_fault(RequestHead(method, path), cut=True) is Fault.CUT:
            self.requests.append(RequestHead(method, path))
            upstream_writer.write(head + body[: len(body) // 2])
            await upstream_writer.drain()
            return False
        request = head + body
        upstream_writer.write(request)
        await upstream_writer.drain()

        response_head = await _read_head(upstream_reader)
        if response_head is None:
            return False
        status_line, response_headers = _parse_head(response_head)
        status = int(status_line.split(" ")[1])
        body = await _read_body(upstream_reader, response_headers, response_to=(method, status))
        # Storage has answered: the request took effect. Now decide what the client sees.
        fault = self._take_fault(RequestHead(method, path))
        if fault is Fault.BUSY:
            writer.write(_BUSY)
        elif fault is Fault.GARBLE:
            writer.write(_GARBLE)
        elif fault is None:
            writer.write(response_head + body)
        await writer.drain()
        return fault is None and response_headers.get("connection", "").lower() != "close"


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if error.partial:
            raise
        return None  # closed between messages


def _parse_head(head: bytes) -> tuple[str, dict[str, str]]:
    first, *lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return first, headers


async def _read_body(
    reader: asyncio.StreamReader,
    headers: dict[str, str],
    *,
    response_to: tuple[str, int] | None,
) -> bytes:
    """The message body as sent (chunks and all). ``response_to``: (request method, status)."""
    if response_to is not None:
        method, status = response_to
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _read_chunked(reader)
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    if response_to is None:
        return b""  # a request without a body
    return await reader.read()  # a response delimited by closing the connection


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    raw = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        raw += size_line
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while True:  # trailers, up to the empty line
                line = await reader.readuntil(b"\r\n")
                raw += line
                if line == b"\r\n":
                    return bytes(raw)
        raw += await reader.readexactly(size + 2)


class ThreadedTcpProxy:
    """A ``TcpProxy`` on its own event loop in a daemon thread, for synchronous tests."""

    def __init__(self, upstream_port: int) -> None:
        self.proxy = TcpProxy(upstream_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.proxy.start(), self._loop).result(10)
        return self.proxy

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        asyncio.run_coroutine_threadsafe(self.proxy.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
