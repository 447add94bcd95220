"""Route templates and the route table, with the Functions host's (ASP.NET Core) rules.

A template such as ``api/items/{id:int:min(1)}/{*rest}`` is parsed once into segments
(``devtools.route_syntax``, which raises ``RouteTemplateError``); a request path is matched
against it the way ASP.NET Core's ``TemplateMatcher`` does:

- the path is percent-decoded, except ``%2F``, which stays as it is and never separates
  segments (``decode_request_path``);
- literal segments compare case-insensitively; one trailing slash is ignored;
- ``{name}`` takes one non-empty segment, ``{name?}`` may be absent, ``{name=default}``
  falls back to its default, ``{*rest}`` / ``{**rest}`` take the rest of the path
  (trailing slash included, possibly empty);
- inline constraints (``int``, ``regex(...)``, ...; ``devtools.route_constraints``) then
  check each value.

Complex segments (``{a}.{b}``) are not used by this app and are refused when parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from devtools.route_syntax import Literal, Parameter, Segment, parse_template

_ALL_METHODS = ("GET", "POST", "DELETE", "HEAD", "PATCH", "PUT", "OPTIONS", "TRACE")
_ENCODED_SLASH = re.compile("%2F", re.IGNORECASE)


@dataclass(frozen=True)
class RouteTemplate:
    """A parsed route template; ``match`` returns the route values or ``None``."""

    text: str
    segments: tuple[Segment, ...]

    @classmethod
    def parse(cls, text: str) -> RouteTemplate:
        return cls(text, parse_template(text))

    def match(self, path: str) -> dict[str, str] | None:
        """Match a decoded request path (``/api/me/photos``); an empty catch-all gives ``""``."""
        found = _match_segments(self.segments, path.removeprefix("/"))
        if found is None or not _constraints_hold(self.segments, found):
            return None
        for segment in self.segments:
            if isinstance(segment, Parameter) and segment.catch_all and not found.get(segment.name):
                found[segment.name] = ""
        return {name: value for name, value in found.items() if value is not None}


@dataclass(frozen=True)
class Route:
    """One function's HTTP trigger: its template and the methods it accepts (``None``: all)."""

    function_name: str
    template: RouteTemplate
    methods: frozenset[str] | None = None

    def accepts(self, method: str) -> bool:
        return self.methods is None or method.upper() in self.methods

    @property
    def method_names(self) -> tuple[str, ...]:
        if self.methods is None:
            return _ALL_METHODS
        return tuple(m for m in _ALL_METHODS if m in self.methods) + tuple(
            sorted(self.methods.difference(_ALL_METHODS))
        )


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    values: Mapping[str, str]


class RouteTable:
    """Routes in the host's order (function name, ordinal ignore-case); first match wins."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes: tuple[Route, ...] = tuple(
            sorted(routes, key=lambda route: route.function_name.upper())
        )

    def match(self, method: str, path: str) -> RouteMatch | None:
        for route in self.routes:
            if not route.accepts(method):
                continue
            values = route.template.match(path)
            if values is not None:
                return RouteMatch(route, values)
        return None


def join_route_prefix(prefix: str, route: str) -> str:
    """The template the host registers: ``routePrefix/route`` (no prefix when it is empty)."""
    prefix = prefix.strip("/")
    return f"{prefix}/{route}" if prefix else route


def decode_request_path(raw_target: str) -> str:
    """Percent-decode a raw request target's path like Kestrel: ``%2F`` stays encoded."""
    raw_path = raw_target.split("?", 1)[0].split("#", 1)[0]
    return "%2F".join(unquote(piece) for piece in _ENCODED_SLASH.split(raw_path))


# ---- matching ---------------------------------------------------------------------------


def _match_segments(segments: tuple[Segment, ...], path: str) -> dict[str, str | None] | None:
    parts = path.split("/") if path else []
    if parts and parts[-1] == "":
        parts.pop()
    values: dict[str, str | None] = {}
    offset = 0
    for index, part in enumerate(parts):
        if part == "" or index >= len(segments):
            return None
        segment = segments[index]
        if isinstance(segment, Parameter) and segment.catch_all:
            values[segment.name] = path[offset:] or segment.default
            return values
        if isinstance(segment, Literal):
            if not _equal_ignoring_case(segment.text, part):
                return None
        else:
            values[segment.name] = part
        offset += len(part) + 1
    for segment in segments[len(parts) :]:
        if isinstance(segment, Literal):
            return None
        if not (segment.catch_all or segment.optional or segment.default is not None):
            return None
        values[segment.name] = segment.default
    return values


def _constraints_hold(segments: tuple[Segment, ...], values: Mapping[str, str | None]) -> bool:
    for segment in segments:
        if not isinstance(segment, Parameter) or not segment.constraints:
            continue
        value = values.get(segment.name)
        if value is None:
            if segment.optional:
                continue
            return False
        if not all(constraint.matches(value) for constraint in segment.constraints):
            return False
    return True


def _equal_ignoring_case(left: str, right: str) -> bool:
    """.NET OrdinalIgnoreCase: same length, characters equal after simple upper-casing."""
    return len(left) == len(right) and all(
        a == b or a.upper() == b.upper() for a, b in zip(left, right, strict=True)
    )
