"""Graph-format errors.

Every failure the service reports is a ``GraphError`` raised where it is found and turned
into Graph's JSON error in exactly one place (``shared.graph.responses.render_error``)::

    GraphError (status, code, message, headers)
    ├── BadRequest                    400 BadRequest
    ├── InvalidAuthenticationToken    401 InvalidAuthenticationToken + WWW-Authenticate
    ├── AuthorizationRequestDenied    403 Authorization_RequestDenied
    ├── QuotaLimitReached             403 QuotaLimitReached (PHOTOS_PER_USER_LIMIT photos)
    ├── NotFound                      404 ResourceNotFound
    │   ├── ImageNotFound             404 ImageNotFound (no photo, no such size, no bytes)
    │   └── RequestResourceNotFound   404 Request_ResourceNotFound (a UPN no source knows)
    ├── MethodNotAllowed              405 MethodNotAllowed + Allow
    ├── NotAcceptable                 406 NotAcceptable
    ├── Conflict                      409 Conflict
    ├── PreconditionFailed            412 PreconditionFailed
    ├── RequestEntityTooLarge         413 RequestEntityTooLarge
    ├── UnsupportedMediaType          415 UnsupportedMediaType
    ├── UnprocessableEntity           422 UnprocessableEntity
    ├── FailedDependency              424 FailedDependency (a $batch item whose dependency failed)
    ├── InternalServerError           500 InternalServerError (generic message only)
    └── ServiceUnavailable            503 ServiceUnavailable + Retry-After

A message that quotes what the client sent (a path, an id, a query option, a header value)
quotes it through ``shown``: at most ``SHOWN_LENGTH`` characters of it, safe to encode as UTF-8.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

SHOWN_LENGTH: Final = 64
"""Most characters of client text a message quotes (``shown``)."""


def shown(text: str, limit: int = SHOWN_LENGTH) -> str:
    """``text`` as a message quotes it: at most ``limit`` characters (then ``…``), and lone
    surrogates (which no response could encode) written as ``\\udXXX`` escapes."""
    clipped = text if len(text) <= limit else text[: limit - 1] + "…"
    return clipped.encode("utf-8", "backslashreplace").decode("utf-8")


class GraphError(Exception):
    """A failure with the HTTP status, Graph error code and message the caller sees."""

    status: int = 500
    code: str = "InternalServerError"

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})


class BadRequest(GraphError):
    status = 400
    code = "BadRequest"


def _quote(value: str) -> str:
    """An RFC 7230 quoted-string for an auth-param value."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class InvalidAuthenticationToken(GraphError):
    """401. ``token_presented`` decides the RFC 6750 ``WWW-Authenticate`` form.

    ``authorization_uri``, as Graph's challenges carry it, is where a client gets a token (the
    tenant's authorize endpoint); clients discover the authority from it.
    """

    status = 401
    code = "InvalidAuthenticationToken"

    def __init__(
        self,
        message: str,
        *,
        token_presented: bool,
        realm: str = "graph-photos",
        authorization_uri: str | None = None,
    ) -> None:
        challenge = f"Bearer realm={_quote(realm)}"
        if authorization_uri is not None:
            challenge += f", authorization_uri={_quote(authorization_uri)}"
        if token_presented:
            challenge += f', error="invalid_token", error_description={_quote(message)}'
        super().__init__(message, headers={"WWW-Authenticate": challenge})
        self.token_presented = token_presented
        self.realm = realm

    def challenging(self, authorization_uri: str | None) -> InvalidAuthenticationToken:
        """The same error, its challenge naming ``authorization_uri`` (None: unchanged)."""
        if authorization_uri is None:
            return self
        return InvalidAuthenticationToken(
            self.message,
            token_presented=self.token_presented,
            realm=self.realm,
            authorization_uri=authorization_uri,
        )


class AuthorizationRequestDenied(GraphError):
    status = 403
    code = "Authorization_RequestDenied"

    def __init__(self, message: str = "Insufficient privileges to complete the operation.") -> None:
        super().__init__(message)


class QuotaLimitReached(GraphError):
    """403: the user has as many photos added by POST as the service keeps per user."""

    status = 403
    code = "QuotaLimitReached"


class NotFound(GraphError):
    status = 404
    code = "ResourceNotFound"


class ImageNotFound(NotFound):
    code = "ImageNotFound"


class RequestResourceNotFound(NotFound):
    """404 for a user the service cannot find (Graph's directory code)."""

    code = "Request_ResourceNotFound"


class MethodNotAllowed(GraphError):
    status = 405
    code = "MethodNotAllowed"


class NotAcceptable(GraphError):
    status = 406
    code = "NotAcceptable"


class PreconditionFailed(GraphError):
    status = 412
    code = "PreconditionFailed"


class Conflict(GraphError):
    status = 409
    code = "Conflict"


class RequestEntityTooLarge(GraphError):
    status = 413
    code = "RequestEntityTooLarge"


class UnsupportedMediaType(GraphError):
    status = 415
    code = "UnsupportedMediaType"


class UnprocessableEntity(GraphError):
    status = 422
    code = "UnprocessableEntity"


class FailedDependency(GraphError):
    status = 424
    code = "FailedDependency"


class InternalServerError(GraphError):
    status = 500
    code = "InternalServerError"

    def __init__(
        self, message: str = "An unexpected error occurred while processing the request."
    ) -> None:
        super().__init__(message)


class ServiceUnavailable(GraphError):
    """503 with an integer ``Retry-After`` (seconds)."""

    status = 503
    code = "ServiceUnavailable"

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, int(retry_after)))})
        self.retry_after = max(1, int(retry_after))
