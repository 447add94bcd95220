"""Adding photos to a store the way the "Add photos" operation does (its id decision included)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from azure.data.tables.aio import TableClient

from shared.models import Photo, ProfilePhotoIn
from shared.operations import decide_new_photo
from shared.storage.photo_store import PhotoStore


async def add_photo(
    store: PhotoStore,
    user_key: str,
    user_name: str,
    photo: ProfilePhotoIn,
    *,
    request_id: str,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Photo:
    new = decide_new_photo(
        user_key,
        user_name,
        photo,
        idempotency_key=idempotency_key,
        request_id=request_id,
        now=now or datetime.now(UTC),
    )
    return await store.add(new)


async def photo_rows(table: TableClient) -> list[dict[str, Any]]:
    """The photo rows of a table (added photos and sizes), without the bookkeeping rows."""
    return [dict(entity) async for entity in table.list_entities() if "PhotoId" in entity]
