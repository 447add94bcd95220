"""PHOTOS_PER_USER_LIMIT against a real Azurite: exact under concurrency and across instances;
and the cost of adds and listings in storage requests, counted at a loopback TCP proxy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from azure.data.tables.aio import TableClient

from devtools.azurite import connection_string
from shared.config import StorageSettings
from shared.models import ProfilePhotoIn
from shared.storage.photo_rows import LIMIT_RECHECK
from shared.storage.photo_store import PhotoLimitReached
from shared.storage.table_client import create_table_client
from shared.storage.table_store import TablePhotoStore
from tests.conftest import AzuriteEndpoint, table_port
from tests.store_calls import add_photo, photo_rows
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.azurite

USER = "alice@contoso.com"
OTHER = "bob@contoso.com"


def _photo(photo_id: str) -> ProfilePhotoIn:
    return ProfilePhotoIn(id=photo_id, height=6, width=5)


def _store(settings: StorageSettings, limit: int) -> TablePhotoStore:
    return TablePhotoStore(create_table_client(settings), photos_per_user_limit=limit)


async def _add(store: TablePhotoStore, photo_id: str, user: str = USER) -> object:
    return await add_photo(store, user, user, _photo(photo_id), request_id=f"r-{photo_id}")


async def test_the_limit_refuses_one_more_and_a_delete_makes_room(
    storage_settings: StorageSettings, table_client: TableClient
) -> None:
    store = _store(storage_settings, limit=3)
    try:
        for photo_id in ("a", "b", "c"):
            await _add(store, photo_id)
        with pytest.raises(PhotoLimitReached) as caught:
            await _add(store, "d")
        assert caught.value.limit == 3
        await _add(store, "x", user=OTHER)  # another user has a limit of their own
        assert await store.delete(USER, "b")
        await _add(store, "d")
    finally:
        await store.aclose()
    ids = sorted(row["PhotoId"] for row in await photo_rows(table_client) if row["User"] == USER)
    assert ids == ["a", "c", "d"]


async def test_the_limit_is_exact_for_concurrent_adds_from_two_instances(
    storage_settings: StorageSettings, table_client: TableClient
) -> None:
    stores = [_store(storage_settings, limit=5) for _ in range(2)]
    try:
        await _add(stores[0], "first")  # the table exists; both instances start cold
        results = await asyncio.gather(
            *(_add(stores[i % 2], f"p{i}") for i in range(16)), return_exceptions=True
        )
    finally:
        for store in stores:
            await store.aclose()
    refused = [result for result in results if isinstance(result, PhotoLimitReached)]
    unexpected = [
        result
        for result in results
        if isinstance(result, BaseException) and not isinstance(result, PhotoLimitReached)
    ]
    assert unexpected == []
    assert len(refused) == 12  # 1 + 4 of 16 fit under 5
    assert len(await photo_rows(table_client)) == 5


async def test_a_counter_stale_in_this_instance_is_read_again(
    storage_settings: StorageSettings,
) -> None:
    one, two = _store(storage_settings, limit=2), _store(storage_settings, limit=2)
    try:
        await _add(one, "a")
        await _add(two, "b")  # `one`'s cached counter is now stale
        with pytest.raises(PhotoLimitReached):
            await _add(one, "c")
        assert await two.delete(USER, "a")
        with pytest.raises(PhotoLimitReached):  # `one` read the counter a moment ago: it stands
            await _add(one, "c")
        await asyncio.sleep(LIMIT_RECHECK + 0.1)
        await _add(one, "c")  # `one` thinks 2; storage says 1: it reads again and adds
    finally:
        await one.aclose()
        await two.aclose()


@pytest.fixture
async def counted(
    azurite: AzuriteEndpoint, table_name: str, table_client: TableClient
) -> AsyncIterator[tuple[TcpProxy, TablePhotoStore]]:
    """A store whose every storage request passes a counting proxy (the table exists)."""
    await table_client.create_table()
    async with TcpProxy(table_port(azurite)) as proxy:
        settings = StorageSettings(
            connection_string=connection_string(proxy.port), table_name=table_name
        )
        store = TablePhotoStore(create_table_client(settings))
        try:
            yield proxy, store
        finally:
            await store.aclose()


async def test_a_flood_over_the_limit_reads_the_counter_once_a_second(
    azurite: AzuriteEndpoint, table_name: str, table_client: TableClient
) -> None:
    await table_client.create_table()
    async with TcpProxy(table_port(azurite)) as proxy:
        settings = StorageSettings(
            connection_string=connection_string(proxy.port), table_name=table_name
        )
        store = _store(settings, limit=1)
        try:
            await _add(store, "a")
            before = len(proxy.requests)
            for i in range(20):
                with pytest.raises(PhotoLimitReached):
                    await _add(store, f"x{i}")
        finally:
            await store.aclose()
    assert len(proxy.requests) - before <= 2  # one read, maybe one more past a second


async def test_an_add_is_one_request_for_a_new_user_and_in_the_steady_state(
    counted: tuple[TcpProxy, TablePhotoStore],
) -> None:
    proxy, store = counted
    await _add(store, "first")
    assert len(proxy.requests) == 1
    for i in range(5):
        await _add(store, f"p{i}")
    assert len(proxy.requests) == 6


async def test_a_listing_page_costs_one_request_however_many_photos(
    counted: tuple[TcpProxy, TablePhotoStore],
) -> None:
    proxy, store = counted
    await asyncio.gather(*(_add(store, f"p{i:03}") for i in range(60)))
    before = len(proxy.requests)
    page = await store.list(USER, top=5)
    assert len(page.photos) == 5
    assert page.has_more
    assert len(proxy.requests) == before + 1


async def test_a_photo_stored_without_an_index_row_can_still_be_deleted(
    photo_store: TablePhotoStore, table_client: TableClient
) -> None:
    await _add(photo_store, "old")
    [index_row] = [
        row async for row in table_client.list_entities() if str(row["RowKey"]).startswith("%!o")
    ]
    await table_client.delete_entity(index_row["PartitionKey"], index_row["RowKey"])

    assert await photo_store.delete(USER, "old")
    assert await photo_rows(table_client) == []
