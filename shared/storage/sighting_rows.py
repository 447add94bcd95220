"""UPN sightings as Table Storage rows: the ``Sightings`` of ``shared.auth.directory``.

One bookkeeping row per UPN, in a partition of its own beside the users' partitions::

    PartitionKey    %!upn:<encode_key(lower-case UPN)>
    RowKey          %!upn
    Upn             the UPN as the token spelled it
    ObjectId        the object id (lower-case GUID) the token gave it
    IssuedAt        Edm.Double: the token's iat

No user partition starts with ``%!`` (``encode_key`` never writes ``%`` followed by ``!``), so
these rows never meet a user's photos, and they have no ``PhotoId``. A write is an insert
(there was no row) or a replace conditional on the ETag read (``If-Match``); a writer that
lost the race is told so and reads again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import EdmType, EntityProperty, UpdateMode
from azure.data.tables.aio import TableClient

from shared.auth.directory import Sighting, StoredSighting
from shared.storage.failures import error_code
from shared.storage.key_encoding import encode_key
from shared.storage.table_client import POST_RETRY_METHODS

PARTITION_PREFIX: Final = "%!upn:"
ROW_KEY: Final = "%!upn"


def sighting_partition(upn_key: str) -> str:
    """The PartitionKey of the sighting of ``upn_key`` (a lower-case UPN)."""
    return PARTITION_PREFIX + encode_key(upn_key)


class SightingRows:
    """Reads and writes sighting rows in ``table``; ``ensure_table`` creates a missing table."""

    def __init__(self, table: TableClient, *, ensure_table: Callable[[], Awaitable[None]]) -> None:
        self._table = table
        self._ensure_table = ensure_table

    async def read(self, upn_key: str) -> StoredSighting | None:
        try:
            entity = await self._table.get_entity(sighting_partition(upn_key), ROW_KEY)
        except ResourceNotFoundError:
            return None
        return _from_entity(entity)

    async def write(
        self, sighting: Sighting, *, upn_key: str, replacing: StoredSighting | None
    ) -> bool:
        entity = {
            "PartitionKey": sighting_partition(upn_key),
            "RowKey": ROW_KEY,
            "Upn": sighting.upn,
            "ObjectId": sighting.object_id,
            "IssuedAt": EntityProperty(float(sighting.issued_at), EdmType.DOUBLE),
        }
        if replacing is not None:
            try:
                await self._table.update_entity(
                    entity,
                    mode=UpdateMode.REPLACE,
                    etag=replacing.version,
                    match_condition=MatchConditions.IfNotModified,
                )
            except (ResourceModifiedError, ResourceNotFoundError):
                return False
            return True
        for _ in range(2):
            try:
                await self._table.create_entity(entity, retry_on_methods=POST_RETRY_METHODS)
            except ResourceExistsError:
                return False
            except ResourceNotFoundError as error:
                if error_code(error) != "TableNotFound":
                    raise
                await self._ensure_table()
                continue
            return True
        return False


def _from_entity(entity: Mapping[str, Any]) -> StoredSighting:
    sighting = Sighting(
        upn=str(entity["Upn"]),
        object_id=str(entity["ObjectId"]),
        issued_at=float(entity["IssuedAt"]),
    )
    return StoredSighting(sighting, str(entity.metadata["etag"]))  # type: ignore[attr-defined]
