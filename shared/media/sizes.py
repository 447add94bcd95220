"""Graph's photo sizes: which square sizes an image of a given shape gets, and their ids."""

from __future__ import annotations

import re
from typing import Final

SIZES: Final = (48, 64, 96, 120, 240, 360, 432, 504, 648)
"""Graph's standard square sizes, in pixels, smallest first."""

_SIZE_ID: Final = re.compile(r"([0-9]+)x\1", re.ASCII)


def sizes_for(width: int, height: int) -> tuple[int, ...]:
    """Every standard size not larger than the shorter side, smallest first.

    A shorter side under the smallest standard size gives one size, the shorter side itself
    (30 x 100 -> ``(30,)``).
    """
    if width < 1 or height < 1:
        raise ValueError(f"an image has at least one pixel a side, not {width}x{height}")
    shorter = min(width, height)
    if shorter < SIZES[0]:
        return (shorter,)
    return tuple(size for size in SIZES if size <= shorter)


def size_id(size: int) -> str:
    """The photo id of one size: ``"48x48"``."""
    return f"{size}x{size}"


def is_size_id(photo_id: str) -> bool:
    """Whether ``photo_id`` has the reserved ``{n}x{n}`` shape (any n, ASCII digits)."""
    return _SIZE_ID.fullmatch(photo_id) is not None
