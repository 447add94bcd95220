"""Photo-like JPEGs made in process, for the media benchmarks.

Gradients under blurred colour noise, so they compress as photos do: ``UPLOADS`` is about
1 MiB at 2400 x 1800 and just under the 4 MiB upload limit at 4000 x 3000.
"""

from __future__ import annotations

import io
from typing import Final, NamedTuple

from PIL import Image, ImageFilter

from shared.limits import MAX_IMAGE_BYTES


class Upload(NamedTuple):
    label: str
    size: tuple[int, int]
    target_bytes: int


UPLOADS: Final = (
    Upload("1 MiB", (2400, 1800), 1024 * 1024),
    Upload("4 MiB", (4000, 3000), MAX_IMAGE_BYTES - 65536),
)


def photo_like(size: tuple[int, int]) -> Image.Image:
    width, height = size
    base = Image.merge(
        "RGB",
        [
            Image.linear_gradient("L").resize(size),
            Image.radial_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
        ],
    )
    noise = Image.merge("RGB", [Image.effect_noise((width, height), 45) for _ in range(3)])
    return Image.blend(base, noise.filter(ImageFilter.GaussianBlur(0.5)), 0.5)


def jpeg_near(image: Image.Image, target: int) -> bytes:
    """The highest-quality JPEG of ``image`` not over ``target`` bytes (quality 50..98)."""
    low, high, best = 50, 98, b""
    while low <= high:
        quality = (low + high) // 2
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        if buffer.tell() <= target:
            low, best = quality + 1, buffer.getvalue()
        else:
            high = quality - 1
    return best


def upload_bytes(upload: Upload) -> bytes:
    """The JPEG for ``upload``."""
    return jpeg_near(photo_like(upload.size), upload.target_bytes)
