"""Why an upload cannot become a photo: one exception, a kind the HTTP layer maps to a status.

    ImageRejected                the bytes are refused; ``kind`` says why, ``str()`` says it
     |                           in words fit for a client (no bytes, no paths, no traceback)
     +-- DimensionsMismatch      an added photo's bytes are not its declared width x height

The HTTP layer, not this package, turns a kind into a Graph error (roughly: ``NOT_AN_IMAGE``
and ``UNSUPPORTED_FORMAT`` 415 or 400, ``TOO_LARGE`` 413, the rest 400).
"""

from __future__ import annotations

from enum import StrEnum


class Rejection(StrEnum):
    NOT_AN_IMAGE = "not-an-image"
    """The bytes are not an image of any kind this package recognises."""
    UNSUPPORTED_FORMAT = "unsupported-format"
    """An image, but not JPEG, PNG, GIF, WebP or BMP (TIFF, ICO, SVG, HEIC ...)."""
    CORRUPT = "corrupt"
    """Starts like an accepted format but cannot be decoded: truncated or damaged."""
    TOO_LARGE = "too-large"
    """More bytes than ``MAX_IMAGE_BYTES``."""
    TOO_MANY_PIXELS = "too-many-pixels"
    """Declares a side over ``MAX_SIDE`` or more than ``MAX_PIXELS`` in all."""
    DIMENSIONS_MISMATCH = "dimensions-mismatch"
    """Not the width x height the photo was added with."""


class ImageRejected(Exception):
    """The upload is refused; ``kind`` is the machine-readable reason, the message the human one."""

    def __init__(self, kind: Rejection, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class DimensionsMismatch(ImageRejected):
    """The image is ``actual`` (width, height) after EXIF rotation; the photo says ``expected``."""

    def __init__(self, expected: tuple[int, int], actual: tuple[int, int]) -> None:
        super().__init__(
            Rejection.DIMENSIONS_MISMATCH,
            f"The image is {actual[0]}x{actual[1]} pixels (width x height, after EXIF "
            f"rotation) but this photo was added as {expected[0]}x{expected[1]}.",
        )
        self.expected = expected
        self.actual = actual
