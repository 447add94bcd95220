"""The dev host: serves a Functions app's HTTP triggers with aiohttp, standing in for `func start`.

    python -m devtools.host [--port 7071] [--host 127.0.0.1] [--root DIR]

It loads the app like the Functions host (``devtools.functions_app``), matches requests with
the host's routing rules (``devtools.routing``), builds an ``azure.functions.HttpRequest``,
runs ``async def main`` on the event loop and ``def main`` in a thread pool, and turns the
returned ``azure.functions.HttpResponse`` into the HTTP response. Console lines (the function
URLs, the "listening" line, one line per invocation) go to stdout; log records, including the
traceback of a failed invocation, go to stderr.

Tests start it as a subprocess with ``start_dev_host_process(root, env=...)``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func
from aiohttp import web
from multidict import CIMultiDict

from devtools.functions_app import (
    FunctionAppError,
    FunctionsApp,
    LoadedFunction,
    load_functions_app,
)
from devtools.routing import RouteTable, decode_request_path

logger = logging.getLogger("devtools.host")

LISTENING = "Functions host listening on "
_MAX_REQUEST_BYTES = 100 * 1024 * 1024  # the Functions host's request size limit
_SERVER_MANAGED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})

Console = Callable[[str], None]


class FunctionResultError(TypeError):
    """A function returned something that is not an HTTP response."""


# ---- conversion -------------------------------------------------------------------------


def request_url(request: web.BaseRequest) -> str:
    """The URL as the client sent it: scheme, Host header, raw path and query."""
    return f"{request.scheme}://{request.host}{request.raw_path}"


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


def build_web_response(result: object) -> web.Response:
    """The HTTP response for a function's return value, converted as the Python worker does.

    Content-Type comes from ``mimetype`` (plus ``charset`` for ``text/*``) unless the function
    set the header itself. Raises ``FunctionResultError`` for anything but an HttpResponse or str.
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
    if "Content-Type" not in headers:
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


# ---- serving ----------------------------------------------------------------------------


def create_app(
    functions_app: FunctionsApp, *, executor: Executor, console: Console
) -> web.Application:
    """An aiohttp application that hands every request to the matching function."""
    dispatcher = _Dispatcher(functions_app.route_table, functions_app.functions, executor, console)
    app = web.Application(client_max_size=_MAX_REQUEST_BYTES)
    app.router.add_route("*", "/{path:.*}", dispatcher.handle)
    return app


class _Dispatcher:
    def __init__(
        self,
        routes: RouteTable,
        functions: Iterable[LoadedFunction],
        executor: Executor,
        console: Console,
    ) -> None:
        self._routes = routes
        self._functions = {function.name: function for function in functions}
        self._executor = executor
        self._console = console

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        path = request.raw_path.split("?", 1)[0]
        found = self._routes.match(request.method, decode_request_path(request.raw_path))
        name = found.route.function_name if found else "(no function)"
        status = 500
        try:
            if found is None:
                response = _not_found(request.method, path)
            else:
                response = await self._invoke(self._functions[name], request, found.values)
            status = response.status
            return response
        except web.HTTPException as error:  # e.g. 413 from reading a body over the limit
            status = error.status
            raise
        finally:
            elapsed = round((time.perf_counter() - started) * 1000)
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
            self._console(f"[{stamp}] {name}: {request.method} {path} -> {status} ({elapsed} ms)")

    async def _invoke(
        self, function: LoadedFunction, request: web.Request, route_values: Mapping[str, str]
    ) -> web.Response:
        func_request = build_function_request(
            method=request.method,
            url=request_url(request),
            headers=request.headers.items(),
            body=await request.read(),
            route_params=route_values,
        )
        arguments = {function.definition.trigger.param_name: func_request}
        try:
            if function.is_async:
                result = await function.main(**arguments)
            else:
                call = functools.partial(function.main, **arguments)
                result = await asyncio.get_running_loop().run_in_executor(self._executor, call)
            return build_web_response(result)
        except Exception:
            logger.exception("Executed 'Functions.%s' (Failed)", function.name)
            return web.Response(
                status=500, text=f"Exception while executing function: Functions.{function.name}"
            )


def _not_found(method: str, path: str) -> web.Response:
    message = f"No function matches {method} {path}."
    return web.json_response({"error": {"code": "NotFound", "message": message}}, status=404)


async def serve(functions_app: FunctionsApp, *, host: str, port: int, console: Console) -> None:
    """Serve until SIGINT or SIGTERM; announce the real port (``port=0`` picks a free one)."""
    executor = ThreadPoolExecutor(thread_name_prefix="function-worker")
    app = create_app(functions_app, executor=executor, console=console)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    try:
        with _stop_signals() as stopped_by:
            await web.TCPSite(runner, host, port).start()
            bound_port = runner.addresses[0][1]
            _announce(functions_app, _origin(host, bound_port), console)
            console(f"Functions host stopping ({await stopped_by})")
    finally:
        await runner.cleanup()
        executor.shutdown(wait=False, cancel_futures=True)


def _origin(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _announce(functions_app: FunctionsApp, origin: str, console: Console) -> None:
    prefix = f"/{functions_app.route_prefix}" if functions_app.route_prefix else ""
    console("Functions:")
    for route in functions_app.route_table.routes:
        methods = ",".join(route.method_names)
        console(f"    {route.function_name}: [{methods}] {origin}/{route.template.text}")
    for failure in functions_app.failures:
        console(f"    {failure.name}: failed to load: {failure.reason}")
    for name in functions_app.disabled:
        console(f"    {name}: disabled")
    names = ", ".join(function.name for function in functions_app.functions) or "none"
    console(f"{LISTENING}{origin}{prefix} (functions: {names})")


@contextlib.contextmanager
def _stop_signals() -> Iterator[asyncio.Future[str]]:
    """A future set to the signal's name on SIGINT or SIGTERM, while the block runs."""
    loop = asyncio.get_running_loop()
    received: asyncio.Future[str] = loop.create_future()

    def _on_signal(number: signal.Signals) -> None:
        if not received.done():
            received.set_result(number.name)

    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, _on_signal, number)
    try:
        yield received
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


def _print_line(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parse_arguments(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="[%(asctime)s] %(levelname)s %(name)s: %(message)s",
    )
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    root: Path = args.root.resolve()
    os.chdir(root)  # the Python worker runs in the app folder: relative paths resolve there
    try:
        functions_app = load_functions_app(root, os.environ)
    except FunctionAppError as error:
        logger.error("Cannot start the Functions host: %s", error)
        return 1
    try:
        asyncio.run(serve(functions_app, host=args.host, port=args.port, console=_print_line))
    except OSError as error:
        logger.error("Cannot listen on %s:%s: %s", args.host, args.port, error)
        return 1
    return 0


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.host", description=__doc__)
    parser.add_argument("--port", type=int, default=7071, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--root", type=Path, default=Path("."), help="the Functions app folder")
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.error(f"--root {args.root} is not a folder")
    return args


# ---- running the dev host as a subprocess (tests) ---------------------------------------


class DevHostStartError(RuntimeError):
    """The dev host subprocess exited or never printed its listening line."""


class _LinePump:
    """Reads a pipe on a thread, keeping its lines, so the child never blocks on a full pipe."""

    def __init__(self, pipe: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self._thread.start()

    def _run(self, pipe: IO[str]) -> None:
        for line in pipe:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    return None
                self._changed.wait(remaining)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


class DevHostProcess:
    """A running ``python -m devtools.host`` subprocess; use as a context manager or ``stop()``."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None and process.stderr is not None  # noqa: S101
        self.process = process
        self.base_url = ""  # e.g. http://127.0.0.1:54321/api (with the route prefix)
        self.origin = ""  # e.g. http://127.0.0.1:54321
        self._stdout = _LinePump(process.stdout)
        self._stderr = _LinePump(process.stderr)

    def stdout_lines(self) -> list[str]:
        return list(self._stdout.lines)

    def stderr_lines(self) -> list[str]:
        return list(self._stderr.lines)

    def wait_for_stdout(self, text: str, timeout: float = 10.0) -> str | None:
        """The first stdout line containing ``text``, waiting for it; ``None`` on timeout."""
        return self._stdout.wait_for(text, timeout)

    def wait_for_stderr(self, text: str, timeout: float = 10.0) -> str | None:
        return self._stderr.wait_for(text, timeout)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait (SIGKILL after ``timeout``); the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stdout.join(timeout)
        self._stderr.join(timeout)
        return self.process.returncode

    def __enter__(self) -> DevHostProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_dev_host_process(
    root: Path,
    *,
    env: Mapping[str, str] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 30.0,
    python: str = sys.executable,
) -> DevHostProcess:
    """Start the dev host for the app in ``root`` and wait for its listening line.

    ``env`` is the child's whole environment (default: this process's); ``local.settings.json``
    never overrides it. ``port=0`` picks a free port; the returned ``base_url`` has the real one.
    Raises ``DevHostStartError`` (with the child's output) if it does not come up.
    """
    environment = dict(os.environ if env is None else env)
    repository = str(Path(__file__).resolve().parent.parent)
    extra_path = environment.get("PYTHONPATH")
    environment["PYTHONPATH"] = os.pathsep.join(
        [repository, extra_path] if extra_path else [repository]
    )
    environment["PYTHONUNBUFFERED"] = "1"
    environment["PYTHONIOENCODING"] = "utf-8"
    command = [python, "-m", "devtools.host", "--host", host, "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--root", str(root)],
        cwd=root,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    dev_host = DevHostProcess(process)
    line = dev_host.wait_for_stdout(LISTENING, startup_timeout)
    if line is None:
        exit_code = dev_host.stop()
        output = "\n".join(dev_host.stdout_lines() + dev_host.stderr_lines())
        raise DevHostStartError(f"dev host did not start (exit code {exit_code}):\n{output}")
    dev_host.base_url = line.split(LISTENING, 1)[1].split(" ", 1)[0]
    parts = urlsplit(dev_host.base_url)
    dev_host.origin = f"{parts.scheme}://{parts.netloc}"
    return dev_host


if __name__ == "__main__":
    raise SystemExit(main())
