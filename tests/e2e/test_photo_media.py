"""The photo itself over plain HTTP: the dev host, real Azurite tables and blobs, real JPEGs.

Every size is fetched over HTTP and decoded with Pillow; storage is counted with the Azure SDKs
directly, so "a rejected request writes nothing" is checked where it is written.
"""

from __future__ import annotations

import io
import socket
import time
from urllib.parse import urlsplit

import pytest
from PIL import ExifTags, Image

from shared.limits import MAX_IMAGE_BYTES
from tests.e2e.conftest import Service
from tests.e2e.photo_media import (
    SIZES,
    PhotoCaller,
    encoded,
    is_jpeg_without_metadata,
    jpeg,
    photo_like,
    png_bomb,
)
from tests.image_metadata import COMMENT, SECRETS, XMP, exif_with_gps

pytestmark = pytest.mark.azurite


@pytest.fixture
def caller(service: Service) -> PhotoCaller:
    return PhotoCaller(service.base_url, service.connection_string, service.table_name)


def test_a_jpeg_comes_back_in_every_size_it_should(caller: PhotoCaller) -> None:
    put = caller.put(jpeg(700, 500))
    assert put.status == 200, put.body
    assert put.body == b""

    sizes = caller.sizes()

    expected = [f"{n}x{n}" for n in SIZES if n <= 500]
    assert sorted(sizes, key=lambda i: int(i.split("x")[0])) == expected
    for size_id, data in sizes.items():
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG"
            assert image.size == tuple(int(n) for n in size_id.split("x"))
    metadata = caller.call("GET", "me/photo").json()
    assert (metadata["id"], metadata["height"], metadata["width"]) == ("432x432", 432, 432)
    assert metadata["@odata.mediaContentType"] == "image/jpeg"
    assert metadata["@odata.mediaEtag"] == put.headers["etag"]


def test_the_bytes_are_the_same_on_every_get_with_an_etag_and_304(caller: PhotoCaller) -> None:
    etag = caller.put(jpeg(300, 300)).headers["etag"]

    first, second = (caller.call("GET", "me/photo/$value") for _ in range(2))

    assert first.status == second.status == 200
    assert first.body == second.body and len(first.body) > 1000
    assert first.headers["etag"] == second.headers["etag"] == etag
    assert first.headers["content-type"] == "image/jpeg"
    assert first.headers["cache-control"] == "private"
    assert first.body == caller.call("GET", "me/photos/240x240/$value").body
    cached = caller.call("GET", "me/photo/$value", headers={"If-None-Match": etag})
    assert cached.status == 304
    assert cached.body == b""
    assert cached.headers["etag"] == etag


def test_head_is_the_headers_only(caller: PhotoCaller) -> None:
    caller.put(jpeg(100, 100))
    got = caller.call("GET", "me/photo/$value")

    head = caller.call("HEAD", "me/photo/$value")

    assert head.status == 200
    assert head.body == b""
    assert head.headers["etag"] == got.headers["etag"]
    for name in ("content-type", "cache-control"):
        assert head.headers[name] == got.headers[name]


def test_a_stale_if_match_is_412_and_the_photo_stays(caller: PhotoCaller) -> None:
    old = caller.put(jpeg(100, 100, seed=1)).headers["etag"]
    new = caller.put(jpeg(100, 100, seed=2), headers={"If-Match": old}).headers["etag"]
    before = caller.sizes()

    stale = caller.put(jpeg(100, 100, seed=3), headers={"If-Match": old})
    stale_delete = caller.call("DELETE", "me/photo", headers={"If-Match": old})

    assert (stale.status, stale_delete.status) == (412, 412)
    assert stale.json()["error"]["code"] == "PreconditionFailed"
    assert caller.sizes() == before
    assert caller.call("HEAD", "me/photo/$value").headers["etag"] == new


def test_delete_then_image_not_found_everywhere(caller: PhotoCaller) -> None:
    caller.put(jpeg(100, 100))

    deleted = caller.call("DELETE", "me/photo/$value")

    assert deleted.status == 204
    for method, path in [
        ("GET", "me/photo"),
        ("GET", "me/photo/$value"),
        ("GET", "me/photos/96x96/$value"),
        ("DELETE", "me/photo"),
    ]:
        reply = caller.call(method, path)
        assert reply.status == 404, path
        assert reply.json()["error"]["code"] == "ImageNotFound"
    assert caller.call("GET", "me/photos").json()["value"] == []
    assert caller.stored() == (0, 0)


@pytest.mark.parametrize(
    ("format", "content_type", "options"),
    [
        ("PNG", "image/png", {}),
        ("GIF", "image/gif", {}),
        ("WEBP", "image/webp", {"quality": 80}),
        ("BMP", "image/bmp", {}),
        ("PNG", "application/octet-stream", {}),
    ],
)
def test_other_formats_are_accepted(
    caller: PhotoCaller, format: str, content_type: str, options: dict[str, object]
) -> None:
    data = encoded(photo_like(130, 100), format, **options)

    put = caller.put(data, content_type)

    assert put.status == 200, put.body
    assert sorted(caller.sizes()) == ["48x48", "64x64", "96x96"]
    with Image.open(io.BytesIO(caller.call("GET", "me/photo/$value").body)) as image:
        assert (image.format, image.size) == ("JPEG", (96, 96))


def _with_metadata() -> bytes:
    data = jpeg(700, 700, exif=exif_with_gps(), comment=COMMENT, xmp=XMP)
    with Image.open(io.BytesIO(data)) as check:  # the upload really carries all of it
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert check.info["comment"] == COMMENT
        assert b"XMPSECRET" in data
    return data


def test_no_metadata_of_the_upload_survives_in_any_size(caller: PhotoCaller) -> None:
    assert caller.put(_with_metadata()).status == 200

    sizes = caller.sizes()

    assert len(sizes) == len(SIZES)
    markers = {secret.decode(): secret for secret in SECRETS}
    assert {size: is_jpeg_without_metadata(data, markers) for size, data in sizes.items()} == {
        size: [] for size in sizes
    }


def _put_declaring(service: Service, token: str, length: int) -> bytes:
    """A PUT that declares ``length`` bytes and sends none: what it gets back."""
    parts = urlsplit(service.base_url)
    head = (
        f"PUT {parts.path}/me/photo/$value HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: image/jpeg\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10) as s:
        s.sendall(head.encode())
        received = b""
        while b"\r\n\r\n" not in received:
            received += s.recv(65536)
        headers, _, body = received.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in headers.lower().split(b"\r\n")
            if line.startswith(b"content-length:")
        )
        while len(body) < length:
            body += s.recv(65536)
        return headers + b"\r\n\r\n" + body


def test_rejected_uploads_are_documented_errors_and_write_nothing(
    service: Service, caller: PhotoCaller
) -> None:
    assert caller.put(jpeg(300, 300)).status == 200
    before, photo = caller.stored(), caller.sizes()

    started = time.monotonic()
    bomb = caller.put(png_bomb(), "image/png")
    bomb_seconds = time.monotonic() - started
    rejected = {
        "bomb": bomb,
        "json": caller.put(b'{"height": 6, "width": 5}', "application/json"),
        "text": caller.put(b"hello", "text/plain"),
        "garbage": caller.put(b"\x00not an image" * 100, "application/octet-stream"),
        "truncated": caller.put(jpeg(300, 300)[:2000]),
        "empty": caller.put(b""),
        "over 4 MiB": caller.put(b"\xff" * (MAX_IMAGE_BYTES + 1)),
    }
    declared = _put_declaring(service, caller.token, MAX_IMAGE_BYTES + 1)

    statuses = {name: reply.status for name, reply in rejected.items()}
    assert statuses == {
        "bomb": 400,
        "json": 415,
        "text": 415,
        "garbage": 400,
        "truncated": 400,
        "empty": 400,
        "over 4 MiB": 413,
    }
    # Every refusal is the app's, in Graph's format: the dev host hands a body over the
    # function's limit to it unread (declared) or cut at the limit (sent), never reads it whole.
    codes = {name: reply.json()["error"]["code"] for name, reply in rejected.items()}
    assert codes["over 4 MiB"] == "RequestEntityTooLarge"
    assert codes["json"] == codes["text"] == "UnsupportedMediaType"
    assert {codes[name] for name in ("bomb", "garbage", "truncated", "empty")} == {"BadRequest"}
    assert declared.startswith(b"HTTP/1.1 413"), declared
    assert b"RequestEntityTooLarge" in declared
    assert bomb_seconds < 5  # refused from the header: no 900-megapixel decode
    assert caller.stored() == before
    assert caller.sizes() == photo
    assert caller.call("GET", "me/photos").status == 200  # the host is still up
    assert not any("Traceback" in line for line in service.host.stderr_lines())
