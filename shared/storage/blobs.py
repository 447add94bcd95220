"""Photo bytes in one blob container: upload, read, delete; the container created once.

Blob names are unique per upload (``blob_name``): a new photo never overwrites the bytes a
reader may be fetching, and the table rows say which blobs are current. The container is
created lazily, once per process, when an upload finds it missing. The client is opened on
the first blob call, so the blob SDK (a fifth of a second to import) stays off a process that
only adds photos.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError

if TYPE_CHECKING:
    from azure.storage.blob import ContentSettings
    from azure.storage.blob.aio import ContainerClient

from shared.graph.errors import InternalServerError
from shared.storage.failures import summary

logger = logging.getLogger(__name__)


def blob_name(user_key: str, upload_id: str, name: str) -> str:
    """``<user hash>/<upload id>/<name>``: short whatever the user id, unique per upload."""
    user = hashlib.sha256(user_key.encode("utf-8")).hexdigest()[:32]
    return f"{user}/{upload_id}/{name}"


class PhotoBlobs:
    """The container of photo bytes. Create once per process; share across requests.

    ``connect`` opens the ``ContainerClient``; it is called once, on the first blob call. A
    setting it refuses (``ValueError``) is logged as a configuration error and is a ``500``.
    """

    def __init__(self, connect: Callable[[], ContainerClient]) -> None:
        self._connect = connect
        self._client: ContainerClient | None = None
        self._lock = asyncio.Lock()
        self._created = 0

    @property
    def _container(self) -> ContainerClient:
        if self._client is None:
            try:
                self._client = self._connect()
            except ValueError as error:
                logger.error("graph-photos is misconfigured: the blob container: %s", error)
                raise InternalServerError("The service is not configured correctly.") from None
        return self._client

    async def upload(self, name: str, data: bytes, content_type: str) -> None:
        """Store ``data`` as the new blob ``name`` (never an existing one)."""
        created = self._created
        try:
            await self._upload(name, data, content_type)
            return
        except ResourceNotFoundError:
            pass  # the container does not exist (yet)
        await self._create_container(created)
        await self._upload(name, data, content_type)

    async def _upload(self, name: str, data: bytes, content_type: str) -> None:
        """One upload; a blob ``name`` already there of ``data``'s length is this upload's own
        (names are unique per upload): an attempt whose answer was lost, replayed by the retry
        policy. A Put Blob is atomic, so it is whole."""
        try:
            await self._container.upload_blob(
                name,
                data,
                overwrite=False,
                content_settings=_content_settings(content_type),
            )
        except ResourceExistsError:
            properties = await self._container.get_blob_client(name).get_blob_properties()
            if properties.size != len(data):
                raise
            logger.info("Upload of blob %s was replayed after it had succeeded", name)

    async def read(self, name: str) -> bytes | None:
        """The blob's bytes; None when it is gone."""
        try:
            downloader = await self._container.download_blob(name)
            return await downloader.readall()
        except ResourceNotFoundError:
            return None

    async def delete(self, names: Iterable[str]) -> None:
        """Delete the blobs, best effort: a failure is logged (the blob is then an orphan)."""
        results = await asyncio.gather(
            *(self._container.delete_blob(name) for name in names), return_exceptions=True
        )
        for result in results:
            if isinstance(result, ResourceNotFoundError):
                continue
            if isinstance(result, AzureError):
                logger.warning("Could not delete a replaced photo blob: %s", summary(result))
            elif isinstance(result, Exception):
                logger.warning("Could not delete a replaced photo blob: %s", type(result).__name__)

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    async def _create_container(self, created_before: int) -> None:
        async with self._lock:
            if self._created != created_before:
                return
            logger.warning(
                "Container %s does not exist; creating it", self._container.container_name
            )
            with contextlib.suppress(ResourceExistsError):  # another process was first
                await self._container.create_container()
            self._created += 1


def _content_settings(content_type: str) -> ContentSettings:
    from azure.storage.blob import ContentSettings  # the blob SDK: loaded with the first upload

    return ContentSettings(content_type=content_type)
