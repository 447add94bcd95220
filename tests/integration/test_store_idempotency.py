"""TablePhotoStore.add with an Idempotency-Key, against a real Azurite."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from azure.data.tables.aio import TableClient

from shared.idempotency import caller_identity, derived_photo_id, scoped_key
from shared.models import ProfilePhotoIn
from shared.storage.photo_store import IdempotencyKeyReused, PhotoExists
from shared.storage.table_store import TablePhotoStore
from tests.store_calls import CALLER, add_photo, photo_rows

pytestmark = pytest.mark.azurite

ALICE = "alice@contoso.com"
BOB = "bob@contoso.com"
KEY = "5e6c9a2b-key"


def photo(id: str | None = None, height: int = 6, width: int = 5) -> ProfilePhotoIn:
    return ProfilePhotoIn(id=id, height=height, width=width)


async def rows(table: TableClient) -> list[dict[str, object]]:
    return await photo_rows(table)


async def test_repeat_returns_the_first_photo_and_stores_nothing_new(
    photo_store: TablePhotoStore, table_client: TableClient
) -> None:
    first = await add_photo(
        photo_store, ALICE, ALICE, photo(), request_id="r1", idempotency_key=KEY
    )
    again = await add_photo(
        photo_store, ALICE, ALICE, photo(), request_id="r2", idempotency_key=KEY
    )

    assert again == first
    assert first.id == derived_photo_id(CALLER, ALICE, KEY)
    [row] = await rows(table_client)
    assert (row["RequestId"], row["IdempotencyKey"]) == ("r1", scoped_key(CALLER, KEY))
    assert isinstance(row["BodyHash"], str) and len(row["BodyHash"]) == 64


async def test_same_key_with_another_body_is_unprocessable(
    photo_store: TablePhotoStore, table_client: TableClient
) -> None:
    await add_photo(photo_store, ALICE, ALICE, photo(), request_id="r1", idempotency_key=KEY)
    with pytest.raises(IdempotencyKeyReused):
        await add_photo(
            photo_store, ALICE, ALICE, photo(height=7), request_id="r2", idempotency_key=KEY
        )
    [row] = await rows(table_client)
    assert row["Height"] == 6


async def test_same_key_for_another_user_is_independent(
    photo_store: TablePhotoStore, table_client: TableClient
) -> None:
    alice = await add_photo(
        photo_store, ALICE, ALICE, photo(), request_id="r1", idempotency_key=KEY
    )
    bob = await add_photo(
        photo_store, BOB, BOB, photo(height=9, width=9), request_id="r2", idempotency_key=KEY
    )
    assert alice.id != bob.id
    assert (bob.height, bob.width) == (9, 9)
    assert len(await rows(table_client)) == 2


async def test_other_keys_make_other_photos(photo_store: TablePhotoStore) -> None:
    one = await add_photo(photo_store, ALICE, ALICE, photo(), request_id="r1", idempotency_key="k1")
    two = await add_photo(photo_store, ALICE, ALICE, photo(), request_id="r2", idempotency_key="k2")
    three = await add_photo(photo_store, ALICE, ALICE, photo(), request_id="r3")
    assert len({one.id, two.id, three.id}) == 3
    assert uuid.UUID(three.id).version == 4


async def test_client_id_with_a_key_repeats_too(photo_store: TablePhotoStore) -> None:
    first = await add_photo(
        photo_store, ALICE, ALICE, photo("p1"), request_id="r1", idempotency_key=KEY
    )
    again = await add_photo(
        photo_store, ALICE, ALICE, photo("p1"), request_id="r2", idempotency_key=KEY
    )
    assert again == first
    assert first.id == "p1"


async def test_client_id_with_another_key_or_none_is_a_conflict(
    photo_store: TablePhotoStore,
) -> None:
    await add_photo(photo_store, ALICE, ALICE, photo("p1"), request_id="r1", idempotency_key=KEY)
    with pytest.raises(PhotoExists):
        await add_photo(
            photo_store, ALICE, ALICE, photo("p1"), request_id="r2", idempotency_key="other"
        )
    with pytest.raises(PhotoExists):
        await add_photo(photo_store, ALICE, ALICE, photo("p1"), request_id="r3")


async def test_a_key_on_an_id_stored_without_one_is_a_conflict(
    photo_store: TablePhotoStore,
) -> None:
    await add_photo(photo_store, ALICE, ALICE, photo("p1"), request_id="r1")
    with pytest.raises(PhotoExists):
        await add_photo(
            photo_store, ALICE, ALICE, photo("p1"), request_id="r2", idempotency_key=KEY
        )


async def test_concurrent_repeats_store_one_photo(
    photo_store: TablePhotoStore, table_client: TableClient
) -> None:
    added = await asyncio.gather(
        *(
            add_photo(photo_store, ALICE, ALICE, photo(), request_id=f"r{i}", idempotency_key=KEY)
            for i in range(10)
        )
    )
    assert len({p.id for p in added}) == 1
    assert len({p.created_at for p in added}) == 1
    assert len(await rows(table_client)) == 1


async def test_another_callers_key_on_the_same_id_is_a_conflict(
    photo_store: TablePhotoStore,
) -> None:
    await add_photo(photo_store, ALICE, ALICE, photo("p1"), request_id="r1", idempotency_key=KEY)
    with pytest.raises(PhotoExists):
        await add_photo(
            photo_store,
            ALICE,
            ALICE,
            photo("p1"),
            request_id="r2",
            idempotency_key=KEY,
            caller=caller_identity(BOB, "another-client"),
        )
