"""What a Table Storage failure means for the caller: transient, refused credentials, or neither.

Plain functions over azure-core's ``HttpResponseError``; ``PhotoStore`` uses them to turn
failures into ``ServiceUnavailable`` (503 + Retry-After) or ``InternalServerError`` (500), and
to summarise them in log lines (status, error code, and a bounded message naming no secret).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError

from shared.graph.errors import ServiceUnavailable

RETRY_AFTER: Final = 5
"""Retry-After (seconds) sent with a 503 when storage gave none."""
MAX_RETRY_AFTER: Final = 120
"""Storage's own Retry-After is passed on, but never more than this many seconds."""

_TRANSIENT_500_CODES: Final = frozenset({"OperationTimedOut", "InternalError"})
_MESSAGE_LOG_MAX: Final = 500


def unavailable(retry_after: int) -> ServiceUnavailable:
    """The 503 for storage that is unreachable, slow or throttling."""
    return ServiceUnavailable(
        "The photo store is temporarily unavailable; try again later.", retry_after=retry_after
    )


def error_code(error: HttpResponseError) -> str | None:
    """Table Storage's error code (``TableAlreadyExists``, ...), from the error or its header."""
    code = getattr(error, "error_code", None)
    if code is None:
        code = _header(error, "x-ms-error-code")
    return None if code is None else str(getattr(code, "value", code))


def is_refused_credential(error: HttpResponseError) -> bool:
    """Storage (401/403) or the identity endpoint refused the service's own credentials."""
    return isinstance(error, ClientAuthenticationError) or error.status_code in (401, 403)


def is_transient(error: HttpResponseError) -> bool:
    """Throttling, unavailable or timed out: worth trying again later."""
    status = error.status_code
    if status in (429, 503, 504):
        return True
    return status == 500 and error_code(error) in _TRANSIENT_500_CODES


def retry_after(error: HttpResponseError) -> int:
    """Storage's Retry-After in seconds (bounded to 1..``MAX_RETRY_AFTER``), else ``RETRY_AFTER``."""
    header = _header(error, "Retry-After")
    if header is not None and header.strip().isdigit():
        return max(1, min(int(header), MAX_RETRY_AFTER))
    return RETRY_AFTER


def summary(error: AzureError, *, with_message: bool = False) -> str:
    """For a log line: the error's type, or its status and error code; its message if asked."""
    text = type(error).__name__
    if isinstance(error, HttpResponseError) and error.status_code is not None:
        text = f"{error.status_code} {error_code(error)}"
    if with_message:
        message = " ".join(str(error.message).split())
        text += f": {message[:_MESSAGE_LOG_MAX]}"
    return text


def _header(error: HttpResponseError, name: str) -> str | None:
    headers: Mapping[str, str] | None = getattr(error.response, "headers", None)
    return None if headers is None else headers.get(name)
