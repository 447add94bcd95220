"""THE route table: every operation of the service, once.

A ``Route`` is one Functions function (its folder name), the path templates it serves (after
host.json's route prefix) and, per HTTP method, the operation that answers it. Everything else
is derived from this table, never restated:

- each function's ``function.json`` route (``python -m devtools.functions`` writes them and
  ``--check`` fails when one is stale): one catch-all ``{*target:regex(...)}`` built from the
  templates, because a route template cannot say "``me`` or ``users/{user}``";
- the in-process dispatch: ``match`` finds the route, operation and path values for a method
  and path, and tells ``404`` from ``405`` + ``Allow`` (the fallback function and ``$batch``,
  for each of its items, use it);
- the OpenAPI paths (``devtools.openapi``).

Every template is also served under Graph's version segments: ``v1.0/…`` and ``beta/…`` (as
``…/api``, ``…/api/v1.0`` and ``…/api/beta`` are all base URLs); ``Target.version`` says which
one the request used, so the URLs handed back keep it.

Templates are ``/``-separated segments: literals (matched case-insensitively, like the host)
or ``{name}`` parameters from ``PARAMETERS``. Path values arrive as the host gives them:
percent-decoded except ``%2F``, which stays as it is (``Target.photo_id`` reads it as ``/``).

The host tries routes in order of function names, not by specificity, so the function that
takes everything else (``FALLBACK_FUNCTION``) must sort after every other; the generator refuses
a table where it does not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from shared.limits import (
    MAX_BATCH_BODY_BYTES,
    MAX_BODY_BYTES,
    MAX_IMAGE_BYTES,
    MAX_OTHER_BODY_BYTES,
)

FALLBACK_FUNCTION: Final = "unmatched_route"
"""The function whose ``{*path}`` route takes every request no other function takes."""
FALLBACK_MAX_BODY_BYTES: Final = MAX_IMAGE_BYTES
"""The fallback's body limit: a misdirected photo upload still gets Graph's 404 / 405."""

BATCH_OPERATION: Final = "batch"
"""The operation that serves ``$batch``: its items are routed through this table again."""

PARAMETERS: Final[Mapping[str, str]] = {
    "user": r"[^/]+",
    "photo-id": r"(?!\$ref/?$)[^/]+",  # `photos/$ref` is the add operation, never a photo
}
"""The path parameters and the segment each one matches."""

VERSIONS: Final = ("v1.0", "beta")
"""Graph's version segments, each an optional first segment of every route."""
_VERSION_GROUP: Final = "version"

_PARAMETER = re.compile(r"^\{(?P<name>[a-z][a-z-]*)\}$")
_MATCHES_KEPT: Final = 512
"""Matches kept per process (``match``, ``match_function``): their answers are immutable and
depend on the method and path only; ``/me/...`` paths are the same for every caller."""


def _version_pattern(*, named: bool) -> str:
    """The optional version segment in front of every template (``v1.0/``, ``beta/``)."""
    versions = "|".join(re.escape(version) for version in VERSIONS)
    group = f"?P<{_VERSION_GROUP}>" if named else "?:"
    return f"(?:({group}{versions})/)?"


def _group(name: str) -> str:
    return name.replace("-", "_")


def _segment_pattern(segment: str, *, named: bool) -> str:
    parameter = _PARAMETER.match(segment)
    if parameter is None:
        return re.escape(segment)
    name = parameter["name"]
    body = PARAMETERS[name]
    return f"(?P<{_group(name)}>{body})" if named else f"(?:{body})"


def template_pattern(template: str, *, named: bool = True) -> str:
    """The regex (without anchors) of one template; ``named`` puts its parameters in groups."""
    return "/".join(_segment_pattern(segment, named=named) for segment in template.split("/"))


@dataclass(frozen=True)
class Route:
    """One function: the templates it serves and, per method, the operation that answers.

    ``HEAD`` is served wherever ``GET`` is, by the same operation (the app drops the body).
    ``max_body_bytes``: a larger declared ``Content-Length`` is ``413`` before anything else.
    """

    function: str
    templates: tuple[str, ...]
    operations: Mapping[str, str]
    anonymous: bool = False
    max_body_bytes: int = MAX_OTHER_BODY_BYTES
    _compiled: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = tuple(
            re.compile(
                f"^{_version_pattern(named=True)}{template_pattern(template)}/?$", re.IGNORECASE
            )
            for template in self.templates
        )
        object.__setattr__(self, "_compiled", compiled)
        if "GET" in self.operations and "HEAD" not in self.operations:
            object.__setattr__(
                self, "operations", {**self.operations, "HEAD": self.operations["GET"]}
            )

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(sorted(self.operations))

    def match_path(self, path: str) -> tuple[str, dict[str, str]] | None:
        """The template ``path`` matches and its parameter values, or None."""
        for template, pattern in zip(self.templates, self._compiled, strict=True):
            found = pattern.match(path)
            if found is None:
                continue
            values = {name: value for name, value in found.groupdict().items() if value is not None}
            parameters = (value for name, value in values.items() if name != _VERSION_GROUP)
            if all(value.strip() for value in parameters):
                return template, values
        return None

    def host_route(self) -> str:
        """The ``function.json`` route: one catch-all whose regex is the templates'."""
        alternatives = "|".join(
            template_pattern(template, named=False) for template in self.templates
        )
        regex = f"^{_version_pattern(named=False)}(?:{alternatives})/?$".replace("/", r"\x2F")
        return "{*target:regex(" + regex + ")}"


_USER_TEMPLATES: Final = ("me", "users/{user}")


def _for_each_user(*suffixes: str) -> tuple[str, ...]:
    return tuple(f"{user}/{suffix}" for user in _USER_TEMPLATES for suffix in suffixes)


ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "add_photo",
        _for_each_user("photos", "photos/$ref"),
        {"POST": "add_photo"},
        max_body_bytes=MAX_BODY_BYTES,
    ),
    Route(
        "batch_requests",
        ("$batch",),
        {"POST": BATCH_OPERATION},
        anonymous=True,  # the batch itself checks no token; each item checks the batch's
        max_body_bytes=MAX_BATCH_BODY_BYTES,
    ),
    Route("delete_photo", _for_each_user("photos/{photo-id}"), {"DELETE": "delete_photo"}),
    Route("get_photo", _for_each_user("photos/{photo-id}"), {"GET": "get_photo"}),
    Route("list_photos", _for_each_user("photos"), {"GET": "list_photos"}),
    Route("metadata_document", ("$metadata",), {"GET": "metadata_document"}, anonymous=True),
    Route("openapi_document", ("openapi.json",), {"GET": "openapi_document"}, anonymous=True),
    Route(
        "photo_value",
        _for_each_user("photos/{photo-id}/$value"),
        {"GET": "get_photo_content", "PUT": "set_photo_content"},
        max_body_bytes=MAX_IMAGE_BYTES,
    ),
    Route(
        "profile_photo",
        _for_each_user("photo"),
        {"GET": "get_profile_photo", "DELETE": "delete_profile_photo"},
    ),
    Route(
        "profile_photo_value",
        _for_each_user("photo/$value"),
        {
            "GET": "get_profile_photo_content",
            "PUT": "set_profile_photo_content",
            "PATCH": "set_profile_photo_content",
            "DELETE": "delete_profile_photo",
        },
        max_body_bytes=MAX_IMAGE_BYTES,
    ),
)
"""Every route, in the order the host tries them (function names, sorted)."""

ROUTES_BY_FUNCTION: Final[Mapping[str, Route]] = {route.function: route for route in ROUTES}


@dataclass(frozen=True)
class Target:
    """What a matched path names: ``user`` None for ``/me``; ``photo_id`` as the client meant it.

    ``version``: the version segment the path started with (``v1.0``, ``beta``, as sent), or None.
    """

    user: str | None
    photo_id: str | None
    as_ref: bool
    version: str | None = None


_ENCODED_SLASH = re.compile("%2F", re.IGNORECASE)


def target_of(template: str, values: Mapping[str, str]) -> Target:
    photo_id = values.get("photo_id")
    return Target(
        user=values.get("user"),
        photo_id=None if photo_id is None else _ENCODED_SLASH.sub("/", photo_id),
        as_ref=template.endswith("/$ref"),
        version=values.get(_VERSION_GROUP),
    )


@dataclass(frozen=True)
class RouteMatch:
    """A request's route, the operation for its method, and what its path names."""

    route: Route
    operation: str
    target: Target


@dataclass(frozen=True)
class NoRoute:
    """No operation for this method and path; ``allowed`` the methods served there (maybe none)."""

    allowed: tuple[str, ...]


@functools.lru_cache(maxsize=_MATCHES_KEPT)
def match(method: str, path: str) -> RouteMatch | NoRoute:
    """The operation for ``method`` at ``path`` (after the route prefix), as the host finds it."""
    allowed: set[str] = set()
    for route in ROUTES:
        found = route.match_path(path)
        if found is None:
            continue
        operation = route.operations.get(method.upper())
        if operation is not None:
            return RouteMatch(route, operation, target_of(*found))
        allowed.update(route.operations)
    return NoRoute(tuple(sorted(allowed)))


@functools.lru_cache(maxsize=_MATCHES_KEPT)
def match_function(function: str, method: str, path: str) -> RouteMatch | NoRoute:
    """The operation of ``function`` for a request the host handed to it."""
    route = ROUTES_BY_FUNCTION[function]
    found = route.match_path(path)
    operation = route.operations.get(method.upper())
    if found is None or operation is None:
        return match(method, path)  # the host's regex and ours disagree: answer as we route
    return RouteMatch(route, operation, target_of(*found))
