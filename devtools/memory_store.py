"""An in-memory ``PhotoStore``: the operations' unit tests and the in-process benchmarks use it.

It keeps the interface's promises the way ``TablePhotoStore`` does (a replay of the same request
is its photo, the same idempotency key with another body is refused, ids are per user), without
a network, in microseconds. ``calls`` counts the store calls by name, so a test can tell that
a rejected request never reached storage.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from shared.models import Photo
from shared.photo_order import PhotoPage, PhotoPosition, page_after
from shared.storage.photo_store import IdempotencyKeyReused, NewPhoto, PhotoExists


@dataclass(frozen=True)
class _Stored:
    photo: Photo
    request_id: str
    idempotency_key: str | None
    fingerprint: str | None


class MemoryPhotoStore:
    """Photos in a dict of dicts: user key → photo id → photo."""

    def __init__(self) -> None:
        self._users: dict[str, dict[str, _Stored]] = {}
        self.calls: Counter[str] = Counter()
        self.closed = False

    def count(self) -> int:
        """How many photos are stored, over all users."""
        return sum(len(photos) for photos in self._users.values())

    async def add(self, photo: NewPhoto) -> Photo:
        self.calls["add"] += 1
        photos = self._users.setdefault(photo.user_key, {})
        existing = photos.get(photo.photo_id)
        if existing is not None:
            return _same_request(existing, photo)
        stored = Photo(photo.photo_id, photo.height, photo.width, photo.created_at)
        claim = photo.idempotency
        photos[photo.photo_id] = _Stored(
            stored,
            photo.request_id,
            None if claim is None else claim.key,
            None if claim is None else claim.fingerprint,
        )
        return stored

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

    async def aclose(self) -> None:
        self.closed = True


def _same_request(existing: _Stored, photo: NewPhoto) -> Photo:
    if existing.request_id == photo.request_id:
        return existing.photo
    claim = photo.idempotency
    if claim is not None and existing.idempotency_key == claim.key:
        if existing.fingerprint != claim.fingerprint:
            raise IdempotencyKeyReused()
        return existing.photo
    raise PhotoExists(photo.photo_id)
