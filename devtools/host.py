"""The dev host: serves a Functions app's HTTP triggers with aiohttp, standing in for `func start`.

    python -m devtools.host [--port 7071] [--host 127.0.0.1] [--root DIR]
                            [--cors ORIGINS] [--cors-credentials]
                            [--request-headers-timeout 30] [--min-body-rate-grace 5]

It loads the app like the Functions host (``devtools.functions_app``), matches requests with
the host's routing rules (``devtools.routing``), builds an ``azure.functions.HttpRequest``,
runs ``async def main`` on the event loop and ``def main`` in a thread pool, and turns the
returned ``azure.functions.HttpResponse`` into the HTTP response (``devtools.dispatcher``).
Console lines (the function URLs, the "listening" line, one line per request) go to stdout;
log records, including the traceback of a failed invocation, go to stderr.

Where the app can tell, it behaves like the Functions host (``devtools.http_server``,
``devtools.request_limits``, ``devtools.cors``):

- Kestrel's limits: request line 8 KiB (``414``), request headers 32 KiB in all and 100 of
  them (``431``), a malformed request or ``Host`` ``400``: plain, empty answers that never
  echo what was sent, logged as one line without it;
- bodies up to 100 MiB (the Functions host's limit), or the function's own limit: a script
  module's ``max_request_body_bytes: int`` (a dev-host convention; the Functions host reads
  the whole body, so the app checks ``Content-Length`` itself too). A declared
  ``Content-Length`` over it is ``413`` before the body is read; a chunked body is cut off
  past it;
- a connection has ``--request-headers-timeout`` seconds (30, Kestrel's) to send a whole
  request head, from when it opens or its last response ends (so idle keep-alive
  connections close then too); a body must keep 240 bytes/s after a grace period (``408``);
- ``Host.CORS`` / ``Host.CORSCredentials`` of ``local.settings.json`` (``--cors`` and
  ``--cors-credentials`` override them, as with ``func start``);
- SIGINT or SIGTERM: stop accepting, let in-flight requests finish (5 s), await each script
  module's ``async def on_host_shutdown()`` once (a dev-host convention: close sessions and
  clients there), shut the thread pool down, exit 0.

Tests start it as a subprocess with ``devtools.host_process.start_dev_host_process``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import io
import logging
import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

from aiohttp import web

from devtools.console_lines import ConsoleLines
from devtools.cors import CorsPolicy
from devtools.dispatcher import Console, Dispatcher
from devtools.functions_app import FunctionAppError, FunctionsApp, load_functions_app
from devtools.http_server import HostLimits
from devtools.http_server import create_server as _create_http_server
from devtools.shutdown_hooks import run_shutdown_hooks

logger = logging.getLogger("devtools.host")

LISTENING = "Functions host listening on "


def create_server(
    functions_app: FunctionsApp,
    *,
    executor: Executor,
    console: Console,
    limits: HostLimits | None = None,
) -> web.Server:
    """An aiohttp server that hands every request to the matching function."""
    limits = limits or HostLimits()
    dispatcher = Dispatcher(
        functions_app, executor=executor, console=console, limits=limits, cors=functions_app.cors
    )
    return _create_http_server(dispatcher.handle, limits)


async def serve(
    functions_app: FunctionsApp,
    *,
    host: str,
    port: int,
    console: Console,
    limits: HostLimits | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM; announce the real port (``port=0`` picks a free one).

    On the signal: stop accepting, give in-flight requests ``limits.shutdown_timeout``, then
    await the functions' shutdown hooks (as long again at most), then stop the thread pool.
    """
    limits = limits or HostLimits()
    executor = ThreadPoolExecutor(thread_name_prefix="function-worker")
    server = create_server(functions_app, executor=executor, console=console, limits=limits)
    runner = web.ServerRunner(server, shutdown_timeout=limits.shutdown_timeout)
    await runner.setup()
    try:
        with _stop_signals() as stopped_by:
            await web.TCPSite(runner, host, port).start()
            bound_port = runner.addresses[0][1]
            _announce(functions_app, _origin(host, bound_port), console)
            console(f"Functions host stopping ({await stopped_by})")
    finally:
        await runner.cleanup()
        await run_shutdown_hooks(functions_app.functions, limits.shutdown_timeout)
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
    if args.cors is not None:
        cors = CorsPolicy.parse(args.cors, credentials=args.cors_credentials)
        functions_app = dataclasses.replace(functions_app, cors=cors)
    elif args.cors_credentials:
        cors = dataclasses.replace(functions_app.cors, credentials=True)
        functions_app = dataclasses.replace(functions_app, cors=cors)
    limits = HostLimits(
        request_headers_timeout=args.request_headers_timeout,
        min_body_rate_grace=args.min_body_rate_grace,
    )
    console = ConsoleLines(sys.stdout)
    try:
        asyncio.run(
            serve(functions_app, host=args.host, port=args.port, console=console, limits=limits)
        )
    except OSError as error:
        logger.error("Cannot listen on %s:%s: %s", args.host, args.port, error)
        return 1
    finally:
        console.flush()
    return 0


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.host", description=__doc__)
    parser.add_argument("--port", type=int, default=7071, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--root", type=Path, default=Path("."), help="the Functions app folder")
    parser.add_argument("--cors", help="allowed origins, comma-separated (overrides Host.CORS)")
    parser.add_argument("--cors-credentials", action="store_true", help="allow credentials")
    defaults = HostLimits()
    parser.add_argument(
        "--request-headers-timeout",
        type=float,
        default=defaults.request_headers_timeout,
        help="seconds a connection has to send a request head (also the idle timeout)",
    )
    parser.add_argument(
        "--min-body-rate-grace",
        type=float,
        default=defaults.min_body_rate_grace,
        help="seconds a body may be slower than 240 bytes/s",
    )
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.error(f"--root {args.root} is not a folder")
    return args


if __name__ == "__main__":
    raise SystemExit(main())
