"""Route templates and the route table, with the Functions host's (ASP.NET Core) rules.

A template such as ``api/items/{id:int:min(1)}/{*rest}`` is parsed once into segments; a
request path is matched against it the way ASP.NET Core's ``TemplateMatcher`` does:

- the path is percent-decoded, except ``%2F``, which stays as it is and never separates
  segments (``decode_request_path``);
- literal segments compare case-insensitively; one trailing slash is ignored;
- ``{name}`` takes one non-empty segment, ``{name?}`` may be absent, ``{name=default}``
  falls back to its default, ``{*rest}`` / ``{**rest}`` take the rest of the path
  (trailing slash included, possibly empty);
- inline constraints (``int``, ``regex(...)``, ...) then check each value.

Complex segments (``{a}.{b}``) are not used by this app and are refused when parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote

_ALL_METHODS = ("GET", "POST", "DELETE", "HEAD", "PATCH", "PUT", "OPTIONS", "TRACE")
_FORBIDDEN_NAME_CHARS = frozenset("{}/?*:=")
_ENCODED_SLASH = re.compile("%2F", re.IGNORECASE)
_DOTNET_INTEGER = re.compile(r"[\t\n\v\f\r ]*([+-]?[0-9]+)[\t\n\v\f\r ]*")
_GUID_D = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_GUID_X = (
    r"\{0x[0-9a-f]{1,8},0x[0-9a-f]{1,4},0x[0-9a-f]{1,4},"
    r"\{(?:0x[0-9a-f]{1,2},){7}0x[0-9a-f]{1,2}\}\}"
)
_GUID_FORMATS = re.compile(  # Guid.TryParse: formats N, D, B, P and X
    "|".join([r"[0-9a-f]{32}", _GUID_D, r"\{" + _GUID_D + r"\}", r"\(" + _GUID_D + r"\)", _GUID_X]),
    re.IGNORECASE,
)


class RouteTemplateError(ValueError):
    """A route template the Functions host would refuse; the message says why."""


class RouteConstraint(Protocol):
    def matches(self, value: str) -> bool: ...


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class Parameter:
    name: str
    catch_all: bool = False
    optional: bool = False
    default: str | None = None
    constraints: tuple[RouteConstraint, ...] = ()


Segment = Literal | Parameter


@dataclass(frozen=True)
class RouteTemplate:
    """A parsed route template; ``match`` returns the route values or ``None``."""

    text: str
    segments: tuple[Segment, ...]

    @classmethod
    def parse(cls, text: str) -> RouteTemplate:
        return cls(text, _parse_template(text))

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


# ---- parsing ----------------------------------------------------------------------------


def _parse_template(text: str) -> tuple[Segment, ...]:
    if text.startswith("~/"):
        body = text[2:]
    elif text.startswith("/"):
        body = text[1:]
    elif text.startswith("~"):
        raise RouteTemplateError(f"route template {text!r}: must not start with '~'")
    else:
        body = text
    if body.endswith("/"):
        body = body[:-1]
    if not body:
        return ()
    segments = [_parse_segment(text, raw) for raw in _split_segments(text, body)]
    names: set[str] = set()
    for index, segment in enumerate(segments):
        if not isinstance(segment, Parameter):
            continue
        if segment.name.upper() in names:
            raise RouteTemplateError(
                f"route template {text!r}: parameter {segment.name!r} appears more than once"
            )
        names.add(segment.name.upper())
        if segment.catch_all and index != len(segments) - 1:
            raise RouteTemplateError(
                f"route template {text!r}: a catch-all parameter must be the last segment"
            )
    return tuple(segments)


def _split_segments(text: str, body: str) -> list[str]:
    """Split on ``/`` outside parameters (a parameter's regex may hold ``/``)."""
    segments: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "{" and body.startswith("{{", index):
            current.append("{{")
            index += 2
            continue
        if char == "{":
            end = _parameter_end(text, body, index)
            current.append(body[index:end])
            index = end
            continue
        if char == "/":
            if not current:
                raise RouteTemplateError(
                    f"route template {text!r}: the separator '/' cannot appear consecutively"
                )
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    if not current:
        raise RouteTemplateError(f"route template {text!r}: empty segment")
    segments.append("".join(current))
    return segments


def _parameter_end(text: str, body: str, start: int) -> int:
    """Index just past the ``}`` closing the parameter at ``start``; ``{{ }}`` are escapes."""
    index = start + 1
    while index < len(body):
        char = body[index]
        if char == "{":
            if not body.startswith("{{", index):
                raise RouteTemplateError(
                    f"route template {text!r}: unescaped '{{' inside a parameter (use '{{{{')"
                )
            index += 2
            continue
        if char == "}":
            if body.startswith("}}", index):
                index += 2
                continue
            return index + 1
        index += 1
    raise RouteTemplateError(f"route template {text!r}: '{{' without a matching '}}'")


def _parse_segment(text: str, raw: str) -> Segment:
    if raw.startswith("{") and not raw.startswith("{{"):
        end = _parameter_end(text, raw, 0)
        if end == len(raw):
            inner = raw[1:-1].replace("}}", "}").replace("{{", "{")
            return _parse_parameter(text, inner)
        raise RouteTemplateError(
            f"route template {text!r}: complex segment {raw!r} is not supported by the dev host"
        )
    literal = raw.replace("{{", "\0").replace("}}", "\1")
    if "{" in literal:
        raise RouteTemplateError(
            f"route template {text!r}: complex segment {raw!r} is not supported by the dev host"
        )
    if "}" in literal:
        raise RouteTemplateError(f"route template {text!r}: unescaped '}}' in {raw!r}")
    if "?" in literal:
        raise RouteTemplateError(f"route template {text!r}: a literal cannot contain '?'")
    return Literal(literal.replace("\0", "{").replace("\1", "}"))


def _parse_parameter(text: str, inner: str) -> Parameter:
    body = inner[2:] if inner.startswith("**") else inner.removeprefix("*")
    catch_all = body != inner
    index = 0
    while index < len(body) and body[index] not in ":=" and not _is_final_question(body, index):
        index += 1
    name = body[:index]
    if not name or _FORBIDDEN_NAME_CHARS.intersection(name):
        raise RouteTemplateError(f"route template {text!r}: invalid parameter name {name!r}")
    constraints: list[RouteConstraint] = []
    while index < len(body) and body[index] == ":":
        constraint, index = _parse_constraint(text, body, index + 1)
        constraints.append(constraint)
    default: str | None = None
    optional = False
    if index < len(body) and body[index] == "=":
        default = body[index + 1 :]
        if default.endswith("?"):
            raise RouteTemplateError(
                f"route template {text!r}: optional parameter {name!r} cannot have a default"
            )
    elif _is_final_question(body, index):
        optional = True
    elif index != len(body):
        raise RouteTemplateError(f"route template {text!r}: invalid parameter {inner!r}")
    if catch_all and optional:
        raise RouteTemplateError(
            f"route template {text!r}: catch-all parameter {name!r} cannot be optional"
        )
    return Parameter(name, catch_all, optional, default, tuple(constraints))


def _is_final_question(body: str, index: int) -> bool:
    return index == len(body) - 1 and body[index] == "?"


def _parse_constraint(text: str, body: str, start: int) -> tuple[RouteConstraint, int]:
    index = start
    while index < len(body) and body[index] not in "(:=" and not _is_final_question(body, index):
        index += 1
    name = body[start:index]
    if index >= len(body) or body[index] != "(":
        return _make_constraint(text, name, None), index
    close = index + 1
    while close < len(body):
        after = close + 1
        if body[close] == ")" and (
            after == len(body) or body[after] in ":=" or _is_final_question(body, after)
        ):
            return _make_constraint(text, name, body[index + 1 : close]), close + 1
        close += 1
    raise RouteTemplateError(f"route template {text!r}: constraint {name!r} lacks its ')'")


# ---- constraints ------------------------------------------------------------------------


@dataclass(frozen=True)
class _RegexConstraint:
    pattern: re.Pattern[str]

    def matches(self, value: str) -> bool:
        return self.pattern.search(value) is not None


@dataclass(frozen=True)
class _IntegerConstraint:
    """``int`` / ``long`` / ``min`` / ``max`` / ``range``: a .NET integer within bounds."""

    low: int
    high: int

    def matches(self, value: str) -> bool:
        number = _parse_dotnet_integer(value)
        return number is not None and self.low <= number <= self.high


@dataclass(frozen=True)
class _LengthConstraint:
    """Lengths count UTF-16 code units, as .NET strings do."""

    low: int
    high: int

    def matches(self, value: str) -> bool:
        return self.low <= len(value.encode("utf-16-le")) // 2 <= self.high


@dataclass(frozen=True)
class _BoolConstraint:
    def matches(self, value: str) -> bool:
        return value.strip().rstrip("\0").strip().lower() in ("true", "false")


@dataclass(frozen=True)
class _GuidConstraint:
    def matches(self, value: str) -> bool:
        return _GUID_FORMATS.fullmatch(value.strip()) is not None


_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def _make_constraint(text: str, name: str, argument: str | None) -> RouteConstraint:
    key = name.lower()
    arguments = [] if argument is None else [part.strip() for part in argument.split(",")]

    def numbers(count: int) -> list[int]:
        if len(arguments) != count:
            raise RouteTemplateError(
                f"route template {text!r}: constraint {name!r} takes {count} argument(s)"
            )
        parsed = [_parse_dotnet_integer(part) for part in arguments]
        if any(number is None for number in parsed):
            raise RouteTemplateError(f"route template {text!r}: {name}({argument}) is not valid")
        return [number for number in parsed if number is not None]

    if key == "regex":
        if argument is None:
            raise RouteTemplateError(f"route template {text!r}: regex constraint needs a pattern")
        return _RegexConstraint(_compile_dotnet_regex(text, argument))
    if key == "alpha" and argument is None:
        return _RegexConstraint(re.compile(r"^[a-z]*$", re.IGNORECASE | re.ASCII))
    if key in ("int", "long") and argument is None:
        return _IntegerConstraint(*(_INT32 if key == "int" else _INT64))
    if key == "bool" and argument is None:
        return _BoolConstraint()
    if key == "guid" and argument is None:
        return _GuidConstraint()
    if key == "min":
        return _IntegerConstraint(numbers(1)[0], _INT64[1])
    if key == "max":
        return _IntegerConstraint(_INT64[0], numbers(1)[0])
    if key == "range":
        low, high = numbers(2)
        return _IntegerConstraint(*_ordered(text, name, low, high))
    if key == "minlength":
        return _LengthConstraint(*_ordered(text, name, numbers(1)[0], 2**31 - 1))
    if key == "maxlength":
        return _LengthConstraint(*_ordered(text, name, 0, numbers(1)[0]))
    if key == "length":
        bounds = numbers(1) if len(arguments) == 1 else numbers(2)
        return _LengthConstraint(*_ordered(text, name, bounds[0], bounds[-1]))
    raise RouteTemplateError(f"route template {text!r}: unknown constraint {name!r}")


def _ordered(text: str, name: str, low: int, high: int) -> tuple[int, int]:
    if low < 0 or high < low:
        raise RouteTemplateError(f"route template {text!r}: bad bounds for {name!r}")
    return low, high


def _parse_dotnet_integer(value: str) -> int | None:
    """``long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture)``."""
    found = _DOTNET_INTEGER.fullmatch(value)
    if found is None:
        return None
    number = int(found.group(1))
    return number if _INT64[0] <= number <= _INT64[1] else None


def _compile_dotnet_regex(text: str, pattern: str) -> re.Pattern[str]:
    """.NET regex (IgnoreCase, CultureInvariant) to Python ``re``, where that is mechanical."""
    try:
        return re.compile(_translate_dotnet_regex(pattern), re.IGNORECASE)
    except re.error as error:
        raise RouteTemplateError(
            f"route template {text!r}: regex {pattern!r} is not usable here: {error}"
        ) from error


def _translate_dotnet_regex(pattern: str) -> str:
    out: list[str] = []
    index = 0
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        pair = pattern[index : index + 2]
        if char == "\\":
            if not in_class and pair == "\\z":
                out.append(r"\Z")
            elif not in_class and pair == "\\Z":
                out.append(r"(?=\n?\Z)")
            elif not in_class and (named := re.match(r"\\k<(\w+)>|\\k'(\w+)'", pattern[index:])):
                out.append(f"(?P={named.group(1) or named.group(2)})")
                index += len(named.group(0))
                continue
            else:
                out.append(pair)
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern.startswith(("[]", "[^]"), index):
                out.append(pattern[index : index + (2 if pair == "[]" else 3)])
                index += 2 if pair == "[]" else 3
                continue
        elif group := re.match(r"\(\?<(?![=!])(\w+)>|\(\?'(\w+)'", pattern[index:]):
            out.append(f"(?P<{group.group(1) or group.group(2)}>")
            index += len(group.group(0))
            continue
        out.append(char)
        index += 1
    return "".join(out)
