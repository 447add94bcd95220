"""Pixel modes and orientation: whatever Pillow decoded becomes upright sRGB RGB on white."""

from __future__ import annotations

import io
from typing import Final

from PIL import Image, ImageCms

TRANSPOSES: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""EXIF orientation -> the transpose that makes the stored pixels upright (as ImageOps does)."""
SWAPS_SIDES: Final = frozenset(
    {
        Image.Transpose.TRANSPOSE,
        Image.Transpose.ROTATE_270,
        Image.Transpose.TRANSVERSE,
        Image.Transpose.ROTATE_90,
    }
)

# Modes Pillow resamples well (LA and RGBA with premultiplied alpha); others are converted first.
_RESIZABLE: Final = frozenset({"RGB", "RGBA", "L", "LA", "CMYK"})
_SIXTEEN_BIT_GREY: Final = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
_WHITE: Final = (255, 255, 255)


def resizable(image: Image.Image) -> Image.Image:
    """``image`` itself when Pillow resamples its mode well, else a converted copy.

    Palette and 1-bit images would be resized with nearest-neighbour (Pillow's rule for
    them), so they are expanded (to RGBA when they carry transparency); 16-bit grey keeps its
    top 8 bits.
    """
    if image.mode in _RESIZABLE:
        return image
    if image.mode in _SIXTEEN_BIT_GREY:
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """RGB in sRGB: alpha composited on white, then the embedded profile (if usable) applied.

    Output carries no profile, so viewers assume sRGB; converting keeps wide-gamut (Display
    P3, Adobe RGB) and CMYK photos' colours instead of showing their raw numbers as sRGB. A
    profile LittleCMS cannot use, or one that does not fit the pixels, is ignored.
    """
    if image.mode in ("RGBA", "LA"):
        image = _on_white(image)
    if icc_profile is not None:
        converted = _apply_profile(image, icc_profile)
        if converted is not None:
            return converted
    return image if image.mode == "RGB" else image.convert("RGB")


def upright(image: Image.Image, transpose: Image.Transpose | None) -> Image.Image:
    return image if transpose is None else image.transpose(transpose)


def _on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    background = Image.new("RGB", image.size, _WHITE)
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _apply_profile(image: Image.Image, icc_profile: bytes) -> Image.Image | None:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
