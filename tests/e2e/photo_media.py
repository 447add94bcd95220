"""What the photo-bytes e2e tests share: images made with Pillow, a caller, storage counts."""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import uuid4

from azure.data.tables import TableClient
from azure.storage.blob import ContainerClient
from PIL import Image

from shared.config import DEFAULT_CONTAINER_NAME
from shared.storage.blobs import blob_name
from shared.storage.entities import entity_key
from tests.e2e.conftest import Reply, send
from tests.tokens import build_access_token

SIZES = (48, 64, 96, 120, 240, 360, 432, 504, 648)


def photo_like(width: int, height: int, *, seed: int = 0) -> Image.Image:
    """An RGB image with gradients and noise, so its JPEG is as large as a photo's."""
    rng = random.Random(seed)  # noqa: S311 - test pixels, not secrets
    image = Image.linear_gradient("L").resize((width, height))
    noise = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    other = Image.linear_gradient("L").rotate(90 + seed).resize((width, height))
    return Image.merge("RGB", (image, noise, other))


def encoded(image: Image.Image, format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format, **options)
    return out.getvalue()


def jpeg(width: int, height: int, *, seed: int = 0, **options: object) -> bytes:
    return encoded(photo_like(width, height, seed=seed), "JPEG", quality=90, **options)


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 4096, 9)  # the start of the first rows, all black
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@dataclass
class PhotoCaller:
    """A delegated user of their own, sending photo requests to the service at ``base_url``."""

    base_url: str
    connection_string: str
    table_name: str
    oid: str = ""

    def __post_init__(self) -> None:
        self.oid = self.oid or str(uuid4())
        self.token = build_access_token(oid=self.oid, scp="User.ReadWrite")

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        sent = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        return send(f"{self.base_url}/{path}", method=method, body=body, headers=sent)

    def put(
        self,
        data: bytes,
        content_type: str = "image/jpeg",
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        sent = {"Content-Type": content_type, **(headers or {})}
        return self.call("PUT", "me/photo/$value", data, sent)

    def sizes(self) -> dict[str, bytes]:
        """Every size listed in ``/me/photos``, fetched over HTTP: id -> bytes."""
        listing = self.call("GET", "me/photos")
        assert listing.status == 200, listing.body
        ids = [p["id"] for p in listing.json()["value"]]
        fetched = {}
        for photo_id in ids:
            reply = self.call("GET", f"me/photos/{photo_id}/$value")
            assert reply.status == 200, (photo_id, reply.body)
            fetched[photo_id] = reply.body
        return fetched

    def etags(self) -> dict[str, str]:
        return {
            photo_id: self.call("HEAD", f"me/photos/{photo_id}/$value").headers["etag"]
            for photo_id in self.sizes()
        }

    def stored(self) -> tuple[int, int]:
        """(photo rows, blobs) this user has in storage; bookkeeping rows (the profile row,
        the listing index, the counter) are not counted."""
        partition = entity_key(self.oid, "user")
        with TableClient.from_connection_string(
            self.connection_string, table_name=self.table_name
        ) as table:
            entities = table.query_entities("PartitionKey eq @user", parameters={"user": partition})
            rows = sum(1 for entity in entities if "PhotoId" in entity)
        prefix = blob_name(self.oid, "x", "x").split("/", 1)[0] + "/"
        with ContainerClient.from_connection_string(
            self.connection_string, DEFAULT_CONTAINER_NAME
        ) as container:
            if not container.exists():
                return rows, 0
            blobs = len(list(container.list_blobs(name_starts_with=prefix)))
        return rows, blobs


def is_jpeg_without_metadata(data: bytes, markers: Mapping[str, bytes]) -> list[str]:
    """What of the upload's metadata ``data`` still has (empty: none); ``markers`` name byte
    strings that must not occur."""
    found = [name for name, marker in markers.items() if marker in data]
    with Image.open(io.BytesIO(data)) as image:
        if image.format != "JPEG":
            found.append(f"format {image.format}")
        if len(image.getexif()):
            found.append("EXIF")
        found += [
            key for key in ("exif", "comment", "xmp", "XML:com.adobe.xmp") if key in image.info
        ]
    return found
