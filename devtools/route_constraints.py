"""Inline route constraints (``int``, ``min(1)``, ``regex(...)``, ...) with ASP.NET Core's rules.

``make_constraint`` builds the check for one constraint of a route parameter, by name and
argument as written in the template. Numbers parse like .NET's ``long.TryParse``, lengths count
UTF-16 code units, and a ``regex`` pattern is translated from .NET to Python ``re`` where that
is mechanical (``\\z``, ``\\Z``, named groups and back-references, ``[]`` at a class start).
A constraint the host would refuse raises ``ConstraintError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

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
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


class ConstraintError(ValueError):
    """An inline constraint the Functions host would refuse; the message says why."""


class RouteConstraint(Protocol):
    def matches(self, value: str) -> bool: ...


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


def make_constraint(name: str, argument: str | None) -> RouteConstraint:
    """The constraint ``name`` (``argument``: what its parentheses hold, if it has them)."""
    key = name.lower()
    arguments = [] if argument is None else [part.strip() for part in argument.split(",")]

    def numbers(count: int) -> list[int]:
        if len(arguments) != count:
            raise ConstraintError(f"constraint {name!r} takes {count} argument(s)")
        parsed = [_parse_dotnet_integer(part) for part in arguments]
        if any(number is None for number in parsed):
            raise ConstraintError(f"{name}({argument}) is not valid")
        return [number for number in parsed if number is not None]

    if key == "regex":
        if argument is None:
            raise ConstraintError("regex constraint needs a pattern")
        return _RegexConstraint(_compile_dotnet_regex(argument))
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
        return _IntegerConstraint(*_ordered(name, low, high))
    if key == "minlength":
        return _LengthConstraint(*_ordered(name, numbers(1)[0], 2**31 - 1))
    if key == "maxlength":
        return _LengthConstraint(*_ordered(name, 0, numbers(1)[0]))
    if key == "length":
        bounds = numbers(1) if len(arguments) == 1 else numbers(2)
        return _LengthConstraint(*_ordered(name, bounds[0], bounds[-1]))
    raise ConstraintError(f"unknown constraint {name!r}")


def _ordered(name: str, low: int, high: int) -> tuple[int, int]:
    if low < 0 or high < low:
        raise ConstraintError(f"bad bounds for {name!r}")
    return low, high


def _parse_dotnet_integer(value: str) -> int | None:
    """``long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture)``."""
    found = _DOTNET_INTEGER.fullmatch(value)
    if found is None:
        return None
    number = int(found.group(1))
    return number if _INT64[0] <= number <= _INT64[1] else None


def _compile_dotnet_regex(pattern: str) -> re.Pattern[str]:
    """.NET regex (IgnoreCase, CultureInvariant) to Python ``re``, where that is mechanical."""
    try:
        return re.compile(_translate_dotnet_regex(pattern), re.IGNORECASE)
    except re.error as error:
        raise ConstraintError(f"regex {pattern!r} is not usable here: {error}") from error


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
