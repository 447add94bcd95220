"""The ``PhotoStore`` interface: what the operations need from storage, and nothing of HTTP.

The operations decide (which photo id, which idempotency claim) and hand the store a
``NewPhoto``; the store keeps it and reports what it found. ``TablePhotoStore``
(``shared.storage.table_store``) is the Azure implementation; tests and benchmarks pass an
in-memory one (``devtools.memory_store``).

Failures a store raises::

    PhotoExists            the user already has a photo with that id (not by this request)
    PhotoLimitReached      the user has PHOTOS_PER_USER_LIMIT photos added by POST
    IdempotencyKeyReused   the idempotency key was used for another body
    PreconditionFailed     the photo's ETag is not the one the caller's condition names
    PhotoMissing           there is no such photo (to put bytes for)
    ServiceUnavailable     (shared.graph.errors) storage unreachable or throttling
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from shared.models import Media, Photo
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


class PhotoLimitReached(Exception):
    """The user already has ``limit`` photos added by POST."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class PreconditionFailed(Exception):
    """The photo's current ETag does not satisfy the caller's condition (``If-Match``)."""


class PhotoMissing(Exception):
    """There is no photo with this id to put bytes for."""


@dataclass(frozen=True)
class Precondition:
    """``If-Match``: ``etags`` the photo's ETag must be one of; ``any_etag`` for ``*``."""

    etags: frozenset[str] = frozenset()
    any_etag: bool = False

    def holds_for(self, etag: str | None) -> bool:
        """Whether a photo whose ETag is ``etag`` (None: no photo) satisfies the condition."""
        if etag is None:
            return False
        return self.any_etag or etag in self.etags


@dataclass(frozen=True)
class Image:
    """Encoded image bytes to store, with their strong ETag (quoted) and pixel size."""

    data: bytes
    etag: str
    width: int
    height: int
    content_type: str = "image/jpeg"


def size_created_at(now: datetime, index: int) -> datetime:
    """When the ``index``-th size (smallest first) of a photo set at ``now`` was created: a
    microsecond apart, so that listings, in creation order, show the sizes smallest first."""
    return now + timedelta(microseconds=index)


@dataclass(frozen=True)
class ProfilePhoto:
    """A user's profile photo: its sizes (``Photo``s with ``media``), smallest first."""

    sizes: tuple[Photo, ...]

    @property
    def largest(self) -> Photo:
        return self.sizes[-1]

    @property
    def etag(self) -> str:
        """The photo's ETag: its largest size's."""
        media = self.largest.media
        if media is None:
            raise ValueError("a profile photo size has no bytes")
        return media.etag


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

    async def get_profile(self, user_key: str) -> ProfilePhoto | None:
        """The user's profile photo, or None."""
        ...

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
        """Make ``sizes`` (square, smallest first) the user's profile photo, all or nothing.

        Readers see the old sizes or the new ones, never a mix. Raises ``PreconditionFailed``.
        """
        ...

    async def delete_profile(self, user_key: str, *, condition: Precondition | None) -> bool:
        """Remove the profile photo and all its sizes; False if there was none."""
        ...

    async def set_content(
        self, user_key: str, photo_id: str, image: Image, *, condition: Precondition | None
    ) -> Photo:
        """Store ``image`` as the bytes of the added photo ``photo_id``.

        Raises ``PhotoMissing`` or ``PreconditionFailed``.
        """
        ...

    async def read_content(self, media: Media) -> bytes | None:
        """The bytes ``media`` names; None when they are gone (replaced meanwhile)."""
        ...

    async def aclose(self) -> None:
        """Release the store's clients and sessions."""
        ...
