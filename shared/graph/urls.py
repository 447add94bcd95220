"""The URLs the service hands back: ``@odata.context``, ``Location`` and ``@odata.nextLink``.

Which paths exist is the route table's business (``shared.routes``); this module only builds
URLs from a request's own URL and what its path named.

The request URL is the client's (its Host header, its raw path), so it is checked before any
URL is built from it: an ``http``/``https`` scheme and an RFC 3986 authority of ASCII, else
``400``; the path is re-percent-encoded so nothing but ASCII reaches a response. Operations that
store build their URLs before the store is touched, so a bad Host never leaves a photo stored
behind an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final
from urllib.parse import SplitResult, quote, urlencode, urlsplit, urlunsplit

from shared.graph.errors import BadRequest, NotFound, shown

_AUTHORITY: Final = re.compile(
    r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]{0,5})?", re.ASCII
)
"""A Host as RFC 3986 allows it (an IP literal or a reg-name, then a port), no userinfo."""
_PATH_SAFE: Final = "/%!$&'()*+,;=:@-._~"


def photo_not_found(photo_id: str) -> NotFound:
    """404 for a photo the user does not have (Graph's generic ``ResourceNotFound``)."""
    return NotFound(f"The photo '{shown(photo_id)}' was not found.")


def service_root(url: str, target: str) -> str:
    """The base URL (``…/api``) of a request whose route matched ``target``.

    The raw URL path ends with ``target``'s segments (percent-encoded as sent); dropping as
    many segments as ``target`` has leaves the service root, whatever the route prefix is.
    """
    parts = _request_url(url)
    segments = parts.path.rstrip("/").split("/")
    depth = len(target.strip("/").split("/"))
    root_path = "/".join(segments[: max(0, len(segments) - depth)])
    return urlunsplit((parts.scheme, parts.netloc, root_path, "", ""))


def _request_url(url: str) -> SplitResult:
    """``url``'s parts, checked (``BadRequest``) and with an ASCII, percent-encoded path."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed "[" in the Host
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https"):
        raise BadRequest("The request URL is not an http or https URL.")
    if _AUTHORITY.fullmatch(parts.netloc) is None:
        raise BadRequest("The request's Host header is not a valid host name and port.")
    path = quote(parts.path.encode("utf-8", "surrogatepass"), safe=_PATH_SAFE)
    return parts._replace(path=path)


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


def profile_photo_context(root: str, user_name: str) -> str:
    """``@odata.context`` of a user's profile photo (the ``photo`` singleton)."""
    return f"{root}/$metadata#users({_odata_literal(user_name)})/photo/$entity"


def photo_url(root: str, user_name: str, photo_id: str) -> str:
    return f"{root}/users/{quote(user_name, safe='@')}/photos/{quote(photo_id, safe='')}"


def with_query(url: str, query: Mapping[str, str]) -> str:
    """``url`` with its query replaced by ``query`` (``$`` and ``,`` left readable)."""
    parts = _request_url(url)
    encoded = urlencode(query, safe="$,", quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, encoded, ""))
