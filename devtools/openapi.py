"""Builds the OpenAPI 3.1 description of the service: ``python -m devtools.openapi [--check]``.

The document is written to ``shared/openapi.json`` (deployed with the app and served at
``GET /api/openapi.json``); ``--check`` writes nothing and exits 1 when the file is out of date,
as does a unit test. Limits, error codes and query options come from the code that enforces
them (``shared.graph.body``, ``shared.graph.query``, ``shared.graph.errors``, …), so a change there shows up here.

Design notes:

- ``servers`` is the relative ``/api`` (host.json's route prefix): the same document works
  locally and in Azure, resolved against wherever it was fetched from. ``/api/v1.0`` and
  ``/api/beta`` follow as further servers (every path is served under each), not as path
  variants: the paths stay Graph's, and a tool that takes the first server tests ``/api``.
- Every operation needs a bearer token (the global ``security``), except the document's own
  route. The scopes and roles each operation accepts are in its description: an ``http``
  bearer scheme has no scopes of its own.
- Each error response's schema pins its Graph error ``code`` (``BadRequest`` for 400, …).
- ``$select``ed responses hold ``@odata.type`` and the selected properties, so only the ``201``
  of "Add photos" requires every property.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, Final

from shared.graph import errors
from shared.graph.query import MAX_TOP, SELECTABLE
from shared.graph.responses import CLIENT_REQUEST_ID_PATTERN
from shared.idempotency import HEADER as IDEMPOTENCY_HEADER
from shared.idempotency import MAX_KEY_LENGTH
from shared.limits import (
    MAX_BATCH_BODY_BYTES,
    MAX_BATCH_REQUESTS,
    MAX_BODY_BYTES,
    MAX_IMAGE_BYTES,
)
from shared.models import CONTROL_CHARACTERS_PATTERN, INT32_MAX, MAX_ID_LENGTH, PROFILE_PHOTO_TYPE
from shared.openapi import DOCUMENT_PATH
from shared.routes import ROUTES, VERSIONS

OPENAPI_VERSION: Final = "3.1.1"
API_VERSION: Final = "0.1.0"
"""``info.version``: the project's version (pyproject.toml; a unit test keeps them equal)."""
SERVER_URL: Final = "/api"
"""host.json's route prefix, relative to the document's own URL (a unit test checks it)."""

Json = dict[str, Any]

_SCHEMAS = "#/components/schemas/"
_BEARER = "bearerAuth"


def _ref(kind: str, name: str) -> Json:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json_content(schema: Json) -> Json:
    return {"application/json": {"schema": schema}}


# ---- schemas ------------------------------------------------------------------------------

_PHOTO_PROPERTIES: Final[Json] = {
    "@odata.type": {"type": "string", "const": PROFILE_PHOTO_TYPE},
    "@odata.mediaContentType": {"type": "string", "const": "image/jpeg"},
    "@odata.mediaEtag": {"type": "string", "pattern": '^"[^"]+"$'},
    "id": {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH},
    "height": {"type": "integer", "format": "int32", "minimum": 1, "maximum": INT32_MAX},
    "width": {"type": "integer", "format": "int32", "minimum": 1, "maximum": INT32_MAX},
}
_MEDIA_ANNOTATIONS: Final = frozenset({"@odata.mediaContentType", "@odata.mediaEtag"})
"""Only a photo with bytes has them."""
_REF_PATTERN: Final = r"^\$[Rr][Ee][Ff]$"
_UNADDRESSABLE_ID: Final[Json] = {
    "type": "string",
    "anyOf": [
        {"enum": [".", ".."]},
        {"pattern": _REF_PATTERN},
        {"pattern": "%2[Ff]"},
        {"pattern": CONTROL_CHARACTERS_PATTERN},
    ],
}
"""The ids "Add photos" refuses: those no URL can name, and control characters (``shared.models``)."""
_NO_CONTROL_CHARACTERS: Final[Json] = {"not": {"pattern": CONTROL_CHARACTERS_PATTERN}}
_CONTEXT: Final[Json] = {
    "type": "string",
    "description": "The OData context URL of the response (absolute).",
}


def _schemas() -> Json:
    return {
        "ProfilePhotoInput": {
            "type": "object",
            "description": (
                "The body of Add photos. Strict: JSON types only (a JSON integer for height "
                'and width: not `6.0`, not `"6"`), no other property, each property once, '
                f"at most {MAX_BODY_BYTES} bytes. `null` for `@odata.type` or `id` is the same "
                "as leaving it out; without `id` the service makes one (a GUID, or with an "
                f"{IDEMPOTENCY_HEADER} one derived from the key)."
            ),
            "properties": {
                "@odata.type": {"enum": [PROFILE_PHOTO_TYPE, None]},
                "id": {
                    "type": ["string", "null"],
                    "minLength": 1,
                    "maxLength": MAX_ID_LENGTH,
                    "not": _UNADDRESSABLE_ID,
                    "description": (
                        "Any Unicode text except what no URL could name, so the photo could "
                        "never be read or deleted: `.`, `..`, `$ref` (any case) and text "
                        "holding `%2F` (any case: it reads as `/` in a path); nor control "
                        "characters (U+0000-U+001F, U+007F-U+009F). An id the user already "
                        "has is 409."
                    ),
                },
                "height": _PHOTO_PROPERTIES["height"],
                "width": _PHOTO_PROPERTIES["width"],
            },
            "required": ["height", "width"],
            "additionalProperties": False,
            "example": {"@odata.type": PROFILE_PHOTO_TYPE, "height": 6, "width": 5},
        },
        "ProfilePhoto": {
            "type": "object",
            "description": (
                "A stored photo (microsoft.graph.profilePhoto). Every property is present "
                "unless `$select` names some: then `@odata.type` and the selected ones."
            ),
            "properties": _PHOTO_PROPERTIES,
            "required": ["@odata.type"],
            "additionalProperties": False,
        },
        "ProfilePhotoCreated": {
            "type": "object",
            "description": (
                "The photo Add photos stored, with its OData context; it has no bytes yet, so "
                "no `@odata.mediaContentType` / `@odata.mediaEtag`."
            ),
            "properties": {"@odata.context": _CONTEXT, **_PHOTO_PROPERTIES},
            "required": [
                "@odata.context",
                *(p for p in _PHOTO_PROPERTIES if p not in _MEDIA_ANNOTATIONS),
            ],
            "additionalProperties": False,
        },
        "ProfilePhotoEntity": {
            "type": "object",
            "description": "One photo with its OData context (`$select` as in ProfilePhoto).",
            "properties": {"@odata.context": _CONTEXT, **_PHOTO_PROPERTIES},
            "required": ["@odata.context", "@odata.type"],
            "additionalProperties": False,
        },
        "ProfilePhotoCollection": {
            "type": "object",
            "description": (
                "One page of a user's photos, oldest first. `@odata.nextLink` (absolute, with "
                "the request's other query options) is there when more photos follow."
            ),
            "properties": {
                "@odata.context": _CONTEXT,
                "@odata.nextLink": {"type": "string"},
                "value": {"type": "array", "items": {"$ref": f"{_SCHEMAS}ProfilePhoto"}},
            },
            "required": ["@odata.context", "value"],
            "additionalProperties": False,
        },
        "ODataError": {
            "type": "object",
            "description": "Microsoft Graph's error format: every error response has it.",
            "properties": {"error": {"$ref": f"{_SCHEMAS}MainError"}},
            "required": ["error"],
            "additionalProperties": False,
        },
        "MainError": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "innerError": {"$ref": f"{_SCHEMAS}InnerError"},
            },
            "required": ["code", "message", "innerError"],
            "additionalProperties": False,
        },
        "InnerError": {
            "type": "object",
            "properties": {
                "date": {
                    "type": "string",
                    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$",
                    "description": "When the error happened, UTC, to the second, no offset.",
                },
                "request-id": {"type": "string", "format": "uuid"},
                "client-request-id": {"type": "string"},
            },
            "required": ["date", "request-id", "client-request-id"],
            "additionalProperties": False,
        },
        "OpenApiDocument": {
            "type": "object",
            "properties": {"openapi": {"type": "string", "pattern": r"^3\.1\.\d+$"}},
            "required": ["openapi", "info", "paths"],
        },
    }


# ---- parameters and headers ---------------------------------------------------------------


def _parameters() -> Json:
    return {
        "user": {
            "name": "user",
            "in": "path",
            "required": True,
            "description": (
                "The user: an object id or a userPrincipalName (a guest's `…#EXT#@…` "
                "included). The caller's own id or UPN names the same user as `/me`. "
                "Control characters (U+0000-U+001F, U+007F-U+009F) are 400."
            ),
            "schema": {"type": "string", "minLength": 1, **_NO_CONTROL_CHARACTERS},
        },
        "photoId": {
            "name": "photo-id",
            "in": "path",
            "required": True,
            "description": (
                "The photo's id (`$ref` is not a photo id; control characters are 400)."
            ),
            "schema": {
                "type": "string",
                "minLength": 1,
                "not": {
                    "anyOf": [{"pattern": _REF_PATTERN}, {"pattern": CONTROL_CHARACTERS_PATTERN}]
                },
            },
        },
        "top": {
            "name": "$top",
            "in": "query",
            "description": "How many photos per page (default 100).",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_TOP},
        },
        "skiptoken": {
            "name": "$skiptoken",
            "in": "query",
            "description": (
                "Where the page starts: copy it from `@odata.nextLink`, never make one. "
                "Anything the service did not make is 400."
            ),
            "schema": {"type": "string"},
        },
        "select": {
            "name": "$select",
            "in": "query",
            "description": (
                "The properties to return, comma-separated (names are case-insensitive); "
                "`@odata.type` is always there."
            ),
            "style": "form",
            "explode": False,
            "schema": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "enum": list(SELECTABLE)},
            },
        },
        "idempotencyKey": {
            "name": IDEMPOTENCY_HEADER,
            "in": "header",
            "description": (
                f"Makes the POST safe to repeat: 1 to {MAX_KEY_LENGTH} printable ASCII "
                'characters, as an sf-string (`"…"`, with `\\"` and `\\\\` escapes) or bare. '
                "A repeat with the same key and body returns the photo the first request "
                "created (201, nothing new stored); the same key with another body is 422."
            ),
            "schema": {
                "type": "string",
                "pattern": (
                    rf"^(?:[!#-~]{{1,{MAX_KEY_LENGTH}}}"
                    rf'|"(?:[ !#-\[\]-~]|\\["\\]){{1,{MAX_KEY_LENGTH}}}")$'
                ),
            },
        },
        "ifMatch": {
            "name": "If-Match",
            "in": "header",
            "description": "Write or delete only if the photo's ETag is one of these (or `*`).",
            "schema": {"type": "string"},
        },
        "ifNoneMatch": {
            "name": "If-None-Match",
            "in": "header",
            "description": "`304 Not Modified`, without the bytes, if the ETag is one of these.",
            "schema": {"type": "string"},
        },
        "clientRequestId": {
            "name": "client-request-id",
            "in": "header",
            "description": (
                "The caller's id for the request, echoed in the `client-request-id` response "
                "header and in errors when it matches the header's pattern; otherwise the "
                "request-id stands in."
            ),
            "schema": {"type": "string"},
        },
    }


def _headers() -> Json:
    return {
        "request-id": {
            "description": "A new GUID for every response.",
            "required": True,
            "schema": {"type": "string", "format": "uuid"},
        },
        "client-request-id": {
            "description": "The request's client-request-id when valid, else the request-id.",
            "required": True,
            "schema": {"type": "string", "pattern": CLIENT_REQUEST_ID_PATTERN},
        },
        "Location": {
            "description": "The URL of the new photo.",
            "required": True,
            "schema": {"type": "string"},
        },
        "WWW-Authenticate": {
            "description": 'RFC 6750 challenge: `Bearer realm="…"`, then (with `AUTH_TENANT_ID`) '
            '`authorization_uri="…"`, the tenant\'s authorize endpoint, as Graph sends it, and '
            '`error="invalid_token"` when a token was presented.',
            "required": True,
            "schema": {"type": "string", "pattern": "^Bearer "},
        },
        "ETag": {
            "description": "The strong entity tag of the photo's bytes.",
            "required": True,
            "schema": {"type": "string", "pattern": '^"[^"]+"$'},
        },
        "Cache-Control": {
            "description": "`private`: the user's own photo, for browsers, not shared caches.",
            "required": True,
            "schema": {"type": "string", "const": "private"},
        },
        "Allow": {
            "description": "The methods served at this path.",
            "required": True,
            "schema": {"type": "string"},
        },
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        },
    }


_IDS: Final[Json] = {
    "request-id": _ref("headers", "request-id"),
    "client-request-id": _ref("headers", "client-request-id"),
}


# ---- responses ----------------------------------------------------------------------------

_ERRORS: Final[dict[str, tuple[type[errors.GraphError], str, tuple[str, ...]]]] = {
    # component name: (error class, description, extra headers)
    "BadRequest": (
        errors.BadRequest,
        "The request is malformed: the body, a query option, a header, or `/me` with an "
        "app-only token. The message says what and where.",
        (),
    ),
    "Unauthorized": (
        errors.InvalidAuthenticationToken,
        "No bearer token, or one that is malformed, badly signed, expired, or for another "
        "audience, issuer or tenant.",
        ("WWW-Authenticate",),
    ),
    "Forbidden": (
        errors.AuthorizationRequestDenied,
        "The token is valid but grants no permission for this operation on this user.",
        (),
    ),
    "NotFound": (errors.NotFound, "No such photo (or user path).", ()),
    "ImageNotFound": (
        errors.ImageNotFound,
        "No profile photo, no such size, or a photo added by POST that has no bytes yet.",
        (),
    ),
    "MethodNotAllowed": (
        errors.MethodNotAllowed,
        "The sizes are made from the profile photo and are read-only.",
        ("Allow",),
    ),
    "NotAcceptable": (
        errors.NotAcceptable,
        "`Accept` admits nothing this resource is served as (`application/json`; for "
        "bytes `image/jpeg` or `application/octet-stream`).",
        (),
    ),
    "PreconditionFailed": (
        errors.PreconditionFailed,
        "`If-Match` names another ETag than the photo's (or there is no photo yet).",
        (),
    ),
    "Conflict": (errors.Conflict, "The user already has a photo with this id.", ()),
    "PayloadTooLarge": (
        errors.RequestEntityTooLarge,
        f"The body is over {MAX_BODY_BYTES} bytes.",
        (),
    ),
    "UnsupportedMediaType": (
        errors.UnsupportedMediaType,
        "The body is not `application/json` (UTF-8).",
        (),
    ),
    "UnprocessableEntity": (
        errors.UnprocessableEntity,
        f"The {IDEMPOTENCY_HEADER} was used before with another body.",
        (),
    ),
    "InternalServerError": (
        errors.InternalServerError,
        "Something unexpected: a generic message and the request-id, never details.",
        (),
    ),
    "ServiceUnavailable": (
        errors.ServiceUnavailable,
        "Storage (or the token issuer's keys) cannot be reached or is throttling; retry "
        "after `Retry-After` seconds.",
        ("Retry-After",),
    ),
}


def _error_responses() -> Json:
    responses: Json = {}
    for name, (error, description, extra_headers) in _ERRORS.items():
        schema = {
            "$ref": f"{_SCHEMAS}ODataError",
            "properties": {"error": {"properties": {"code": {"const": error.code}}}},
        }
        headers = {header: _ref("headers", header) for header in extra_headers}
        responses[name] = {
            "description": f"{error.status} {error.code}: {description}",
            "headers": {**headers, **_IDS},
            "content": _json_content(schema),
        }
    return responses


def _status_of(name: str) -> str:
    return str(_ERRORS[name][0].status)


def _errors(*names: str) -> Json:
    return {_status_of(name): _ref("responses", name) for name in names}


# ---- operations ---------------------------------------------------------------------------

_ADD_PERMISSIONS = (
    "Permissions: delegated `ProfilePhoto.ReadWrite.All` or `User.ReadWrite.All` (or "
    "`User.ReadWrite` for the caller's own photos); application `ProfilePhoto.ReadWrite.All` "
    "or `User.ReadWrite.All`."
)
_READ_PERMISSIONS = (
    "Permissions: any that may add, or delegated `User.ReadBasic.All`, `User.Read.All`, "
    "`ProfilePhoto.Read.All` (and `User.Read` for the caller's own photos); application "
    "`User.Read.All` or `ProfilePhoto.Read.All`."
)
_ME_NOTE = " `/me` is the signed-in user: delegated tokens only (app-only is 400)."


def _operation(
    operation_id: str,
    summary: str,
    description: str,
    parameters: Sequence[str],
    responses: Json,
    *,
    request_body: Json | None = None,
) -> Json:
    operation: Json = {
        "operationId": operation_id,
        "tags": ["photos"],
        "summary": summary,
        "description": description,
        "parameters": [_ref("parameters", name) for name in (*parameters, "clientRequestId")],
    }
    if request_body is not None:
        operation["requestBody"] = request_body
    operation["responses"] = responses
    return operation


def _add(operation_id: str, for_me: bool, as_ref: bool) -> Json:
    description = (
        "Add a photo (Graph beta *Add photos*). "
        + ("The `/$ref` form does the same. " if as_ref else "")
        + _ADD_PERMISSIONS
        + (_ME_NOTE if for_me else "")
    )
    created = {
        "description": "The stored photo.",
        "headers": {"Location": _ref("headers", "Location"), **_IDS},
        "content": _json_content({"$ref": f"{_SCHEMAS}ProfilePhotoCreated"}),
    }
    body = {
        "required": True,
        "content": _json_content({"$ref": f"{_SCHEMAS}ProfilePhotoInput"}),
    }
    return _operation(
        operation_id,
        "Add a photo" + (" (the /$ref form)" if as_ref else ""),
        description,
        ([] if for_me else ["user"]) + ["idempotencyKey"],
        {
            "201": created,
            **_errors("BadRequest", "Unauthorized", "Forbidden"),
            **({} if for_me else _errors("NotFound")),
            **_errors(
                "NotAcceptable",
                "Conflict",
                "PayloadTooLarge",
                "UnsupportedMediaType",
                "UnprocessableEntity",
                "InternalServerError",
                "ServiceUnavailable",
            ),
        },
        request_body=body,
    )


def _list(operation_id: str, for_me: bool) -> Json:
    ok = {
        "description": "A page of the user's photos.",
        "headers": dict(_IDS),
        "content": _json_content({"$ref": f"{_SCHEMAS}ProfilePhotoCollection"}),
    }
    return _operation(
        operation_id,
        "List photos",
        "The user's photos, oldest first, in pages. Unknown system query options are 400; "
        "the `$` may be left out and names compare case-insensitively (`top=1`, `$TOP=1`). "
        + _READ_PERMISSIONS
        + (_ME_NOTE if for_me else ""),
        ([] if for_me else ["user"]) + ["top", "skiptoken", "select"],
        {
            "200": ok,
            **_errors("BadRequest", "Unauthorized", "Forbidden"),
            **({} if for_me else _errors("NotFound")),
            **_errors("NotAcceptable", "InternalServerError", "ServiceUnavailable"),
        },
    )


def _get(operation_id: str, for_me: bool) -> Json:
    ok = {
        "description": "The photo.",
        "headers": dict(_IDS),
        "content": _json_content({"$ref": f"{_SCHEMAS}ProfilePhotoEntity"}),
    }
    return _operation(
        operation_id,
        "Get a photo",
        "One photo by id. " + _READ_PERMISSIONS + (_ME_NOTE if for_me else ""),
        ([] if for_me else ["user"]) + ["photoId", "select"],
        {
            "200": ok,
            **_errors("BadRequest", "Unauthorized", "Forbidden", "NotFound"),
            **_errors("NotAcceptable", "InternalServerError", "ServiceUnavailable"),
        },
    )


def _delete(operation_id: str, for_me: bool) -> Json:
    deleted = {"description": "Deleted.", "headers": dict(_IDS)}
    return _operation(
        operation_id,
        "Delete a photo",
        "Delete one photo by id; its idempotency key goes with it. Deleting needs what adding "
        "needs. " + _ADD_PERMISSIONS + (_ME_NOTE if for_me else ""),
        ([] if for_me else ["user"]) + ["photoId"],
        {
            "204": deleted,
            **_errors("BadRequest", "Unauthorized", "Forbidden", "NotFound"),
            **_errors("InternalServerError", "ServiceUnavailable"),
        },
    )


def _document_operation() -> Json:
    return {
        "operationId": "openapi.GetDocument",
        "tags": ["meta"],
        "summary": "This document",
        "description": "The OpenAPI description of the service. No token needed.",
        "security": [],
        "responses": {
            "200": {
                "description": "The document.",
                "headers": dict(_IDS),
                "content": _json_content({"$ref": f"{_SCHEMAS}OpenApiDocument"}),
            },
            **_errors("NotAcceptable", "InternalServerError"),
        },
    }


def _metadata_operation() -> Json:
    return {
        "operationId": "metadata.GetDocument",
        "tags": ["meta"],
        "summary": "The CSDL metadata document",
        "description": (
            "The OData CSDL (XML) of what this service serves: `profilePhoto` (a media "
            "entity), `user` with `photo` and `photos`, the `users` set and the `me` "
            "singleton. The `@odata.context` URLs point into it. No token needed."
        ),
        "security": [],
        "responses": {
            "200": {
                "description": "The document.",
                "headers": dict(_IDS),
                "content": {"application/xml": {"schema": {"type": "string"}}},
            },
            **_errors("NotAcceptable", "InternalServerError"),
        },
    }


_BATCH_ITEM: Final[Json] = {
    "type": "object",
    "required": ["id", "method", "url"],
    "properties": {
        "id": {"type": "string", "minLength": 1, "description": "Unique in the batch."},
        "method": {"type": "string", "minLength": 1},
        "url": {
            "type": "string",
            "minLength": 1,
            "description": "Relative to the base URL the batch was sent to, e.g. `/me/photos`.",
        },
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "body": {
            "description": "JSON when the item's `Content-Type` is JSON, else a base64 string."
        },
        "dependsOn": {"type": "array", "items": {"type": "string"}},
    },
}


def _batch_operation() -> Json:
    answer = {
        "type": "object",
        "required": ["id", "status", "headers"],
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "integer"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {"description": "JSON as JSON; any other body base64."},
        },
    }
    ok = {
        "description": "Every item's answer, in the order sent.",
        "headers": dict(_IDS),
        "content": _json_content(
            {
                "type": "object",
                "required": ["responses"],
                "properties": {"responses": {"type": "array", "items": answer}},
            }
        ),
    }
    body = {
        "type": "object",
        "required": ["requests"],
        "properties": {
            "requests": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_BATCH_REQUESTS,
                "items": _BATCH_ITEM,
            }
        },
    }
    return {
        "operationId": "batch.Post",
        "tags": ["meta"],
        "summary": "JSON batching",
        "description": (
            f"Graph's JSON batching: up to {MAX_BATCH_REQUESTS} requests served in process, "
            "each with the batch's `Authorization` (an item without a valid one is its own "
            "`401`); `dependsOn` orders them and an item whose dependency failed is `424`. "
            "A malformed batch (duplicate or unknown ids, a cycle) is `400`; one item's problem "
            "(an absolute `url`, a `$batch` inside) is that item's `400`. The batch itself needs "
            f"no token. At most {MAX_BATCH_BODY_BYTES:,} bytes."
        ),
        "security": [],
        "requestBody": {"required": True, "content": _json_content(body)},
        "responses": {
            "200": ok,
            **_errors("BadRequest", "NotAcceptable", "PayloadTooLarge", "UnsupportedMediaType"),
            **_errors("InternalServerError"),
        },
    }


_IMAGE_TYPES: Final = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp")
_BINARY: Final[Json] = {"type": "string", "format": "binary"}
_CACHING: Final[Json] = {
    "ETag": _ref("headers", "ETag"),
    "Cache-Control": _ref("headers", "Cache-Control"),
}


def _get_content(operation_id: str, for_me: bool, profile: bool) -> Json:
    ok = {
        "description": "The photo's bytes (JPEG).",
        "headers": {**_CACHING, **_IDS},
        "content": {"image/jpeg": {"schema": _BINARY}},
    }
    not_modified = {
        "description": "The photo has the ETag `If-None-Match` named; no bytes.",
        "headers": {**_CACHING, **_IDS},
    }
    return _operation(
        operation_id,
        "Get the photo's bytes" if profile else "Get a size's or a photo's bytes",
        (
            "The largest size of the profile photo. "
            if profile
            else "One size (`48x48` …) or the bytes put for a photo added by POST. "
        )
        + _READ_PERMISSIONS
        + (_ME_NOTE if for_me else ""),
        ([] if for_me else ["user"]) + ([] if profile else ["photoId"]) + ["ifNoneMatch"],
        {
            "200": ok,
            "304": not_modified,
            **_errors("BadRequest", "Unauthorized", "Forbidden", "ImageNotFound"),
            **_errors("NotAcceptable", "InternalServerError", "ServiceUnavailable"),
        },
    )


def _set_content(operation_id: str, for_me: bool, profile: bool) -> Json:
    body = {
        "required": True,
        "content": {
            media_type: {"schema": _BINARY}
            for media_type in ("application/octet-stream", *_IMAGE_TYPES)
        },
    }
    stored = {
        "description": "Stored: every size" if profile else "Stored.",
        "headers": {"ETag": _ref("headers", "ETag"), **_IDS},
    }
    return _operation(
        operation_id,
        "Set the profile photo" if profile else "Put an added photo's bytes",
        (
            f"The image's bytes (JPEG, PNG, GIF, WebP or BMP; at most {MAX_IMAGE_BYTES} bytes): "
            "the bytes decide the format. Every Graph size not larger than the image's shorter "
            "side is made from it, square and centre-cropped. "
            if profile
            else "The image must be exactly the photo's width x height (after EXIF rotation). "
        )
        + _ADD_PERMISSIONS
        + (_ME_NOTE if for_me else ""),
        ([] if for_me else ["user"]) + ([] if profile else ["photoId"]) + ["ifMatch"],
        {
            "200": stored,
            **_errors("BadRequest", "Unauthorized", "Forbidden"),
            **({} if profile else _errors("NotFound", "MethodNotAllowed")),
            **_errors("PreconditionFailed", "PayloadTooLarge", "UnsupportedMediaType"),
            **_errors("InternalServerError", "ServiceUnavailable"),
        },
        request_body=body,
    )


def _get_profile(operation_id: str, for_me: bool) -> Json:
    ok = {
        "description": "The largest size's metadata.",
        "headers": dict(_IDS),
        "content": _json_content({"$ref": f"{_SCHEMAS}ProfilePhotoEntity"}),
    }
    return _operation(
        operation_id,
        "Get the profile photo",
        "The profile photo's largest size: id (e.g. `240x240`), height, width, "
        "`@odata.mediaContentType` and `@odata.mediaEtag`. "
        + _READ_PERMISSIONS
        + (_ME_NOTE if for_me else ""),
        [] if for_me else ["user"],
        {
            "200": ok,
            **_errors("BadRequest", "Unauthorized", "Forbidden", "ImageNotFound"),
            **_errors("NotAcceptable", "InternalServerError", "ServiceUnavailable"),
        },
    )


def _delete_profile(operation_id: str, for_me: bool) -> Json:
    return _operation(
        operation_id,
        "Delete the profile photo",
        "The profile photo and all its sizes. " + _ADD_PERMISSIONS + (_ME_NOTE if for_me else ""),
        ([] if for_me else ["user"]) + ["ifMatch"],
        {
            "204": {"description": "Deleted.", "headers": dict(_IDS)},
            **_errors("BadRequest", "Unauthorized", "Forbidden", "ImageNotFound"),
            **_errors("PreconditionFailed", "InternalServerError", "ServiceUnavailable"),
        },
    )


_OPERATION_NAMES: Final = {
    "add_photo": "AddPhotos",
    "list_photos": "ListPhotos",
    "get_photo": "GetPhoto",
    "delete_photo": "DeletePhoto",
    "get_photo_content": "GetPhotoContent",
    "set_photo_content": "SetPhotoContent",
    "get_profile_photo": "GetProfilePhoto",
    "delete_profile_photo": "DeleteProfilePhoto",
    "get_profile_photo_content": "GetProfilePhotoContent",
    "set_profile_photo_content": "SetProfilePhotoContent",
}


def _path_operation(operation: str, template: str) -> Json:
    """The OpenAPI operation of ``operation`` at ``template`` (a route-table template)."""
    if operation == "openapi_document":
        return _document_operation()
    if operation == "metadata_document":
        return _metadata_operation()
    if operation == "batch":
        return _batch_operation()
    for_me = template.split("/", 1)[0] == "me"
    as_ref = template.endswith("/$ref")
    operation_id = f"{'me' if for_me else 'users'}.{_OPERATION_NAMES[operation]}"
    if operation == "add_photo":
        return _add(operation_id + ("Ref" if as_ref else ""), for_me, as_ref)
    if operation.endswith("_content"):
        profile = "profile" in operation
        if template.endswith("$value") and operation.startswith("get_"):
            return _get_content(operation_id, for_me, profile)
        return _set_content(operation_id, for_me, profile)
    build = {
        "list_photos": _list,
        "get_photo": _get,
        "delete_photo": _delete,
        "get_profile_photo": _get_profile,
        "delete_profile_photo": _delete_profile,
    }[operation]
    return build(operation_id, for_me)


def _paths() -> Json:
    """Every template of the route table (``shared.routes``) with its operations."""
    paths: dict[str, dict[str, Json]] = {}
    for route in ROUTES:
        for template in route.templates:
            path = paths.setdefault("/" + template, {})
            for method, operation in route.operations.items():
                if method == "HEAD":
                    continue  # HEAD is GET without the body: OpenAPI says it by itself
                built = _path_operation(operation, template)
                if method == "PATCH":  # the same operation as PUT, under its own id
                    built = {**built, "operationId": built["operationId"] + "Patch"}
                if method == "DELETE" and template.endswith("$value"):
                    built = {**built, "operationId": built["operationId"] + "Value"}
                path[method.lower()] = built
    return {
        path: dict(sorted(operations.items(), key=lambda item: _METHOD_ORDER.index(item[0])))
        for path, operations in sorted(paths.items(), key=lambda item: _path_order(item[0]))
    }


_METHOD_ORDER: Final = ("get", "put", "patch", "post", "delete", "head")


def _path_order(path: str) -> tuple[int, str]:
    """``/me`` paths first, then ``/users``, then the rest, each alphabetically."""
    rank = 0 if path.startswith("/me/") else 1 if path.startswith("/users/") else 2
    return rank, path


def build_document() -> Json:
    """The OpenAPI 3.1 document, as a JSON-ready dict."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "graph-photos",
            "version": API_VERSION,
            "summary": "A Microsoft Graph-compatible profile photo service.",
            "description": (
                "Graph's *Add photos* (beta) and reading and deleting the photos, with Graph's "
                "paths, bodies and errors. Every response carries `request-id` and "
                "`client-request-id`. Paths are case-insensitive and take a trailing `/`."
            ),
        },
        "servers": [
            {"url": SERVER_URL, "description": "This service (relative)."},
            *(
                {
                    "url": f"{SERVER_URL}/{version}",
                    "description": f"The same, as Graph's {version}.",
                }
                for version in VERSIONS
            ),
        ],
        "security": [{_BEARER: []}],
        "tags": [
            {"name": "photos", "description": "A user's profile photos."},
            {"name": "meta", "description": "About the service."},
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                _BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "An Entra ID (or configured issuer's) RS256 access token for this "
                        "API's audience: delegated (`scp`) or app-only (`roles`)."
                    ),
                }
            },
            "schemas": _schemas(),
            "parameters": _parameters(),
            "headers": _headers(),
            "responses": _error_responses(),
        },
    }


def render(document: Json) -> str:
    """The file's text: stable key order as built, two-space indent, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.openapi", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the file is out of date; write nothing"
    )
    args = parser.parse_args(argv)
    text = render(build_document())
    current = DOCUMENT_PATH.read_text(encoding="utf-8") if DOCUMENT_PATH.exists() else None
    if args.check:
        if current != text:
            print(f"{DOCUMENT_PATH} is out of date: run python -m devtools.openapi")
            return 1
        return 0
    if current != text:
        DOCUMENT_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {DOCUMENT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
