"""A Microsoft Graph double on loopback: ``GET /v1.0/users/{upn}?$select=id`` as Graph answers.

``GraphUsers`` serves Graph's real response shapes over real HTTP (aiohttp, 127.0.0.1): the
user's ``{"@odata.context": ".../$metadata#users(id)/$entity", "id": ...}``, Graph's 404 error
body (``Request_ResourceNotFound``), and, when ``throttle`` is set, ``429 TooManyRequests`` with
``Retry-After``. It checks the bearer token against ``token`` (else Graph's 401) and counts the
look-ups it answered. ``GraphTokens`` is the token credential passed in to the directory.

For a service in another process, ``graph_in_thread`` serves the double from a thread of its own,
with an App Service managed identity endpoint beside it (``/msi/token``, what azure-identity's
``DefaultAzureCredential`` calls when ``IDENTITY_ENDPOINT`` and ``IDENTITY_HEADER`` are set), so
the production wiring gets its Graph token the way it does in Azure.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from azure.core.credentials import AccessToken

GRAPH_TOKEN = "graph-token-for-tests"
IDENTITY_HEADER = "identity-header-for-tests"
GRAPH_RESOURCE = "https://graph.microsoft.com"


class GraphTokens:
    """An ``AsyncTokenCredential`` that hands out ``GRAPH_TOKEN``, recording the scopes asked."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []
        self.closed = False

    async def get_token(self, *scopes: str, **_options: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(GRAPH_TOKEN, int(time.time()) + 3600)

    async def close(self) -> None:
        self.closed = True

    async def __aenter__(self) -> GraphTokens:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


def _graph_error(status: int, code: str, message: str) -> web.Response:
    now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": now,
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }
    return web.json_response(body, status=status)


@dataclass
class GraphUsers:
    """Graph's users, by UPN (ASCII case-insensitive), and how Graph is behaving."""

    users: dict[str, str] = field(default_factory=dict)
    token: str = GRAPH_TOKEN
    throttle: int | None = None
    """Seconds of ``Retry-After`` on a ``429`` for every look-up; None: answer normally."""
    status: int | None = None
    """Answer every look-up with this error status (a refused identity: 403)."""
    delay: float = 0.0
    """Seconds to wait before answering (a slow Graph)."""
    asked: Counter[str] = field(default_factory=Counter)
    identity_requests: int = 0
    queries: list[str] = field(default_factory=list)
    base_url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1.0/users/{upn}", self._user)
        app.router.add_get("/msi/token", self._identity_token)
        return app

    async def _identity_token(self, request: web.Request) -> web.Response:
        """App Service's managed identity endpoint (api-version 2019-08-01)."""
        self.identity_requests += 1
        if request.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
            return web.json_response({"error": "bad identity header"}, status=401)
        resource = request.query.get("resource", "")
        if resource.removesuffix("/.default").rstrip("/") != GRAPH_RESOURCE:
            return web.json_response({"error": f"unexpected resource {resource}"}, status=400)
        expires_on = int(time.time()) + 3600
        return web.json_response(
            {
                "access_token": self.token,
                "expires_on": str(expires_on),
                "resource": resource,
                "token_type": "Bearer",
            }
        )

    async def _user(self, request: web.Request) -> web.Response:
        upn = request.match_info["upn"]
        self.asked[upn.lower()] += 1
        self.queries.append(request.query_string)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status in (401, 403):
            return _graph_error(
                self.status,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )
        if self.status is not None:
            return _graph_error(self.status, "serviceNotAvailable", "Service unavailable.")
        if self.throttle is not None:
            response = _graph_error(
                429, "TooManyRequests", "Too many requests; please try again later."
            )
            response.headers["Retry-After"] = str(self.throttle)
            return response
        object_id = self.users.get(upn.lower())
        if object_id is None:
            return _graph_error(
                404,
                "Request_ResourceNotFound",
                f"Resource '{upn}' does not exist or one of its queried reference-property "
                "objects are not present.",
            )
        context = "https://graph.microsoft.com/v1.0/$metadata#users(id)/$entity"
        return web.json_response({"@odata.context": context, "id": object_id})


async def serve_graph(users: GraphUsers) -> web.AppRunner:
    """Serve ``users`` on a free loopback port; ``users.base_url`` says where."""
    runner = web.AppRunner(users.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    users.base_url = f"http://127.0.0.1:{port}"
    return runner


@contextlib.contextmanager
def graph_in_thread(users: GraphUsers) -> Iterator[GraphUsers]:
    """Serve ``users`` from a thread with its own event loop, for a service in another process."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = asyncio.run_coroutine_threadsafe(serve_graph(users), loop).result(timeout=10)
    try:
        yield users
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
