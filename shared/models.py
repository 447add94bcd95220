"""The wire format: the ``profilePhoto`` a client posts, and the photo the service stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.table_keys import MAX_ID_LENGTH

PROFILE_PHOTO_TYPE: Final = "#microsoft.graph.profilePhoto"
INT32_MAX: Final = 2_147_483_647


# pydantic rejects lone surrogates (json.loads makes them from "\ud800") as "string_unicode".
PhotoId = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH)]
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
class Photo:
    """A stored photo. ``created_at`` is timezone-aware UTC."""

    id: str
    height: int
    width: int
    created_at: datetime

    def to_graph(self) -> dict[str, object]:
        return {
            "@odata.type": PROFILE_PHOTO_TYPE,
            "id": self.id,
            "height": self.height,
            "width": self.width,
        }
