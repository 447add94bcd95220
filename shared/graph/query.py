"""OData query options of the read operations: ``$top``, ``$skiptoken`` and ``$select``.

Pure functions over the request's query parameters; a bad value is ``BadRequest``. Option
names compare case-insensitively and may leave out the ``$`` (OData 4.01: ``top=1``,
``$TOP=1``, ``Select=id``); any other system option is refused rather than silently ignored,
since a client that sent ``$filter`` (or ``filter``) expects it applied. Other parameters
without ``$`` are not ours to judge and are ignored.

A ``$skiptoken`` is the position of the last photo of the previous page (``PhotoPosition``:
its creation time and id), as unpadded URL-safe base64 of JSON. Clients must treat it as
opaque; a hand-made one is checked like any input (a time outside Table Storage's range,
1601-01-01 to 9999-12-31 UTC, is a 400 here rather than a failed storage query). A position, unlike an offset, stays right when photos are added or deleted between
pages: nothing is skipped or repeated.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from shared.graph.errors import BadRequest, shown
from shared.photo_order import PhotoPosition

DEFAULT_TOP: Final = 100
MAX_TOP: Final = 999
SELECTABLE: Final = ("id", "height", "width")
"""The ``profilePhoto`` properties ``$select`` may name, in the order responses list them."""

MAX_SKIPTOKEN_LENGTH: Final = 4096
"""Longest ``$skiptoken`` accepted, in characters (the service's own are far shorter)."""
_MAX_SKIPTOKEN_DEPTH: Final = 1
"""A position is one flat JSON object; deeper nesting is refused before ``json.loads`` sees it
(a few hundred ``[`` would otherwise exhaust its recursion)."""
_EARLIEST: Final = datetime(1601, 1, 1, tzinfo=UTC)
_LATEST: Final = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
"""Table Storage's DateTime range; a time outside it is a 400 from Azure, never ours to send."""
_DIGITS = re.compile(r"[0-9]{1,4}")
_SYSTEM_OPTIONS: Final = frozenset(
    {
        "$apply", "$compute", "$count", "$deltatoken", "$expand", "$filter", "$format",
        "$id", "$index", "$levels", "$orderby", "$schemaversion", "$search", "$select",
        "$skip", "$skiptoken", "$top",
    }
)  # fmt: skip
"""OData's system query options (and Graph's ``$skiptoken`` / ``$deltatoken``), lower-cased."""


@dataclass(frozen=True)
class ListOptions:
    """``top`` photos from just past ``after`` (None: the first), ``select``ed (empty: all)."""

    top: int = DEFAULT_TOP
    after: PhotoPosition | None = None
    select: tuple[str, ...] = ()


def parse_list_options(params: Mapping[str, str]) -> ListOptions:
    """The options of ``GET …/photos``: ``$top``, ``$skiptoken``, ``$select``."""
    options = _options(params, {"$top", "$skiptoken", "$select"})
    top = _top(options["$top"]) if "$top" in options else DEFAULT_TOP
    after = decode_skiptoken(options["$skiptoken"]) if "$skiptoken" in options else None
    return ListOptions(top=top, after=after, select=_select(options.get("$select")))


def parse_item_options(params: Mapping[str, str]) -> tuple[str, ...]:
    """The ``$select`` of ``GET …/photos/{id}`` (the only option it takes)."""
    return _select(_options(params, {"$select"}).get("$select"))


def selected(photo: Mapping[str, object], select: tuple[str, ...]) -> dict[str, object]:
    """``photo`` (a Graph ``profilePhoto``) with only the ``select``ed properties, if any."""
    if not select:
        return dict(photo)
    return {name: value for name, value in photo.items() if name.startswith("@") or name in select}


def next_page_query(params: Mapping[str, str], skiptoken: str) -> dict[str, str]:
    """The query of the next page's link: the request's, with ``$skiptoken`` replaced."""
    query = {name: value for name, value in params.items() if _option(name) != "$skiptoken"}
    return {**query, "$skiptoken": skiptoken}


def encode_skiptoken(position: PhotoPosition) -> str:
    document = {"createdAt": position.created_at.isoformat(), "id": position.photo_id}
    raw = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_skiptoken(token: str) -> PhotoPosition:
    """The position ``encode_skiptoken`` made ``token`` from; ``BadRequest`` for anything else."""
    try:
        if len(token) > MAX_SKIPTOKEN_LENGTH:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if _nesting_depth(raw) > _MAX_SKIPTOKEN_DEPTH:
            raise ValueError("nested too deeply")
        document = json.loads(raw)
        if not isinstance(document, dict):
            raise ValueError("not an object")
        created_at = datetime.fromisoformat(document["createdAt"])
        photo_id = document["id"]
        if created_at.tzinfo is None or not isinstance(photo_id, str) or not photo_id:
            raise ValueError("not a position")
        photo_id.encode("utf-8")  # UnicodeEncodeError (a ValueError) for a lone surrogate
        created_at = created_at.astimezone(UTC)  # OverflowError past year 1 or 9999 in UTC
        if not _EARLIEST <= created_at <= _LATEST:
            raise ValueError("outside Table Storage's DateTime range")
    except (ValueError, TypeError, KeyError, OverflowError, binascii.Error):
        # JSONDecodeError and UnicodeError are ValueErrors
        raise BadRequest("The $skiptoken value is not valid.") from None
    return PhotoPosition(created_at, photo_id)


def _option(name: str) -> str | None:
    """The system query option ``name`` stands for (``$top`` for ``Top``), lower-cased, or None."""
    key = name.lower()
    if key.startswith("$"):
        return key
    return f"${key}" if f"${key}" in _SYSTEM_OPTIONS else None


def _nesting_depth(raw: bytes) -> int:
    """How deeply JSON arrays and objects nest in ``raw``, brackets inside strings aside."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def _options(params: Mapping[str, str], allowed: set[str]) -> dict[str, str]:
    """The system options among ``params``, by lower-cased ``$`` name; BadRequest for others."""
    options: dict[str, str] = {}
    for name, value in params.items():
        key = _option(name)
        if key is None:
            continue  # not an OData system query option: not ours to judge
        if key not in allowed:
            raise BadRequest(f"The query option '{shown(name)}' is not supported.")
        if key in options:
            raise BadRequest(f"The query option '{shown(name)}' is given more than once.")
        options[key] = value
    return options


def _top(value: str) -> int:
    number = int(value) if _DIGITS.fullmatch(value) else 0
    if not 1 <= number <= MAX_TOP:
        raise BadRequest(
            f"Invalid value '{shown(value)}' for $top: it must be an integer from 1 to {MAX_TOP}."
        )
    return number


def _select(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    wanted: set[str] = set()
    for item in value.split(","):
        name = item.strip()
        match = next((known for known in SELECTABLE if known.lower() == name.lower()), None)
        if match is None:
            raise BadRequest(
                f"Could not find a property named '{shown(name)}' on type 'microsoft.graph.profilePhoto'."
            )
        wanted.add(match)
    return tuple(name for name in SELECTABLE if name in wanted)
