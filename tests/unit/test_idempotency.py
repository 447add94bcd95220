"""The Idempotency-Key header: parsing, the derived photo id, the body fingerprint."""

from __future__ import annotations

import uuid

import pytest

from shared.graph.errors import BadRequest
from shared.idempotency import (
    MAX_KEY_LENGTH,
    derived_photo_id,
    fingerprint,
    parse_idempotency_key,
)
from shared.models import ProfilePhotoIn

KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"


def photo(**fields: object) -> ProfilePhotoIn:
    return ProfilePhotoIn.model_validate({"height": 6, "width": 5, **fields})


def test_no_header_is_no_key() -> None:
    assert parse_idempotency_key(None) is None


@pytest.mark.parametrize(
    ("header", "key"),
    [
        (KEY, KEY),
        (f'"{KEY}"', KEY),  # an sf-string, as the draft defines it
        (f'  "{KEY}"\t', KEY),
        ('"with space"', "with space"),
        (r'"quote \" and backslash \\"', 'quote " and backslash \\'),
        ("a", "a"),
        ("x" * MAX_KEY_LENGTH, "x" * MAX_KEY_LENGTH),
        ("!#$%&'()*+,-./:;<=>?@[]^_`{|}~", "!#$%&'()*+,-./:;<=>?@[]^_`{|}~"),
    ],
)
def test_valid_keys(header: str, key: str) -> None:
    assert parse_idempotency_key(header) == key


@pytest.mark.parametrize(
    "header",
    [
        "",
        "   ",
        '""',
        '"',
        'a"b',
        "x" * (MAX_KEY_LENGTH + 1),
        f'"{"x" * (MAX_KEY_LENGTH + 1)}"',
        "two words",
        "a, b",  # the header sent twice, joined
        "clé",
        '"clé"',
        "tab\there",
        '"bad \\n escape"',
        '"unescaped " quote"',
        '"trailing backslash\\"',
        "\x7f",
    ],
)
def test_invalid_keys_are_bad_requests(header: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_idempotency_key(header)
    assert "Idempotency-Key" in caught.value.message
    assert caught.value.status == 400


def test_derived_id_is_a_stable_guid_per_user_and_key() -> None:
    one = derived_photo_id("alice", KEY)
    assert uuid.UUID(one).version == 5
    assert str(uuid.UUID(one)) == one
    assert derived_photo_id("alice", KEY) == one
    assert derived_photo_id("bob", KEY) != one
    assert derived_photo_id("alice", KEY + "x") != one


def test_derived_id_does_not_mix_user_and_key() -> None:
    # Plain concatenation would give these two the same id.
    assert derived_photo_id("ab", "c") != derived_photo_id("a", "bc")


def test_the_derivation_never_changes() -> None:
    # Changing it would turn repeats of earlier requests into second photos.
    assert derived_photo_id("alice", "k1") == "5aa9a691-7c3e-55f6-b1ad-b96216fa9e9a"


def test_fingerprint_ignores_how_the_body_was_written() -> None:
    plain = fingerprint(photo())
    assert fingerprint(photo(**{"@odata.type": "#microsoft.graph.profilePhoto"})) == plain
    assert fingerprint(ProfilePhotoIn.model_validate({"width": 5, "height": 6})) == plain
    assert fingerprint(photo(id=None)) == plain


@pytest.mark.parametrize(
    "other", [{"height": 7}, {"width": 4}, {"id": "p1"}, {"height": 5, "width": 6}]
)
def test_fingerprint_differs_for_another_body(other: dict[str, object]) -> None:
    assert fingerprint(photo(**other)) != fingerprint(photo())
