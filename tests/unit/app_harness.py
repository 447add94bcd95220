"""A ``PhotoApp`` over an in-memory store and an in-memory JWK Set, and requests to send it.

Requests are routed the way the host routes them (``shared.routes``): ``send`` finds the
function that takes the method and path, fills in its route values and calls ``serve``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func

from devtools.memory_sightings import MemoryDirectory, MemorySightings
from devtools.memory_store import MemoryPhotoStore
from shared.app import PhotoApp
from shared.auth.directory import ChainDirectory, TokenSeenDirectory
from shared.auth.signing_keys import StaticKeySource
from shared.auth.tokens import TokenValidator
from shared.config import Settings
from shared.operations import PhotoHandlers
from shared.routes import FALLBACK_FUNCTION, ROUTES
from tests import tokens
from tests.leaks import assert_no_internals

ROOT = "http://localhost:7071/api"


@dataclass
class Harness:
    """The app under test, its store, its directory, and the function each request reached.

    UPNs resolve as in production: the caller's own token, then ``graph`` (the directory's
    role, empty by default), then the sightings of tokens seen (``seen`` over ``sightings``).
    """

    store: MemoryPhotoStore = field(default_factory=MemoryPhotoStore)
    public_base_url: str | None = None
    graph: MemoryDirectory = field(default_factory=MemoryDirectory)
    sightings: MemorySightings = field(default_factory=MemorySightings)
    app: PhotoApp = field(init=False)
    seen: TokenSeenDirectory = field(init=False)

    def __post_init__(self) -> None:
        validator = TokenValidator(tokens.tenant_settings(), StaticKeySource(tokens.jwks()))
        self.seen = TokenSeenDirectory(self.sightings)
        directory = ChainDirectory([self.graph, self.seen])
        handlers = PhotoHandlers(
            validator,
            self.store,
            directory=directory,
            observer=self.seen,
            public_base_url=self.public_base_url,
        )
        self.app = PhotoApp(load=lambda: object.__new__(Settings), factory=lambda _s: handlers)

    async def send(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: bytes | dict[str, Any] = b"",
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> func.HttpResponse:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = tokens.bearer(token)
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        function, params = host_routing(method, path)
        request = func.HttpRequest(
            method,
            f"{ROOT}/{path}",
            headers=all_headers,
            params=query or {},
            route_params=params,
            body=body,
        )
        response = await self.app.serve(function, request)
        assert_no_internals(response.get_body())
        return response


def host_routing(method: str, path: str) -> tuple[str, dict[str, str]]:
    """The function the host hands ``method path`` to, and its route values."""
    for route in ROUTES:
        if method.upper() in route.operations and route.match_path(path) is not None:
            return route.function, {"target": path}
    return FALLBACK_FUNCTION, {"path": path}


def json_body(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


def graph_error(response: func.HttpResponse, status: int, code: str) -> dict[str, Any]:
    """The error of ``response``, checked for Graph's shape, ``status`` and ``code``."""
    assert response.status_code == status, response.get_body()
    assert response.headers["Content-Type"].startswith("application/json")
    error: dict[str, Any] = json_body(response)["error"]
    assert error["code"] == code
    assert error["innerError"]["request-id"] == response.headers["request-id"]
    assert error["innerError"]["client-request-id"] == response.headers["client-request-id"]
    return error
