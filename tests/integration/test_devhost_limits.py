"""The dev host's Kestrel-like limits over real sockets: header sizes, bodies, slow and idle
connections, bad Host and request lines (a subprocess host serving a throw-away app)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from devtools.host_process import DevHostProcess, start_dev_host_process
from tests.devhost_apps import http_function, write, write_host_json

_ECHO = """
    import json
    import azure.functions as func

    def main(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(
            json.dumps({
                "url": req.url,
                "authorization_length": len(req.headers.get("authorization", "")),
                "body_length": len(req.get_body()),
            }),
            mimetype="application/json",
        )
"""

_SMALL = """
    import azure.functions as func

    max_request_body_bytes = 1000

    def main(req: func.HttpRequest) -> func.HttpResponse:
        # Like the app: a declared or actual body over the limit is its own 413.
        declared = int(req.headers.get("Content-Length") or 0)
        got = len(req.get_body())
        status = 413 if max(declared, got) > max_request_body_bytes else 200
        return func.HttpResponse(str(got), status_code=status)
"""

_BAD_LIMIT = """
    max_request_body_bytes = "big"

    def main(req):
        return "never"
"""

_BAD_HOOK = """
    def on_host_shutdown():
        pass

    def main(req):
        return "never"
"""

_TIMEOUT_OPTIONS = ["--request-headers-timeout", "1", "--min-body-rate-grace", "1"]
_HEADER_LIMIT = 32 * 1024


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevHostProcess]:
    root = tmp_path_factory.mktemp("limits_app")
    write_host_json(root)
    write(root / "local.settings.json", json.dumps({"IsEncrypted": False, "Values": {}}))
    functions = {
        "echo": (http_function("echo/{*rest}"), _ECHO),
        "small": (http_function("small", ["post"]), _SMALL),
        "bad_limit": (http_function("bad-limit"), _BAD_LIMIT),
        "bad_hook": (http_function("bad-hook"), _BAD_HOOK),
    }
    for name, (config, code) in functions.items():
        write(root / name / "function.json", config)
        write(root / name / "__init__.py", code)
    with start_dev_host_process(root, options=_TIMEOUT_OPTIONS) as dev_host:
        yield dev_host


def _port(host: DevHostProcess) -> int:
    return urlsplit(host.origin).port or 0


async def _exchange(host: DevHostProcess, data: bytes, timeout: float = 10.0) -> bytes:
    """Send raw bytes, read until the host closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", _port(host))
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(timeout):
            return await reader.read()
    finally:
        writer.close()


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def _leaked_fragments(secret: str, texts: list[str]) -> list[str]:
    """The secret's 12-character pieces found in ``texts``: any echo of 23+ characters has one."""
    joined = "\n".join(texts)
    pieces = (secret[i : i + 12] for i in range(0, len(secret) - 11, 12))
    return [piece for piece in pieces if piece in joined]


def _no_tracebacks(host: DevHostProcess) -> bool:
    return not any("Traceback" in line for line in host.stderr_lines())


# headers


async def test_a_20_kb_bearer_token_reaches_the_function(host: DevHostProcess) -> None:
    token = secrets.token_hex(10_000)
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{host.base_url}/echo/x", headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        assert response.status == 200
        echoed = await response.json()
    assert echoed["authorization_length"] == len("Bearer ") + len(token)


def _secret_headers(parts: int) -> tuple[str, list[str]]:
    """Header lines holding 40 KB of secrets in ``parts`` headers, and the secrets."""
    if parts == 1:
        token = secrets.token_hex(20_000)
        return f"Authorization: Bearer {token}\r\n", [token]
    values = [secrets.token_hex(20_000 // parts) for _ in range(parts)]
    return "".join(f"X-Part-{i}: {value}\r\n" for i, value in enumerate(values)), values


@pytest.mark.parametrize("parts", [1, 3], ids=["one-40-kb-header", "three-13-kb-headers"])
async def test_over_32_kib_of_headers_is_a_plain_431(host: DevHostProcess, parts: int) -> None:
    lines, sent = _secret_headers(parts)
    head = f"GET /testapi/echo/x HTTP/1.1\r\nHost: localhost\r\n{lines}\r\n"
    response = await _exchange(host, head.encode())
    assert _status(response) == 431
    assert response.endswith(b"\r\n\r\n")  # no body
    host.wait_for_stderr("431 Request Header Fields Too Large")
    output = response.decode("latin-1")
    texts = [output, *host.stderr_lines(), *host.stdout_lines()]
    assert [_leaked_fragments(secret, texts) for secret in sent] == [[]] * parts
    assert _no_tracebacks(host)


async def test_headers_up_to_32_kib_in_all_are_served(host: DevHostProcess) -> None:
    value = "v" * (_HEADER_LIMIT - 200)
    head = f"GET /testapi/echo/x HTTP/1.1\r\nHost: localhost\r\nX-Big: {value}\r\n"
    response = await _exchange(host, f"{head}Connection: close\r\n\r\n".encode())
    assert _status(response) == 200


async def test_a_request_line_over_8_kib_is_a_plain_414(host: DevHostProcess) -> None:
    path = "/testapi/echo/" + "p" * 9000
    response = await _exchange(host, f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    assert _status(response) == 414
    assert b"ppp" not in response


# bodies


async def test_content_length_over_the_routes_limit_is_413_before_the_body(
    host: DevHostProcess,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", _port(host))
    try:
        head = "POST /testapi/small HTTP/1.1\r\nHost: localhost\r\nContent-Length: 90000000\r\n\r\n"
        writer.write(head.encode())  # and no body at all
        async with asyncio.timeout(10):
            response = await reader.readuntil(b"\r\n\r\n")
    finally:
        writer.close()
    assert _status(response) == 413  # the function's own answer, from the declared length
    assert b"connection: close" in response.lower()  # the unread body never becomes a request
    assert host.wait_for_stdout("small: POST /testapi/small -> 413") is not None


async def test_content_length_over_100_mib_is_413_before_the_body(host: DevHostProcess) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", _port(host))
    try:
        length = 100 * 1024 * 1024 + 1
        head = (
            f"POST /testapi/echo/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: {length}\r\n\r\n"
        )
        writer.write(head.encode())
        async with asyncio.timeout(10):
            response = await reader.readuntil(b"\r\n\r\n")
    finally:
        writer.close()
    assert _status(response) == 413


async def test_a_body_within_the_routes_limit_is_served(host: DevHostProcess) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{host.base_url}/small", data=b"x" * 1000) as response,
    ):
        assert (response.status, await response.text()) == (200, "1000")


async def test_a_chunked_body_over_the_routes_limit_is_cut_off_with_413(
    host: DevHostProcess,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"c" * 2000

    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{host.base_url}/small", data=chunks()) as response,
    ):
        assert response.status == 413
        assert await response.text() == "1001"  # the function saw limit + 1 bytes, no more
    assert host.wait_for_stdout("small: POST /testapi/small -> 413") is not None


async def _push_body(host: DevHostProcess, *, chunked: bool, total: int) -> bytes:
    """A client that sends ``total`` body bytes whatever the host answers, then reads."""
    reader, writer = await asyncio.open_connection("127.0.0.1", _port(host))
    received: list[bytes] = []

    async def _read() -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                received.append(chunk)

    reading = asyncio.create_task(_read())
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    writer.write(f"POST /testapi/small HTTP/1.1\r\nHost: localhost\r\n{framing}\r\n\r\n".encode())
    piece = b"\0" * 65536
    framed = b"10000\r\n" + piece + b"\r\n" if chunked else piece
    with contextlib.suppress(ConnectionError):
        for _ in range(total // len(piece)):
            writer.write(framed)
            await writer.drain()
    writer.close()
    await asyncio.wait_for(reading, 30)
    return b"".join(received)


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def test_ten_90_mb_bodies_to_a_small_route_do_not_grow_the_host(
    host: DevHostProcess,
) -> None:
    pid = host.process.pid
    before = _rss_bytes(pid)
    peak = before
    pushing = asyncio.gather(
        *(_push_body(host, chunked=i % 2 == 1, total=90_000_000) for i in range(10))
    )
    while not pushing.done():
        peak = max(peak, _rss_bytes(pid))
        await asyncio.sleep(0.02)
    responses = await pushing
    assert [_status(response) for response in responses] == [413] * 10
    assert peak - before < 100 * 1024 * 1024


async def test_a_body_slower_than_the_minimum_rate_is_408(host: DevHostProcess) -> None:
    head = "POST /testapi/echo/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n"
    response = await _exchange(host, head.encode() + b"ten bytes.", timeout=15)
    assert _status(response) == 408


# slow and idle connections


async def _closed_by_host(reader: asyncio.StreamReader, timeout: float = 15.0) -> bool:
    with contextlib.suppress(ConnectionError):
        async with asyncio.timeout(timeout):
            await reader.read()
    return reader.at_eof()


async def test_half_a_header_line_then_silence_is_disconnected(host: DevHostProcess) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", _port(host))
    writer.write(b"GET /testapi/echo/x HTTP/1.1\r\nHost: loc")
    try:
        assert await _closed_by_host(reader)
    finally:
        writer.close()


async def test_an_idle_keep_alive_connection_is_closed(host: DevHostProcess) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", _port(host))
    writer.write(b"GET /testapi/echo/x HTTP/1.1\r\nHost: localhost\r\n\r\n")
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert _status(head) == 200
        assert await _closed_by_host(reader)
    finally:
        writer.close()


async def test_200_half_open_sockets_neither_block_nor_stay(host: DevHostProcess) -> None:
    connections = [await asyncio.open_connection("127.0.0.1", _port(host)) for _ in range(200)]
    try:
        for _reader, writer in connections:
            writer.write(b"POST /testapi/echo/x HTTP/1.1\r\nHost: local")
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{host.base_url}/echo/x", timeout=aiohttp.ClientTimeout(10)) as served,
        ):
            assert served.status == 200
        closed = await asyncio.gather(*(_closed_by_host(reader) for reader, _w in connections))
        assert all(closed)
    finally:
        for _reader, writer in connections:
            writer.close()


# bad Host and request lines


@pytest.mark.parametrize(
    "host_header",
    [b"[", b"\xff\xfe.example", b"a b", b"localhost\r\nHost: other"],
    ids=["bracket", "not-utf-8", "space", "twice"],
)
async def test_a_bad_host_is_a_plain_400(host: DevHostProcess, host_header: bytes) -> None:
    request = b"GET /testapi/echo/x HTTP/1.1\r\nHost: " + host_header + b"\r\n\r\n"
    response = await _exchange(host, request)
    assert _status(response) == 400
    assert response.endswith(b"\r\n\r\n")
    assert _no_tracebacks(host)


async def test_invalid_bytes_in_the_request_line_are_a_plain_400(host: DevHostProcess) -> None:
    request = b"GET /testapi/echo/\xff\xfesecret-path HTTP/1.1\r\nHost: localhost\r\n\r\n"
    response = await _exchange(host, request)
    assert _status(response) == 400
    assert b"secret-path" not in response
    assert host.wait_for_stderr("Refused a request") is not None
    assert not any("secret-path" in line for line in host.stderr_lines())
    assert _no_tracebacks(host)


async def test_http_1_0_without_host_gets_the_local_address_as_url(host: DevHostProcess) -> None:
    response = await _exchange(host, b"GET /testapi/echo/x HTTP/1.0\r\n\r\n")
    assert _status(response) == 200
    echoed = json.loads(response.split(b"\r\n\r\n", 1)[1])
    assert echoed["url"] == f"{host.origin}/testapi/echo/x"


# loading


def test_bad_conventions_fail_to_load_their_function(host: DevHostProcess) -> None:
    bad_limit = host.wait_for_stdout("bad_limit: failed to load")
    bad_hook = host.wait_for_stdout("bad_hook: failed to load")
    assert bad_limit is not None and "max_request_body_bytes must be" in bad_limit
    assert bad_hook is not None and "on_host_shutdown must be an async function" in bad_hook
