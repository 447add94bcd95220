"""The Idempotency-Key header: parsing, the derived photo id, the body fingerprint."""

from __future__ import annotations

import uuid

import pytest

from shared.graph.errors import BadRequest
from shared.idempotency import (
    MAX_KEY_LENGTH,
    caller_identity,
    derived_photo_id,
    fingerprint,
    parse_idempotency_key,
    scoped_key,
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


ME = caller_identity("a6f1bd1e-5c2b-4c47-9d0f-2a4f3f0a9e11", "client-1")


def test_derived_id_is_a_stable_guid_per_caller_user_and_key() -> None:
    one = derived_photo_id(ME, "alice", KEY)
    assert uuid.UUID(one).version == 5
    assert str(uuid.UUID(one)) == one
    assert derived_photo_id(ME, "alice", KEY) == one
    assert derived_photo_id(ME, "bob", KEY) != one
    assert derived_photo_id(ME, "alice", KEY + "x") != one


@pytest.mark.parametrize(
    "other",
    [
        caller_identity("3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "client-1"),  # another user
        caller_identity("a6f1bd1e-5c2b-4c47-9d0f-2a4f3f0a9e11", "client-2"),  # another app
        caller_identity(None, "client-1"),
        caller_identity(None, None),
    ],
)
def test_another_caller_derives_another_id_and_holds_another_key(other: str) -> None:
    assert derived_photo_id(other, "alice", KEY) != derived_photo_id(ME, "alice", KEY)
    assert scoped_key(other, KEY) != scoped_key(ME, KEY)


def test_the_caller_is_compared_without_regard_to_case() -> None:
    upper = caller_identity("A6F1BD1E-5C2B-4C47-9D0F-2A4F3F0A9E11", "CLIENT-1")
    assert upper == ME


def test_derived_id_does_not_mix_caller_user_and_key() -> None:
    # Plain concatenation would give these the same id.
    assert derived_photo_id(ME, "ab", "c") != derived_photo_id(ME, "a", "bc")
    assert derived_photo_id("a", "b", "c") != derived_photo_id("ab", "", "c")


def test_the_derivation_never_changes() -> None:
    # Changing it would turn repeats of earlier requests into second photos.
    assert derived_photo_id(ME, "alice", "k1") == "56d62a4c-dfe8-59f3-98a4-ae3c50b33008"


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
