"""Photos added by POST: each insert, delete and page of a listing is one table request.

``TablePhotoStore`` delegates ``add``, ``list`` and ``delete`` here and bounds each by its
deadline. Every write is one entity group transaction over the user's partition:

- add: create the photo row, create its listing-index row, and create or update the user's
  counter row (``%!count``) conditioned on the counter's ETag;
- delete: delete the photo row (conditioned on the ETag it was read with), its index row, and
  update the counter, conditioned likewise.

The counter makes ``PHOTOS_PER_USER_LIMIT`` exact under concurrency and scale-out: two writers
that both read count ``n`` cannot both store photo ``n + 1``, because the second's condition
fails and it reads the counter again. Its ETag and count are cached per process, so the steady
state of an add is one round trip. A user this process has not seen is taken for a new one (the
transaction creates the counter); if the counter exists, that create fails, the counter is read
and the add tried again: a cache that is stale or missing costs one read and one more try.
Within a process, writes of one user take turns, so they never race each other for the counter.

A listing reads one range of the index (``top + 1`` rows from just past the ``$skiptoken``'s
position), whatever the partition holds: never the whole partition.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from azure.core import MatchConditions
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableTransactionError, UpdateMode
from azure.data.tables.aio import TableClient

from shared.graph.errors import ServiceUnavailable
from shared.models import Photo
from shared.photo_order import PhotoPage, PhotoPosition
from shared.storage.entities import (
    COUNTER_ROW,
    INDEX_COLUMNS,
    INDEX_END,
    INDEX_PREFIX,
    counter_entity,
    entity_key,
    index_entity,
    index_key,
    photo_entity,
    photo_from_entity,
    photo_from_index,
)
from shared.storage.failures import error_code
from shared.storage.photo_store import (
    IdempotencyKeyReused,
    NewPhoto,
    PhotoExists,
    PhotoLimitReached,
)
from shared.storage.table_client import POST_RETRY_METHODS
from shared.storage.transaction import submit_transaction

logger = logging.getLogger(__name__)

WRITE_ATTEMPTS: Final = 8
"""How often a write whose counter was stale (another instance came first) starts again."""
_BACKOFF: Final = 0.05
"""Seconds: the n-th retry waits up to n times this (jittered), so racing instances spread."""
LIMIT_RECHECK: Final = 1.0
"""Seconds a counter read from storage at the limit stands: a flood of adds over the limit
costs one storage read a second, not one per request (a delete in another instance is seen
within that second)."""
COUNTER_CACHE_SIZE: Final = 10_000
"""Users whose counter ETag a process keeps (least recently used beyond)."""

_PHOTO, _INDEX, _COUNTER = 0, 1, 2
"""The positions of the rows in an add's transaction (a failed transaction names one)."""


@dataclass(frozen=True)
class _Counter:
    etag: str
    count: int
    read_at: float = 0.0
    """``time.monotonic()`` when it was read from storage (0: written by this process)."""


class _Stale(Exception):
    """The counter changed since it was read: read it again."""


class PhotoRows:
    """The photo-row half of ``TablePhotoStore``, over its table client."""

    def __init__(
        self, table: TableClient, *, limit: int, ensure_table: Callable[[], Awaitable[None]]
    ) -> None:
        self._table = table
        self._limit = limit
        self._ensure_table = ensure_table
        self._counters: OrderedDict[str, _Counter | None] = OrderedDict()
        self._writers: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def _writer(self, partition: str) -> asyncio.Lock:
        """One writer per user in this process: its writes never race each other for the
        counter (other instances still may; their race costs a read and a retry)."""
        lock = self._writers.get(partition)
        if lock is None:
            lock = self._writers[partition] = asyncio.Lock()
        return lock

    async def add(self, photo: NewPhoto) -> Photo:
        entity = photo_entity(photo)
        async with self._writer(entity["PartitionKey"]):
            return await self._add(entity, photo)

    async def _add(self, entity: dict[str, Any], photo: NewPhoto) -> Photo:
        partition = entity["PartitionKey"]
        for attempt in range(WRITE_ATTEMPTS):
            if attempt:
                await asyncio.sleep(random.uniform(0, _BACKOFF * attempt))  # noqa: S311
            # Unknown here: assume a new user (one round trip); if the counter exists after
            # all, its create fails and the counter is read.
            counter = self._counters.get(partition)
            count = 0 if counter is None else counter.count
            if count >= self._limit:
                if counter is None or time.monotonic() - counter.read_at > LIMIT_RECHECK:
                    counter = await self._counter(partition)  # another instance may have deleted
                    count = 0 if counter is None else counter.count
                if count >= self._limit:
                    raise PhotoLimitReached(self._limit)
            operations = [
                ("create", entity),
                ("create", index_entity(entity)),
                _counter_write(partition, count + 1, counter),
            ]
            try:
                # The Graph request id reaches storage's logs as x-ms-client-request-id.
                results = await submit_transaction(
                    self._table,
                    operations,
                    retry_on_methods=POST_RETRY_METHODS,
                    request_id=photo.request_id,
                )
            except TableTransactionError as error:
                if error.index == _PHOTO and error.status_code == 409:
                    self._forget(partition)
                    return await self._existing(entity, photo)
                if error.index == _COUNTER and error.status_code in (404, 409, 412):
                    await self._counter(partition)  # stale or unknown: read it, then again
                    continue
                if error_code(error) == "TableNotFound":
                    await self._ensure_table()
                    continue
                raise
            except ResourceNotFoundError as error:
                if error_code(error) != "TableNotFound":
                    raise
                await self._ensure_table()
                continue
            self._remember(partition, _Counter(results[_COUNTER]["etag"], count + 1))
            return Photo(photo.photo_id, photo.height, photo.width, photo.created_at)
        raise _contended()

    async def list(self, user_key: str, *, top: int, after: PhotoPosition | None) -> PhotoPage:
        if top < 1:
            raise ValueError("top must be at least 1")
        low = INDEX_PREFIX if after is None else index_key(after.created_at, after.photo_id)
        query = "PartitionKey eq @user and RowKey gt @low and RowKey lt @high"
        parameters = {"user": entity_key(user_key, "user"), "low": low, "high": INDEX_END}
        pages = self._table.query_entities(
            query, parameters=parameters, select=INDEX_COLUMNS, results_per_page=top + 1
        )
        rows: list[Mapping[str, Any]] = []
        try:
            async for row in pages:
                rows.append(row)
                if len(rows) > top:
                    break
        except ResourceNotFoundError:
            return PhotoPage(photos=(), has_more=False)  # no table yet: no photos
        photos = tuple(photo_from_index(row) for row in rows[:top])
        return PhotoPage(photos=photos, has_more=len(rows) > top)

    async def delete(self, user_key: str, photo_id: str) -> bool:
        partition = entity_key(user_key, "user")
        async with self._writer(partition):
            return await self._delete(partition, entity_key(photo_id, "photo id"))

    async def _delete(self, partition: str, row: str) -> bool:
        indexed = True  # photos stored before the listing index existed have no index row
        for attempt in range(WRITE_ATTEMPTS):
            if attempt:
                await asyncio.sleep(random.uniform(0, _BACKOFF * attempt))  # noqa: S311
            entity = await self._read(partition, row)
            if entity is None:
                return False
            if "SizeOf" in entity:
                raise ValueError("a size goes with its profile photo, never by itself")
            counter = await self._cached_counter(partition)
            count = 0 if counter is None else counter.count
            index_row = {"PartitionKey": partition, "RowKey": index_entity(entity)["RowKey"]}
            operations = [
                ("delete", entity, _if_unchanged(entity)),
                *([("delete", index_row)] if indexed else []),
                _counter_write(partition, max(count - 1, 0), counter),
            ]
            try:
                results = await submit_transaction(
                    self._table, operations, retry_on_methods=POST_RETRY_METHODS
                )
            except TableTransactionError as error:
                self._forget(partition)
                if error.index == _PHOTO and error.status_code == 404:
                    # Gone since we read it: our own delete, replayed by the retry policy after
                    # it had succeeded, or another one's. Either way it is deleted.
                    return True
                if indexed and error.index == _INDEX and error.status_code == 404:
                    indexed = False
                    continue
                if error.status_code in (404, 409, 412):
                    continue  # changed meanwhile: look again
                raise
            self._remember(partition, _Counter(results[-1]["etag"], max(count - 1, 0)))
            return True
        raise _contended()

    async def _existing(self, entity: Mapping[str, Any], photo: NewPhoto) -> Photo:
        """The photo an insert met: ours (replayed or the same idempotency claim), or not."""
        existing = await self._read(entity["PartitionKey"], entity["RowKey"])
        if existing is not None:
            if existing.get("RequestId") == photo.request_id:
                logger.info(
                    "Insert of request %s was replayed after it had succeeded", photo.request_id
                )
                return photo_from_entity(existing)
            claim = photo.idempotency
            if claim is not None and existing.get("IdempotencyKey") == claim.key:
                if existing.get("BodyHash") != claim.fingerprint:
                    raise IdempotencyKeyReused()
                logger.info(
                    "Request %s repeats request %s (same idempotency key)",
                    photo.request_id,
                    existing.get("RequestId"),
                )
                return photo_from_entity(existing)
        raise PhotoExists(photo.photo_id)

    async def _cached_counter(self, partition: str) -> _Counter | None:
        """The counter as this process last saw it, read once if it never did."""
        if partition in self._counters:
            self._counters.move_to_end(partition)
            return self._counters[partition]
        return await self._counter(partition)

    async def _counter(self, partition: str) -> _Counter | None:
        """The counter as stored now (None: the user never added a photo)."""
        entity = await self._read(partition, COUNTER_ROW)
        counter = None
        if entity is not None:
            counter = _Counter(entity.metadata["etag"], int(entity["Count"]), time.monotonic())
        self._remember(partition, counter)
        return counter

    def _remember(self, partition: str, counter: _Counter | None) -> None:
        self._counters[partition] = counter
        self._counters.move_to_end(partition)
        while len(self._counters) > COUNTER_CACHE_SIZE:
            self._counters.popitem(last=False)

    def _forget(self, partition: str) -> None:
        self._counters.pop(partition, None)

    async def _read(self, partition: str, row: str) -> Any:
        try:
            return await self._table.get_entity(partition, row)
        except ResourceNotFoundError:
            return None


def _counter_write(partition: str, count: int, counter: _Counter | None) -> tuple[Any, ...]:
    """Create the counter (there was none) or replace it if it is still as read."""
    if counter is None:
        return ("create", counter_entity(partition, count))
    return (
        "update",
        counter_entity(partition, count),
        {
            "mode": UpdateMode.REPLACE,
            "etag": counter.etag,
            "match_condition": MatchConditions.IfNotModified,
        },
    )


def _if_unchanged(entity: Any) -> dict[str, Any]:
    return {"etag": entity.metadata["etag"], "match_condition": MatchConditions.IfNotModified}


def _contended() -> ServiceUnavailable:
    logger.warning("A photo write lost the race to other writers %s times", WRITE_ATTEMPTS)
    return ServiceUnavailable(
        "The photos are being changed by other requests; try again.", retry_after=1
    )
