"""scripts/run-local as a user runs it: it serves, and a signal stops it and everything it started.

Each test starts the real script (set-up, Azurite, the dev host) on free ports with its own
Azurite folder, waits until the service answers over HTTP, signals it and checks that the
script, Azurite and the host are gone, each stopped cleanly.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from devtools.azurite import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
_READY_TIMEOUT = 180.0  # a first run installs packages
_STOP_TIMEOUT = 15.0


@dataclass
class _RunLocal:
    process: subprocess.Popen[str]
    port: int
    table_port: int
    blob_port: int
    location: Path
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "\n".join(self.lines)


def _read_lines(run: _RunLocal) -> None:
    assert run.process.stdout is not None
    for line in run.process.stdout:
        run.lines.append(line.rstrip("\n"))


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/api/openapi.json")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _alive(pid: int) -> bool:
    """Running (a zombie has exited: it only waits for its parent to read its status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def _descendants(root: int) -> dict[int, str]:
    """Every process below ``root``, with its command line."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                with contextlib.suppress(OSError):
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                    found[pid] = cmdline.replace(b"\0", b" ").decode(errors="replace")
                frontier.append(pid)
    return found


@contextlib.contextmanager
def _run_local(location: Path, *arguments: str) -> Iterator[_RunLocal]:
    """``scripts/run-local`` on free ports, answering; killed with its children afterwards."""
    port, table_port, blob_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "AZURITE_TABLE_PORT": str(table_port),
        "AZURITE_BLOB_PORT": str(blob_port),
        "AZURITE_QUEUE_PORT": str(free_port()),
        "AZURITE_LOCATION": str(location),
    }
    process = subprocess.Popen(
        ["bash", "scripts/run-local", *arguments],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a session of its own; the tests signal it as they choose
    )
    run = _RunLocal(
        process=process,
        port=port,
        table_port=table_port,
        blob_port=blob_port,
        location=location,
    )
    reader = threading.Thread(target=_read_lines, args=(run,), daemon=True)
    reader.start()
    started: dict[int, str] = {}
    try:
        deadline = time.monotonic() + _READY_TIMEOUT
        while not _answers(port):
            assert process.poll() is None, f"run-local exited early:\n{run.output()}"
            assert time.monotonic() < deadline, f"run-local never answered:\n{run.output()}"
            time.sleep(0.2)
        started = _descendants(process.pid)
        yield run
    finally:
        for pid in [process.pid, *started]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait()
        reader.join(timeout=5)


def _stop_and_check(run: _RunLocal, send: str, sig: signal.Signals) -> None:
    children = _descendants(run.process.pid)
    assert any("azurite" in command for command in children.values()), children
    assert any("devtools.host" in command for command in children.values()), children
    if send == "pid":
        os.kill(run.process.pid, sig)
    else:  # Ctrl+C in a terminal: the whole foreground process group
        os.killpg(run.process.pid, sig)
    status = run.process.wait(timeout=_STOP_TIMEOUT)
    assert status == 128 + sig, run.output()
    left = {pid: command for pid, command in children.items() if _alive(pid)}
    assert not left, f"still running after run-local exited: {left}"
    time.sleep(0.2)  # the reader thread catches up with the last lines
    assert f"Functions host stopping ({sig.name})" in run.output()
    azurite_log = (run.location / "azurite.log").read_text()
    assert "Azurite Table service successfully closed" in azurite_log  # saved, not killed
    assert "Azurite Blob service successfully closed" in azurite_log


@pytest.mark.parametrize(
    ("send", "sig"),
    [("pid", signal.SIGTERM), ("pid", signal.SIGINT), ("group", signal.SIGINT)],
    ids=["sigterm-to-pid", "sigint-to-pid", "ctrl-c-to-group"],
)
def test_signal_stops_run_local_and_its_children(
    tmp_path: Path, send: str, sig: signal.Signals
) -> None:
    with _run_local(tmp_path / "azurite") as run:
        _stop_and_check(run, send, sig)


def test_reset_deletes_azurite_data_and_keeps_logs(tmp_path: Path) -> None:
    location = tmp_path / "azurite"
    location.mkdir()
    stale = location / "__azurite_db_table__.json"
    stale.write_text("not Azurite's: must go")
    (location / "__blobstorage__").mkdir()
    (location / "earlier.log").write_text("kept")
    with _run_local(location, "--reset") as run:
        assert "deleted Azurite's data" in run.output()
        assert not stale.exists() or "must go" not in stale.read_text()
        assert (location / "earlier.log").read_text() == "kept"
        _stop_and_check(run, "pid", signal.SIGTERM)


def test_app_gets_one_connection_string_for_blobs_and_tables(tmp_path: Path) -> None:
    with _run_local(tmp_path / "azurite") as run:
        children = _descendants(run.process.pid)
        host = next(pid for pid, command in children.items() if "devtools.host" in command)
        environ = dict(
            entry.split(b"=", 1)
            for entry in Path(f"/proc/{host}/environ").read_bytes().split(b"\0")
            if b"=" in entry
        )
        storage = environ[b"PHOTOS_STORAGE"].decode()
        _stop_and_check(run, "pid", signal.SIGTERM)
    assert f"BlobEndpoint=http://127.0.0.1:{run.blob_port}/devstoreaccount1;" in storage
    assert f"TableEndpoint=http://127.0.0.1:{run.table_port}/devstoreaccount1;" in storage
