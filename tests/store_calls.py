"""Adding photos to a store the way the "Add photos" operation does (its id decision included)."""

from __future__ import annotations

from datetime import UTC, datetime

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
) -> Photo:
    new = decide_new_photo(
        user_key,
        user_name,
        photo,
        idempotency_key=idempotency_key,
        request_id=request_id,
        now=datetime.now(UTC),
    )
    return await add_photo(store, new)
