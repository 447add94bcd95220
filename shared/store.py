"""PhotoStore: the only code that talks to Table Storage.

One entity per photo in one table::

    PartitionKey    encode_key(user key)      the user, lower-cased by the caller
    RowKey          encode_key(photo id)      see shared.table_keys for the encoding
    User            the user as the caller wrote it
    PhotoId         the photo id as given (or the server's GUID)
    Height/Width    Edm.Int32
    CreatedAt       Edm.DateTime, UTC
    RequestId       the request that created the photo
    IdempotencyKey  the request's Idempotency-Key, when it had one (see shared.idempotency)
    BodyHash        with IdempotencyKey: the fingerprint of the request body

``add`` is one storage round trip: an insert. The table is created lazily, once per process,
only when an insert finds it missing. An insert that meets an existing row reads it once: the
same RequestId is our own insert replayed by the retry policy (``201``), the same
IdempotencyKey is a repeated request (``201`` with the stored photo, or ``422`` for another
body), anything else is ``409``.

Failures: storage that is unreachable, slow or throttling becomes ``ServiceUnavailable`` (503 +
Retry-After) within ``STORE_DEADLINE`` seconds; storage refusing the service's own credentials
(401/403) is logged and becomes ``InternalServerError`` (500); anything else unexpected
propagates to the handler's last guard (500).

Time limits (the Functions HTTP limit is 230 s; Graph SDKs wait ~100 s; we answer in 20 s)::

    connect        3 s    per attempt (TCP + TLS)
    read           5 s    of socket silence per attempt
    attempts       3      retry_total=2; backoff 0 s, then 1 s; also for the insert (POST)
    per operation  10 s   azure-core's absolute timeout: no attempt starts after it
    whole add      20 s   insert + create table + insert, cancelled at the deadline -> 503
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple
from uuid import uuid4

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables import EdmType, EntityProperty
from azure.data.tables.aio import TableClient

from shared.config import StorageSettings
from shared.errors import (
    BadRequest,
    Conflict,
    InternalServerError,
    ServiceUnavailable,
    UnprocessableEntity,
)
from shared.idempotency import HEADER as IDEMPOTENCY_HEADER
from shared.idempotency import derived_photo_id, fingerprint
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
"""At most 3 attempts per operation. By itself azure-core retries a POST only after a 500/503/504
response: never after a refused or dropped connection, nor after a lost response, so a stale
pooled connection after a storage restart would cost a 503. Our two POSTs (insert, create
table) are safe to replay, so they are retried like reads (``_POST_RETRY_METHODS``): a replayed
insert that had succeeded meets 409 and is recognised by its RequestId; a replayed create meets
TableAlreadyExists."""
RETRY_BACKOFF_FACTOR: Final = 0.5
"""Exponential backoff: 0 s before the 2nd attempt, 1 s before the 3rd."""
RETRY_BACKOFF_MAX: Final = 2
OPERATION_TIMEOUT: Final = 10
"""Absolute seconds for one SDK operation including its retries (azure-core's ``timeout``):
no new attempt starts after it, and a late attempt's connect timeout is cut to what is left.
Worst case per operation: one read timeout past it, ~15 s."""
STORE_DEADLINE: Final = 20.0
"""Seconds for a whole ``add``, ``get``, ``list`` or ``delete`` (an add may be insert + create
table + insert, and storage may send long Retry-After values); past it the call is cancelled
and becomes a 503."""
RETRY_AFTER: Final = 5
"""Retry-After (seconds) sent with a 503 when storage gave none."""
TABLE_BEING_DELETED_RETRY_AFTER: Final = 30
"""Azure takes tens of seconds to delete a table; it cannot be recreated before that."""

_TRANSIENT_500_CODES: Final = frozenset({"OperationTimedOut", "InternalError"})
_POST_RETRY_METHODS: Final = frozenset({"POST", "HEAD", "GET", "PUT", "DELETE", "OPTIONS"})
"""azure-core's per-call ``retry_on_methods`` for the insert and create table: POST added."""
_MESSAGE_LOG_MAX: Final = 500
_PHOTO_COLUMNS: Final = ["PhotoId", "Height", "Width", "CreatedAt"]


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


def default_credential(settings: StorageSettings) -> AsyncTokenCredential:
    """azure-identity's ``DefaultAzureCredential``; the user-assigned managed identity
    ``settings.client_id`` when set. azure-identity is imported here, so only in identity mode."""
    from azure.identity.aio import DefaultAzureCredential

    if settings.client_id:
        return DefaultAzureCredential(managed_identity_client_id=settings.client_id)
    return DefaultAzureCredential()


def create_table_client(
    settings: StorageSettings,
    credential: AsyncTokenCredential | None = None,
    *,
    connection_verify: bool | str = True,
) -> TableClient:
    """The async ``TableClient`` for ``settings``, with the timeouts and retries above.

    A connection string needs no ``credential``; an identity-based connection
    (``table_service_uri``) needs one, which stays the caller's to close (``open_photo_store``
    makes one and hands it to the store). ``connection_verify`` is azure-core's TLS setting:
    True, or the path of a CA bundle to trust (a test's self-signed certificate).
    """
    options = {**client_options(), "connection_verify": connection_verify}
    if settings.table_service_uri is not None:
        if credential is None:
            raise ValueError("an identity-based connection needs a credential")
        return TableClient(
            endpoint=settings.table_service_uri,
            table_name=settings.table_name,
            credential=credential,
            **options,
        )
    if credential is not None:
        raise ValueError("a credential is only used with an identity-based connection")
    if settings.connection_string is None:
        raise ValueError("StorageSettings needs a connection string or a table service URI")
    return TableClient.from_connection_string(
        settings.connection_string, table_name=settings.table_name, **options
    )


def open_photo_store(
    settings: StorageSettings,
    credential: AsyncTokenCredential | None = None,
    *,
    connection_verify: bool | str = True,
    deadline: float = STORE_DEADLINE,
) -> PhotoStore:
    """The ``PhotoStore`` for ``settings``: a connection string, or an identity.

    In identity mode without a ``credential``, the store gets ``default_credential(settings)``
    and closes it in ``aclose``; a credential passed in stays the caller's to close.
    """
    owned: AsyncTokenCredential | None = None
    if settings.table_service_uri is not None and credential is None:
        credential = owned = default_credential(settings)
    table = create_table_client(settings, credential, connection_verify=connection_verify)
    return PhotoStore(table, deadline=deadline, credential=owned)


class PhotoStore:
    """Photos in one Table Storage table. Create once per process; share across requests.

    ``credential``, if given, is the table client's credential and is closed with the store.
    """

    def __init__(
        self,
        table: TableClient,
        *,
        deadline: float = STORE_DEADLINE,
        credential: AsyncTokenCredential | None = None,
    ) -> None:
        self._table = table
        self._deadline = deadline
        self._credential = credential
        self._table_lock = asyncio.Lock()
        self._tables_created = 0

    async def add(
        self,
        user_key: str,
        user_name: str,
        photo: ProfilePhotoIn,
        *,
        request_id: str,
        idempotency_key: str | None = None,
    ) -> Photo:
        """Store ``photo`` for the user; ``Conflict`` if its id exists, ``ServiceUnavailable``
        when storage is unreachable or throttling.

        With ``idempotency_key`` (parsed by ``shared.idempotency.parse_idempotency_key``) a
        repeat of the same request returns the photo stored the first time, and the same key
        with another body is ``UnprocessableEntity``.
        """
        if photo.id is not None:
            photo_id = photo.id
        elif idempotency_key is not None:
            photo_id = derived_photo_id(user_key, idempotency_key)
        else:
            photo_id = str(uuid4())
        partition_key = _key(user_key, "user")
        row_key = _key(photo_id, "photo id")
        created_at = datetime.now(UTC)
        entity: dict[str, Any] = {
            "PartitionKey": partition_key,
            "RowKey": row_key,
            "User": _text(user_name, "user"),
            "PhotoId": photo_id,
            "Height": EntityProperty(photo.height, EdmType.INT32),
            "Width": EntityProperty(photo.width, EdmType.INT32),
            "CreatedAt": created_at,
            "RequestId": request_id,
        }
        if idempotency_key is not None:
            entity["IdempotencyKey"] = idempotency_key
            entity["BodyHash"] = fingerprint(photo)
        async with self._storage_call("add"):
            try:
                await self._insert(entity)
            except ResourceExistsError:
                existing = await self._read(partition_key, row_key)
                return _stored_by_same_request(existing, entity)
        return Photo(id=photo_id, height=photo.height, width=photo.width, created_at=created_at)

    async def get(self, user_key: str, photo_id: str) -> Photo | None:
        """The user's photo ``photo_id``, or None."""
        async with self._storage_call("get"):
            entity = await self._read(_key(user_key, "user"), _key(photo_id, "photo id"))
        return None if entity is None else _photo(entity)

    async def list(
        self, user_key: str, *, top: int, after: PhotoPosition | None = None
    ) -> PhotoPage:
        """At most ``top`` of the user's photos in creation order, from just past ``after``.

        Table Storage returns a partition in RowKey (photo id) order, not creation order, so
        this reads every photo created at or after ``after`` and sorts them: cheap for the
        few photos a user has. A user without photos (or a table not created yet) has none.
        """
        if top < 1:
            raise ValueError("top must be at least 1")
        query = "PartitionKey eq @user"
        parameters: dict[str, Any] = {"user": _key(user_key, "user")}
        if after is not None:
            query += " and CreatedAt ge @after"
            parameters["after"] = after.created_at
        async with self._storage_call("list"):
            entities = await self._query(query, parameters)
        photos = (_photo(entity) for entity in entities)
        following = sorted(
            (photo for photo in photos if after is None or position_of(photo) > after),
            key=position_of,
        )
        return PhotoPage(photos=tuple(following[:top]), has_more=len(following) > top)

    async def delete(self, user_key: str, photo_id: str) -> bool:
        """Delete the user's photo ``photo_id``; False if there was none.

        The SDK's ``delete_entity`` does not report a missing entity (it ignores the 404), so
        the photo is read first: two round trips, and a delete that the retry policy replays
        after it had succeeded still reports True.
        """
        partition_key, row_key = _key(user_key, "user"), _key(photo_id, "photo id")
        async with self._storage_call("delete"):
            if await self._read(partition_key, row_key) is None:
                return False
            await self._table.delete_entity(partition_key, row_key)
        return True

    async def aclose(self) -> None:
        """Close the table client, then the credential the store owns (if any)."""
        try:
            await self._table.close()
        finally:
            if self._credential is not None:
                await self._credential.close()

    async def _insert(self, entity: Mapping[str, Any]) -> None:
        tables_created = self._tables_created
        try:
            await self._table.create_entity(entity, retry_on_methods=_POST_RETRY_METHODS)
            return
        except ResourceNotFoundError:
            pass  # the table does not exist (yet, or any more)
        await self._create_table(tables_created)
        try:
            await self._table.create_entity(entity, retry_on_methods=_POST_RETRY_METHODS)
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
                await self._table.create_table(retry_on_methods=_POST_RETRY_METHODS)
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

    async def _query(self, query: str, parameters: dict[str, Any]) -> Sequence[Mapping[str, Any]]:
        pages = self._table.query_entities(query, parameters=parameters, select=_PHOTO_COLUMNS)
        try:
            return [entity async for entity in pages]
        except ResourceNotFoundError:
            return []  # the table does not exist (yet): no photos

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
            logger.warning(
                "Photo store %s: storage unreachable: %s",
                operation,
                _summary(error, with_message=True),
            )
            raise _unavailable(RETRY_AFTER) from None
        except HttpResponseError as error:
            if _is_refused_credential(error):
                # The service's own identity or key is wrong or lacks its role: not the
                # caller's fault, and not transient. The message names no token or key.
                logger.error(
                    "Photo store %s: storage refused the service's credentials: %s",
                    operation,
                    _summary(error, with_message=True),
                )
                raise InternalServerError() from None
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


class PhotoPosition(NamedTuple):
    """A photo's place in its user's creation order: created first, then by id."""

    created_at: datetime
    photo_id: str


def position_of(photo: Photo) -> PhotoPosition:
    return PhotoPosition(photo.created_at, photo.id)


@dataclass(frozen=True)
class PhotoPage:
    """Photos in creation order; ``has_more`` when more follow the last of them."""

    photos: tuple[Photo, ...]
    has_more: bool


def _photo(entity: Mapping[str, Any]) -> Photo:
    created_at: datetime = entity["CreatedAt"]
    return Photo(
        id=entity["PhotoId"],
        height=int(entity["Height"]),
        width=int(entity["Width"]),
        created_at=_utc(created_at),
    )


def _stored_by_same_request(existing: Mapping[str, Any] | None, entity: Mapping[str, Any]) -> Photo:
    """The photo in ``existing`` (the row ``entity``'s insert met) if the same request stored
    it; ``UnprocessableEntity`` for its idempotency key with another body; else ``Conflict``."""
    if existing is not None:
        if existing.get("RequestId") == entity["RequestId"]:
            # Our own insert, replayed by the retry policy after it had succeeded.
            logger.info(
                "Insert of request %s was replayed after it had succeeded", entity["RequestId"]
            )
            return _photo(existing)
        key = entity.get("IdempotencyKey")
        if key is not None and existing.get("IdempotencyKey") == key:
            if existing.get("BodyHash") != entity["BodyHash"]:
                raise UnprocessableEntity(
                    f"The {IDEMPOTENCY_HEADER} was already used for a request with another "
                    "body; use a new key for a new request."
                )
            logger.info(
                "Request %s repeats request %s (same %s)",
                entity["RequestId"],
                existing.get("RequestId"),
                IDEMPOTENCY_HEADER,
            )
            return _photo(existing)
    raise Conflict(f"A photo with id '{entity['PhotoId']}' already exists.")


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


def _is_refused_credential(error: HttpResponseError) -> bool:
    """Storage (401/403) or the identity endpoint refused the service's own credentials."""
    return isinstance(error, ClientAuthenticationError) or error.status_code in (401, 403)


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


def _summary(error: AzureError, *, with_message: bool = False) -> str:
    summary = type(error).__name__
    if isinstance(error, HttpResponseError) and error.status_code is not None:
        summary = f"{error.status_code} {_error_code(error)}"
    if with_message:
        message = " ".join(str(error.message).split())
        summary += f": {message[:_MESSAGE_LOG_MAX]}"
    return summary
