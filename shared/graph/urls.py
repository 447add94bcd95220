"""The resource paths this service answers, and the URLs it hands back.

Every route is one catch-all template, ``{*target:regex(...)}``, because a route template
cannot express "``me`` or ``users/{user}``" (one segment or two) with an optional ``$ref`` in
any other single template (see README, "Routes"). The host has already matched the regex;
this module turns ``target`` into the user (and photo) it names, and builds
``@odata.context``, ``Location`` and ``@odata.nextLink``.

Route values arrive percent-decoded except ``%2F``, which the host leaves as it is (it never
separates segments); a photo id's ``%2F`` is therefore read as ``/``. An id holding the text
``%2F`` itself (sent as ``%252F``) would reach the function exactly like one holding ``/``: the
host gives no way to tell them apart, so "Add photos" refuses such ids (with ``.``, ``..`` and
``$ref``, which no URL can name either: ``shared.models.unaddressable_reason``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from shared.graph.errors import NotFound
from shared.models import MAX_ID_LENGTH

_PHOTOS_TARGET = re.compile(
    r"^(?:(?P<me>me)|users/(?P<user>[^/]+))/photos(?P<ref>/\$ref)?/?$", re.IGNORECASE
)
_PHOTO_TARGET = re.compile(
    r"^(?:(?P<me>me)|users/(?P<user>[^/]+))/photos/(?P<id>[^/]+)/?$", re.IGNORECASE
)
_ENCODED_SLASH = re.compile("%2F", re.IGNORECASE)
_SHOWN_ID_LENGTH = 64


@dataclass(frozen=True)
class PhotosTarget:
    """``user`` is None for ``/me``; ``as_ref`` for the ``/$ref`` form."""

    user: str | None
    as_ref: bool


def parse_photos_target(target: str) -> PhotosTarget:
    match = _PHOTOS_TARGET.match(target)
    if match is None or (match["user"] is not None and not match["user"].strip()):
        raise NotFound(f"Resource not found for the segment '{target}'.")
    return PhotosTarget(user=match["user"], as_ref=match["ref"] is not None)


@dataclass(frozen=True)
class PhotoTarget:
    """One photo: ``user`` is None for ``/me``; ``photo_id`` as the client meant it."""

    user: str | None
    photo_id: str


def parse_photo_target(target: str) -> PhotoTarget:
    """``me/photos/{id}`` or ``users/{user}/photos/{id}``; ``$ref`` is not a photo here."""
    match = _PHOTO_TARGET.match(target)
    if (
        match is None
        or (match["user"] is not None and not match["user"].strip())
        or match["id"].lower() == "$ref"
    ):
        raise NotFound(f"Resource not found for the segment '{target}'.")
    photo_id = _ENCODED_SLASH.sub("/", match["id"])
    if len(photo_id) > MAX_ID_LENGTH:  # longer than any id "Add photos" accepts
        raise photo_not_found(photo_id)
    return PhotoTarget(user=match["user"], photo_id=photo_id)


def photo_not_found(photo_id: str) -> NotFound:
    """404 for a photo the user does not have (Graph's generic ``ResourceNotFound``)."""
    shown = photo_id if len(photo_id) <= _SHOWN_ID_LENGTH else photo_id[:_SHOWN_ID_LENGTH] + "…"
    return NotFound(f"The photo '{shown}' was not found.")


def service_root(url: str, target: str) -> str:
    """The base URL (``…/api``) of a request whose route matched ``target``.

    The raw URL path ends with ``target``'s segments (percent-encoded as sent); dropping as
    many segments as ``target`` has leaves the service root, whatever the route prefix is.
    """
    parts = urlsplit(url)
    segments = parts.path.rstrip("/").split("/")
    depth = len(target.strip("/").split("/"))
    root_path = "/".join(segments[: max(0, len(segments) - depth)])
    return urlunsplit((parts.scheme, parts.netloc, root_path, "", ""))


def _odata_literal(value: str) -> str:
    """An OData string literal, percent-encoded for use inside a URL fragment."""
    return "'" + quote(value.replace("'", "''"), safe="@'") + "'"


def _selection(select: Sequence[str]) -> str:
    return f"({','.join(select)})" if select else ""


def photos_context(root: str, user_name: str, select: Sequence[str] = ()) -> str:
    """``@odata.context`` of a user's photo collection (``$select``ed properties in it)."""
    return f"{root}/$metadata#users({_odata_literal(user_name)})/photos{_selection(select)}"


def photo_entity_context(root: str, user_name: str, select: Sequence[str] = ()) -> str:
    return f"{photos_context(root, user_name, select)}/$entity"


def photo_url(root: str, user_name: str, photo_id: str) -> str:
    return f"{root}/users/{quote(user_name, safe='@')}/photos/{quote(photo_id, safe='')}"


def with_query(url: str, query: Mapping[str, str]) -> str:
    """``url`` with its query replaced by ``query`` (``$`` and ``,`` left readable)."""
    parts = urlsplit(url)
    encoded = urlencode(query, safe="$,", quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, encoded, ""))
