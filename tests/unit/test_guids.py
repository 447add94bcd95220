"""The GUIDs the service makes (request ids, photo ids) are what ``uuid.uuid4`` makes."""

import re
import uuid

from shared.guids import new_guid

_GUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_a_new_guid_is_a_random_version_4_uuid_as_uuid_writes_it() -> None:
    for _ in range(2000):
        text = new_guid()
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text
        assert _GUID_TEXT.fullmatch(text)


def test_guids_differ_and_every_random_bit_varies() -> None:
    values = [uuid.UUID(new_guid()).int for _ in range(2000)]
    assert len(set(values)) == len(values)
    fixed = (0xC000 << 48) | (0xF000 << 64)  # the variant and version bits
    ones = zero = 0
    for value in values:
        ones |= value
        zero |= ~value
    assert (ones & zero) | fixed == (1 << 128) - 1
