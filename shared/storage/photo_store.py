"""The ``PhotoStore`` interface: what the operations need from storage, and nothing of HTTP.

The operations decide (which photo id, which idempotency claim) and hand the store a
``NewPhoto``; the store keeps it and reports what it found. ``TablePhotoStore``
(``shared.storage.table_store``) is the Azure implementation; tests and benchmarks pass an
in-memory one (``devtools.memory_store``).

Failures a store raises::

    PhotoExists            the user already has a photo with that id (not by this request)
    IdempotencyKeyReused   the idempotency key was used for another body
    ServiceUnavailable     (shared.graph.errors) storage unreachable or throttling
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.models import Photo
from shared.photo_order import PhotoPage, PhotoPosition


@dataclass(frozen=True)
class IdempotencyClaim:
    """A request's idempotency key and the fingerprint of its body."""

    key: str
    fingerprint: str


@dataclass(frozen=True)
class NewPhoto:
    """A photo to store for ``user_key`` (the partition), as the operation decided it."""

    user_key: str
    user_name: str
    photo_id: str
    height: int
    width: int
    created_at: datetime
    request_id: str
    idempotency: IdempotencyClaim | None = None


class PhotoExists(Exception):
    """The user already has a photo with this id, stored by another request."""

    def __init__(self, photo_id: str) -> None:
        super().__init__(photo_id)
        self.photo_id = photo_id


class IdempotencyKeyReused(Exception):
    """The idempotency key was already used for a request with another body."""


class PhotoStore(Protocol):
    """A user's photos. One per process, shared by every request."""

    async def add(self, photo: NewPhoto) -> Photo:
        """Store ``photo``; the photo stored by the same request or claim if there is one.

        Raises ``PhotoExists`` or ``IdempotencyKeyReused``.
        """
        ...

    async def get(self, user_key: str, photo_id: str) -> Photo | None:
        """The user's photo ``photo_id``, or None."""
        ...

    async def list(self, user_key: str, *, top: int, after: PhotoPosition | None) -> PhotoPage:
        """At most ``top`` of the user's photos in creation order, from just past ``after``."""
        ...

    async def delete(self, user_key: str, photo_id: str) -> bool:
        """Delete the user's photo ``photo_id``; False if there was none."""
        ...

    async def aclose(self) -> None:
        """Release the store's clients and sessions."""
        ...
