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
character from U+0100), so no photo id can collide with them::

    %!profile            the profile photo's sizes (above)
    %!count              Count (Int32): photos added by POST, for PHOTOS_PER_USER_LIMIT
    %!o<µs>_<tiebreak>   the listing index: one row per photo (sizes too), in listing order,
                         with the photo's columns under ``ListedId`` instead of ``PhotoId``

A photo row, its index row and (for added photos) the counter change in one entity group
transaction, so the index and the counter are never out of step with the photos.

A user or photo id too long for a key, or not valid Unicode text, is ``BadRequest``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from azure.data.tables import EdmType, EntityProperty

from shared.graph.errors import BadRequest
from shared.models import Media, Photo
from shared.photo_order import tiebreak
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
COUNTER_ROW: Final = "%!count"
"""The RowKey of a user's counter of photos added by POST (``Count``, Int32)."""
INDEX_PREFIX: Final = "%!o"
"""RowKeys of the listing index: ``%!o`` + creation time (µs, 18 digits) + ``_`` + tiebreak."""
INDEX_END: Final = "%!p"
"""Just past every listing-index RowKey."""
_EPOCH: Final = datetime(1, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
INDEX_COLUMNS: Final = ["ListedId", *PHOTO_COLUMNS[1:]]
"""The properties ``photo_from_index`` reads."""


def index_key(created_at: datetime, photo_id: str) -> str:
    """The listing-index RowKey of a photo: RowKey order is the listing order."""
    micros = (created_at.astimezone(UTC) - _EPOCH) // _MICROSECOND
    return f"{INDEX_PREFIX}{micros:018d}_{tiebreak(photo_id)}"


def index_entity(photo_row: Mapping[str, Any]) -> dict[str, Any]:
    """The listing-index row of a photo row: the same columns, ``ListedId`` for ``PhotoId``.

    A bookkeeping row (no ``PhotoId``), written and removed with its photo row in one entity
    group transaction, so one page of a listing is one range query of ``top + 1`` rows."""
    row = {name: value for name, value in photo_row.items() if name != "PhotoId"}
    row["RowKey"] = index_key(photo_row["CreatedAt"], photo_row["PhotoId"])
    row["ListedId"] = photo_row["PhotoId"]
    return row


def photo_from_index(entity: Mapping[str, Any]) -> Photo:
    return photo_from_entity({**entity, "PhotoId": entity["ListedId"]})


def counter_entity(partition: str, count: int) -> dict[str, Any]:
    return {
        "PartitionKey": partition,
        "RowKey": COUNTER_ROW,
        "Count": EntityProperty(count, EdmType.INT32),
    }


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
        "SizeOf": "profile",
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
