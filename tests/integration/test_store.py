"""TablePhotoStore against a real Azurite, and against a loopback server that plays a sick storage."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.data.tables import EntityProperty
from azure.data.tables.aio import TableClient

from devtools.azurite import connection_string, free_port
from shared.config import StorageSettings
from shared.graph.errors import BadRequest, ServiceUnavailable
from shared.models import ProfilePhotoIn
from shared.storage.key_encoding import encode_key
from shared.storage.photo_store import PhotoExists
from shared.storage.table_client import create_table_client
from shared.storage.table_store import TablePhotoStore
from tests.awkward_ids import AWKWARD_IDS
from tests.store_calls import add_photo, photo_rows

pytestmark = pytest.mark.azurite

USER = "alice@contoso.com"
CREATING = "does not exist; creating it"


def photo(id: str | None = None, height: int = 6, width: int = 5) -> ProfilePhotoIn:
    """A body as "Add photos" would have validated it; unvalidated, so the store's own
    handling of ids the service refuses (control characters) is tested too."""
    return ProfilePhotoIn.model_construct(id=id, height=height, width=width)


async def raw_entity(table: TableClient, user: str, photo_id: str) -> dict[str, Any]:
    """The entity's JSON exactly as the service sent it (with its @odata.type annotations)."""
    captured: dict[str, Any] = {}

    def keep(_response: object, body: dict[str, Any], _headers: object) -> dict[str, Any]:
        captured.update(body)
        return body

    await table.get_entity(encode_key(user), encode_key(photo_id), cls=keep)
    return captured


async def table_exists(table: TableClient) -> bool:
    try:
        await table.get_entity("no", "such")
    except ResourceNotFoundError as error:
        return error.response is None or error.response.headers.get("x-ms-error-code") != (
            "TableNotFound"
        )
    return True


async def test_add_then_get(photo_store: TablePhotoStore) -> None:
    added = await add_photo(photo_store, USER, "Alice@Contoso.com", photo("p1"), request_id="r1")
    assert (added.id, added.height, added.width) == ("p1", 6, 5)
    assert await photo_store.get(USER, "p1") == added


async def test_created_at_is_now_in_utc(photo_store: TablePhotoStore) -> None:
    added = await add_photo(photo_store, USER, USER, photo(), request_id="r1")
    assert added.created_at.tzinfo is UTC
    assert abs(datetime.now(UTC) - added.created_at) < timedelta(seconds=30)
    stored = await photo_store.get(USER, added.id)
    assert stored is not None
    assert stored.created_at == added.created_at
    assert stored.created_at.utcoffset() == timedelta(0)
    assert type(stored.created_at) is datetime


async def test_stored_entity(photo_store: TablePhotoStore, table_client: TableClient) -> None:
    user_key = "bob_fabrikam.com#ext#@contoso.onmicrosoft.com"
    user_name = "Bob_Fabrikam.com#EXT#@contoso.onmicrosoft.com"
    added = await add_photo(
        photo_store, user_key, user_name, photo("a/b#c", 7, 2**31 - 1), request_id="r9"
    )

    raw = await raw_entity(table_client, user_key, "a/b#c")
    assert raw["PartitionKey"] == encode_key(user_key) != user_key
    assert raw["RowKey"] == encode_key("a/b#c") != "a/b#c"
    assert raw["User"] == user_name
    assert raw["PhotoId"] == "a/b#c"
    # Int32 is JSON's default number type: a plain number, no Edm.Int64 annotation.
    assert raw["Height"] == 7 and raw.get("Height@odata.type", "Edm.Int32") == "Edm.Int32"
    assert raw["Width"] == 2**31 - 1 and raw.get("Width@odata.type", "Edm.Int32") == "Edm.Int32"
    assert raw["CreatedAt@odata.type"] == "Edm.DateTime"
    assert raw["CreatedAt"].endswith("Z")
    assert raw["RequestId"] == "r9"

    entity = await table_client.get_entity(encode_key(user_key), encode_key("a/b#c"))
    assert type(entity["Height"]) is int  # the SDK's Int32; Int64 comes back as EntityProperty
    assert not isinstance(entity["Width"], EntityProperty)
    assert entity["CreatedAt"] == added.created_at
    assert entity["CreatedAt"].tzinfo is not None


async def test_existing_client_id_is_a_conflict(
    photo_store: TablePhotoStore, table_client: TableClient
) -> None:
    await add_photo(photo_store, USER, USER, photo("p1", 6, 5), request_id="first")
    with pytest.raises(PhotoExists) as caught:
        await add_photo(photo_store, USER, USER, photo("p1", 9, 9), request_id="second")
    assert caught.value.photo_id == "p1"
    raw = await raw_entity(table_client, USER, "p1")
    assert (raw["Height"], raw["Width"], raw["RequestId"]) == (6, 5, "first")


async def test_same_id_for_another_user_is_fine(photo_store: TablePhotoStore) -> None:
    await add_photo(photo_store, USER, USER, photo("p1"), request_id="r1")
    await add_photo(photo_store, "bob@contoso.com", "bob@contoso.com", photo("p1"), request_id="r2")


async def test_replayed_insert_of_the_same_request_is_not_a_conflict(
    photo_store: TablePhotoStore,
) -> None:
    first = await add_photo(photo_store, USER, USER, photo("p1"), request_id="r1")
    assert await add_photo(photo_store, USER, USER, photo("p1"), request_id="r1") == first


async def test_server_id_is_a_new_guid(photo_store: TablePhotoStore) -> None:
    one = await add_photo(photo_store, USER, USER, photo(), request_id="r1")
    two = await add_photo(photo_store, USER, USER, photo(), request_id="r2")
    assert uuid.UUID(one.id).version == 4
    assert str(uuid.UUID(one.id)) == one.id
    assert one.id != two.id
    assert await photo_store.get(USER, one.id) == one


async def test_get_missing_photo_is_none(photo_store: TablePhotoStore) -> None:
    assert await photo_store.get(USER, "nope") is None  # table missing too
    await add_photo(photo_store, USER, USER, photo("p1"), request_id="r1")
    assert await photo_store.get(USER, "nope") is None


@pytest.mark.parametrize("photo_id", AWKWARD_IDS, ids=range(len(AWKWARD_IDS)))
async def test_awkward_ids_are_stored_and_read_back(
    photo_store: TablePhotoStore, table_client: TableClient, photo_id: str
) -> None:
    added = await add_photo(photo_store, USER, USER, photo(photo_id), request_id="r1")
    assert await photo_store.get(USER, photo_id) == added
    assert (await raw_entity(table_client, USER, photo_id))["PhotoId"] == photo_id


@pytest.mark.parametrize("user", AWKWARD_IDS[:15], ids=range(15))
async def test_awkward_users_are_stored_and_read_back(
    photo_store: TablePhotoStore, table_client: TableClient, user: str
) -> None:
    added = await add_photo(photo_store, user, user, photo("p"), request_id="r1")
    assert await photo_store.get(user, "p") == added
    assert (await raw_entity(table_client, user, "p"))["User"] == user


async def test_user_too_long_for_a_key_is_a_bad_request(photo_store: TablePhotoStore) -> None:
    with pytest.raises(BadRequest):
        await add_photo(photo_store, "#" * 300, "#" * 300, photo(), request_id="r1")


async def test_table_is_created_lazily_on_first_add(
    photo_store: TablePhotoStore, table_client: TableClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert not await table_exists(table_client)
    with caplog.at_level(logging.WARNING, logger="shared.storage.table_store"):
        await add_photo(photo_store, USER, USER, photo(), request_id="r1")
        await add_photo(photo_store, USER, USER, photo(), request_id="r2")
    assert await table_exists(table_client)
    assert caplog.text.count(CREATING) == 1


async def test_concurrent_first_adds_create_the_table_once(
    photo_store: TablePhotoStore, table_client: TableClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="shared.storage.table_store"):
        added = await asyncio.gather(
            *(
                add_photo(photo_store, USER, USER, photo(f"p{i}"), request_id=f"r{i}")
                for i in range(20)
            )
        )
    assert sorted(p.id for p in added) == sorted(f"p{i}" for i in range(20))
    assert caplog.text.count(CREATING) == 1
    stored = await photo_rows(table_client)
    assert len(stored) == 20


async def test_table_deleted_under_a_running_store_is_recreated(
    photo_store: TablePhotoStore, table_client: TableClient, caplog: pytest.LogCaptureFixture
) -> None:
    await add_photo(photo_store, USER, USER, photo("before"), request_id="r1")
    await table_client.delete_table()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="shared.storage.table_store"):
        added = await add_photo(photo_store, USER, USER, photo("after"), request_id="r2")
    assert caplog.text.count(CREATING) == 1
    assert await photo_store.get(USER, "after") == added
    assert await photo_store.get(USER, "before") is None


async def test_unreachable_storage_is_service_unavailable() -> None:
    settings = StorageSettings(connection_string=connection_string(free_port()), table_name="t1")
    store = TablePhotoStore(create_table_client(settings))
    try:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable) as caught:
            await add_photo(store, USER, USER, photo(), request_id="r1")
        with pytest.raises(ServiceUnavailable):
            await store.get(USER, "p1")
        assert time.monotonic() - started < 30
    finally:
        await store.aclose()
    assert caught.value.status == 503
    assert caught.value.retry_after >= 1
    assert caught.value.headers["Retry-After"] == str(caught.value.retry_after)


# A loopback HTTP server standing in for storage that is busy, failing or hanging.

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SickStorage:
    def __init__(self) -> None:
        self.requests = 0
        self.handler: Handler = self._busy
        self.released = asyncio.Event()  # hanging handlers return once this is set

    async def _busy(self, _request: web.Request) -> web.StreamResponse:
        return self.error(503, "ServerBusy")

    @staticmethod
    def error(status: int, code: str, headers: dict[str, str] | None = None) -> web.Response:
        body = {"odata.error": {"code": code, "message": {"lang": "en-US", "value": code}}}
        return web.json_response(
            body, status=status, headers={"x-ms-error-code": code, **(headers or {})}
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        return await self.handler(request)


@pytest.fixture
async def sick_storage() -> AsyncIterator[tuple[SickStorage, TableClient]]:
    sick = SickStorage()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", sick.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    client = create_table_client(
        StorageSettings(connection_string=connection_string(port), table_name="photos")
    )
    try:
        yield sick, client
    finally:
        sick.released.set()
        await client.close()
        await runner.cleanup()


async def test_server_busy_is_service_unavailable_with_its_retry_after(
    sick_storage: tuple[SickStorage, TableClient],
) -> None:
    sick, client = sick_storage

    async def busy(_request: web.Request) -> web.StreamResponse:
        return sick.error(503, "ServerBusy", {"Retry-After": "1"})

    sick.handler = busy
    with pytest.raises(ServiceUnavailable) as caught:
        await add_photo(TablePhotoStore(client), USER, USER, photo(), request_id="r1")
    assert caught.value.retry_after == 1
    assert sick.requests == 3  # the insert was retried, within bounds


@pytest.mark.parametrize(
    ("status", "code"), [(503, "ServerBusy"), (500, "OperationTimedOut"), (500, "InternalError")]
)
async def test_transient_storage_errors_are_service_unavailable(
    sick_storage: tuple[SickStorage, TableClient], status: int, code: str
) -> None:
    sick, client = sick_storage

    async def failing(_request: web.Request) -> web.StreamResponse:
        return sick.error(status, code)

    sick.handler = failing
    with pytest.raises(ServiceUnavailable) as caught:
        await add_photo(TablePhotoStore(client), USER, USER, photo(), request_id="r1")
    assert caught.value.retry_after == 5


async def test_other_storage_errors_propagate(
    sick_storage: tuple[SickStorage, TableClient],
) -> None:
    sick, client = sick_storage

    async def bad_request(_request: web.Request) -> web.StreamResponse:
        return sick.error(400, "InvalidInput")

    sick.handler = bad_request
    with pytest.raises(HttpResponseError):
        await add_photo(TablePhotoStore(client), USER, USER, photo(), request_id="r1")


async def test_table_being_deleted_is_service_unavailable(
    sick_storage: tuple[SickStorage, TableClient],
) -> None:
    sick, client = sick_storage

    async def deleting(request: web.Request) -> web.StreamResponse:
        if request.path.rstrip("/").endswith("/Tables"):
            return sick.error(409, "TableBeingDeleted")
        return sick.error(404, "TableNotFound")

    sick.handler = deleting
    with pytest.raises(ServiceUnavailable) as caught:
        await add_photo(TablePhotoStore(client), USER, USER, photo(), request_id="r1")
    assert caught.value.retry_after == 30
    assert sick.requests == 2  # insert, create table; no retry loop


async def test_hanging_storage_ends_at_the_deadline(
    sick_storage: tuple[SickStorage, TableClient],
) -> None:
    sick, client = sick_storage

    async def hang(_request: web.Request) -> web.StreamResponse:
        await sick.released.wait()
        return web.Response()

    sick.handler = hang
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        await add_photo(TablePhotoStore(client, deadline=1.0), USER, USER, photo(), request_id="r1")
    assert time.monotonic() - started < 10


async def test_table_created_meanwhile_by_another_process_is_fine(
    storage_settings: StorageSettings, table_client: TableClient
) -> None:
    # Two processes' first adds both find the table missing; one creates it, the other meets
    # TableAlreadyExists and goes on.
    stores = [TablePhotoStore(create_table_client(storage_settings)) for _ in range(2)]
    try:
        added = await asyncio.gather(
            *(
                add_photo(store, USER, USER, photo(f"p{i}"), request_id=f"r{i}")
                for i, store in enumerate(stores)
            )
        )
    finally:
        for store in stores:
            await store.aclose()
    assert sorted(photo.id for photo in added) == ["p0", "p1"]
    assert len(await photo_rows(table_client)) == 2
