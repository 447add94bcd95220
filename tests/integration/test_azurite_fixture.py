"""devtools.azurite and the session fixture: Azurite starts, answers, keeps data, stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from uuid import uuid4

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables.aio import TableClient

from devtools.azurite import REPO_ROOT, AzuriteError, azurite_command, free_port, start_azurite
from tests.conftest import AzuriteEndpoint

pytestmark = pytest.mark.azurite


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _put(connection_string: str, table: str, row: str) -> None:
    async with TableClient.from_connection_string(connection_string, table_name=table) as client:
        await client.create_table()
        await client.create_entity({"PartitionKey": "p", "RowKey": row, "Value": 1})


async def _rows(connection_string: str, table: str) -> list[str]:
    async with TableClient.from_connection_string(connection_string, table_name=table) as client:
        return [entity["RowKey"] async for entity in client.list_entities()]


async def test_session_azurite_answers(azurite: AzuriteEndpoint) -> None:
    table = f"t{uuid4().hex}"
    await _put(azurite.connection_string, table, "r1")
    assert await _rows(azurite.connection_string, table) == ["r1"]
    async with TableClient.from_connection_string(
        azurite.connection_string, table_name=table
    ) as client:
        await client.delete_table()


def test_session_connection_string_names_its_own_port(azurite: AzuriteEndpoint) -> None:
    if azurite.process is None:
        pytest.skip("using GRAPH_PHOTOS_TEST_TABLE_CONNECTION")
    assert f"TableEndpoint=http://127.0.0.1:{azurite.process.port}/devstoreaccount1;" in (
        azurite.connection_string
    )
    assert "AccountName=devstoreaccount1;" in azurite.connection_string
    assert f"BlobEndpoint=http://127.0.0.1:{azurite.process.blob_port}/devstoreaccount1;" in (
        azurite.connection_string
    )


def _blob_service_answers(blob_port: int) -> bool:
    """Azurite's blob service answers on ``blob_port`` (an unsigned request is refused)."""
    url = f"http://127.0.0.1:{blob_port}/devstoreaccount1?comp=list"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    return refused.value.code == 403 and refused.value.headers["Server"].startswith("Azurite-Blob/")


async def test_tables_and_blobs_from_one_process(tmp_path: Path) -> None:
    azurite = start_azurite(location=tmp_path, blob_port=0)
    try:
        assert azurite.blob_port is not None and azurite.queue_port is not None
        assert len({azurite.port, azurite.blob_port, azurite.queue_port}) == 3
        assert f"BlobEndpoint=http://127.0.0.1:{azurite.blob_port}/devstoreaccount1;" in (
            azurite.connection_string
        )
        await _put(azurite.connection_string, "both", "r1")
        assert await _rows(azurite.connection_string, "both") == ["r1"]
        assert _blob_service_answers(azurite.blob_port)
        pid = azurite.pid
    finally:
        azurite.stop()
    assert pid is not None and not _alive(pid)
    log = azurite.log_path.read_text()
    assert "Blob service successfully closed" in log
    assert "Table service successfully closed" in log


def test_tables_and_blobs_on_given_ports(tmp_path: Path) -> None:
    table, blob, queue = free_port(), free_port(), free_port()
    with start_azurite(location=tmp_path, port=table, blob_port=blob, queue_port=queue) as azurite:
        assert (azurite.port, azurite.blob_port, azurite.queue_port) == (table, blob, queue)
        assert _blob_service_answers(blob)


@pytest.mark.parametrize("blob_port", [None, 10000])
def test_azurite_never_sends_telemetry(tmp_path: Path, blob_port: int | None) -> None:
    queue_port = None if blob_port is None else 10001
    command = azurite_command(
        port=10002, location=tmp_path, blob_port=blob_port, queue_port=queue_port
    )
    assert "--disableTelemetry" in command


async def test_data_survives_restart_on_the_same_port(tmp_path: Path) -> None:
    azurite = start_azurite(location=tmp_path)
    try:
        port, first_pid = azurite.port, azurite.pid
        await _put(azurite.connection_string, "kept", "r1")
        azurite.restart()
        assert azurite.port == port
        assert azurite.pid != first_pid
        assert first_pid is not None and not _alive(first_pid)
        assert await _rows(azurite.connection_string, "kept") == ["r1"]
    finally:
        azurite.stop()


async def test_in_memory_forgets_on_restart(tmp_path: Path) -> None:
    azurite = start_azurite(location=tmp_path, in_memory=True)
    try:
        await _put(azurite.connection_string, "gone", "r1")
        azurite.restart()
        with pytest.raises(ResourceNotFoundError):
            await _rows(azurite.connection_string, "gone")
    finally:
        azurite.stop()


def test_stop_leaves_no_process_and_is_idempotent(tmp_path: Path) -> None:
    azurite = start_azurite(location=tmp_path)
    pid = azurite.pid
    assert pid is not None and _alive(pid)
    azurite.stop()
    azurite.stop()
    assert not _alive(pid)
    assert not azurite.running()
    assert "successfully closed" in azurite.log_path.read_text()


def test_context_manager_stops(tmp_path: Path) -> None:
    with start_azurite(location=tmp_path) as azurite:
        pid = azurite.pid
    assert pid is not None and not _alive(pid)


def test_busy_port_is_an_error(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        with pytest.raises(AzuriteError, match="already in use"):
            start_azurite(location=tmp_path, port=other.getsockname()[1])


def test_module_runs_in_the_foreground_and_stops_on_sigint(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.azurite", "--port", "0", "--location", str(tmp_path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None and process.stdout is not None
        line = process.stderr.readline()
        assert line.startswith("PHOTOS_STORAGE=DefaultEndpointsProtocol=http;")
        port = int(line.split("TableEndpoint=http://127.0.0.1:")[1].split("/")[0])
        while "successfully started" not in (output := process.stdout.readline()):
            assert output, "Azurite exited before starting"
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        time.sleep(0.2)  # its SIGINT handler comes right after the "started" line
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert "successfully closed" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
