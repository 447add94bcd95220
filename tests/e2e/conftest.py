"""End-to-end fixtures: the real app behind the dev host, real Azurite, a JWKS over HTTP.

One dev host serves the repository's own Functions app for the session, configured like a
deployment in "custom issuer" mode: tokens from ``tests.tokens`` (issuer ``ISSUER_V2``,
audience ``AUDIENCE``), their keys fetched from a JWKS served on loopback.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from azure.data.tables import TableClient

from devtools.host_process import DevHostProcess, start_dev_host_process
from tests.conftest import AzuriteEndpoint
from tests.tokens import AUDIENCE, ISSUER_V2, jwks

REPO_ROOT = Path(__file__).resolve().parents[2]


class _JwksHandler(BaseHTTPRequestHandler):
    document: bytes = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.document)))
        self.end_headers()
        self.wfile.write(self.document)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture(scope="session")
def jwks_url() -> Iterator[str]:
    """The test issuer's JWKS, served over HTTP on 127.0.0.1 for the session."""
    handler = type("Handler", (_JwksHandler,), {"document": json.dumps(jwks()).encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/discovery/v2.0/keys"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Service:
    """The running service: its base URL, its host process and its table."""

    host: DevHostProcess
    table_name: str
    connection_string: str
    base_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = self.host.base_url

    def table(self) -> TableClient:
        return TableClient.from_connection_string(
            self.connection_string, table_name=self.table_name
        )

    def entities(self) -> list[dict[str, Any]]:
        """The photo rows (added photos and sizes), without the bookkeeping rows."""
        return [entity for entity in self.all_rows() if "PhotoId" in entity]

    def all_rows(self) -> list[dict[str, Any]]:
        """Every row of the table, bookkeeping rows (counter, index, profile) included."""
        with self.table() as table:
            return [dict(entity) for entity in table.list_entities()]


@contextlib.contextmanager
def running_service(
    storage: str,
    jwks_url: str,
    *,
    read_with: str | None = None,
    table_prefix: str = "e2e",
    settings: Mapping[str, str] | None = None,
) -> Iterator[Service]:
    """The repository's app on a dev host on a free port, its store on ``storage``.

    ``read_with`` is the connection string tests read the table with (default ``storage``;
    differs when the service goes through a proxy). ``settings`` are more app settings
    (``{"PHOTOS_PER_USER_LIMIT": "30"}``).
    """
    table_name = f"{table_prefix}{uuid4().hex}"
    env = {
        **os.environ,
        "PHOTOS_STORAGE": storage,
        "PHOTOS_TABLE_NAME": table_name,
        "AUTH_AUDIENCES": AUDIENCE,
        "AUTH_ISSUER": ISSUER_V2,
        "AUTH_JWKS_URI": jwks_url,
        **(settings or {}),
    }
    for name in (
        "AUTH_TENANT_ID",
        "PHOTOS_STORAGE__tableServiceUri",
        "PHOTOS_STORAGE__blobServiceUri",
        "PHOTOS_STORAGE__clientId",
    ):
        env.pop(name, None)
    with start_dev_host_process(REPO_ROOT, env=env) as host:
        yield Service(host=host, table_name=table_name, connection_string=read_with or storage)


@pytest.fixture(scope="session")
def service(azurite: AzuriteEndpoint, jwks_url: str) -> Iterator[Service]:
    """The repository's app on a dev host on a free port, for the session."""
    with running_service(azurite.connection_string, jwks_url) as running:
        yield running


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    url: str,
    *,
    method: str = "POST",
    body: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """One real HTTP request (``url`` is sent as written: percent-encoding is kept)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        payload = body.encode() if isinstance(body, str) else body
        connection.request(method, path, body=payload, headers=dict(headers or {}))
        response = connection.getresponse()
        return Reply(
            status=response.status,
            headers={name.lower(): value for name, value in response.getheaders()},
            body=response.read(),
        )
    finally:
        connection.close()
