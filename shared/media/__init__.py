"""The photo itself: decoding uploads safely, Graph's sizes, stored JPEGs. Pure: no I/O.

    from shared.media import render_sizes, etag_of, ImageRejected

    sizes = await asyncio.to_thread(render_sizes, body)   # CPU-bound: run it off the loop
    for size, jpeg in sizes: ...                           # ("48x48" is size_id(48))

- ``decoding``  the bytes decide the format (JPEG, PNG, GIF first frame, WebP, BMP); at most
                ``MAX_IMAGE_BYTES``, ``MAX_SIDE`` a side and ``MAX_PIXELS``, all checked from
                the header before a pixel is decoded; truncated files refused
- ``pixels``    EXIF orientation, palette / alpha / CMYK / 16-bit to RGB on white, ICC to sRGB
- ``sizes``     Graph's ``SIZES``, ``sizes_for(width, height)``, size ids
- ``rendering`` ``render_sizes``, ``render_exact``, ``decode``, ``encode_jpeg``, ``etag_of``
- ``failures``  ``ImageRejected`` (with a ``Rejection`` kind) and ``DimensionsMismatch``

Every function is a plain synchronous function over bytes with no shared mutable state, so
any number may run at once in threads. Nothing here changes a Pillow global.

Benchmark (decode + every size, against Pillow's plain decode + one resize):

    .venv/bin/python -m benchmarks.bench_media [--rounds N]
"""

from typing import TYPE_CHECKING, Any

from shared.limits import MAX_IMAGE_BYTES
from shared.media.failures import DimensionsMismatch, ImageRejected, Rejection
from shared.media.sizes import SIZES, is_size_id, size_id, sizes_for

if TYPE_CHECKING:
    from shared.media.decoding import ACCEPTED, MAX_PIXELS, MAX_SIDE, ImageFacts, open_image
    from shared.media.rendering import (
        JPEG_QUALITY,
        DecodedImage,
        RenderedSize,
        decode,
        encode_jpeg,
        etag_of,
        render_exact,
        render_sizes,
    )

_IMPORTED_ON_USE = {
    **dict.fromkeys(("ACCEPTED", "MAX_PIXELS", "MAX_SIDE", "ImageFacts", "open_image"), "decoding"),
    **dict.fromkeys(
        (
            "JPEG_QUALITY",
            "DecodedImage",
            "RenderedSize",
            "decode",
            "encode_jpeg",
            "etag_of",
            "render_exact",
            "render_sizes",
        ),
        "rendering",
    ),
}
"""Names from the modules that need Pillow: imported on first use, so that a process that
never handles a photo's bytes (or not yet: a cold start's first ``POST``) never loads Pillow."""


def __getattr__(name: str) -> Any:
    module = _IMPORTED_ON_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ACCEPTED",
    "JPEG_QUALITY",
    "MAX_IMAGE_BYTES",
    "MAX_PIXELS",
    "MAX_SIDE",
    "SIZES",
    "DecodedImage",
    "DimensionsMismatch",
    "ImageFacts",
    "ImageRejected",
    "Rejection",
    "RenderedSize",
    "decode",
    "encode_jpeg",
    "etag_of",
    "is_size_id",
    "open_image",
    "render_exact",
    "render_sizes",
    "size_id",
    "sizes_for",
]
