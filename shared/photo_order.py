"""The order a user's photos are listed in, and pages of it.

Photos are listed in creation order, then by id. A ``PhotoPosition`` is a place in that order
(a ``$skiptoken`` carries the last one of a page, see ``shared.graph.query``); ``page_after`` cuts
the next page from a user's photos.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from shared.models import Photo


class PhotoPosition(NamedTuple):
    """A photo's place in its user's creation order: created first, then by id."""

    created_at: datetime
    photo_id: str


def position_of(photo: Photo) -> PhotoPosition:
    return PhotoPosition(photo.created_at, photo.id)


@dataclass(frozen=True)
class PhotoPage:
    """Photos in creation order; ``has_more`` when more follow the last of them."""

    photos: tuple[Photo, ...]
    has_more: bool


def page_after(photos: Iterable[Photo], *, after: PhotoPosition | None, top: int) -> PhotoPage:
    """At most ``top`` of ``photos`` (in any order) in creation order, from just past ``after``."""
    following = sorted(
        (photo for photo in photos if after is None or position_of(photo) > after),
        key=position_of,
    )
    return PhotoPage(photos=tuple(following[:top]), has_more=len(following) > top)
