"""The blob container client is opened on the first blob call, not with the store."""

from __future__ import annotations

import pytest
from azure.storage.blob.aio import ContainerClient

from devtools.azurite import connection_string
from shared.config import StorageSettings
from shared.graph.errors import InternalServerError
from shared.storage.blobs import PhotoBlobs
from shared.storage.table_client import create_container_client


class _Opener:
    """Opens a real ``ContainerClient`` for a loopback Azurite, counting the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> ContainerClient:
        self.calls += 1
        settings = StorageSettings(connection_string=connection_string(10000, blob_port=10001))
        return create_container_client(settings)


def _refusing() -> ContainerClient:
    raise ValueError("Invalid URL: example")


async def test_a_store_that_never_touches_blobs_never_opens_the_client() -> None:
    opener = _Opener()
    blobs = PhotoBlobs(opener)
    await blobs.aclose()
    assert opener.calls == 0


async def test_a_refused_blob_setting_is_a_logged_configuration_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    blobs = PhotoBlobs(_refusing)
    with pytest.raises(InternalServerError) as caught:
        await blobs.read("user/upload/96x96")
    assert caught.value.message == "The service is not configured correctly."
    assert "misconfigured" in caplog.text
    await blobs.aclose()
