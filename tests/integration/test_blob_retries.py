"""The blob client retries as the table client does (``shared.storage.table_client``): three
attempts, a second apart at most, so a storage hiccup costs a second, not the deadline.

(The blob SDK has its own retry policy, which by default waits 15 s and then 18 s between
attempts; a photo upload in flight when storage restarted waited out the whole deadline.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from devtools.azurite import connection_string
from shared.config import StorageSettings
from shared.graph.errors import ServiceUnavailable
from shared.models import Media
from shared.storage.table_client import RETRY_TOTAL
from shared.storage.table_store import open_photo_store

DEADLINE = 8.0
"""Seconds for the store call: past the blob SDK's default first backoff (15 s less 3 s of
jitter) it would end after one attempt, however the test machine runs."""


class BusyStorage:
    """Answers every request with Blob Storage's ``503 ServerBusy``, counting them."""

    def __init__(self) -> None:
        self.requests = 0

    async def handle(self, _request: web.Request) -> web.StreamResponse:
        self.requests += 1
        return web.Response(
            status=503,
            body=b'<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>busy</Message></Error>',
            headers={"x-ms-error-code": "ServerBusy", "Content-Type": "application/xml"},
        )


@pytest.fixture
async def busy() -> AsyncIterator[tuple[BusyStorage, int]]:
    storage = BusyStorage()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", storage.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield storage, runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def test_a_busy_blob_service_is_tried_three_times_then_503(
    busy: tuple[BusyStorage, int],
) -> None:
    storage, port = busy
    settings = StorageSettings(
        connection_string=connection_string(port, blob_port=port, queue_port=port),
        table_name="photos",
    )
    store = open_photo_store(settings, deadline=DEADLINE)
    media = Media(blob_name="user/upload/96x96", etag='"e"', content_type="image/jpeg", length=1)
    try:
        with pytest.raises(ServiceUnavailable) as caught:
            await store.read_content(media)
    finally:
        await store.aclose()
    assert storage.requests == RETRY_TOTAL + 1
    assert caught.value.retry_after >= 1
