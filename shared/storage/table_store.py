"""TablePhotoStore: the ``PhotoStore`` (``shared.storage.photo_store``) over Table Storage, the only code that talks to Table Storage.

One entity per photo in one table, keyed by the user and the photo id (``shared.storage.entities``
lays it out). The client and its timeouts and retries come from ``shared.storage.table_client``.
The same table keeps the UPN sightings of the directory (``read_sighting`` / ``write_sighting``,
``shared.storage.sighting_rows``), so every instance knows the UPNs any instance has seen.

``add`` is one storage round trip: an insert. The table is created lazily, once per process,
only when an insert finds it missing. An insert that meets an existing row reads it once: the
same RequestId is our own insert replayed by the retry policy (the photo), the same
idempotency key is a repeated request (the stored photo, or ``IdempotencyKeyReused`` for another
body), anything else is ``PhotoExists``.

Failures: storage that is unreachable, slow or throttling becomes ``ServiceUnavailable`` (503 +
Retry-After) within ``STORE_DEADLINE`` seconds; storage refusing the service's own credentials
(401/403) is logged and becomes ``InternalServerError`` (500); anything else unexpected
propagates to the handler's last guard (500). ``shared.storage.failures`` tells which is which.

Time limits (the Functions HTTP limit is 230 s; Graph SDKs wait ~100 s; we answer in 20 s)::

    connect        3 s    per attempt (TCP + TLS)
    read           5 s    of socket silence per attempt
    attempts       3      retry_total=2; backoff 0 s, then 1 s; also for the insert (POST)
    per operation  10 s   azure-core's absolute timeout: no attempt starts after it
    whole add      20 s   insert + create table + insert, cancelled at the deadline -> 503
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import (
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables.aio import TableClient

from shared.auth.directory import Sighting, StoredSighting
from shared.auth.permissions import user_key
from shared.config import DEFAULT_PHOTOS_PER_USER_LIMIT, StorageSettings
from shared.graph.errors import (
    InternalServerError,
    ServiceUnavailable,
)
from shared.models import Media, Photo
from shared.photo_order import PhotoPage, PhotoPosition
from shared.storage.blobs import PhotoBlobs
from shared.storage.entities import (
    entity_key,
    photo_from_entity,
)
from shared.storage.failures import (
    RETRY_AFTER,
    error_code,
    is_refused_credential,
    is_transient,
    retry_after,
    summary,
    unavailable,
)
from shared.storage.media_rows import MediaRows
from shared.storage.photo_rows import PhotoRows
from shared.storage.photo_store import (
    Image,
    NewPhoto,
    Precondition,
    ProfilePhoto,
)
from shared.storage.sighting_rows import SightingRows
from shared.storage.table_client import (
    POST_RETRY_METHODS,
    create_container_client,
    create_table_client,
    default_credential,
)

if TYPE_CHECKING:
    from azure.storage.blob.aio import ContainerClient

logger = logging.getLogger(__name__)

STORE_DEADLINE: Final = 20.0
"""Seconds for a whole ``add``, ``get``, ``list`` or ``delete`` (an add may be insert + create
table + insert, and storage may send long Retry-After values); past it the call is cancelled
and becomes a 503."""
TABLE_BEING_DELETED_RETRY_AFTER: Final = 30
"""Azure takes tens of seconds to delete a table; it cannot be recreated before that."""


def open_photo_store(
    settings: StorageSettings,
    credential: AsyncTokenCredential | None = None,
    *,
    connection_verify: bool | str = True,
    deadline: float = STORE_DEADLINE,
) -> TablePhotoStore:
    """The ``PhotoStore`` for ``settings``: a connection string, or an identity.

    In identity mode without a ``credential``, the store gets ``default_credential(settings)``
    and closes it in ``aclose``; a credential passed in stays the caller's to close.
    """
    owned: AsyncTokenCredential | None = None
    if settings.table_service_uri is not None and credential is None:
        credential = owned = default_credential(settings)
    table = create_table_client(settings, credential, connection_verify=connection_verify)
    container = functools.partial(
        create_container_client, settings, credential, connection_verify=connection_verify
    )
    return TablePhotoStore(
        table,
        container,
        deadline=deadline,
        credential=owned,
        photos_per_user_limit=settings.photos_per_user_limit,
    )


class TablePhotoStore:
    """Photos in one Table Storage table, their bytes in one blob container. Create once per
    process; share across requests.

    ``container`` opens the blob ``ContainerClient`` on the first blob call (``PhotoBlobs``);
    None makes a store of photo rows only (tests of the table half): its media calls raise
    ``RuntimeError``. ``credential``, if given, is the clients' credential and is
    closed with the store.
    """

    def __init__(
        self,
        table: TableClient,
        container: Callable[[], ContainerClient] | None = None,
        *,
        deadline: float = STORE_DEADLINE,
        credential: AsyncTokenCredential | None = None,
        photos_per_user_limit: int = DEFAULT_PHOTOS_PER_USER_LIMIT,
    ) -> None:
        self._table = table
        self._blobs = None if container is None else PhotoBlobs(container)
        self._media_rows = (
            None
            if self._blobs is None
            else MediaRows(table, self._blobs, ensure_table=self._ensure_table)
        )
        self._rows = PhotoRows(table, limit=photos_per_user_limit, ensure_table=self._ensure_table)
        self._sightings = SightingRows(table, ensure_table=self._ensure_table)
        self._deadline = deadline
        self._credential = credential
        self._table_lock = asyncio.Lock()
        self._tables_created = 0

    async def add(self, photo: NewPhoto) -> Photo:
        """Store ``photo``: one transaction (``shared.storage.photo_rows``)."""
        async with self._storage_call("add"):
            return await self._rows.add(photo)

    async def get(self, user_key: str, photo_id: str) -> Photo | None:
        """The user's photo ``photo_id``, or None."""
        async with self._storage_call("get"):
            entity = await self._read(
                entity_key(user_key, "user"), entity_key(photo_id, "photo id")
            )
        return None if entity is None else photo_from_entity(entity)

    async def list(
        self, user_key: str, *, top: int, after: PhotoPosition | None = None
    ) -> PhotoPage:
        """At most ``top`` of the user's photos in listing order, from just past ``after``: one
        range query of the listing index, whatever the partition holds."""
        async with self._storage_call("list"):
            return await self._rows.list(user_key, top=top, after=after)

    async def delete(self, user_key: str, photo_id: str) -> bool:
        """Delete the user's photo ``photo_id``; False if there was none."""
        async with self._storage_call("delete"):
            return await self._rows.delete(user_key, photo_id)

    async def get_profile(self, user_key: str) -> ProfilePhoto | None:
        async with self._storage_call("get profile"):
            return await self._media.get_profile(user_key)

    async def set_profile(
        self,
        user_key: str,
        user_name: str,
        sizes: Sequence[Image],
        *,
        condition: Precondition | None,
        request_id: str,
        now: datetime,
    ) -> ProfilePhoto:
        async with self._storage_call("set profile"):
            return await self._media.set_profile(
                user_key, user_name, sizes, condition=condition, request_id=request_id, now=now
            )

    async def delete_profile(self, user_key: str, *, condition: Precondition | None) -> bool:
        async with self._storage_call("delete profile"):
            return await self._media.delete_profile(user_key, condition=condition)

    async def set_content(
        self, user_key: str, photo_id: str, image: Image, *, condition: Precondition | None
    ) -> Photo:
        async with self._storage_call("set content"):
            return await self._media.set_content(user_key, photo_id, image, condition=condition)

    async def read_content(self, media: Media) -> bytes | None:
        async with self._storage_call("read content"):
            return await self._media.read_content(media)

    async def read_sighting(self, upn_key: str) -> StoredSighting | None:
        """The stored UPN sighting (``shared.storage.sighting_rows``), or None."""
        async with self._storage_call("read sighting"):
            return await self._sightings.read(upn_key)

    async def write_sighting(self, sighting: Sighting, *, replacing: StoredSighting | None) -> bool:
        """Store ``sighting`` unless the stored one is no longer ``replacing``."""
        async with self._storage_call("write sighting"):
            return await self._sightings.write(
                sighting, upn_key=user_key(sighting.upn), replacing=replacing
            )

    async def aclose(self) -> None:
        """Close the table and blob clients, then the credential the store owns (if any)."""
        try:
            await self._table.close()
            if self._blobs is not None:
                await self._blobs.aclose()
        finally:
            if self._credential is not None:
                await self._credential.close()

    @property
    def _media(self) -> MediaRows:
        if self._media_rows is None:
            raise RuntimeError("this store was opened without a blob container")
        return self._media_rows

    async def _ensure_table(self) -> None:
        """Create the table (a write found it missing), unless another task just did."""
        await self._create_table(self._tables_created)

    async def _create_table(self, tables_created_before: int) -> None:
        """Create the table unless another task did since our insert found it missing."""
        async with self._table_lock:
            if self._tables_created != tables_created_before:
                return
            logger.warning("Table %s does not exist; creating it", self._table.table_name)
            try:
                await self._table.create_table(retry_on_methods=POST_RETRY_METHODS)
            except HttpResponseError as error:
                code = error_code(error)
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
            raise unavailable(RETRY_AFTER) from None
        except (ServiceRequestError, ServiceResponseError) as error:
            logger.warning(
                "Photo store %s: storage unreachable: %s",
                operation,
                summary(error, with_message=True),
            )
            raise unavailable(RETRY_AFTER) from None
        except HttpResponseError as error:
            if is_refused_credential(error):
                # The service's own identity or key is wrong or lacks its role: not the
                # caller's fault, and not transient. The message names no token or key.
                logger.error(
                    "Photo store %s: storage refused the service's credentials: %s",
                    operation,
                    summary(error, with_message=True),
                )
                raise InternalServerError() from None
            if not is_transient(error):
                raise
            logger.warning("Photo store %s: storage busy: %s", operation, summary(error))
            raise unavailable(retry_after(error)) from None
