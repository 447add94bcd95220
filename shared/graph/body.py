"""The request body of "Add photos": content type, size, JSON and the ``profilePhoto`` rules.

``parse_photo`` is a pure function from (Content-Type, bytes) to ``ProfilePhotoIn``; every
problem is a ``GraphError`` whose message says what is wrong and where:

- 415 ``UnsupportedMediaType``: no Content-Type, not ``application/json``, or a charset other
  than UTF-8 (parameters such as ``odata.metadata=minimal`` are welcome and ignored).
- 413 ``RequestEntityTooLarge``: more than ``MAX_BODY_BYTES``.
- 400 ``BadRequest``: empty, not UTF-8, not JSON (with line and column), ``NaN``/``Infinity``
  (Python's json accepts them; JSON does not), a property given twice (RFC 8259 leaves the
  meaning of duplicates open and parsers disagree on which one wins, so we refuse to guess),
  not an object, and each broken property rule, named; among them an ``id`` no URL could
  name (``.``, ``..``, ``$ref``, anything holding ``%2F``: ``shared.models.unaddressable_reason``),
  since the photo could then never be read or deleted.

A leading UTF-8 byte order mark is ignored, as RFC 8259 section 8.1 allows. Instance
annotations (OData JSON 4.01: ``@odata.context``, ``@odata.etag``, ``@odata.id``, any
``@namespace.term`` and ``property@namespace.term``) are ignored, so an object an SDK read can be
posted back; ``@odata.type`` is the one annotation checked. A name that is no annotation (no
namespace: ``@foo``) is an unknown property, still ``400``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from shared.graph.errors import BadRequest, RequestEntityTooLarge, UnsupportedMediaType, shown
from shared.limits import MAX_BODY_BYTES
from shared.models import (
    CONTROL_CHARACTER_ID,
    INT32_MAX,
    MAX_ID_LENGTH,
    PROFILE_PHOTO_TYPE,
    UNADDRESSABLE_ID,
    ProfilePhotoIn,
    is_unicode,
)

_TYPE_NAME = PROFILE_PHOTO_TYPE.removeprefix("#")
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
_BOM = b"\xef\xbb\xbf"
_JSON_WHITESPACE = " \t\r\n"
_SHOW_MAX = 40
_ANNOTATION = re.compile(r"[^@]*@[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+(?:#\w+)?")
"""``@namespace.term`` (an optional ``#qualifier``), alone or after a property name."""
_CHECKED_ANNOTATION = "@odata.type"
_NAMED_UNKNOWN = 3
"""Unknown properties named in a message; the rest are counted."""


@dataclass(frozen=True)
class _JsonFloat:
    """A JSON number with a fraction or exponent, kept as written so messages can quote it."""

    text: str


class _BadPropertyName(Exception):
    """A property given twice, or named with an unpaired surrogate; the message says which."""


class _NonFiniteNumber(Exception):
    pass


def parse_photo(content_type: str | None, body: bytes) -> ProfilePhotoIn:
    """The ``profilePhoto`` in ``body``, or a ``GraphError`` (415, 413, 400) saying what is wrong.

    The full contract is in the module docstring.
    """
    _check_content_type(content_type)
    if len(body) > MAX_BODY_BYTES:
        raise RequestEntityTooLarge(
            f"The request body is {len(body)} bytes; the limit is {MAX_BODY_BYTES} bytes."
        )
    document = _load_json(body, _PHOTO_DECODER)
    if not isinstance(document, dict):
        raise BadRequest(
            f"The request body must be a JSON object ({_TYPE_NAME}); got {_show(document)}."
        )
    properties = {
        name: value
        for name, value in document.items()
        if "@" not in name or name == _CHECKED_ANNOTATION or not _ANNOTATION.fullmatch(name)
    }
    try:
        return ProfilePhotoIn.model_validate(properties)
    except ValidationError as error:
        raise BadRequest(_describe(error)) from None


def json_document(content_type: str | None, body: bytes) -> object:
    """Any JSON document in a body (a ``$batch``), with the rules above: 415 unless JSON,
    400 for what is not strict JSON. Numbers with a fraction are ``float``s here."""
    _check_content_type(content_type)
    return _load_json(body, _DOCUMENT_DECODER)


def _check_content_type(content_type: str | None) -> None:
    if content_type is None or not content_type.strip():
        raise UnsupportedMediaType(
            "The Content-Type header is missing; send the body as application/json."
        )
    media_type, *parameters = content_type.split(";")
    if media_type.strip().lower() != "application/json":
        raise UnsupportedMediaType(
            f"Content-Type '{_clip(media_type.strip())}' is not supported; "
            "send the body as application/json."
        )
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in _UTF8_NAMES:
            raise UnsupportedMediaType(
                f"Charset '{_clip(charset)}' is not supported; send the body as "
                "application/json; charset=utf-8."
            )


def _load_json(body: bytes, decoder: json.JSONDecoder) -> object:
    try:
        text = body.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(
            f"The request body is not valid UTF-8 (at byte {error.start}); send UTF-8 JSON."
        ) from None
    if not text.strip(_JSON_WHITESPACE):
        raise BadRequest(
            f"The request body is empty; send a {_TYPE_NAME} JSON object, "
            'e.g. {"height": 6, "width": 5}.'
        )
    try:
        if text.startswith("\ufeff"):  # a second BOM, refused as json.loads refuses it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return decoder.decode(text)
    except json.JSONDecodeError as error:
        raise BadRequest(
            f"The request body is not valid JSON: {error.msg} "
            f"at line {error.lineno}, column {error.colno}."
        ) from None
    except _NonFiniteNumber:
        raise BadRequest(
            "The request body is not valid JSON: NaN and Infinity are not JSON numbers."
        ) from None
    except _BadPropertyName as error:
        raise BadRequest(str(error)) from None
    except RecursionError:
        raise BadRequest("The request body is not valid JSON: it is nested too deeply.") from None
    except ValueError:  # e.g. an integer with more digits than Python converts
        raise BadRequest("The request body is not valid JSON: a number is too long.") from None


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for name, value in pairs:
        if not is_unicode(name):
            raise _BadPropertyName(
                f"Property name '{_clip(name)}' is not valid Unicode: "
                "it contains an unpaired surrogate."
            )
        if name in document:
            raise _BadPropertyName(
                f"Property '{_clip(name)}' appears more than once; send each property once."
            )
        document[name] = value
    return document


def _reject_constant(_name: str) -> object:
    raise _NonFiniteNumber


_PHOTO_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates,
    parse_constant=_reject_constant,
    parse_float=_JsonFloat,
)
"""Strict JSON for a ``profilePhoto``: numbers with a fraction kept as written."""
_DOCUMENT_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates, parse_constant=_reject_constant
)
"""Strict JSON for any document: numbers with a fraction are ``float``s."""


def _describe(error: ValidationError) -> str:
    """One sentence per problem: unknown properties first, then the known ones in order."""
    problems = error.errors(include_url=False)
    unknown = [p for p in problems if p["type"] == "extra_forbidden"]
    known = [p for p in problems if p["type"] != "extra_forbidden"]
    return " ".join(_unknown(unknown) + [_explain(p) for p in known])


def _unknown(problems: list[ErrorDetails]) -> list[str]:
    """The first few unknown properties by name, then how many more there are."""
    sentences = [
        f"Property '{_property(p)}' does not exist on type '{_TYPE_NAME}'."
        for p in problems[:_NAMED_UNKNOWN]
    ]
    if len(problems) > _NAMED_UNKNOWN:
        sentences.append(f"{len(problems) - _NAMED_UNKNOWN} more properties do not exist on it.")
    return sentences


def _explain(problem: ErrorDetails) -> str:
    name = _property(problem)
    kind = problem["type"]
    got = _show(problem["input"])
    if name in ("height", "width"):
        rule = f"a JSON integer between 1 and {INT32_MAX}"
        if kind == "missing":
            return f"Property '{name}' is required: {rule}."
        return f"Property '{name}' must be {rule}; got {got}."
    if name == "@odata.type":
        return f"Property '@odata.type' must be '{PROFILE_PHOTO_TYPE}' when present; got {got}."
    if name == "id":
        if kind == "string_too_short":
            return "Property 'id' must not be empty; leave it out to let the service choose one."
        if kind == "string_too_long":
            length = len(problem["input"])
            return f"Property 'id' must be at most {MAX_ID_LENGTH} characters; got {length}."
        if kind == "string_unicode":
            return "Property 'id' must be valid Unicode; it contains an unpaired surrogate."
        if kind in (UNADDRESSABLE_ID, CONTROL_CHARACTER_ID):
            return problem["msg"]
        return f"Property 'id' must be a JSON string; got {got}."
    return f"Property '{name}' is invalid: {problem['msg']}."


def _property(problem: ErrorDetails) -> str:
    return _clip(".".join(str(part) for part in problem["loc"]))


def _show(value: object) -> str:
    """``value`` as the client wrote it in JSON, shortened for a message."""
    if isinstance(value, _JsonFloat):
        return _clip(value.text)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return _clip(json.dumps(value, ensure_ascii=False))


def _clip(text: str) -> str:
    return shown(text, _SHOW_MAX)
