"""An in-memory ``PhotoStore``: the operations' unit tests and the in-process benchmarks use it.

It keeps the interface's promises the way ``TablePhotoStore`` does (a replay of the same request
is its photo, the same idempotency key with another body is refused, ids are per user), without
a network, in microseconds. ``calls`` counts the store calls by name, so a test can tell that
a rejected request never reached storage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import count

from shared.config import DEFAULT_PHOTOS_PER_USER_LIMIT
from shared.models import Media, Photo
from shared.photo_order import PhotoPage, PhotoPosition, page_after
from shared.storage.photo_store import (
    IdempotencyKeyReused,
    Image,
    NewPhoto,
    PhotoExists,
    PhotoLimitReached,
    PhotoMissing,
    Precondition,
    PreconditionFailed,
    ProfilePhoto,
    size_created_at,
)


@dataclass(frozen=True)
class _Stored:
    photo: Photo
    request_id: str
    idempotency_key: str | None
    fingerprint: str | None


class MemoryPhotoStore:
    """Photos in a dict of dicts: user key → photo id → photo."""

    def __init__(self, *, photos_per_user_limit: int = DEFAULT_PHOTOS_PER_USER_LIMIT) -> None:
        self._limit = photos_per_user_limit
        self._users: dict[str, dict[str, _Stored]] = {}
        self._profiles: dict[str, ProfilePhoto] = {}
        self._blobs: dict[str, bytes] = {}
        self._uploads = count(1)
        self.calls: Counter[str] = Counter()
        self.closed = False

    def blob_count(self) -> int:
        """How many blobs (photo bytes) are stored."""
        return len(self._blobs)

    def count(self) -> int:
        """How many photos are stored, over all users."""
        return sum(len(photos) for photos in self._users.values())

    async def add(self, photo: NewPhoto) -> Photo:
        self.calls["add"] += 1
        photos = self._users.setdefault(photo.user_key, {})
        existing = photos.get(photo.photo_id)
        if existing is not None:
            return _same_request(existing, photo)
        if self._added_count(photo.user_key, photos) >= self._limit:
            raise PhotoLimitReached(self._limit)
        stored = Photo(photo.photo_id, photo.height, photo.width, photo.created_at)
        claim = photo.idempotency
        photos[photo.photo_id] = _Stored(
            stored,
            photo.request_id,
            None if claim is None else claim.key,
            None if claim is None else claim.fingerprint,
        )
        return stored

    def _added_count(self, user_key: str, photos: dict[str, _Stored]) -> int:
        """How many of ``photos`` were added: the profile photo's sizes share the dict."""
        profile = self._profiles.get(user_key)
        if profile is None:
            return len(photos)
        return len(photos) - len({size.id for size in profile.sizes} & photos.keys())

    async def get(self, user_key: str, photo_id: str) -> Photo | None:
        self.calls["get"] += 1
        stored = self._users.get(user_key, {}).get(photo_id)
        return None if stored is None else stored.photo

    async def list(self, user_key: str, *, top: int, after: PhotoPosition | None) -> PhotoPage:
        self.calls["list"] += 1
        if top < 1:
            raise ValueError("top must be at least 1")
        photos = (stored.photo for stored in self._users.get(user_key, {}).values())
        return page_after(photos, after=after, top=top)

    async def delete(self, user_key: str, photo_id: str) -> bool:
        self.calls["delete"] += 1
        return self._users.get(user_key, {}).pop(photo_id, None) is not None

    async def get_profile(self, user_key: str) -> ProfilePhoto | None:
        self.calls["get_profile"] += 1
        return self._profiles.get(user_key)

    async def set_profile(
        self,
        user_key: str,
        user_name: str,
        sizes: Sequence[Image],
        *,
        condition: Precondition | None,
        request_id: str,
        now: datetime,
    ) -> ProfilePhoto:
        self.calls["set_profile"] += 1
        old = self._profiles.get(user_key)
        if condition is not None and not condition.holds_for(None if old is None else old.etag):
            raise PreconditionFailed()
        upload = next(self._uploads)
        new = ProfilePhoto(
            tuple(
                Photo(
                    f"{image.width}x{image.height}",
                    image.height,
                    image.width,
                    size_created_at(now, index),
                    self._put_blob(f"{user_key}/{upload}/{image.width}", image),
                )
                for index, image in enumerate(sizes)
            )
        )
        photos = self._users.setdefault(user_key, {})
        for size in old.sizes if old is not None else ():
            photos.pop(size.id, None)
            self._drop_blob(size.media)
        for size in new.sizes:
            photos[size.id] = _Stored(size, request_id, None, None)
        self._profiles[user_key] = new
        return new

    async def delete_profile(self, user_key: str, *, condition: Precondition | None) -> bool:
        self.calls["delete_profile"] += 1
        old = self._profiles.get(user_key)
        if condition is not None and not condition.holds_for(None if old is None else old.etag):
            raise PreconditionFailed()
        if old is None:
            return False
        del self._profiles[user_key]
        for size in old.sizes:
            self._users[user_key].pop(size.id, None)
            self._drop_blob(size.media)
        return True

    async def set_content(
        self, user_key: str, photo_id: str, image: Image, *, condition: Precondition | None
    ) -> Photo:
        self.calls["set_content"] += 1
        stored = self._users.get(user_key, {}).get(photo_id)
        if stored is None:
            raise PhotoMissing()
        old = stored.photo.media
        if condition is not None and not condition.holds_for(None if old is None else old.etag):
            raise PreconditionFailed()
        media = self._put_blob(f"{user_key}/{next(self._uploads)}/photo", image)
        photo = replace(stored.photo, media=media)
        self._users[user_key][photo_id] = replace(stored, photo=photo)
        self._drop_blob(old)
        return photo

    async def read_content(self, media: Media) -> bytes | None:
        self.calls["read_content"] += 1
        return self._blobs.get(media.blob_name)

    async def aclose(self) -> None:
        self.closed = True

    def _put_blob(self, name: str, image: Image) -> Media:
        self._blobs[name] = image.data
        return Media(name, image.etag, image.content_type, len(image.data))

    def _drop_blob(self, media: Media | None) -> None:
        if media is not None:
            self._blobs.pop(media.blob_name, None)


def _same_request(existing: _Stored, photo: NewPhoto) -> Photo:
    if existing.request_id == photo.request_id:
        return existing.photo
    claim = photo.idempotency
    if claim is not None and existing.idempotency_key == claim.key:
        if existing.fingerprint != claim.fingerprint:
            raise IdempotencyKeyReused()
        return existing.photo
    raise PhotoExists(photo.photo_id)
