"""The wire format: the ``profilePhoto`` a client posts, and the photo the service stores."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

PROFILE_PHOTO_TYPE: Final = "#microsoft.graph.profilePhoto"
INT32_MAX: Final = 2_147_483_647
MAX_ID_LENGTH: Final = 256
"""Longest photo or user id, in characters (every such id fits a Table Storage key encoded)."""


UNADDRESSABLE_ID: Final = "photo_id_unaddressable"
"""The pydantic error type of an id no URL can name (``unaddressable_reason``)."""
CONTROL_CHARACTER_ID: Final = "photo_id_control_character"
"""The pydantic error type of an id holding a control character (``CONTROL_CHARACTERS``)."""

CONTROL_CHARACTERS_PATTERN: Final = "[\x00-\x1f\x7f-\x9f]"
"""C0, DEL and C1: no photo id and no ``user`` path segment may hold one."""
CONTROL_CHARACTERS_RULE: Final = (
    "must not contain control characters (U+0000-U+001F, U+007F-U+009F)"
)
_CONTROL_CHARACTERS: Final = re.compile(CONTROL_CHARACTERS_PATTERN)


def is_unicode(text: str) -> bool:
    """Whether ``text`` encodes as UTF-8 (it holds no unpaired surrogate)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def has_control_character(text: str) -> bool:
    """Whether ``text`` holds a C0 or C1 control character or DEL."""
    return _CONTROL_CHARACTERS.search(text) is not None


def unaddressable_reason(photo_id: str) -> str | None:
    """Why a photo with this id could never be read or deleted through its URL, or None.

    ``…/photos/{id}`` cannot name ``.`` or ``..`` (clients and hosts resolve dot segments),
    nor ``$ref`` in any case (that path is the collection's ``/$ref`` form), nor an id
    holding ``%2F`` in either case (route values read ``%2F`` as ``/``; see ``shared.graph.urls``).
    Every other id, ``/``, ``#``, ``?`` and ``%`` included, is fine (control characters are
    refused by another rule, ``CONTROL_CHARACTERS``).
    """
    if photo_id in (".", ".."):
        return (
            f"cannot be '{photo_id}': URLs resolve '.' and '..' path segments, so the photo "
            "could never be read or deleted"
        )
    if photo_id.lower() == "$ref":
        return (
            "cannot be '$ref' (in any case): '…/photos/$ref' is the collection's reference "
            "path, so the photo could never be read or deleted"
        )
    if "%2f" in photo_id.lower():
        return (
            "must not contain '%2F' (in any case): in a URL path it reads as '/', so the "
            "photo could never be read or deleted"
        )
    return None


def _addressable(photo_id: str) -> str:
    if has_control_character(photo_id):
        raise PydanticCustomError(
            CONTROL_CHARACTER_ID, "Property 'id' {rule}.", {"rule": CONTROL_CHARACTERS_RULE}
        )
    reason = unaddressable_reason(photo_id)
    if reason is not None:
        raise PydanticCustomError(UNADDRESSABLE_ID, "Property 'id' {reason}.", {"reason": reason})
    return photo_id


# pydantic rejects lone surrogates (json.loads makes them from "\ud800") as "string_unicode".
PhotoId = Annotated[
    str, Field(min_length=1, max_length=MAX_ID_LENGTH), AfterValidator(_addressable)
]
Int32Size = Annotated[int, Field(ge=1, le=INT32_MAX)]


class ProfilePhotoIn(BaseModel):
    """The request body of "Add photos". Strict: JSON types only, no other properties.

    ``null`` for ``@odata.type`` or ``id`` means the same as leaving it out.
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    odata_type: Literal["#microsoft.graph.profilePhoto"] | None = Field(
        default=None, alias="@odata.type"
    )
    id: PhotoId | None = None
    height: Int32Size
    width: Int32Size


@dataclass(frozen=True)
class Media:
    """A photo's bytes: where they are stored, their strong ETag (quoted), type and length."""

    blob_name: str
    etag: str
    content_type: str
    length: int


@dataclass(frozen=True)
class Photo:
    """A stored photo: an added one or a size of the profile photo. ``created_at`` is
    timezone-aware UTC; ``media`` is None for an added photo whose bytes were never put."""

    id: str
    height: int
    width: int
    created_at: datetime
    media: Media | None = None

    def to_graph(self) -> dict[str, object]:
        graph: dict[str, object] = {"@odata.type": PROFILE_PHOTO_TYPE}
        if self.media is not None:
            graph["@odata.mediaContentType"] = self.media.content_type
            graph["@odata.mediaEtag"] = self.media.etag
        graph.update(id=self.id, height=self.height, width=self.width)
        return graph
