"""The URLs the service hands back: ``@odata.context``, ``Location`` and ``@odata.nextLink``.

Which paths exist is the route table's business (``shared.routes``); this module only builds
URLs from a request's own URL and what its path named. The base URL handed back is the one the
request used (``…/api``, ``…/api/v1.0``, ``…/api/beta``), or ``PUBLIC_BASE_URL`` (with the
request's version segment) when a gateway stands in front: then nothing of the request's
scheme, host or route prefix reaches a response.

The request URL is the client's (its Host header, its raw path), so it is checked before any
URL is built from it: an ``http``/``https`` scheme and an RFC 3986 authority of ASCII, else
``400``; the path is re-percent-encoded so nothing but ASCII reaches a response. Operations that
store build their URLs before the store is touched, so a bad Host never leaves a photo stored
behind an error.

The service root of a plain URL (lower-case ``http(s)://``, no fragment, no white space)
depends only on its raw scheme, host and route prefix, which a process sees few of: the checked
root is kept per raw root (``_checked_root``, bounded), so a request costs a regex match and a
string split, not a parse and a re-encoding. Every other URL takes the general path.
"""

from __future__ import annotations

import functools
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
_PLAIN_URL: Final = re.compile(r"(https?://[^/?#\s]*)([^?#\s]*)(?:\?[^#\s]*)?", re.ASCII)
"""A URL ``urlsplit`` reads as written (no fragment, nothing it strips): (scheme + host, path)."""
_ROOTS_KEPT: Final = 256
_UNRESERVED: Final = re.compile(r"[A-Za-z0-9_.~-]*")
"""What ``quote`` never encodes, whatever ``safe`` says: GUIDs and most ids are only this."""


def photo_not_found(photo_id: str) -> NotFound:
    """404 for a photo the user does not have (Graph's generic ``ResourceNotFound``)."""
    return NotFound(f"The photo '{shown(photo_id)}' was not found.")


def _split(url: str, target: str) -> tuple[str, str]:
    """``url``'s service root and the rest of its path (checked, percent-encoded ASCII)."""
    parts = _request_url(url)
    segments = parts.path.rstrip("/").split("/")
    depth = len(target.strip("/").split("/"))
    cut = max(0, len(segments) - depth)
    root = urlunsplit((parts.scheme, parts.netloc, "/".join(segments[:cut]), "", ""))
    return root, "/".join(segments[cut:])


def service_root(url: str, target: str) -> str:
    """The service root (``…/api``) of a request whose route matched ``target``.

    The raw URL path ends with ``target``'s segments (percent-encoded as sent); dropping as
    many segments as ``target`` has leaves the service root, whatever the route prefix is.
    ``target`` includes the version segment, if the request had one.
    """
    plain = _PLAIN_URL.fullmatch(url)
    if plain is not None:
        depth = len(target.strip("/").split("/"))
        root_path, *rest = plain[2].rstrip("/").rsplit("/", depth)
        if len(rest) == depth:
            return _checked_root(plain[1] + root_path)
    return _split(url, target)[0]


@functools.lru_cache(maxsize=_ROOTS_KEPT)
def _checked_root(raw_root: str) -> str:
    """The service root of any plain URL that is ``raw_root`` and then the target's segments:
    those segments are dropped whatever they are, so one stands for them all."""
    return _split(f"{raw_root}/-", "-")[0]


def base_url(url: str, target: str, version: str | None, public_base_url: str | None) -> str:
    """The base URL to hand back: the request's root or ``public_base_url``, then ``version``."""
    root = public_base_url or service_root(url, target)
    return root if version is None else f"{root}/{version}"


def request_url(url: str, target: str, public_base_url: str | None) -> str:
    """The request's URL without its query, re-rooted at ``public_base_url`` when it is set."""
    root, rest = _split(url, target)
    return f"{public_base_url or root}/{rest}"


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


def _quote(value: str, safe: str) -> str:
    """``quote(value, safe=safe)``, without its encode and scan for the usual id."""
    return value if _UNRESERVED.fullmatch(value) else quote(value, safe=safe)


def _odata_literal(value: str) -> str:
    """An OData string literal, percent-encoded for use inside a URL fragment."""
    return "'" + _quote(value.replace("'", "''"), "@'") + "'"


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
    return f"{root}/users/{_quote(user_name, '@')}/photos/{_quote(photo_id, '')}"


def with_query(url: str, query: Mapping[str, str]) -> str:
    """``url`` with its query replaced by ``query`` (``$`` and ``,`` left readable)."""
    parts = _request_url(url)
    encoded = urlencode(query, safe="$,", quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, encoded, ""))
