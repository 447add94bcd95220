"""The answer to a ``$batch`` request: each operation's ETag, or the exception the SDK raises.

Read as azure-data-tables 12.7's ``_batch_send`` reads it (``response.parts()`` and
``_error._decode_error``), without azure-core's multipart parser (the standard library's
``email`` package):

- 202 with every part 2xx: one mapping per operation, ``{"etag": ...}`` where the part had an
  ETag (a delete has none);
- 202 with a failed part: ``TableTransactionError`` for the first failed part (its
  ``status_code``, ``error_code`` from ``odata.error.code``, and ``index`` from the ``n:`` that
  starts the message), or ``RequestTooLargeError`` if that part is a 413;
- 413: ``RequestTooLargeError``;
- any other status (a table that does not exist, refused credentials ...): what the SDK maps
  the error code to (``ResourceNotFoundError``, ``ClientAuthenticationError``,
  ``ResourceExistsError``, ``ResourceModifiedError``, else ``HttpResponseError``), with
  ``error_code`` a ``TableErrorCode`` where the code is one.

The SDK's checks of an invalid table name (a ``ValueError`` naming the rule) are not made: the
table's name is the service's own setting, and the service's error is raised instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.core.pipeline.policies import ContentDecodePolicy
from azure.core.utils import case_insensitive_dict
from azure.data.tables import RequestTooLargeError, TableErrorCode, TableTransactionError

_TOO_LARGE: Final = "The transaction request was too large"
_HEADER_END: Final = re.compile(rb"\r?\n\r?\n")
_BOUNDARY: Final = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)

_ERROR_TYPES: Final[dict[str, type[HttpResponseError]]] = {
    TableErrorCode.CONDITION_NOT_MET: ResourceModifiedError,
    TableErrorCode.UPDATE_CONDITION_NOT_SATISFIED: ResourceModifiedError,
    TableErrorCode.INVALID_AUTHENTICATION_INFO: ClientAuthenticationError,
    TableErrorCode.AUTHENTICATION_FAILED: ClientAuthenticationError,
    TableErrorCode.RESOURCE_NOT_FOUND: ResourceNotFoundError,
    TableErrorCode.TABLE_NOT_FOUND: ResourceNotFoundError,
    TableErrorCode.ENTITY_NOT_FOUND: ResourceNotFoundError,
    TableErrorCode.RESOURCE_ALREADY_EXISTS: ResourceExistsError,
    TableErrorCode.TABLE_ALREADY_EXISTS: ResourceExistsError,
    TableErrorCode.ACCOUNT_ALREADY_EXISTS: ResourceExistsError,
    TableErrorCode.ENTITY_ALREADY_EXISTS: ResourceExistsError,
}
"""The SDK's ``_decode_error``: the exception for a (non-transaction) error code."""


class Part:
    """One operation's response inside the batch: what an error's ``response`` offers."""

    def __init__(self, status_code: int, reason: str, headers: Mapping[str, str], body: bytes):
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        self.content = body

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")

    def text(self, encoding: str | None = None) -> str:
        return self.content.decode(encoding or "utf-8", errors="replace")

    def body(self) -> bytes:
        return self.content


def batch_results(response: Any) -> list[dict[str, str]]:
    """Each operation's ``{"etag": ...}`` from the read ``$batch`` ``response``; the SDK's
    exception if the batch or one of its operations failed."""
    if response.status_code == 413:
        raise decode_error(response, RequestTooLargeError, _TOO_LARGE)
    if response.status_code != 202:
        raise decode_error(response)
    parts = parse_parts(response.headers.get("Content-Type", ""), response.content)
    for part in parts:
        if not 200 <= part.status_code < 300:
            if part.status_code == 413:
                raise decode_error(response, RequestTooLargeError, _TOO_LARGE)
            raise decode_error(part, TableTransactionError)
    return [{"etag": part.headers["ETag"]} if "ETag" in part.headers else {} for part in parts]


def parse_parts(content_type: str, body: bytes) -> list[Part]:
    """The HTTP responses in a ``multipart/mixed`` body, changesets flattened, in order."""
    boundary = _BOUNDARY.search(content_type)
    if boundary is None:
        raise HttpResponseError(message=f"A $batch response without a boundary: {content_type}")
    delimiter = b"--" + boundary.group(1).encode()
    parts: list[Part] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        headers, content = _split(chunk.lstrip(b"\r\n"))
        kind = headers.get("Content-Type", "")
        if kind.lower().startswith("multipart/mixed"):
            parts += parse_parts(kind, content)
        else:
            parts.append(_http_response(content))
    return parts


def _split(message: bytes) -> tuple[Mapping[str, str], bytes]:
    """A MIME part's (or an HTTP message's) headers and body."""
    end = _HEADER_END.search(message)
    head, body = (message, b"") if end is None else (message[: end.start()], message[end.end() :])
    headers = case_insensitive_dict()
    for line in head.decode("latin-1").splitlines():
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip()] = value.strip()
    return headers, body


def _http_response(message: bytes) -> Part:
    """An ``application/http`` part: ``HTTP/1.1 <status> <reason>``, headers, body."""
    status_line, _, rest = message.partition(b"\n")
    fields = status_line.decode("latin-1").split(None, 2)
    if len(fields) < 2 or not fields[1].isdigit():
        raise HttpResponseError(message=f"An unreadable $batch response part: {status_line!r}")
    headers, body = _split(rest)
    if body.endswith(b"\r\n"):
        body = body[:-2]  # the line break before the next delimiter
    return Part(int(fields[1]), fields[2].strip() if len(fields) > 2 else "", headers, body)


def decode_error(
    response: Any, error_type: type[HttpResponseError] | None = None, message: str | None = None
) -> HttpResponseError:
    """The SDK's ``_decode_error``: the exception for an error response (or part), its
    ``error_code`` and message from the ``odata.error`` body (or the ``x-ms-error-code``)."""
    code: Any = response.headers.get("x-ms-error-code")
    additional: dict[str, Any] = {}
    try:
        text = response.text()
        mime = (response.content_type or "application/json").split(";")[0].strip().lower()
        error_body = ContentDecodePolicy.deserialize_from_text(text, mime, response=response)
    except DecodeError:
        error_body = None
    try:
        if isinstance(error_body, dict):
            odata = error_body.get("odata.error", {})
            for info in odata:
                if info == "code":
                    code = odata[info]
                elif info == "message":
                    message = odata[info]["value"]
                else:
                    additional[info.tag] = info.text  # as the SDK: fails, the body is the message
        elif error_body:  # XML
            for info in error_body.iter():
                if "code" in info.tag.lower():
                    code = info.text
                elif "message" in info.tag.lower():
                    message = info.text
                else:
                    additional[info.tag] = info.text
    except AttributeError:
        message = str(error_body)
    if error_type is None:
        error_type = HttpResponseError
        try:
            code = TableErrorCode(code)
            error_type = _ERROR_TYPES.get(code, HttpResponseError)
        except ValueError:
            pass
    text = f"{message}\nErrorCode:{getattr(code, 'value', code)}"
    for name, info in additional.items():
        text += f"\n{name}:{info}"
    error = error_type(message=text, response=response)
    error.error_code = code  # type: ignore[attr-defined]
    error.additional_info = additional  # type: ignore[attr-defined]
    return error
