"""TablePhotoStore.list and TablePhotoStore.delete against a real Azurite (and a busy loopback storage)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from azure.data.tables.aio import TableClient

from devtools.azurite import connection_string, free_port
from shared.config import StorageSettings
from shared.graph.errors import ServiceUnavailable
from shared.models import Photo, ProfilePhotoIn
from shared.photo_order import PhotoPage, PhotoPosition, position_of
from shared.storage.table_client import create_table_client
from shared.storage.table_store import TablePhotoStore
from tests.store_calls import add_photo

pytestmark = pytest.mark.azurite

USER = "alice@contoso.com"
OTHER = "bob@contoso.com"


async def add(store: TablePhotoStore, photo_id: str | None = None, user: str = USER) -> Photo:
    photo = ProfilePhotoIn(id=photo_id, height=6, width=5)
    return await add_photo(store, user, user, photo, request_id=f"r-{photo_id}")


async def put_at(store: TablePhotoStore, photo_id: str, created_at: datetime) -> Photo:
    """A photo added as ``add`` adds it, with a creation time of the test's choosing."""
    photo = ProfilePhotoIn(id=photo_id, height=6, width=5)
    return await add_photo(store, USER, USER, photo, request_id=f"r-{photo_id}", now=created_at)


async def all_pages(store: TablePhotoStore, top: int) -> list[PhotoPage]:
    pages = [await store.list(USER, top=top)]
    while pages[-1].has_more:
        pages.append(await store.list(USER, top=top, after=position_of(pages[-1].photos[-1])))
    return pages


async def test_a_store_without_a_table_lists_nothing(photo_store: TablePhotoStore) -> None:
    assert await photo_store.list(USER, top=10) == PhotoPage(photos=(), has_more=False)


async def test_a_user_without_photos_lists_nothing(photo_store: TablePhotoStore) -> None:
    await add(photo_store, "p1", user=OTHER)
    assert await photo_store.list(USER, top=10) == PhotoPage(photos=(), has_more=False)


async def test_photos_come_in_creation_order_not_id_order(photo_store: TablePhotoStore) -> None:
    added = [await add(photo_store, photo_id) for photo_id in ("z", "a", "m", "b#/?'%")]
    added.append(await add(photo_store))  # a server-made GUID
    await add(photo_store, "a", user=OTHER)

    page = await photo_store.list(USER, top=10)

    assert page == PhotoPage(photos=tuple(added), has_more=False)


async def test_pages_cover_every_photo_once_in_order(photo_store: TablePhotoStore) -> None:
    added = [await add(photo_store, f"p{n}") for n in (5, 3, 1, 4, 2)]

    pages = await all_pages(photo_store, top=2)

    assert [len(page.photos) for page in pages] == [2, 2, 1]
    assert [page.has_more for page in pages] == [True, True, False]
    assert [photo for page in pages for photo in page.photos] == added


async def test_a_full_last_page_says_no_more(photo_store: TablePhotoStore) -> None:
    added = [await add(photo_store, f"p{n}") for n in range(2)]
    assert await photo_store.list(USER, top=2) == PhotoPage(tuple(added), has_more=False)


async def test_photos_created_together_keep_one_order_across_pages(
    photo_store: TablePhotoStore, table_client: TableClient
) -> None:
    await add(photo_store, "first")  # creates the table
    moment = datetime.now(UTC) + timedelta(seconds=1)
    tied = [await put_at(photo_store, photo_id, moment) for photo_id in ("c", "a", "b")]
    later = await put_at(photo_store, "0", moment + timedelta(microseconds=1))

    pages = await all_pages(photo_store, top=1)

    listed = [photo.id for page in pages for photo in page.photos]
    in_order = sorted(tied, key=lambda photo: position_of(photo).key())
    assert listed == ["first", *(photo.id for photo in in_order), "0"]
    assert pages[2].photos[0] == in_order[1]
    assert pages[-1].photos == (later,)


async def test_paging_survives_deletes_and_adds_between_pages(photo_store: TablePhotoStore) -> None:
    p1, p2, p3 = [await add(photo_store, photo_id) for photo_id in ("p1", "p2", "p3")]
    first = await photo_store.list(USER, top=2)
    assert first.photos == (p1, p2)

    assert await photo_store.delete(USER, "p2")  # the page's last photo: the position stays
    assert await photo_store.delete(USER, "p1")
    p4 = await add(photo_store, "p0")  # created last, whatever its id
    rest = await photo_store.list(USER, top=2, after=position_of(first.photos[-1]))

    assert rest == PhotoPage(photos=(p3, p4), has_more=False)


async def test_position_past_everything_lists_nothing(photo_store: TablePhotoStore) -> None:
    await add(photo_store, "p1")
    future = PhotoPosition(datetime.now(UTC) + timedelta(days=1), "")
    assert await photo_store.list(USER, top=5, after=future) == PhotoPage((), has_more=False)


async def test_top_must_be_positive(photo_store: TablePhotoStore) -> None:
    with pytest.raises(ValueError, match="top"):
        await photo_store.list(USER, top=0)


async def test_delete_removes_only_that_photo(photo_store: TablePhotoStore) -> None:
    await add(photo_store, "a/b#c")
    kept = await add(photo_store, "p2")
    other = await add(photo_store, "a/b#c", user=OTHER)

    assert await photo_store.delete(USER, "a/b#c") is True

    assert await photo_store.get(USER, "a/b#c") is None
    assert (await photo_store.list(USER, top=10)).photos == (kept,)
    assert await photo_store.get(OTHER, "a/b#c") == other


async def test_deleting_a_missing_photo_is_false(photo_store: TablePhotoStore) -> None:
    assert await photo_store.delete(USER, "p1") is False  # no table yet
    await add(photo_store, "p1")
    assert await photo_store.delete(USER, "p1") is True
    assert await photo_store.delete(USER, "p1") is False


async def test_a_deleted_id_can_be_added_again(photo_store: TablePhotoStore) -> None:
    await add(photo_store, "p1")
    assert await photo_store.delete(USER, "p1")
    again = await add(photo_store, "p1")
    assert await photo_store.get(USER, "p1") == again


# Each failure below costs the retry policy's backoff (~1-2 s): one operation per case.


async def test_unreachable_storage_is_service_unavailable_for_deletes() -> None:
    settings = StorageSettings(connection_string=connection_string(free_port()), table_name="t1")
    store = TablePhotoStore(create_table_client(settings))
    try:
        with pytest.raises(ServiceUnavailable):
            await store.delete(USER, "p1")
    finally:
        await store.aclose()


@pytest.fixture
async def busy_store() -> AsyncIterator[TablePhotoStore]:
    """A store whose storage always answers 503 ServerBusy with Retry-After: 1."""

    async def busy(_request: web.Request) -> web.Response:
        body = {"odata.error": {"code": "ServerBusy", "message": {"value": "busy"}}}
        headers = {"x-ms-error-code": "ServerBusy", "Retry-After": "1"}
        return web.json_response(body, status=503, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", busy)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    settings = StorageSettings(connection_string=connection_string(port), table_name="photos")
    store = TablePhotoStore(create_table_client(settings))
    try:
        yield store
    finally:
        await store.aclose()
        await runner.cleanup()


async def test_busy_storage_is_service_unavailable_for_lists(busy_store: TablePhotoStore) -> None:
    with pytest.raises(ServiceUnavailable) as listing:
        await busy_store.list(USER, top=1)
    assert listing.value.retry_after == 1
