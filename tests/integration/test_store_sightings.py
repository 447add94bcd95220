"""UPN sightings in Table Storage (``shared.storage.sighting_rows``), against a real Azurite.

Two stores on one table stand for two instances of the service: what one sees, the other
knows; a reassigned UPN follows the newer token on both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from azure.data.tables.aio import TableClient

from shared.auth.directory import Sighting, TokenSeenDirectory
from shared.auth.tokens import Principal
from shared.config import StorageSettings
from shared.storage.table_client import create_table_client
from shared.storage.table_store import TablePhotoStore

pytestmark = pytest.mark.azurite

ALICE = "Alice@Contoso.Example"
GUEST = "bob_fabrikam.example#EXT#@contoso.onmicrosoft.com"
FIRST_OID = "0f8fad5b-d9cb-469f-a165-70867728950e"
SECOND_OID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def token_of(upn: str, object_id: str, issued_at: float) -> Principal:
    """A validated delegated token's principal."""
    return Principal(
        object_id=object_id,
        tenant_id=None,
        upn=upn,
        scopes=frozenset({"User.Read"}),
        roles=frozenset(),
        app_only=False,
        app_id=None,
        issued_at=issued_at,
    )


@pytest.fixture
async def other_store(
    storage_settings: StorageSettings, table_client: TableClient
) -> AsyncIterator[TablePhotoStore]:
    """A second store on the same table: another instance of the service."""
    store = TablePhotoStore(create_table_client(storage_settings))
    try:
        yield store
    finally:
        await store.aclose()


async def test_an_instance_knows_the_upns_another_instance_saw(
    photo_store: TablePhotoStore, other_store: TablePhotoStore
) -> None:
    await TokenSeenDirectory(photo_store).remember(token_of(ALICE, FIRST_OID, 1000.0))
    await TokenSeenDirectory(photo_store).remember(token_of(GUEST, SECOND_OID, 1000.0))

    elsewhere = TokenSeenDirectory(other_store)
    assert await elsewhere.object_id(ALICE.lower()) == FIRST_OID
    assert await elsewhere.object_id(GUEST.upper()) == SECOND_OID
    assert await elsewhere.object_id("nobody@contoso.example") is None


async def test_a_reassigned_upn_follows_the_newer_token_on_every_instance(
    photo_store: TablePhotoStore, other_store: TablePhotoStore
) -> None:
    here, there = TokenSeenDirectory(photo_store), TokenSeenDirectory(other_store)
    await here.remember(token_of(ALICE, FIRST_OID, 1000.0))
    await there.remember(token_of(ALICE, SECOND_OID, 2000.0))  # the UPN went to another user
    await here.remember(token_of(ALICE, FIRST_OID, 1500.0))  # an older token of the first

    assert await TokenSeenDirectory(photo_store).object_id(ALICE) == SECOND_OID
    assert await TokenSeenDirectory(other_store).object_id(ALICE) == SECOND_OID


async def test_the_row_is_bookkeeping_in_its_own_partition(
    photo_store: TablePhotoStore, table_client: TableClient
) -> None:
    await TokenSeenDirectory(photo_store).remember(token_of(GUEST, FIRST_OID, 1234.5))

    rows = [row async for row in table_client.list_entities()]
    assert len(rows) == 1
    row = rows[0]
    assert row["PartitionKey"].startswith("%!upn:")
    assert "PhotoId" not in row
    assert (row["Upn"], row["ObjectId"], row["IssuedAt"]) == (GUEST, FIRST_OID, 1234.5)


async def test_a_writer_that_lost_the_race_is_told_so(
    photo_store: TablePhotoStore, other_store: TablePhotoStore
) -> None:
    first = Sighting(ALICE, FIRST_OID, 1000.0)
    assert await photo_store.write_sighting(first, replacing=None)
    assert not await other_store.write_sighting(first, replacing=None)

    stored = await other_store.read_sighting(ALICE.lower())
    assert stored is not None and stored.sighting == first
    assert await photo_store.write_sighting(Sighting(ALICE, SECOND_OID, 2000.0), replacing=stored)
    assert not await other_store.write_sighting(
        Sighting(ALICE, FIRST_OID, 3000.0), replacing=stored
    )


async def test_a_pair_already_stored_is_not_written_again(
    photo_store: TablePhotoStore, table_client: TableClient
) -> None:
    await TokenSeenDirectory(photo_store).remember(token_of(ALICE, FIRST_OID, 1000.0))
    before = await table_client.get_entity((await _partition(table_client)), "%!upn")

    await TokenSeenDirectory(photo_store).remember(token_of(ALICE, FIRST_OID, 1100.0))

    after = await table_client.get_entity(before["PartitionKey"], "%!upn")
    assert after.metadata["etag"] == before.metadata["etag"]


async def _partition(table_client: TableClient) -> str:
    rows = [row async for row in table_client.list_entities()]
    assert len(rows) == 1
    return str(rows[0]["PartitionKey"])
