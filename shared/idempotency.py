"""The ``Idempotency-Key`` request header: parsing, the photo id it implies, the body fingerprint.

Semantics (IETF draft "The Idempotency-Key HTTP Header Field"): a POST repeated with the same
key for the same user, and the same body, returns the photo the first one created (same id,
``201``) and stores nothing new; the same key with a different body is ``422``. A key is kept
in the photo's entity, so it lives exactly as long as the photo: once the photo is deleted, a
repeat creates it again.

The header value is an sf-string (``"abc"``, with ``\\"`` and ``\\\\`` escapes) or, leniently,
a bare token of visible ASCII other than ``"`` (``abc``); either way the key is 1-255
printable ASCII characters. Anything else is ``400``.

A key belongs to the caller and the target user together: the caller is the client app and
the user (delegated) or service principal (app-only) of the token (``caller_identity``). Without
a client ``id`` the photo id is derived from (caller, user, key), so a repeat lands on the same
row and the insert itself detects it: one storage round trip, nothing read before the insert.
The stored key is the caller's too (``scoped_key``): with a client ``id`` the key is checked on
that id's row, so a key reused with ANOTHER client id is not recognised (that request stores its
own photo, or meets ``409``), and another caller's request with the same key and id is no repeat.

Why not a secret: a derived id is a uuid5 of public inputs, so whoever knows the caller, the
user and the key can compute it. The key is the caller's own (a random UUID by convention), so
only that caller can; another caller, even one that guesses or reuses the key, derives another
id and can neither collide with the photo nor pre-empt it. An HMAC with a per-deployment secret
would hide the ids from the caller itself, which gains nothing, and would add a secret to keep
and rotate (rotating it would turn repeats into second photos).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Final

from shared.graph.errors import BadRequest
from shared.models import PROFILE_PHOTO_TYPE, ProfilePhotoIn

HEADER: Final = "Idempotency-Key"
MAX_KEY_LENGTH: Final = 255
PHOTO_ID_NAMESPACE: Final = uuid.UUID("5f0c7a52-1d8e-4b0e-9a51-3c2f6a7d9e01")
"""Fixed namespace of the uuid5 photo ids derived from idempotency keys. Never change it (nor
the derivation): repeats of requests made before the change would create second photos."""

_PRINTABLE: Final = frozenset(chr(code) for code in range(0x20, 0x7F))
_BARE: Final = _PRINTABLE - {" ", '"'}


def parse_idempotency_key(header: str | None) -> str | None:
    """The key in an ``Idempotency-Key`` header value; None when absent; ``BadRequest`` if bad."""
    if header is None:
        return None
    value = header.strip(" \t")
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        key = _unquote(value[1:-1])
    elif value and all(char in _BARE for char in value):
        key = value
    else:
        raise _bad()
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise _bad()
    return key


def _unquote(inner: str) -> str:
    out: list[str] = []
    chars = iter(inner)
    for char in chars:
        if char == "\\":
            char = next(chars, "")
            if char not in ('"', "\\"):
                raise _bad()
        elif char == '"' or char not in _PRINTABLE:
            raise _bad()
        out.append(char)
    return "".join(out)


def _bad() -> BadRequest:
    return BadRequest(
        f"The {HEADER} header must be a string of 1 to {MAX_KEY_LENGTH} printable ASCII "
        'characters, e.g. Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324".'
    )


def caller_identity(object_id: str | None, app_id: str | None) -> str:
    """Who a key belongs to: the token's client app and its user or service principal."""
    return json.dumps([(app_id or "").lower(), (object_id or "").lower()])


def scoped_key(caller: str, key: str) -> str:
    """The key as stored with the photo: the caller's key, never another caller's."""
    return json.dumps([caller, key])


def derived_photo_id(caller: str, user_key: str, key: str) -> str:
    """The photo id of a POST without a client id: the same for the same (caller, user, key)."""
    return str(uuid.uuid5(PHOTO_ID_NAMESPACE, json.dumps([caller, user_key, key])))


def fingerprint(photo: ProfilePhotoIn) -> str:
    """SHA-256 (hex) of the validated body in canonical JSON: equal for equal requests.

    ``@odata.type`` is always the one type, written or not, so it is included as that type.
    """
    canonical = {
        "@odata.type": PROFILE_PHOTO_TYPE,
        "height": photo.height,
        "id": photo.id,
        "width": photo.width,
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()
