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

from shared.limits import MAX_IMAGE_BYTES
from shared.media.decoding import (
    ACCEPTED,
    MAX_PIXELS,
    MAX_SIDE,
    ImageFacts,
    open_image,
)
from shared.media.failures import DimensionsMismatch, ImageRejected, Rejection
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
from shared.media.sizes import SIZES, is_size_id, size_id, sizes_for

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
