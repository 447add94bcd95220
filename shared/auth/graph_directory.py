"""``GraphDirectory``: a UPN resolved in Microsoft Graph with the app's own identity.

``GET {graph}/v1.0/users/{upn}?$select=id`` with a token for ``GRAPH_SCOPE`` from an
``AsyncTokenCredential`` handed in (azure-identity's ``DefaultAzureCredential`` in production,
``open_graph_directory``; the app's managed identity needs the ``User.Read.All`` application
permission on Microsoft Graph). Answers are cached (``shared.auth.directory_cache``)::

    200 {"id": "<guid>"}     the object id, cached for DIRECTORY_TTL
    404                      unknown, cached for DIRECTORY_NEGATIVE_TTL
    429, 5xx                 ServiceUnavailable (503) with Graph's Retry-After (else a default);
                             no request to Graph until that time is over
    401, 403                 logged (the identity lacks User.Read.All), InternalServerError (500)
    unreachable, too slow    ServiceUnavailable after at most DIRECTORY_DEADLINE seconds
    anything else            logged, InternalServerError

Tokens and Graph's messages never reach the caller; the logs name the status and Graph's code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote

import aiohttp
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ClientAuthenticationError

from shared.auth.directory_cache import DEFAULT_MAX_ENTRIES, AnswerCache
from shared.auth.permissions import user_key
from shared.auth.user_names import is_object_id
from shared.config import Settings
from shared.graph.errors import InternalServerError, ServiceUnavailable

logger = logging.getLogger(__name__)

GRAPH_SCOPE: Final = "https://graph.microsoft.com/.default"
DIRECTORY_TTL: Final = 3600.0
"""Seconds an object id from Graph is trusted: a UPN is reassigned rarely, and then the
newest sighting of a token still points the right way within the hour."""
DIRECTORY_NEGATIVE_TTL: Final = 60.0
"""Seconds Graph's "no such user" is trusted: a new user may appear any time."""
DIRECTORY_DEADLINE: Final = 10.0
"""Seconds for one look-up, the token included; past it the request is a 503."""
CONNECT_TIMEOUT: Final = 3.0
DEFAULT_RETRY_AFTER: Final = 5
MAX_RETRY_AFTER: Final = 300


def open_graph_directory(settings: Settings) -> GraphDirectory:
    """The production directory: Graph at ``settings.directory.graph_url`` with
    ``DefaultAzureCredential`` (the user-assigned identity ``PHOTOS_STORAGE__clientId`` when
    set), closed with the directory."""
    from shared.storage.table_client import default_credential

    credential = default_credential(settings.storage)
    return GraphDirectory(settings.directory.graph_url, credential, close_credential=True)


class GraphDirectory:
    """UPNs resolved by Microsoft Graph at ``base_url``; one per process."""

    def __init__(
        self,
        base_url: str,
        credential: AsyncTokenCredential,
        *,
        close_credential: bool = False,
        ttl: float = DIRECTORY_TTL,
        negative_ttl: float = DIRECTORY_NEGATIVE_TTL,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        deadline: float = DIRECTORY_DEADLINE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._credential = credential
        self._close_credential = close_credential
        self._answers = AnswerCache(
            ttl=ttl, negative_ttl=negative_ttl, max_entries=max_entries, clock=clock
        )
        self._deadline = deadline
        self._clock = clock
        self._throttled_until = 0.0
        self._session: aiohttp.ClientSession | None = None

    async def object_id(self, upn: str) -> str | None:
        key = user_key(upn)
        cached = self._answers.get(key)
        if cached is not None:
            return cached.object_id
        wait = self._throttled_until - self._clock()
        if wait > 0:
            raise _throttled(int(wait) + 1)
        try:
            async with asyncio.timeout(self._deadline):
                object_id = await self._ask(upn)
        except TimeoutError:
            logger.warning("Microsoft Graph did not answer a user look-up in %s s", self._deadline)
            raise _unavailable(DEFAULT_RETRY_AFTER) from None
        except aiohttp.ClientError as error:
            logger.warning("Microsoft Graph is unreachable: %s", type(error).__name__)
            raise _unavailable(DEFAULT_RETRY_AFTER) from None
        self._answers.put(key, object_id)
        return object_id

    async def aclose(self) -> None:
        """Close the HTTP session, then the credential if the directory owns it."""
        try:
            if self._session is not None:
                await self._session.close()
                self._session = None
        finally:
            if self._close_credential:
                await self._credential.close()

    async def _ask(self, upn: str) -> str | None:
        url = f"{self._base_url}/v1.0/users/{quote(upn, safe='@')}"
        headers = {"Authorization": f"Bearer {await self._token()}", "Accept": "application/json"}
        session = self._get_session()
        async with session.get(url, params={"$select": "id"}, headers=headers) as response:
            body = await response.read()
            if response.status == 200:
                return _object_id(body)
            code = _error_code(body)
            if response.status == 404:
                return None
            if response.status == 429 or response.status >= 500:
                retry_after = _retry_after(response.headers.get("Retry-After"))
                logger.warning(
                    "Microsoft Graph answered %s (%s) to a user look-up; retry in %s s",
                    response.status,
                    code,
                    retry_after,
                )
                self._throttled_until = self._clock() + retry_after
                raise _throttled(retry_after)
            if response.status in (401, 403):
                logger.error(
                    "Microsoft Graph refused the service's user look-up: %s %s; does the app's "
                    "identity have the User.Read.All application permission?",
                    response.status,
                    code,
                )
                raise InternalServerError()
            logger.error(
                "Microsoft Graph answered %s (%s) to a user look-up", response.status, code
            )
            raise InternalServerError()

    async def _token(self) -> str:
        try:
            return (await self._credential.get_token(GRAPH_SCOPE)).token
        except ClientAuthenticationError as error:
            logger.error(
                "No token for Microsoft Graph (is a managed identity assigned?): %s",
                type(error).__name__,
            )
            raise InternalServerError() from None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._deadline, connect=CONNECT_TIMEOUT),
                trust_env=False,
            )
        return self._session


def _object_id(body: bytes) -> str:
    try:
        document: Any = json.loads(body)
    except ValueError:
        document = None
    object_id = document.get("id") if isinstance(document, dict) else None
    if not isinstance(object_id, str) or not is_object_id(object_id):
        logger.error("Microsoft Graph answered a user look-up without an object id")
        raise InternalServerError()
    return object_id.lower()


def _error_code(body: bytes) -> str:
    """Graph's error code in an error body (for the logs), or ``-``."""
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return "-"
    if not isinstance(code, str) or not code.isascii() or not code.isprintable():
        return "-"
    return code[:64]


def _retry_after(value: str | None) -> int:
    """Graph's ``Retry-After`` (seconds) within 1 … MAX_RETRY_AFTER, else the default."""
    value = (value or "").strip()
    if not value.isascii() or not value.isdigit():
        return DEFAULT_RETRY_AFTER
    return min(max(int(value), 1), MAX_RETRY_AFTER)


def _throttled(retry_after: int) -> ServiceUnavailable:
    return ServiceUnavailable(
        "The directory is busy; the user cannot be looked up right now.", retry_after=retry_after
    )


def _unavailable(retry_after: int) -> ServiceUnavailable:
    return ServiceUnavailable(
        "The directory is unreachable; the user cannot be looked up right now.",
        retry_after=retry_after,
    )
