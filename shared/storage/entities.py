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

A user or photo id too long for a key, or not valid Unicode text, is ``BadRequest``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from azure.data.tables import EdmType, EntityProperty

from shared.graph.errors import BadRequest
from shared.models import Photo
from shared.storage.key_encoding import MAX_KEY_UNITS, encode_key, fits_key
from shared.storage.photo_store import NewPhoto

PHOTO_COLUMNS: Final = ["PhotoId", "Height", "Width", "CreatedAt"]
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
    )


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
