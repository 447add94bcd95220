"""``MemoryPhotoStore``'s per-user photo limit: the profile photo's sizes never count."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devtools.memory_store import MemoryPhotoStore
from shared.storage.photo_store import Image, NewPhoto, PhotoLimitReached

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def _new(user_key: str, photo_id: str) -> NewPhoto:
    return NewPhoto(user_key, "user@contoso.com", photo_id, 6, 5, NOW, request_id=photo_id)


async def _set_profile(store: MemoryPhotoStore, user_key: str, *sizes: int) -> None:
    images = [Image(b"jpeg", f'"{size}"', size, size) for size in sizes]
    await store.set_profile(
        user_key, "user@contoso.com", images, condition=None, request_id="r", now=NOW
    )


async def test_the_limit_counts_added_photos_only_not_the_profile_sizes() -> None:
    store = MemoryPhotoStore(photos_per_user_limit=2)
    await _set_profile(store, "u", 48, 96, 240)
    await store.add(_new("u", "a"))
    await store.add(_new("u", "b"))

    with pytest.raises(PhotoLimitReached):
        await store.add(_new("u", "c"))


async def test_a_size_deleted_by_itself_leaves_the_count_of_added_photos_alone() -> None:
    store = MemoryPhotoStore(photos_per_user_limit=2)
    await _set_profile(store, "u", 48, 96)
    await store.add(_new("u", "a"))
    assert await store.delete("u", "48x48")

    await store.add(_new("u", "b"))
    with pytest.raises(PhotoLimitReached):
        await store.add(_new("u", "c"))


async def test_other_users_photos_do_not_count() -> None:
    store = MemoryPhotoStore(photos_per_user_limit=1)
    await store.add(_new("u", "a"))

    assert (await store.add(_new("v", "a"))).id == "a"
