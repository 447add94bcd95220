"""Shared fixtures for integration tests: Azurite, a fresh table per test, a TablePhotoStore.

Nothing starts at import or collection time; only tests that ask for these fixtures start
Azurite (one process serving tables and blobs: its connection string has a ``TableEndpoint``
and a ``BlobEndpoint``). Set ``GRAPH_PHOTOS_TEST_TABLE_CONNECTION`` to a Table Storage connection string to
use an Azurite (or storage account) you run yourself instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from uuid import uuid4

import pytest
from azure.core.exceptions import AzureError
from azure.data.tables.aio import TableClient

from devtools.azurite import AzuriteProcess, start_azurite
from shared.config import StorageSettings
from shared.storage.table_client import create_table_client
from shared.storage.table_store import TablePhotoStore
from tests.leaks import leaks_in_lines

CONNECTION_ENV = "GRAPH_PHOTOS_TEST_TABLE_CONNECTION"


class _Records(logging.Handler):
    """Keeps the text of every record, as a log sink would write it (tracebacks included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


@pytest.fixture(autouse=True)
def _no_secret_in_logs() -> Iterator[None]:
    """Every log record a test makes in process: no token, Authorization value or account key."""
    records = _Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(records)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(records)
        root.setLevel(level)
    leaks = leaks_in_lines(records.texts)
    assert not leaks, f"log records leak secrets: {leaks}"


@dataclass(frozen=True)
class AzuriteEndpoint:
    """Where the tests' Table Storage is; ``process`` is None when it is not ours to control."""

    connection_string: str
    process: AzuriteProcess | None


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzuriteEndpoint]:
    """Storage for the session: ``$GRAPH_PHOTOS_TEST_TABLE_CONNECTION``, or an Azurite serving
    tables and blobs."""
    given = os.environ.get(CONNECTION_ENV, "").strip()
    if given:
        yield AzuriteEndpoint(connection_string=given, process=None)
        return
    process = start_azurite(location=tmp_path_factory.mktemp("azurite"), blob_port=0)
    try:
        yield AzuriteEndpoint(connection_string=process.connection_string, process=process)
    finally:
        process.stop()


def table_port(endpoint: AzuriteEndpoint) -> int:
    """The loopback port of ``endpoint``'s Table service (a proxy in front of it needs it)."""
    match = re.search(r"TableEndpoint=http://127\.0\.0\.1:(\d+)/", endpoint.connection_string)
    if match is None:
        pytest.skip("the proxy needs a loopback http Azurite")
    return int(match.group(1))


@pytest.fixture
def table_name() -> str:
    """A table name no other test uses."""
    return f"t{uuid4().hex}"


@pytest.fixture
def storage_settings(azurite: AzuriteEndpoint, table_name: str) -> StorageSettings:
    return StorageSettings(connection_string=azurite.connection_string, table_name=table_name)


@pytest.fixture
async def table_client(storage_settings: StorageSettings) -> AsyncIterator[TableClient]:
    """A client for this test's table (not created: the store creates it lazily)."""
    client = create_table_client(storage_settings)
    try:
        yield client
    finally:
        with contextlib.suppress(AzureError):  # best effort: Azurite is throw-away anyway
            await client.delete_table()
        await client.close()


@pytest.fixture
async def photo_store(
    storage_settings: StorageSettings, table_client: TableClient
) -> AsyncIterator[TablePhotoStore]:
    """A TablePhotoStore on this test's table, with its own client (as the app would have).

    ``table_client`` is the test's view of the same table, and deletes it afterwards.
    """
    store = TablePhotoStore(create_table_client(storage_settings))
    try:
        yield store
    finally:
        await store.aclose()
