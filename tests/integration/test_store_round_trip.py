"""What one add sends to a real Azurite: one transaction carrying the Graph request id as the
client request id, and no worker-thread hop per call (no ``.netrc`` / proxy lookups)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.core.pipeline import PipelineResponse
from azure.data.tables.aio import TableClient

from shared.config import StorageSettings
from shared.models import ProfilePhotoIn
from shared.operations import decide_new_photo
from shared.storage.photo_store import NewPhoto
from shared.storage.table_client import client_options, create_table_client
from shared.storage.table_store import TablePhotoStore

pytestmark = pytest.mark.azurite


class CountingExecutor(ThreadPoolExecutor):
    """The loop's default executor (``asyncio.to_thread``, ``run_in_executor(None, ...)``),
    counting what is handed to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def new_photo(request_id: str) -> NewPhoto:
    return decide_new_photo(
        "alice@contoso.com",
        "alice@contoso.com",
        ProfilePhotoIn(height=6, width=5),
        caller="test-caller",
        idempotency_key=None,
        request_id=request_id,
        now=datetime.now(UTC),
    )


async def test_an_add_is_one_transaction_carrying_the_request_id(
    storage_settings: StorageSettings, table_client: TableClient
) -> None:
    answers: list[tuple[str, str | None, int, dict[str, str]]] = []

    def record(response: PipelineResponse[Any, Any]) -> None:
        http = response.http_response
        request = http.request
        answers.append(
            (request.method, request.headers.get("Prefer"), http.status_code, dict(request.headers))
        )

    client = TableClient.from_connection_string(
        storage_settings.connection_string or "",
        table_name=storage_settings.table_name,
        raw_response_hook=record,
        **client_options(),
    )
    store = TablePhotoStore(client)
    await table_client.create_table()
    request_id = str(uuid.uuid4())
    try:
        await store.add(new_photo(request_id))
    finally:
        await store.aclose()
    ((method, _prefer, status, headers),) = answers
    assert (method, status) == ("POST", 202)  # one entity group transaction, accepted
    assert headers.get("x-ms-client-request-id") == request_id  # sent (Azurite echoes it
    # for single operations, not for transactions)


async def test_storage_calls_hand_nothing_to_worker_threads(
    storage_settings: StorageSettings, table_client: TableClient
) -> None:
    executor = CountingExecutor()
    asyncio.get_running_loop().set_default_executor(executor)
    store = TablePhotoStore(create_table_client(storage_settings))
    try:
        await store.add(new_photo(str(uuid.uuid4())))  # creates the table, opens the session
        before = executor.submitted
        for _ in range(20):
            await store.add(new_photo(str(uuid.uuid4())))
            await store.list("alice@contoso.com", top=1)
        assert executor.submitted == before
    finally:
        await store.aclose()
