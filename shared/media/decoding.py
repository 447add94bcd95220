"""From bytes to pixels, safely: the bytes name the format, the header is checked, then decoded.

Every limit is checked from the header, before a pixel is decoded: ``Image.open`` reads only
the header, and WebP's header is read here first because libwebp allocates its whole canvas
as soon as Pillow opens the file. Pillow's own ``Image.MAX_IMAGE_PIXELS`` guard (about 89
megapixels, an error at twice that) is left at whatever the process has; this package never
changes it, and its own limits are lower, so Pillow's guard only ever fires for an image
refused anyway (its ``DecompressionBombError`` is turned into ``TOO_MANY_PIXELS``).
``ImageFile.LOAD_TRUNCATED_IMAGES`` must stay False (Pillow's default): with it set, a
truncated file would decode as a partly grey image, so decoding refuses to run at all.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Final

# Importing the five plugins registers them, so ``Image.open(formats=...)`` never has to
# run Pillow's plugin discovery (``Image.init``) from a worker thread.
from PIL import (
    BmpImagePlugin,  # noqa: F401
    GifImagePlugin,  # noqa: F401
    Image,
    ImageFile,
    JpegImagePlugin,  # noqa: F401
    PngImagePlugin,  # noqa: F401
    WebPImagePlugin,  # noqa: F401
)
from PIL.ExifTags import Base

from shared.limits import MAX_IMAGE_BYTES
from shared.media.failures import ImageRejected, Rejection
from shared.media.pixels import SWAPS_SIDES, TRANSPOSES

MAX_SIDE: Final = 10_000
MAX_PIXELS: Final = 50_000_000

ACCEPTED: Final = ("JPEG", "PNG", "GIF", "WEBP", "BMP")

_SIGNATURES: Final = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
)
_OTHER_IMAGES: Final = (
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\x00\x00\x02\x00", "CUR"),
    (b"8BPS", "PSD"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
    (b"P1", "PBM"),
    (b"P4", "PBM"),
    (b"P6", "PPM"),
)
_ACCEPTED_NAMES: Final = "JPEG, PNG, GIF, WebP or BMP"
# Pillow reports a JPEG with a multi-picture index (what many phones write) as MPO.
_PILLOW_FORMATS: Final = {"JPEG": ("JPEG", "MPO")}
# What a damaged file makes Pillow's decoders raise; anything else is a bug and propagates.
_DECODE_ERRORS: Final = (OSError, SyntaxError, ValueError, EOFError, struct.error)


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What the header says: the format (one of ``ACCEPTED``) and the size after EXIF rotation."""

    format: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class OpenedImage:
    """An image whose header passed every check; its pixels are not decoded yet."""

    file: ImageFile.ImageFile
    facts: ImageFacts
    transpose: Image.Transpose | None
    """What turns the stored pixels upright (EXIF orientation), None when they already are."""
    icc_profile: bytes | None


def open_image(data: bytes) -> OpenedImage:
    """Check ``data`` from its header alone; raise ``ImageRejected`` for anything refused."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejected(
            Rejection.TOO_LARGE,
            f"The image is {len(data):,} bytes; at most {MAX_IMAGE_BYTES:,} are accepted.",
        )
    image_format = _sniff(data)
    if image_format == "WEBP":
        _check_dimensions(_webp_size(data))
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError(
            "PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set: truncated images would pass"
        )
    try:
        file = Image.open(io.BytesIO(data), formats=(image_format,))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels("far larger than that") from error
    except _DECODE_ERRORS as error:  # UnidentifiedImageError is an OSError
        raise _corrupt(image_format) from error
    if file.format not in _PILLOW_FORMATS.get(image_format, (image_format,)):
        raise _corrupt(image_format)
    _check_dimensions(file.size)
    transpose = _orientation(file.info.get("exif"))
    width, height = file.size
    if transpose in SWAPS_SIDES:
        width, height = height, width
    icc = file.info.get("icc_profile")
    return OpenedImage(
        file=file,
        facts=ImageFacts(format=image_format, width=width, height=height),
        transpose=transpose,
        icc_profile=icc if isinstance(icc, bytes) and icc else None,
    )


def load(opened: OpenedImage) -> Image.Image:
    """Decode the pixels (of the first frame); a truncated or damaged file is ``CORRUPT``."""
    try:
        opened.file.load()
    except _DECODE_ERRORS as error:
        raise _corrupt(opened.facts.format) from error
    return opened.file


def _sniff(data: bytes) -> str:
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    other = _other_image(data)
    if other is not None:
        raise ImageRejected(
            Rejection.UNSUPPORTED_FORMAT,
            f"{other} images are not accepted; send {_ACCEPTED_NAMES}.",
        )
    raise ImageRejected(
        Rejection.NOT_AN_IMAGE, f"The body is not an image; send {_ACCEPTED_NAMES}."
    )


def _other_image(data: bytes) -> str | None:
    for signature, name in _OTHER_IMAGES:
        if data.startswith(signature):
            return name
    if data[4:8] == b"ftyp":  # ISO media: HEIC, HEIF, AVIF
        return "HEIF/AVIF"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) and b"<svg" in head:
        return "SVG"
    return None


def _webp_size(data: bytes) -> tuple[int, int]:
    """The canvas size a WebP header declares (RFC 9649), read before libwebp allocates it."""
    chunk, body = data[12:16], data[20:30]
    if chunk == b"VP8X" and len(body) >= 10:
        return 1 + int.from_bytes(body[4:7], "little"), 1 + int.from_bytes(body[7:10], "little")
    if chunk == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        bits = int.from_bytes(body[1:5], "little")
        return 1 + (bits & 0x3FFF), 1 + (bits >> 14 & 0x3FFF)
    if chunk == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        return (
            int.from_bytes(body[6:8], "little") & 0x3FFF,
            int.from_bytes(body[8:10], "little") & 0x3FFF,
        )
    raise _corrupt("WEBP")


def _check_dimensions(size: tuple[int, int]) -> None:
    width, height = size
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ImageRejected(
            Rejection.TOO_MANY_PIXELS,
            f"The image is {width}x{height} pixels; at most {MAX_SIDE:,} are accepted a side.",
        )
    if width * height > MAX_PIXELS:
        raise _too_many_pixels(f"{width}x{height} pixels")
    if width < 1 or height < 1:
        raise ImageRejected(Rejection.CORRUPT, "The image declares no pixels.")


def _orientation(exif_bytes: object) -> Image.Transpose | None:
    if not isinstance(exif_bytes, bytes) or not exif_bytes:
        return None
    exif = Image.Exif()
    try:
        exif.load(exif_bytes)
        value = exif.get(Base.Orientation)
    except (*_DECODE_ERRORS, KeyError, IndexError, TypeError):
        return None  # unreadable EXIF: show the pixels as stored rather than refuse the photo
    return TRANSPOSES.get(value) if isinstance(value, int) else None


def _too_many_pixels(shown: str) -> ImageRejected:
    return ImageRejected(
        Rejection.TOO_MANY_PIXELS,
        f"The image is {shown}; at most {MAX_PIXELS:,} pixels are accepted.",
    )


def _corrupt(image_format: str) -> ImageRejected:
    return ImageRejected(
        Rejection.CORRUPT,
        f"The image starts like a {image_format} file but cannot be decoded: it may be "
        "truncated or damaged.",
    )
