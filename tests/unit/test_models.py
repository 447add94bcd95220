from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.models import INT32_MAX, MAX_ID_LENGTH, PROFILE_PHOTO_TYPE, Photo, ProfilePhotoIn


def test_minimal_body() -> None:
    photo = ProfilePhotoIn.model_validate({"height": 6, "width": 5})
    assert (photo.odata_type, photo.id, photo.height, photo.width) == (None, None, 6, 5)


def test_full_body_by_alias() -> None:
    photo = ProfilePhotoIn.model_validate(
        {"@odata.type": PROFILE_PHOTO_TYPE, "id": "p1", "height": 1, "width": INT32_MAX}
    )
    assert photo.odata_type == PROFILE_PHOTO_TYPE
    assert photo.id == "p1"
    assert photo.width == INT32_MAX


def test_constructible_in_python() -> None:
    assert ProfilePhotoIn(height=6, width=5, id="x").id == "x"


def test_python_field_name_is_not_a_wire_property() -> None:
    with pytest.raises(ValidationError) as caught:
        ProfilePhotoIn.model_validate({"odata_type": PROFILE_PHOTO_TYPE, "height": 1, "width": 1})
    assert caught.value.errors()[0]["type"] == "extra_forbidden"


@pytest.mark.parametrize("value", [True, 6.0, "6", 0, -1, INT32_MAX + 1, None])
def test_height_is_a_strict_int32(value: object) -> None:
    with pytest.raises(ValidationError):
        ProfilePhotoIn.model_validate({"height": value, "width": 1})


@pytest.mark.parametrize(
    "value", ["", "a" * (MAX_ID_LENGTH + 1), 5, "\ud800", ".", "..", "$rEf", "a%2fb"]
)
def test_bad_ids(value: object) -> None:
    with pytest.raises(ValidationError):
        ProfilePhotoIn.model_validate({"id": value, "height": 1, "width": 1})


def test_id_of_max_length_is_fine() -> None:
    assert ProfilePhotoIn.model_validate({"id": "#" * MAX_ID_LENGTH, "height": 1, "width": 1})


def test_model_is_frozen() -> None:
    photo = ProfilePhotoIn(height=6, width=5)
    with pytest.raises(ValidationError):
        photo.height = 7  # type: ignore[misc]


def test_photo_to_graph() -> None:
    photo = Photo(id="p1", height=6, width=5, created_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert photo.to_graph() == {
        "@odata.type": "#microsoft.graph.profilePhoto",
        "id": "p1",
        "height": 6,
        "width": 5,
    }
