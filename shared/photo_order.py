"""The order a user's photos are listed in, and pages of it.

Photos are listed in creation order; photos created in the same microsecond in a fixed order of
their ids' hashes (``tiebreak``), the same in every store, so that Table Storage can keep a
listing index whose keys are short whatever the id. A ``PhotoPosition`` is a place in that
order (a ``$skiptoken`` carries the last one of a page, see ``shared.graph.query``);
``page_after`` cuts the next page from a user's photos.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from shared.models import Photo


def tiebreak(photo_id: str) -> str:
    """The order of photos created in the same microsecond: 16 hex digits of the id's SHA-256."""
    return hashlib.sha256(photo_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class PhotoPosition(NamedTuple):
    """A photo's place in its user's creation order."""

    created_at: datetime
    photo_id: str

    def key(self) -> tuple[datetime, str]:
        """What the order compares: the creation time, then ``tiebreak`` of the id."""
        return self.created_at, tiebreak(self.photo_id)


def position_of(photo: Photo) -> PhotoPosition:
    return PhotoPosition(photo.created_at, photo.id)


@dataclass(frozen=True)
class PhotoPage:
    """Photos in creation order; ``has_more`` when more follow the last of them."""

    photos: tuple[Photo, ...]
    has_more: bool


def page_after(photos: Iterable[Photo], *, after: PhotoPosition | None, top: int) -> PhotoPage:
    """At most ``top`` of ``photos`` (in any order) in creation order, from just past ``after``."""
    after_key = None if after is None else after.key()
    following = sorted(
        (photo for photo in photos if after_key is None or position_of(photo).key() > after_key),
        key=lambda photo: position_of(photo).key(),
    )
    return PhotoPage(photos=tuple(following[:top]), has_more=len(following) > top)
