"""Route template syntax: the text of an ASP.NET Core route template, parsed into segments.

``parse_template("api/items/{id:int:min(1)}/{*rest}")`` gives literal segments and parameters
(``{name}``, ``{name?}``, ``{name=default}``, ``{*rest}`` / ``{**rest}``, each with its inline
constraints from ``devtools.route_constraints``), or raises ``RouteTemplateError`` for a template
the Functions host would refuse. ``{{`` and ``}}`` escape braces. Complex segments
(``{a}.{b}``) are not used by this app and are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from devtools.route_constraints import ConstraintError, RouteConstraint, make_constraint

_FORBIDDEN_NAME_CHARS = frozenset("{}/?*:=")


class RouteTemplateError(ValueError):
    """A route template the Functions host would refuse; the message says why."""


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


def parse_template(text: str) -> tuple[Segment, ...]:
    """The segments of the template ``text``; ``RouteTemplateError`` if the host would refuse it."""
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
        return _constraint(text, name, None), index
    close = index + 1
    while close < len(body):
        after = close + 1
        if body[close] == ")" and (
            after == len(body) or body[after] in ":=" or _is_final_question(body, after)
        ):
            return _constraint(text, name, body[index + 1 : close]), close + 1
        close += 1
    raise RouteTemplateError(f"route template {text!r}: constraint {name!r} lacks its ')'")


def _constraint(text: str, name: str, argument: str | None) -> RouteConstraint:
    """``make_constraint``, its refusal reported as the template's."""
    try:
        return make_constraint(name, argument)
    except ConstraintError as error:
        raise RouteTemplateError(f"route template {text!r}: {error}") from error
