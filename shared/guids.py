"""Random GUIDs (UUID version 4) as text: the request ids and the photo ids the server makes.

``new_guid`` writes what ``str(uuid.uuid4())`` writes (16 random bytes, the version and RFC 4122
variant bits set the way ``uuid.UUID`` sets them, lower-case 8-4-4-4-12 hex) without building a
``UUID`` object, which is most of ``uuid4``'s cost; two are made per "Add photos".
"""

from __future__ import annotations

import os
from typing import Final

_VARIANT_AND_VERSION_BITS: Final = (0xC000 << 48) | (0xF000 << 64)
_RFC_4122_VERSION_4: Final = (0x8000 << 48) | (4 << 76)


def new_guid() -> str:
    """A new random GUID, e.g. ``"3f2b6c1e-8d4a-4f7e-9b1c-2a5d6e7f8091"``."""
    value = int.from_bytes(os.urandom(16)) & ~_VARIANT_AND_VERSION_BITS | _RFC_4122_VERSION_4
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
