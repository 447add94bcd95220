"""TablePhotoStore while its own Azurite stops and starts again (SIGINT: Azurite keeps its data).

These tests stop and restart storage, so they use an Azurite of their own, never the
session's. One long-lived store per test, as the app has one per process: it must come back
by itself, without a new client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from devtools.azurite import AzuriteProcess, start_azurite
from shared.config import StorageSettings
from shared.graph.errors import ServiceUnavailable
from shared.models import ProfilePhotoIn
from shared.storage.table_store import TablePhotoStore, open_photo_store
from tests.store_calls import add_photo

pytestmark = pytest.mark.azurite

USER = "alice@contoso.com"
PHOTO = ProfilePhotoIn(height=6, width=5)


@pytest.fixture(scope="module")
def own_azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzuriteProcess]:
    location: Path = tmp_path_factory.mktemp("outage-azurite")
    azurite = start_azurite(location=location)
    try:
        yield azurite
    finally:
        azurite.stop()


@pytest.fixture
async def store(own_azurite: AzuriteProcess) -> AsyncIterator[TablePhotoStore]:
    own_azurite.start()  # a failed test may have left it stopped
    settings = StorageSettings(
        connection_string=own_azurite.connection_string, table_name=f"t{uuid4().hex}"
    )
    photo_store = open_photo_store(settings)
    try:
        yield photo_store
    finally:
        await photo_store.aclose()


async def test_stopped_storage_is_a_quick_503_and_the_store_recovers(
    store: TablePhotoStore, own_azurite: AzuriteProcess, caplog: pytest.LogCaptureFixture
) -> None:
    before = await add_photo(store, USER, USER, PHOTO, request_id="r1")
    own_azurite.stop()

    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as caught:
        await add_photo(store, USER, USER, PHOTO, request_id="r2")
    add_wait = time.monotonic() - started
    with pytest.raises(ServiceUnavailable):
        await store.get(USER, before.id)
    assert caught.value.retry_after == 5
    assert add_wait < 5  # connection refused: three quick attempts, 1 s of backoff

    own_azurite.start()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="shared.storage.table_store"):
        after = await add_photo(store, USER, USER, PHOTO, request_id="r3")
    assert "unreachable" not in caplog.text  # the first request after the outage succeeds
    assert await store.get(USER, before.id) == before
    assert await store.get(USER, after.id) == after


async def test_pooled_connections_from_before_a_restart_are_not_a_failure(
    store: TablePhotoStore, own_azurite: AzuriteProcess, caplog: pytest.LogCaptureFixture
) -> None:
    """The client's keep-alive connections die with Azurite; the next insert must not."""
    before = await add_photo(store, USER, USER, PHOTO, request_id="r1")
    own_azurite.restart()

    with caplog.at_level(logging.WARNING, logger="shared.storage.table_store"):
        after = await add_photo(store, USER, USER, PHOTO, request_id="r2")
        assert await store.get(USER, before.id) == before
    assert await store.get(USER, after.id) == after
    assert "unreachable" not in caplog.text
