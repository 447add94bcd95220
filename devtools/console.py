"""Serve the photo console (``photo_console/``) on its own origin, for trying CORS in a browser.

    python -m devtools.console [--port 8080] [--host 127.0.0.1]

The console is a static page that calls the service with ``fetch``; served on
``http://127.0.0.1:8080`` it is one of the origins ``Host.CORS`` in ``local.settings.json``
allows. In code (the browser tests)::

    with serve_console(port=0) as console:   # a free loopback port, served on a thread
        console.origin                        # http://127.0.0.1:<port>

Static files only, from ``photo_console/`` and nothing above it; not deployed (``.funcignore``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

CONSOLE_DIR: Final = Path(__file__).resolve().parent.parent / "photo_console"
DEFAULT_PORT: Final = 8080
_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


class _ConsoleFiles(SimpleHTTPRequestHandler):
    """The console's files with exact types and no caching (an edit shows on reload)."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **_TYPES}
    quiet = False

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)


@dataclass(frozen=True)
class ConsoleServer:
    server: ThreadingHTTPServer

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"


def _server(host: str, port: int, *, quiet: bool) -> ThreadingHTTPServer:
    handler = type("Handler", (_ConsoleFiles,), {"quiet": quiet})
    files = functools.partial(handler, directory=str(CONSOLE_DIR))
    return ThreadingHTTPServer((host, port), files)


@contextlib.contextmanager
def serve_console(
    host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True
) -> Iterator[ConsoleServer]:
    """The console served on a thread while the block runs (``port=0``: a free port)."""
    server = _server(host, port, quiet=quiet)
    thread = threading.Thread(target=server.serve_forever, name="photo-console", daemon=True)
    thread.start()
    try:
        yield ConsoleServer(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.console", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    try:
        server = _server(args.host, args.port, quiet=False)
    except OSError as error:
        print(f"console: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    console = ConsoleServer(server)
    print(f"Photo console on {console.origin}/ (Ctrl+C stops it)", flush=True)
    with server, contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
