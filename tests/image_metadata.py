"""Metadata an upload may carry and no stored size may keep: EXIF with GPS, a comment, XMP."""

from __future__ import annotations

from typing import Final

from PIL import ExifTags, Image

CAMERA: Final = "SecretCam"
COMMENT: Final = b"COMMENTSECRET"
XMP: Final = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><secret>XMPSECRET</secret></x:xmpmeta>'
SECRETS: Final = (b"Exif", CAMERA.encode(), COMMENT, b"XMPSECRET", b"xmpmeta")
"""Bytes of the metadata above; none may occur in a stored JPEG."""


def exif_with_gps() -> Image.Exif:
    """EXIF naming the camera, with a GPS position (latitude and longitude)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 1.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 53.0, 2.0)
    return exif
