from __future__ import annotations

import random
import re

import pytest

from shared.models import MAX_ID_LENGTH
from shared.storage.key_encoding import (
    MAX_KEY_UNITS,
    decode_key,
    encode_key,
    fits_key,
    key_units,
)
from tests.awkward_ids import AWKWARD_IDS

# What Table Storage refuses in a key (Azurite uses this very pattern), plus our escape and quote.
FORBIDDEN_IN_KEY = re.compile(r"[\u0000-\u001f\u007f-\u009f/\\#?]")

KEY_VALUES = [*AWKWARD_IDS, ""]


@pytest.mark.parametrize("value", KEY_VALUES)
def test_round_trip(value: str) -> None:
    assert decode_key(encode_key(value)) == value


@pytest.mark.parametrize("value", KEY_VALUES)
def test_encoded_key_is_allowed(value: str) -> None:
    key = encode_key(value)
    assert not FORBIDDEN_IN_KEY.search(key)
    assert "'" not in key


def test_plain_ids_are_unchanged() -> None:
    for value in ["acd7eace-eace-acd7-ceea-d7acceead7ac", "alice@contoso.com", "日本", "😀"]:
        assert encode_key(value) == value


def test_guest_upn_stays_readable() -> None:
    assert encode_key("alice_contoso.com#EXT#@fabrikam.onmicrosoft.com") == (
        "alice_contoso.com%ģEXT%ģ@fabrikam.onmicrosoft.com"
    )


def test_escape_char_is_escaped() -> None:
    assert encode_key("%") == "%ĥ"
    assert encode_key("%ģ") != encode_key("#")


@pytest.mark.parametrize("value", ["a" * MAX_ID_LENGTH, "😀" * MAX_ID_LENGTH, "?" * MAX_ID_LENGTH])
def test_longest_id_fits_a_key(value: str) -> None:
    assert key_units(encode_key(value)) <= MAX_KEY_UNITS
    assert fits_key(encode_key(value))


def test_200_characters_of_anything_fit() -> None:
    for value in ["#" * 200, "\x7f" * 200, "😀" * 200, "日" * 200]:
        assert fits_key(encode_key(value))


def test_key_units_count_utf16() -> None:
    assert key_units("abc") == 3
    assert key_units("😀") == 2
    assert not fits_key("a" * (MAX_KEY_UNITS + 1))


@pytest.mark.parametrize("key", ["%", "abc%", "%a", "%Ā" + "%", "#", "a/b", "%ǿ", "\x00", "%Š"])
def test_decode_rejects_what_encode_never_makes(key: str) -> None:
    with pytest.raises(ValueError):
        decode_key(key)


def _random_text(rng: random.Random) -> str:
    alphabet = [chr(c) for c in range(0x00, 0x200)] + ["😀", "日", "\ufffd", "%ģ", "%"]
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))


def test_many_random_ids_round_trip_to_allowed_distinct_keys() -> None:
    rng = random.Random(20261127)  # noqa: S311 - reproducible test data, not crypto
    seen: dict[str, str] = {}
    for _ in range(20_000):
        value = _random_text(rng)
        key = encode_key(value)
        assert decode_key(key) == value
        assert not FORBIDDEN_IN_KEY.search(key)
        assert "'" not in key
        assert key_units(key) <= 2 * len(value)
        assert seen.setdefault(key, value) == value, "two ids share a key"


def test_every_escaped_character_round_trips_alone_and_in_company() -> None:
    escaped = [chr(c) for c in range(0x100) if encode_key(chr(c)) != chr(c)]
    assert len(escaped) == 32 + 33 + 6
    for char in escaped:
        assert decode_key(encode_key(f"x{char}y{char}")) == f"x{char}y{char}"


def test_the_longest_id_fits_a_key_whatever_its_characters() -> None:
    assert 2 * MAX_ID_LENGTH <= MAX_KEY_UNITS
