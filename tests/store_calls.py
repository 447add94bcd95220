"""Adding photos to a store the way the "Add photos" operation does (its id decision included)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from azure.data.tables.aio import TableClient

from shared.idempotency import caller_identity
from shared.models import Photo, ProfilePhotoIn
from shared.operations import decide_new_photo
from shared.storage.photo_store import PhotoStore

CALLER = caller_identity("a6f1bd1e-5c2b-4c47-9d0f-2a4f3f0a9e11", "test-client")
"""The caller of every added photo unless a test names another."""


async def add_photo(
    store: PhotoStore,
    user_key: str,
    user_name: str,
    photo: ProfilePhotoIn,
    *,
    request_id: str,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    caller: str = CALLER,
) -> Photo:
    new = decide_new_photo(
        user_key,
        user_name,
        photo,
        caller=caller,
        idempotency_key=idempotency_key,
        request_id=request_id,
        now=now or datetime.now(UTC),
    )
    return await store.add(new)


async def photo_rows(table: TableClient) -> list[dict[str, Any]]:
    """The photo rows of a table (added photos and sizes), without the bookkeeping rows."""
    return [dict(entity) async for entity in table.list_entities() if "PhotoId" in entity]
