"""Storage's answer to an insert is lost after the insert took effect: no duplicate, no loss.

A real loopback TCP proxy sits between the store and Azurite; it forwards the insert, waits for
Azurite's answer, and then gives the store a 503, a dropped connection or garbage instead. The
SDK retries the insert (the store allows POST retries), meets 409 on its own row, recognises
its RequestId and answers with the stored photo.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from azure.data.tables.aio import TableClient

from devtools.azurite import connection_string
from shared.config import StorageSettings
from shared.graph.errors import ServiceUnavailable
from shared.models import ProfilePhotoIn
from shared.storage.table_store import TablePhotoStore, open_photo_store
from tests.conftest import AzuriteEndpoint, table_port
from tests.store_calls import add_photo, photo_rows
from tests.tcp_proxy import Fault, TcpProxy, is_insert

pytestmark = pytest.mark.azurite

USER = "alice@contoso.com"


@pytest.fixture
async def proxy(azurite: AzuriteEndpoint) -> AsyncIterator[TcpProxy]:
    async with TcpProxy(table_port(azurite)) as running:
        yield running


@pytest.fixture
async def proxied_store(
    proxy: TcpProxy, table_name: str, table_client: TableClient
) -> AsyncIterator[TablePhotoStore]:
    """A store that reaches the test's table through the proxy (the table exists already)."""
    await table_client.create_table()
    settings = StorageSettings(
        connection_string=connection_string(proxy.port), table_name=table_name
    )
    store = open_photo_store(settings)
    try:
        yield store
    finally:
        await store.aclose()


async def rows(table: TableClient) -> list[dict[str, object]]:
    return await photo_rows(table)


@pytest.mark.parametrize("fault", list(Fault))
async def test_lost_answer_to_an_insert_is_one_photo_and_a_success(
    proxied_store: TablePhotoStore, proxy: TcpProxy, table_client: TableClient, fault: Fault
) -> None:
    proxy.fail(fault)
    added = await add_photo(
        proxied_store, USER, USER, ProfilePhotoIn(height=6, width=5), request_id="r1"
    )

    assert [f for f, _ in proxy.faulted] == [fault]
    assert sum(is_insert(head) for head in proxy.requests) == 2  # the insert and its replay
    [row] = await rows(table_client)
    assert (row["PhotoId"], row["RequestId"]) == (added.id, "r1")
    assert await proxied_store.get(USER, added.id) == added


async def test_every_answer_lost_is_unavailable_and_a_keyed_retry_finds_the_photo(
    proxied_store: TablePhotoStore, proxy: TcpProxy, table_client: TableClient
) -> None:
    proxy.fail(Fault.BUSY, times=3)
    body = ProfilePhotoIn(height=6, width=5)
    with pytest.raises(ServiceUnavailable):
        await add_photo(proxied_store, USER, USER, body, request_id="r1", idempotency_key="k")
    [stored] = await rows(table_client)  # the first attempt did store it

    retried = await add_photo(proxied_store, USER, USER, body, request_id="r2", idempotency_key="k")
    assert retried.id == stored["PhotoId"]
    assert len(await rows(table_client)) == 1


async def test_a_table_create_whose_answer_is_lost_is_fine(
    proxy: TcpProxy, table_name: str, table_client: TableClient
) -> None:
    settings = StorageSettings(
        connection_string=connection_string(proxy.port), table_name=table_name
    )
    store = open_photo_store(settings)
    proxy.fail(Fault.DROP, when=lambda head: head.path.rstrip("/").endswith("/Tables"))
    try:
        added = await add_photo(
            store, USER, USER, ProfilePhotoIn(height=6, width=5), request_id="r1"
        )
    finally:
        await store.aclose()
    assert len(proxy.faulted) == 1
    assert [row["PhotoId"] for row in await rows(table_client)] == [added.id]
