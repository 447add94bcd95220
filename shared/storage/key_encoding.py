"""Table Storage keys for user and photo ids: a reversible, injective encoding.

Table keys may not contain ``/ \\ # ?`` or control characters (U+0000-U+001F, U+007F-U+009F),
and real Graph ids do (a guest's UPN holds ``#EXT#``), so ids are encoded, never rejected.

The scheme: every character that may not appear in a key, plus ``%`` (the escape itself) and
``'`` (the OData string quote, so encoded keys are safe inside ``$filter`` literals), becomes
``%`` followed by ONE character: the original code point plus 0x100. All escaped characters are
below U+00A0, so the follower lies in U+0100-U+019F (Latin Extended), a single UTF-16 unit::

    "#"  -> "%ģ"  (U+0123)        "/"  -> "%į"  (U+012F)       "%" -> "%ĥ"  (U+0125)
    "\\n" -> "%Ċ"  (U+010A)        "'"  -> "%ħ"  (U+0127)       "é" -> "é"   (unchanged)

Why not ``%XX`` hex: the key limit is 1 KiB of UTF-16, i.e. 512 code units (Azurite enforces
exactly that). With three units per escaped character, 200 ``#`` would need 600 units. Here every
id character costs at most two units (an escape, or an astral character's surrogate pair), so
any id of up to ``MAX_ID_LENGTH`` = 256 characters always fits.

The encoding is prefix-free (``%`` always starts a two-character escape and never appears
unescaped), hence injective, and ``decode_key`` is its exact inverse; it rejects anything
``encode_key`` cannot produce.
"""

from __future__ import annotations

import re

MAX_KEY_UNITS = 512
"""Table Storage's 1 KiB key limit, in UTF-16 code units."""

# Every id character costs at most two units once encoded, so every id of up to MAX_ID_LENGTH
# (shared.models) characters fits a key; tests/unit/test_table_keys.py checks it.

_ESCAPE = "%"
_OFFSET = 0x100
_SPECIAL = frozenset("/\\#?%'")
_PLAIN = re.compile(r"[^\x00-\x1f\x7f-\x9f/\\#?%']*")
"""Text in which no character needs an escape (``_needs_escape``): its own key, and its own
value. Most ids (GUIDs, UPNs) are plain, so encoding and decoding them is one regex match."""


def _needs_escape(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F or char in _SPECIAL


def encode_key(value: str) -> str:
    """The Table Storage key for ``value``; ``decode_key`` turns it back."""
    if _PLAIN.fullmatch(value):
        return value
    return "".join(
        _ESCAPE + chr(_OFFSET + ord(char)) if _needs_escape(char) else char for char in value
    )


def decode_key(key: str) -> str:
    """The value ``encode_key`` encoded as ``key``; ``ValueError`` if no value encodes to it."""
    if _PLAIN.fullmatch(key):
        return key
    out: list[str] = []
    chars = iter(key)
    for char in chars:
        if char == _ESCAPE:
            follower = next(chars, None)
            if follower is None or not _OFFSET <= ord(follower) < _OFFSET + 0x100:
                raise ValueError(f"invalid escape in table key {key!r}")
            char = chr(ord(follower) - _OFFSET)
            if not _needs_escape(char):
                raise ValueError(f"invalid escape in table key {key!r}")
        elif _needs_escape(char):
            raise ValueError(f"unescaped {char!r} in table key {key!r}")
        out.append(char)
    return "".join(out)


def key_units(key: str) -> int:
    """The size of ``key`` as Table Storage counts it: UTF-16 code units."""
    if key.isascii():
        return len(key)
    # UTF-16 as Table Storage counts it; a lone surrogate is one unit, as it is there.
    return len(key.encode("utf-16-le", "surrogatepass")) // 2


def fits_key(key: str) -> bool:
    """Whether ``key`` is within Table Storage's key size limit."""
    return key_units(key) <= MAX_KEY_UNITS
