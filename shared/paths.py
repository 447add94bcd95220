"""The resource paths this service answers, and the URLs it hands back.

``add_photo``'s route is one catch-all template, ``{*target:regex(...)}``, because a route
template cannot express "``me`` or ``users/{user}``" with an optional ``$ref`` in any other
single template (see README, "Routes"). The host has already matched the regex; this module
turns ``target`` into the user it names, and builds ``@odata.context`` and ``Location``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from shared.errors import NotFound

_PHOTOS_TARGET = re.compile(
    r"^(?:(?P<me>me)|users/(?P<user>[^/]+))/photos(?P<ref>/\$ref)?/?$", re.IGNORECASE
)


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


def photo_entity_context(root: str, user_name: str) -> str:
    return f"{root}/$metadata#users({_odata_literal(user_name)})/photos/$entity"


def photo_url(root: str, user_name: str, photo_id: str) -> str:
    return f"{root}/users/{quote(user_name, safe='@')}/photos/{quote(photo_id, safe='')}"
