"""The dev host: serves a Functions app's HTTP triggers with aiohttp, standing in for `func start`.

    python -m devtools.host [--port 7071] [--host 127.0.0.1] [--root DIR]

It loads the app like the Functions host (``devtools.functions_app``), matches requests with
the host's routing rules (``devtools.routing``), builds an ``azure.functions.HttpRequest``,
runs ``async def main`` on the event loop and ``def main`` in a thread pool, and turns the
returned ``azure.functions.HttpResponse`` into the HTTP response. Console lines (the function
URLs, the "listening" line, one line per invocation) go to stdout; log records, including the
traceback of a failed invocation, go to stderr.

Tests start it as a subprocess with ``devtools.host_process.start_dev_host_process``; the
conversions live in ``devtools.http_conversion``.
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
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from devtools.functions_app import (
    FunctionAppError,
    FunctionsApp,
    LoadedFunction,
    load_functions_app,
)
from devtools.http_conversion import build_function_request, build_web_response, request_url
from devtools.routing import RouteTable, decode_request_path

logger = logging.getLogger("devtools.host")

LISTENING = "Functions host listening on "
_MAX_REQUEST_BYTES = 100 * 1024 * 1024  # the Functions host's request size limit

Console = Callable[[str], None]


def create_app(
    functions_app: FunctionsApp, *, executor: Executor, console: Console
) -> web.Application:
    """An aiohttp application that hands every request to the matching function."""
    dispatcher = _Dispatcher(functions_app.route_table, functions_app.functions, executor, console)
    app = web.Application(client_max_size=_MAX_REQUEST_BYTES)
    app.router.add_route("*", r"/{path:[\s\S]*}", dispatcher.handle)  # newlines too
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


if __name__ == "__main__":
    raise SystemExit(main())
