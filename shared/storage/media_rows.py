"""The photo's bytes: blobs first, then the rows that point at them, switched in one transaction.

``TablePhotoStore`` delegates its media calls here and bounds each by its deadline. The order
of every write keeps readers whole:

1. read the current rows (the profile row, or the added photo's row) and their ETags, and check
   the caller's ``If-Match`` against the photo's ETag;
2. upload the new bytes under blob names unique to this upload (nothing a reader can see yet);
3. switch the rows in one entity group transaction conditioned on the ETag read in 1: the
   profile row and every size row together, so readers see the old sizes or the new ones;
4. delete the blobs the switch replaced (best effort; an orphan costs storage, never a reader).

A write that loses the race in 3 to another writer starts again from 1 (without an
``If-Match``; with one it is ``PreconditionFailed``): two concurrent PUTs end with one of them
whole. A write interrupted before 3 leaves the old photo as it was, plus orphan blobs that it
tries to delete.

A transaction whose answer is lost (the connection dropped, or a 503 the retry policy
replays into a 412) may have taken effect: the next read of 1 recognises the rows by this
upload's blob names and the write is done. After a failed switch, the new blobs are deleted
only when the rows are read and do not point at them; a blob a row points at is never
deleted by the write that stored it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables import TableTransactionError, UpdateMode
from azure.data.tables.aio import TableClient

from shared.graph.errors import ServiceUnavailable
from shared.models import Media, Photo
from shared.storage.blobs import PhotoBlobs, blob_name
from shared.storage.entities import (
    PROFILE_ROW,
    entity_key,
    index_entity,
    index_key,
    media_columns,
    photo_from_entity,
    profile_entity,
    profile_from_entity,
    size_entity,
)
from shared.storage.failures import error_code, summary
from shared.storage.photo_store import (
    Image,
    PhotoMissing,
    Precondition,
    PreconditionFailed,
    ProfilePhoto,
    size_created_at,
)
from shared.storage.table_client import POST_RETRY_METHODS
from shared.storage.transaction import submit_transaction

logger = logging.getLogger(__name__)

SWITCH_ATTEMPTS: Final = 3
"""How often a write that lost the race to another writer starts again."""

_LOST_RACE: Final = frozenset({409, 412})
"""A transaction's answer when another writer changed the rows since we read them."""


class _LostRace(Exception):
    pass


class MediaRows:
    """The media half of ``TablePhotoStore``: table rows and blobs, handed in."""

    def __init__(
        self, table: TableClient, blobs: PhotoBlobs, *, ensure_table: Callable[[], Awaitable[None]]
    ) -> None:
        self._table = table
        self._blobs = blobs
        self._ensure_table = ensure_table

    async def get_profile(self, user_key: str) -> ProfilePhoto | None:
        entity = await self._read(entity_key(user_key, "user"), PROFILE_ROW)
        return None if entity is None else profile_from_entity(entity)

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
        upload = uuid.uuid4().hex
        new = ProfilePhoto(
            tuple(
                Photo(
                    id=f"{image.width}x{image.height}",
                    height=image.height,
                    width=image.width,
                    created_at=size_created_at(now, index),
                    media=Media(
                        blob_name(user_key, upload, f"{image.width}x{image.height}.jpg"),
                        image.etag,
                        image.content_type,
                        len(image.data),
                    ),
                )
                for index, image in enumerate(sizes)
            )
        )
        if condition is not None:  # a stale If-Match uploads nothing
            current = await self.get_profile(user_key)
            _check(condition, None if current is None else current.etag)
        await self._upload_all(new, sizes)
        try:
            old = await self._switch_profile(user_key, user_name, new, condition, request_id)
        except BaseException:
            await self._forget(user_key, new)
            raise
        if old is not None:
            await self._blobs.delete(_blobs_of(old))
        return new

    async def _forget(self, user_key: str, new: ProfilePhoto) -> None:
        """After a failed switch: delete ``new``'s blobs unless the rows point at them (the
        switch took effect and only its answer was lost). If the rows cannot be read, the
        blobs stay: an orphan costs storage, a deleted current blob costs every reader."""
        try:
            current = await self.get_profile(user_key)
        except Exception:  # the switch's own failure is what the caller sees
            logger.warning("Could not tell whether a failed photo switch took effect")
            return
        if current is None or _blobs_of(current) != _blobs_of(new):
            await self._blobs.delete(_blobs_of(new))

    async def delete_profile(self, user_key: str, *, condition: Precondition | None) -> bool:
        partition = entity_key(user_key, "user")
        deleting: ProfilePhoto | None = None
        for _attempt in range(SWITCH_ATTEMPTS):
            entity = await self._read(partition, PROFILE_ROW)
            current = None if entity is None else profile_from_entity(entity)
            if current is None and deleting is not None:
                # Our delete, replayed by the retry policy after it had succeeded.
                await self._blobs.delete(_blobs_of(deleting))
                return True
            _check(condition, None if current is None else current.etag)
            if entity is None or current is None:
                return False
            deleting = current
            operations: list[Any] = [("delete", entity, _if_unchanged(entity))]
            for size in current.sizes:
                operations += [_delete_row(partition, size), _delete_index(partition, size)]
            try:
                await self._submit(operations)
            except _LostRace:
                continue
            await self._blobs.delete(_blobs_of(current))
            return True
        raise _too_contended()

    async def set_content(
        self, user_key: str, photo_id: str, image: Image, *, condition: Precondition | None
    ) -> Photo:
        partition, row = entity_key(user_key, "user"), entity_key(photo_id, "photo id")
        media = Media(
            blob_name(user_key, uuid.uuid4().hex, "photo.jpg"),
            image.etag,
            image.content_type,
            len(image.data),
        )
        await self._blobs.upload(media.blob_name, image.data, media.content_type)
        try:
            old = await self._switch_content(partition, row, media, condition)
        except BaseException:
            await self._blobs.delete([media.blob_name])
            raise
        if old.media is not None:
            await self._blobs.delete([old.media.blob_name])
        return Photo(old.id, old.height, old.width, old.created_at, media)

    async def read_content(self, media: Media) -> bytes | None:
        return await self._blobs.read(media.blob_name)

    async def _upload_all(self, profile: ProfilePhoto, images: Sequence[Image]) -> None:
        uploads = [
            self._blobs.upload(size.media.blob_name, image.data, image.content_type)
            for size, image in zip(profile.sizes, images, strict=True)
            if size.media is not None
        ]
        results = await asyncio.gather(*uploads, return_exceptions=True)
        failed = next((result for result in results if isinstance(result, BaseException)), None)
        if failed is not None:
            await self._blobs.delete(_blobs_of(profile))
            raise failed

    async def _switch_profile(
        self,
        user_key: str,
        user_name: str,
        new: ProfilePhoto,
        condition: Precondition | None,
        request_id: str,
    ) -> ProfilePhoto | None:
        """Make ``new`` the profile photo; the one it replaced (None: there was none)."""
        partition = entity_key(user_key, "user")
        replaced: ProfilePhoto | None = None
        lost: AzureError | None = None
        for attempt in range(SWITCH_ATTEMPTS):
            entity = await self._read(partition, PROFILE_ROW)
            old = None if entity is None else profile_from_entity(entity)
            if attempt and old is not None and _blobs_of(old) == _blobs_of(new):
                return replaced  # the last attempt took effect; its answer was lost
            _check(condition, None if old is None else old.etag)
            replaced, lost = old, None
            row = profile_entity(user_key, user_name, new)
            operations: list[Any] = (
                [("create", row)]
                if entity is None
                else [("update", row, {"mode": UpdateMode.REPLACE, **_if_unchanged(entity)})]
            )
            for size in new.sizes:
                size_row = size_entity(user_key, user_name, size, request_id)
                operations += [("upsert", size_row, _REPLACE), ("create", index_entity(size_row))]
            kept = {size.id for size in new.sizes}
            for size in old.sizes if old is not None else ():
                operations.append(_delete_index(partition, size))
                if size.id not in kept:
                    operations.append(_delete_row(partition, size))
            try:
                await self._submit(operations)
            except _LostRace:
                continue
            except (ServiceRequestError, ServiceResponseError) as error:
                # The connection went away; the transaction may have taken effect (the next
                # read tells). aiohttp reports a lost answer as a request error too.
                logger.warning("A photo switch lost its connection: %s", summary(error))
                lost = error
                continue
            return old
        if lost is not None:
            raise lost
        raise _too_contended()

    async def _switch_content(
        self, partition: str, row: str, media: Media, condition: Precondition | None
    ) -> Photo:
        """Point the added photo's row at ``media``; the photo as it was before."""
        before: Photo | None = None
        for _attempt in range(SWITCH_ATTEMPTS):
            entity = await self._read(partition, row)
            if entity is None:
                raise PhotoMissing()
            old = photo_from_entity(entity)
            if before is not None and old.media is not None and old.media == media:
                return before  # our update, replayed by the retry policy after it succeeded
            before = old
            _check(condition, None if old.media is None else old.media.etag)
            update = {"PartitionKey": partition, "RowKey": row, **media_columns(media)}
            index_update = {**update, "RowKey": index_key(old.created_at, old.id)}
            try:
                await self._submit(
                    [
                        ("update", update, {"mode": UpdateMode.MERGE, **_if_unchanged(entity)}),
                        ("update", index_update, {"mode": UpdateMode.MERGE}),
                    ]
                )
            except _LostRace:
                continue
            except TableTransactionError as error:
                if error.status_code == 404:
                    raise PhotoMissing() from None
                raise
            return old
        raise _too_contended()

    async def _submit(self, operations: list[Any]) -> None:
        """Submit the transaction; ``_LostRace`` to read the rows again and decide anew."""
        try:
            await submit_transaction(self._table, operations, retry_on_methods=POST_RETRY_METHODS)
        except TableTransactionError as error:
            if error.status_code in _LOST_RACE:
                raise _LostRace() from None
            if error_code(error) != "TableNotFound":
                raise
        except ResourceNotFoundError as error:
            if error_code(error) != "TableNotFound":
                raise
        else:
            return
        await self._ensure_table()
        raise _LostRace()  # read again: the table is new

    async def _read(self, partition: str, row: str) -> Mapping[str, Any] | None:
        try:
            return await self._table.get_entity(partition, row)
        except ResourceNotFoundError:
            return None


_REPLACE: Final = {"mode": UpdateMode.REPLACE}


def _delete_row(partition: str, size: Photo) -> tuple[str, dict[str, str]]:
    return ("delete", {"PartitionKey": partition, "RowKey": entity_key(size.id, "photo id")})


def _delete_index(partition: str, size: Photo) -> tuple[str, dict[str, str]]:
    return ("delete", {"PartitionKey": partition, "RowKey": index_key(size.created_at, size.id)})


def _if_unchanged(entity: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments that make a write fail when ``entity`` changed since it was read."""
    metadata = getattr(entity, "metadata", {})
    return {"etag": metadata["etag"], "match_condition": MatchConditions.IfNotModified}


def _check(condition: Precondition | None, etag: str | None) -> None:
    """``PreconditionFailed`` unless the photo (ETag ``etag``; None: no photo or no bytes yet)
    meets ``condition``; without a condition anything goes."""
    if condition is not None and not condition.holds_for(etag):
        raise PreconditionFailed()


def _blobs_of(profile: ProfilePhoto) -> list[str]:
    return [size.media.blob_name for size in profile.sizes if size.media is not None]


def _too_contended() -> Exception:
    logger.warning("A photo write lost the race to other writers %s times", SWITCH_ATTEMPTS)
    return ServiceUnavailable(
        "The photo is being changed by other requests; try again.", retry_after=1
    )
