"""Uploads to stored JPEGs: Graph's square sizes, an added photo's exact bytes, their ETags."""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass
from typing import Final, NamedTuple

from PIL import Image

from shared.media.decoding import ImageFacts, OpenedImage, load, open_image
from shared.media.failures import DimensionsMismatch
from shared.media.pixels import resizable, to_srgb, upright
from shared.media.sizes import size_id, sizes_for

JPEG_QUALITY: Final = 88
# LANCZOS after a box reduction to within 3x of the target: indistinguishable from a plain
# LANCZOS pass (Pillow's measurements) at a fraction of the cost for large reductions.
_FILTER: Final = Image.Resampling.LANCZOS
_REDUCING_GAP: Final = 3.0


class RenderedSize(NamedTuple):
    size: int
    jpeg: bytes

    @property
    def id(self) -> str:
        return size_id(self.size)


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """An upload's pixels, upright, RGB in sRGB, no metadata; ``facts`` from its header."""

    image: Image.Image
    facts: ImageFacts


def decode(data: bytes) -> DecodedImage:
    """The whole image at full resolution; ``ImageRejected`` for anything refused."""
    return _decoded(open_image(data))


def render_sizes(data: bytes) -> list[RenderedSize]:
    """Every size ``sizes_for`` gives the image, smallest first: square, centre-cropped, JPEG.

    A JPEG is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's scaled decode) when that still
    leaves the largest size's side; the largest size is resampled from the decoded pixels and
    each smaller one from it. Nothing of the upload's metadata is in any output.
    """
    opened = open_image(data)
    sizes = sizes_for(opened.facts.width, opened.facts.height)
    largest = sizes[-1]
    if opened.facts.format == "JPEG":
        opened.file.draft(None, (largest, largest))
    # Crop and resample in the stored orientation (a centred square commutes with every
    # transpose), so only the small square is converted and turned upright.
    square = _centre_square(resizable(load(opened)), largest)
    square = upright(to_srgb(square, opened.icc_profile), opened.transpose)
    rendered = [RenderedSize(largest, encode_jpeg(square))]
    for size in reversed(sizes[:-1]):
        scaled = square.resize((size, size), _FILTER, reducing_gap=_REDUCING_GAP)
        rendered.append(RenderedSize(size, encode_jpeg(scaled)))
    rendered.reverse()
    return rendered


def render_exact(data: bytes, width: int, height: int) -> bytes:
    """Bytes for a photo added as ``width`` x ``height``: the image, upright, as plain JPEG.

    Raises ``DimensionsMismatch`` (naming both sizes) from the header alone, before decoding,
    when the upright image is another size.
    """
    opened = open_image(data)
    actual = (opened.facts.width, opened.facts.height)
    if actual != (width, height):
        raise DimensionsMismatch(expected=(width, height), actual=actual)
    return encode_jpeg(_decoded(opened).image)


def encode_jpeg(image: Image.Image) -> bytes:
    """Baseline JPEG of an RGB image with no EXIF, ICC, XMP or comment (sRGB is assumed)."""
    image.info = {}  # Pillow writes a comment it finds in info; the caller's image is ours
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def etag_of(jpeg: bytes) -> str:
    """A strong ETag of stored bytes: quoted base64url of the first 128 bits of their SHA-256."""
    digest = hashlib.sha256(jpeg).digest()[:16]
    return '"' + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii") + '"'


def _decoded(opened: OpenedImage) -> DecodedImage:
    image = upright(to_srgb(resizable(load(opened)), opened.icc_profile), opened.transpose)
    image.info = {}
    return DecodedImage(image=image, facts=opened.facts)


def _centre_square(image: Image.Image, size: int) -> Image.Image:
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    box = (left, top, left + side, top + side)
    return image.resize((size, size), _FILTER, box=box, reducing_gap=_REDUCING_GAP)
