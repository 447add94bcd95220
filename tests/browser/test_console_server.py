"""``devtools.console`` serves the photo console's files, and only them (no browser needed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.console import ConsoleServer, serve_console
from tests.e2e.conftest import REPO_ROOT, send


@pytest.fixture(scope="module")
def server() -> Iterator[ConsoleServer]:
    with serve_console() as running:
        yield running


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/console.js", "text/javascript; charset=utf-8"),
        ("/console.css", "text/css; charset=utf-8"),
    ],
)
def test_serves_the_console_files(server: ConsoleServer, path: str, content_type: str) -> None:
    reply = send(f"{server.origin}{path}", method="GET")

    assert (reply.status, reply.headers["content-type"]) == (200, content_type)
    assert reply.headers["cache-control"] == "no-store"


def test_serves_nothing_outside_its_folder(server: ConsoleServer) -> None:
    assert send(f"{server.origin}/../devtools/console.py", method="GET").status == 404
    assert send(f"{server.origin}/%2e%2e/local.settings.json", method="GET").status == 404


def test_the_page_loads_nothing_from_elsewhere() -> None:
    page = (REPO_ROOT / "photo_console" / "index.html").read_text(encoding="utf-8")

    assert "default-src 'none'; script-src 'self'; style-src 'self'; img-src blob:" in page
    assert "//" not in page.replace("http://127.0.0.1:7071/api", "")


def test_the_console_is_not_deployed() -> None:
    ignored = (REPO_ROOT / ".funcignore").read_text(encoding="utf-8").splitlines()

    assert "photo_console/" in ignored
