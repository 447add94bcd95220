"""A photo as a Table Storage entity, and back.

One entity per photo in one table::

    PartitionKey    encode_key(user key)      the user, lower-cased by the caller
    RowKey          encode_key(photo id)      see shared.storage.key_encoding for the encoding
    User            the user as the caller wrote it
    PhotoId         the photo id as given (or the server's GUID)
    Height/Width    Edm.Int32
    CreatedAt       Edm.DateTime, UTC
    RequestId       the request that created the photo
    IdempotencyKey  the request's Idempotency-Key, when it had one
    BodyHash        with IdempotencyKey: the fingerprint of the request body
    BlobName        the photo's bytes, when it has them (a size always does)
    ContentETag     their strong HTTP ETag; ContentType, ContentLength (Int32) beside it

A user's profile photo is its sizes: one photo row each (id ``"48x48"`` …), plus one
bookkeeping row, ``PROFILE_ROW``, that lists them (``Sizes``: JSON of each size's pixels, blob,
ETag and length) so ``/photo`` is one point read. The profile row and the size rows change
together, in one entity group transaction. Bookkeeping rows never have ``PhotoId``, and their
RowKeys start with ``%!``, which ``encode_key`` never writes (``%`` is always followed by a
character from U+0100), so no photo id can collide with them.

A user or photo id too long for a key, or not valid Unicode text, is ``BadRequest``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from azure.data.tables import EdmType, EntityProperty

from shared.graph.errors import BadRequest
from shared.models import Media, Photo
from shared.storage.key_encoding import MAX_KEY_UNITS, encode_key, fits_key
from shared.storage.photo_store import NewPhoto, ProfilePhoto

PHOTO_COLUMNS: Final = [
    "PhotoId",
    "Height",
    "Width",
    "CreatedAt",
    "BlobName",
    "ContentETag",
    "ContentType",
    "ContentLength",
]
"""The properties ``photo_from_entity`` reads: a query's ``select``."""


def photo_entity(photo: NewPhoto) -> dict[str, Any]:
    """The entity that stores ``photo``."""
    entity: dict[str, Any] = {
        "PartitionKey": entity_key(photo.user_key, "user"),
        "RowKey": entity_key(photo.photo_id, "photo id"),
        "User": _text(photo.user_name, "user"),
        "PhotoId": photo.photo_id,
        "Height": EntityProperty(photo.height, EdmType.INT32),
        "Width": EntityProperty(photo.width, EdmType.INT32),
        "CreatedAt": photo.created_at,
        "RequestId": photo.request_id,
    }
    if photo.idempotency is not None:
        entity["IdempotencyKey"] = photo.idempotency.key
        entity["BodyHash"] = photo.idempotency.fingerprint
    return entity


def photo_from_entity(entity: Mapping[str, Any]) -> Photo:
    """The ``Photo`` stored in ``entity`` (which needs only ``PHOTO_COLUMNS``)."""
    created_at: datetime = entity["CreatedAt"]
    return Photo(
        id=entity["PhotoId"],
        height=int(entity["Height"]),
        width=int(entity["Width"]),
        created_at=_utc(created_at),
        media=_media_from_entity(entity),
    )


def is_photo_entity(entity: Mapping[str, Any]) -> bool:
    """A photo's row (an added photo or a size), not a bookkeeping row."""
    return "PhotoId" in entity


def media_columns(media: Media) -> dict[str, Any]:
    """The columns that say where a photo's bytes are."""
    return {
        "BlobName": media.blob_name,
        "ContentETag": media.etag,
        "ContentType": media.content_type,
        "ContentLength": EntityProperty(media.length, EdmType.INT32),
    }


def _media_from_entity(entity: Mapping[str, Any]) -> Media | None:
    blob = entity.get("BlobName")
    if not blob:
        return None
    return Media(
        blob_name=blob,
        etag=entity["ContentETag"],
        content_type=entity["ContentType"],
        length=int(entity["ContentLength"]),
    )


PROFILE_ROW: Final = "%!profile"
"""The RowKey of a user's profile-photo row (bookkeeping: no ``PhotoId``)."""


def size_entity(user_key: str, user_name: str, size: Photo, request_id: str) -> dict[str, Any]:
    """The photo row of one size of the profile photo (``size.media`` set)."""
    if size.media is None:
        raise ValueError("a size always has bytes")
    return {
        "PartitionKey": entity_key(user_key, "user"),
        "RowKey": entity_key(size.id, "photo id"),
        "User": _text(user_name, "user"),
        "PhotoId": size.id,
        "Height": EntityProperty(size.height, EdmType.INT32),
        "Width": EntityProperty(size.width, EdmType.INT32),
        "CreatedAt": size.created_at,
        "RequestId": request_id,
        **media_columns(size.media),
    }


def profile_entity(user_key: str, user_name: str, profile: ProfilePhoto) -> dict[str, Any]:
    """The bookkeeping row that lists the profile photo's sizes."""
    sizes = [
        {
            "id": size.id,
            "height": size.height,
            "width": size.width,
            "createdAt": size.created_at.isoformat(),
            **({} if size.media is None else _media_json(size.media)),
        }
        for size in profile.sizes
    ]
    return {
        "PartitionKey": entity_key(user_key, "user"),
        "RowKey": PROFILE_ROW,
        "User": _text(user_name, "user"),
        "Sizes": json.dumps(sizes, separators=(",", ":")),
    }


def profile_from_entity(entity: Mapping[str, Any]) -> ProfilePhoto:
    sizes = json.loads(entity["Sizes"])
    return ProfilePhoto(
        sizes=tuple(
            Photo(
                id=size["id"],
                height=size["height"],
                width=size["width"],
                created_at=datetime.fromisoformat(size["createdAt"]),
                media=Media(size["blob"], size["etag"], size["contentType"], size["length"]),
            )
            for size in sizes
        )
    )


def _media_json(media: Media) -> dict[str, Any]:
    return {
        "blob": media.blob_name,
        "etag": media.etag,
        "contentType": media.content_type,
        "length": media.length,
    }


def entity_key(value: str, what: str) -> str:
    """The PartitionKey or RowKey for a user key or photo id (``what`` names it in errors)."""
    if not value:
        raise ValueError(f"the {what} must not be empty")
    key = encode_key(_text(value, what))
    if not fits_key(key):
        raise BadRequest(
            f"The {what} is too long to store: at most {MAX_KEY_UNITS} UTF-16 units once "
            "encoded (each character outside plain text counts twice)."
        )
    return key


def _text(value: str, what: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"The {what} is not valid Unicode text.") from None
    return value


def _utc(value: datetime) -> datetime:
    """A plain timezone-aware UTC ``datetime`` (the SDK returns a subclass)."""
    plain = datetime.combine(value.date(), value.timetz())
    return plain.astimezone(UTC) if plain.tzinfo is not None else plain.replace(tzinfo=UTC)
