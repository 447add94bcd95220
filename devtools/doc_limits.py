"""``docs/reference/limits.md``: every limit the service enforces, its value read from the code.

The numbers are imported from the modules that enforce them, never written here; the words
say what each one bounds and what a caller gets beyond it.
"""

from __future__ import annotations

from typing import Final

from devtools.doc_pages import code, header, table
from shared.auth.signing_keys import (
    ALLOWED_ALGORITHMS,
    DEFAULT_FETCH_TIMEOUT,
    DEFAULT_MIN_REFETCH_INTERVAL,
    DEFAULT_REFRESH_INTERVAL,
    MAX_JWKS_BYTES,
)
from shared.auth.tokens import MAX_TOKEN_LENGTH, REQUIRED_CLAIMS
from shared.config import DEFAULT_CLOCK_SKEW_SECONDS, MAX_CLOCK_SKEW_SECONDS
from shared.graph.query import DEFAULT_TOP, MAX_SKIPTOKEN_LENGTH, MAX_TOP, SELECTABLE
from shared.graph.responses import CLIENT_REQUEST_ID_PATTERN
from shared.idempotency import HEADER as IDEMPOTENCY_HEADER
from shared.idempotency import MAX_KEY_LENGTH
from shared.limits import (
    MAX_BATCH_BODY_BYTES,
    MAX_BATCH_REQUESTS,
    MAX_BODY_BYTES,
    MAX_IMAGE_BYTES,
)
from shared.media import MAX_PIXELS, MAX_SIDE
from shared.models import INT32_MAX, MAX_ID_LENGTH
from shared.storage.failures import MAX_RETRY_AFTER, RETRY_AFTER
from shared.storage.key_encoding import MAX_KEY_UNITS
from shared.storage.table_client import (
    CONNECTION_TIMEOUT,
    OPERATION_TIMEOUT,
    READ_TIMEOUT,
    RETRY_BACKOFF_FACTOR,
    RETRY_BACKOFF_MAX,
    RETRY_TOTAL,
)
from shared.storage.table_store import STORE_DEADLINE, TABLE_BEING_DELETED_RETRY_AFTER

_COLUMNS: Final = ["what", "limit", "beyond it", "defined in"]


def _number(value: float) -> str:
    return f"{value:,g}" if isinstance(value, float) else f"{value:,}"


def _seconds(value: float) -> str:
    return f"{_number(value)} s"


def _request_rows() -> list[list[str]]:
    return [
        [
            "request body of Add photos",
            f"{_number(MAX_BODY_BYTES)} bytes",
            "`413 RequestEntityTooLarge`",
            "`shared/limits.py`",
        ],
        [
            "a photo's bytes (`PUT …/$value`)",
            f"{_number(MAX_IMAGE_BYTES)} bytes; a declared `Content-Length` over it is refused "
            "before the body is read",
            "`413 RequestEntityTooLarge`",
            "`shared/limits.py`",
        ],
        [
            "a `$batch`",
            f"{_number(MAX_BATCH_REQUESTS)} requests, {_number(MAX_BATCH_BODY_BYTES)} bytes of "
            "body (four of the largest photos as base64); a declared `Content-Length` over it "
            "is refused before the body is read",
            "`400 BadRequest` (more requests), `413 RequestEntityTooLarge` (a larger body)",
            "`shared/limits.py`",
        ],
        [
            "a photo's pixels",
            f"at most {_number(MAX_SIDE)} px a side and {_number(MAX_PIXELS)} pixels, read "
            "from the image's header before it is decoded",
            "`400 BadRequest`",
            "`shared/media/decoding.py`",
        ],
        [
            "`height`, `width`",
            f"JSON integers, 1 to {_number(INT32_MAX)} (Int32)",
            "`400 BadRequest`",
            "`shared/models.py`",
        ],
        [
            "photo `id` in a body",
            f"1 to {_number(MAX_ID_LENGTH)} characters",
            "`400 BadRequest`",
            "`shared/models.py`",
        ],
        [
            "photo id in a path",
            f"{_number(MAX_ID_LENGTH)} characters",
            "`404 ResourceNotFound` (no such photo can exist)",
            "`shared/operations/`",
        ],
        [
            "user or photo id as a storage key",
            f"{_number(MAX_KEY_UNITS)} UTF-16 units once encoded; every id of up to "
            f"{_number(MAX_ID_LENGTH)} characters fits",
            "`400 BadRequest`",
            "`shared/storage/key_encoding.py`",
        ],
        [
            "`$top`",
            f"1 to {_number(MAX_TOP)}; {_number(DEFAULT_TOP)} when absent",
            "`400 BadRequest`",
            "`shared/graph/query.py`",
        ],
        [
            "`$skiptoken`",
            f"{_number(MAX_SKIPTOKEN_LENGTH)} characters, and only one the service made",
            "`400 BadRequest`",
            "`shared/graph/query.py`",
        ],
        [
            "`$select`",
            "the properties " + ", ".join(code(name) for name in SELECTABLE),
            "`400 BadRequest`",
            "`shared/graph/query.py`",
        ],
        [
            code(IDEMPOTENCY_HEADER),
            f"1 to {_number(MAX_KEY_LENGTH)} printable ASCII characters",
            "`400 BadRequest`",
            "`shared/idempotency.py`",
        ],
        [
            "`client-request-id`",
            f"echoed when it matches {code(CLIENT_REQUEST_ID_PATTERN)}",
            "replaced by the `request-id` (no error)",
            "`shared/graph/responses.py`",
        ],
    ]


def _token_rows() -> list[list[str]]:
    return [
        [
            "bearer token",
            f"{_number(MAX_TOKEN_LENGTH)} characters",
            "`401 InvalidAuthenticationToken`",
            "`shared/auth/tokens.py`",
        ],
        [
            "signature algorithms",
            ", ".join(code(name) for name in ALLOWED_ALGORITHMS),
            "`401 InvalidAuthenticationToken`",
            "`shared/auth/signing_keys.py`",
        ],
        [
            "required claims",
            ", ".join(code(name) for name in REQUIRED_CLAIMS) + " (and `oid` on delegated tokens)",
            "`401 InvalidAuthenticationToken`",
            "`shared/auth/tokens.py`",
        ],
        [
            "clock leeway on `exp` / `nbf`",
            f"{_seconds(DEFAULT_CLOCK_SKEW_SECONDS)} by default, 0 to "
            f"{_seconds(MAX_CLOCK_SKEW_SECONDS)} (`AUTH_CLOCK_SKEW_SECONDS`)",
            "a configuration error: every request `500`",
            "`shared/config.py`",
        ],
        [
            "JWK Set document",
            f"{_number(MAX_JWKS_BYTES)} bytes, fetched within {_seconds(DEFAULT_FETCH_TIMEOUT)}",
            "the fetch fails; the last good keys stay in use",
            "`shared/auth/signing_keys.py`",
        ],
        [
            "JWK Set refresh",
            f"every {_seconds(DEFAULT_REFRESH_INTERVAL)}; an unknown `kid` refetches at most "
            f"once per {_seconds(DEFAULT_MIN_REFETCH_INTERVAL)}",
            "no keys ever loaded: `503 ServiceUnavailable` with `Retry-After`",
            "`shared/auth/signing_keys.py`",
        ],
    ]


def _storage_rows() -> list[list[str]]:
    source = "`shared/storage/table_client.py`"
    return [
        ["connect, per attempt", _seconds(CONNECTION_TIMEOUT), "the attempt fails", source],
        ["socket silence, per attempt", _seconds(READ_TIMEOUT), "the attempt fails", source],
        [
            "attempts per storage operation",
            f"{RETRY_TOTAL + 1}, exponential backoff (factor {_seconds(RETRY_BACKOFF_FACTOR)}, "
            f"at most {_seconds(RETRY_BACKOFF_MAX)})",
            "the operation fails",
            source,
        ],
        [
            "one storage operation, retries included",
            _seconds(OPERATION_TIMEOUT),
            "no new attempt starts",
            source,
        ],
        [
            "everything a request asks of storage",
            _seconds(STORE_DEADLINE),
            "`503 ServiceUnavailable`",
            "`shared/storage/table_store.py`",
        ],
        [
            "`Retry-After` of a storage `503`",
            f"storage's own value, at most {_seconds(MAX_RETRY_AFTER)}; "
            f"{_seconds(RETRY_AFTER)} when storage gave none; "
            f"{_seconds(TABLE_BEING_DELETED_RETRY_AFTER)} while the table is being deleted",
            "—",
            "`shared/storage/failures.py`",
        ],
    ]


def limits_page() -> str:
    return (
        header("Limits", "the constants of `shared/` (imported, never restated)")
        + "## Requests\n\n"
        + table(_COLUMNS, _request_rows())
        + "\n## Tokens and signing keys\n\n"
        + table(_COLUMNS, _token_rows())
        + "\n## Storage time limits\n\n"
        + "A request ends far inside the Functions HTTP limit and a Graph SDK's timeout; see "
        "[the storage page](../storage.md#when-storage-fails).\n\n"
        + table(_COLUMNS, _storage_rows())
    )
