"""PhotoStore: the only code that talks to Table Storage.

One entity per photo in one table::

    PartitionKey  encode_key(user key)      the user, lower-cased by the caller
    RowKey        encode_key(photo id)      see shared.table_keys for the encoding
    User          the user as the caller wrote it
    PhotoId       the photo id as given (or the server's GUID)
    Height/Width  Edm.Int32
    CreatedAt     Edm.DateTime, UTC
    RequestId     the request that created the photo

``add`` is one storage round trip: an insert. The table is created lazily, once per process,
only when an insert finds it missing. Storage that is unreachable, slow or throttling becomes
``ServiceUnavailable`` (503 + Retry-After) within ``STORE_DEADLINE`` seconds; anything else
unexpected propagates to the handler's last guard (500).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Final
from uuid import uuid4

from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables import EdmType, EntityProperty
from azure.data.tables.aio import TableClient

from shared.config import StorageSettings
from shared.errors import BadRequest, Conflict, ServiceUnavailable
from shared.models import Photo, ProfilePhotoIn
from shared.table_keys import MAX_KEY_UNITS, encode_key, fits_key

logger = logging.getLogger(__name__)

# Timeouts and retries. A request must end well inside the Functions HTTP limit (230 s) and,
# better, inside what a Graph client waits (~100 s); we aim for a 503 within 20 s.
CONNECTION_TIMEOUT: Final = 3.0
"""Seconds to open a connection (TCP + TLS); Table Storage in-region answers in milliseconds."""
READ_TIMEOUT: Final = 5.0
"""Seconds of silence on a socket read; an entity insert or point read takes well under 1 s."""
RETRY_TOTAL: Final = 2
"""At most 3 attempts per operation. azure-core retries reads on any failure, and POSTs (the
insert) only on 500/503/504 responses: an insert is never replayed after a dropped connection.
A replayed insert that had succeeded shows up as 409 and is recognised by its RequestId."""
RETRY_BACKOFF_FACTOR: Final = 0.5
"""Exponential backoff: 0 s before the 2nd attempt, 1 s before the 3rd."""
RETRY_BACKOFF_MAX: Final = 2
OPERATION_TIMEOUT: Final = 10
"""Absolute seconds for one SDK operation including its retries (azure-core's ``timeout``):
no new attempt starts after it. Worst case per operation ~ one attempt past it: ~18 s."""
STORE_DEADLINE: Final = 20.0
"""Seconds for a whole ``add`` or ``get`` (an add may be insert + create table + insert, and
storage may send long Retry-After values); past it the call is cancelled and becomes a 503."""
RETRY_AFTER: Final = 5
"""Retry-After (seconds) sent with a 503 when storage gave none."""
TABLE_BEING_DELETED_RETRY_AFTER: Final = 30
"""Azure takes tens of seconds to delete a table; it cannot be recreated before that."""

_TRANSIENT_500_CODES: Final = frozenset({"OperationTimedOut", "InternalError"})


def client_options() -> dict[str, Any]:
    """Keyword arguments for a ``TableClient``: the timeouts and retries above."""
    return {
        "connection_timeout": CONNECTION_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        "retry_total": RETRY_TOTAL,
        "retry_backoff_factor": RETRY_BACKOFF_FACTOR,
        "retry_backoff_max": RETRY_BACKOFF_MAX,
        "timeout": OPERATION_TIMEOUT,
    }


def create_table_client(settings: StorageSettings) -> TableClient:
    """The async ``TableClient`` for ``settings``: a connection string, or an identity.

    For ``table_service_uri`` the client authenticates with ``DefaultAzureCredential`` (the
    user-assigned managed identity ``client_id`` when set). Create it once per process.
    """
    options = client_options()
    if settings.table_service_uri is not None:
        from azure.identity.aio import DefaultAzureCredential  # lazily: only identity mode

        credential = (
            DefaultAzureCredential(managed_identity_client_id=settings.client_id)
            if settings.client_id
            else DefaultAzureCredential()
        )
        return TableClient(
            endpoint=settings.table_service_uri,
            table_name=settings.table_name,
            credential=credential,
            **options,
        )
    if settings.connection_string is None:
        raise ValueError("StorageSettings needs a connection string or a table service URI")
    return TableClient.from_connection_string(
        settings.connection_string, table_name=settings.table_name, **options
    )


class PhotoStore:
    """Photos in one Table Storage table. Create once per process; share across requests."""

    def __init__(self, table: TableClient, *, deadline: float = STORE_DEADLINE) -> None:
        self._table = table
        self._deadline = deadline
        self._table_lock = asyncio.Lock()
        self._tables_created = 0

    async def add(
        self, user_key: str, user_name: str, photo: ProfilePhotoIn, *, request_id: str
    ) -> Photo:
        """Store ``photo`` for the user; ``Conflict`` if its id exists, ``ServiceUnavailable``
        when storage is unreachable or throttling."""
        photo_id = photo.id if photo.id is not None else str(uuid4())
        partition_key = _key(user_key, "user")
        row_key = _key(photo_id, "photo id")
        created_at = datetime.now(UTC)
        entity = {
            "PartitionKey": partition_key,
            "RowKey": row_key,
            "User": _text(user_name, "user"),
            "PhotoId": photo_id,
            "Height": EntityProperty(photo.height, EdmType.INT32),
            "Width": EntityProperty(photo.width, EdmType.INT32),
            "CreatedAt": created_at,
            "RequestId": request_id,
        }
        async with self._storage_call("add"):
            try:
                await self._insert(entity)
            except ResourceExistsError:
                existing = await self._read(partition_key, row_key)
                if existing is not None and existing.get("RequestId") == request_id:
                    # Our own insert, replayed by the retry policy after it had succeeded.
                    return _photo(existing)
                raise Conflict(f"A photo with id '{photo_id}' already exists.") from None
        return Photo(id=photo_id, height=photo.height, width=photo.width, created_at=created_at)

    async def get(self, user_key: str, photo_id: str) -> Photo | None:
        """The user's photo ``photo_id``, or None."""
        async with self._storage_call("get"):
            entity = await self._read(_key(user_key, "user"), _key(photo_id, "photo id"))
        return None if entity is None else _photo(entity)

    async def aclose(self) -> None:
        await self._table.close()

    async def _insert(self, entity: Mapping[str, Any]) -> None:
        tables_created = self._tables_created
        try:
            await self._table.create_entity(entity)
            return
        except ResourceNotFoundError:
            pass  # the table does not exist (yet, or any more)
        await self._create_table(tables_created)
        try:
            await self._table.create_entity(entity)
        except ResourceNotFoundError:
            raise ServiceUnavailable(
                "The photo table is not available; try again later.", retry_after=RETRY_AFTER
            ) from None

    async def _create_table(self, tables_created_before: int) -> None:
        """Create the table unless another task did since our insert found it missing."""
        async with self._table_lock:
            if self._tables_created != tables_created_before:
                return
            logger.warning("Table %s does not exist; creating it", self._table.table_name)
            try:
                await self._table.create_table()
            except HttpResponseError as error:
                code = _error_code(error)
                if code == "TableBeingDeleted":
                    raise ServiceUnavailable(
                        "The photo table is being deleted; try again later.",
                        retry_after=TABLE_BEING_DELETED_RETRY_AFTER,
                    ) from None
                if code != "TableAlreadyExists":
                    raise
                # Another process created it in the meantime: just as good.
            self._tables_created += 1

    async def _read(self, partition_key: str, row_key: str) -> Mapping[str, Any] | None:
        try:
            return await self._table.get_entity(partition_key, row_key)
        except ResourceNotFoundError:
            return None

    @asynccontextmanager
    async def _storage_call(self, operation: str) -> AsyncIterator[None]:
        """Bound the call by the deadline; turn unavailable storage into ``ServiceUnavailable``."""
        try:
            async with asyncio.timeout(self._deadline):
                yield
        except TimeoutError:
            logger.warning("Photo store %s exceeded %s s", operation, self._deadline)
            raise _unavailable(RETRY_AFTER) from None
        except (ServiceRequestError, ServiceResponseError) as error:
            logger.warning("Photo store %s: storage unreachable: %s", operation, _summary(error))
            raise _unavailable(RETRY_AFTER) from None
        except HttpResponseError as error:
            if not _is_transient(error):
                raise
            logger.warning("Photo store %s: storage busy: %s", operation, _summary(error))
            raise _unavailable(_retry_after(error)) from None


def _key(value: str, what: str) -> str:
    if not value:
        raise ValueError(f"the {what} must not be empty")
    key = encode_key(_text(value, what))
    if not fits_key(key):
        raise BadRequest(
            f"The {what} is too long to store: at most {MAX_KEY_UNITS} UTF-16 units once "
            "encoded (each character outside plain text counts twice)."
        )
    return key


def _text(value: str, what: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"The {what} is not valid Unicode text.") from None
    return value


def _photo(entity: Mapping[str, Any]) -> Photo:
    created_at: datetime = entity["CreatedAt"]
    return Photo(
        id=entity["PhotoId"],
        height=int(entity["Height"]),
        width=int(entity["Width"]),
        created_at=_utc(created_at),
    )


def _utc(value: datetime) -> datetime:
    """A plain timezone-aware UTC ``datetime`` (the SDK returns a subclass)."""
    plain = datetime.combine(value.date(), value.timetz())
    return plain.astimezone(UTC) if plain.tzinfo is not None else plain.replace(tzinfo=UTC)


def _unavailable(retry_after: int) -> ServiceUnavailable:
    return ServiceUnavailable(
        "The photo store is temporarily unavailable; try again later.", retry_after=retry_after
    )


def _error_code(error: HttpResponseError) -> str | None:
    code = getattr(error, "error_code", None)
    if code is None:
        code = _header(error, "x-ms-error-code")
    return None if code is None else str(getattr(code, "value", code))


def _header(error: HttpResponseError, name: str) -> str | None:
    headers: Mapping[str, str] | None = getattr(error.response, "headers", None)
    return None if headers is None else headers.get(name)


def _is_transient(error: HttpResponseError) -> bool:
    status = error.status_code
    if status in (429, 503, 504):
        return True
    return status == 500 and _error_code(error) in _TRANSIENT_500_CODES


def _retry_after(error: HttpResponseError) -> int:
    header = _header(error, "Retry-After")
    if header is not None and header.strip().isdigit():
        return max(1, min(int(header), 120))
    return RETRY_AFTER


def _summary(error: AzureError) -> str:
    if isinstance(error, HttpResponseError):
        return f"{error.status_code} {_error_code(error)}"
    return type(error).__name__
