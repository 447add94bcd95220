"""Run the repository's pinned Azurite: its Table service alone (``azurite-table``), or its
Table, Blob and Queue services in one process (``azurite``), on loopback, without telemetry.

In code (tests, the dev host)::

    azurite = start_azurite(location=tmp_path)      # tables only, a free loopback port
    azurite.connection_string                       # TableEndpoint=http://127.0.0.1:<port>/...
    azurite = start_azurite(location=tmp_path, blob_port=0)   # tables and blobs (and queues)
    azurite.connection_string                       # BlobEndpoint=...;QueueEndpoint=...;TableEndpoint=...
    azurite.restart()                               # same ports, same data
    azurite.stop()                                  # SIGINT: Azurite persists and exits

In a terminal, in the foreground (Ctrl-C stops it gracefully)::

    python -m devtools.azurite [--port 10002] [--blob-port 10000 [--queue-port 10001]]
                               [--location .azurite] [--in-memory]

The account is Azurite's well-known development account (``devstoreaccount1``); its key is
published in Azurite's documentation and is not a secret.
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Final

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
AZURITE_TABLE: Final = REPO_ROOT / "node_modules" / ".bin" / "azurite-table"
AZURITE_ALL: Final = REPO_ROOT / "node_modules" / ".bin" / "azurite"
HOST: Final = "127.0.0.1"
ACCOUNT_NAME: Final = "devstoreaccount1"
ACCOUNT_KEY: Final = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
_PORT_ATTEMPTS = 3
# The last line each command prints once it serves (the table service starts last in both).
_TABLE_STARTED = b"Azurite Table service successfully started"
_ALL_STARTED = b"Azurite Table service is successfully listening at"


class AzuriteError(RuntimeError):
    """Azurite is not installed, exited early, or did not listen in time."""


def connection_string(
    port: int, host: str = HOST, *, blob_port: int | None = None, queue_port: int | None = None
) -> str:
    """The full development-account connection string for a Table endpoint on ``host:port``,
    with Blob and Queue endpoints when their ports are given."""
    services = (("BlobEndpoint", blob_port), ("QueueEndpoint", queue_port), ("TableEndpoint", port))
    endpoints = "".join(
        f"{name}=http://{host}:{number}/{ACCOUNT_NAME};"
        for name, number in services
        if number is not None
    )
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
        f"{endpoints}"
    )


def azurite_command(
    *,
    port: int,
    location: Path,
    in_memory: bool = False,
    extra_args: Sequence[str] = (),
    blob_port: int | None = None,
    queue_port: int | None = None,
) -> list[str]:
    """The ``azurite-table`` command line, or with ``blob_port`` and ``queue_port`` the
    ``azurite`` one (all three services; its queue service cannot be left out), loopback only,
    no telemetry.

    Azurite refuses ``--location`` with ``--inMemoryPersistence``; it then runs in ``location``
    (``AzuriteProcess`` sets the working directory), which only holds the log.
    """
    if (blob_port is None) != (queue_port is None):
        raise ValueError("the azurite command needs both blob_port and queue_port, or neither")
    program = AZURITE_TABLE if blob_port is None else AZURITE_ALL
    if not program.exists():
        raise AzuriteError(f"{program} not found; run `npm ci` in {REPO_ROOT}")
    services = [("table", port)]
    if blob_port is not None and queue_port is not None:
        services = [("blob", blob_port), ("queue", queue_port), *services]
    command = [str(program)]
    for name, number in services:
        command += [f"--{name}Host", HOST, f"--{name}Port", str(number)]
    command += ["--skipApiVersionCheck", "--disableProductStyleUrl", "--disableTelemetry"]
    command += ["--inMemoryPersistence"] if in_memory else ["--location", str(location)]
    return [*command, *extra_args]


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


class AzuriteProcess:
    """A running ``azurite-table`` (or ``azurite``, when it has a ``blob_port``); its console
    output goes to ``log_path``. ``port`` is the table service's."""

    def __init__(
        self,
        *,
        command: list[str],
        port: int,
        location: Path,
        ready_timeout: float,
        blob_port: int | None = None,
        queue_port: int | None = None,
    ) -> None:
        self.port = port
        self.blob_port = blob_port
        self.queue_port = queue_port
        self.location = location
        self.log_path = location / ("azurite-table.log" if blob_port is None else "azurite.log")
        self._started = _TABLE_STARTED if blob_port is None else _ALL_STARTED
        self._command = command
        self._ready_timeout = ready_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        atexit.register(self._kill)

    @property
    def connection_string(self) -> str:
        return connection_string(self.port, blob_port=self.blob_port, queue_port=self.queue_port)

    def _ports(self) -> list[int]:
        return [p for p in (self.blob_port, self.queue_port, self.port) if p is not None]

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start Azurite; return once it has announced itself and its ports accept connections."""
        if self.running():
            return
        self._log = self.log_path.open("ab")
        log_start = self._log.tell()
        # Own session: a Ctrl-C in the terminal reaches the test runner, which stops us in order.
        self._process = subprocess.Popen(
            self._command,
            cwd=self.location,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + self._ready_timeout
        while not (self._logged_start(log_start) and all(map(_accepts_connections, self._ports()))):
            if self._process.poll() is not None:
                self._close_log()
                raise AzuriteError(
                    f"Azurite exited with {self._process.returncode} before listening on "
                    f"port {self.port}; see {self.log_path}"
                )
            if time.monotonic() > deadline:
                self.stop(sig=signal.SIGKILL)
                raise AzuriteError(
                    f"Azurite did not listen on port(s) {self._ports()} within "
                    f"{self._ready_timeout} s; see {self.log_path}"
                )
            time.sleep(0.05)

    def _logged_start(self, offset: int) -> bool:
        # Azurite installs its graceful SIGINT handler only after it prints this line.
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return self._started in log.read()

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10.0) -> None:
        """Send ``sig`` (SIGINT: Azurite persists its data and exits); kill it after ``timeout``."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._close_log()

    def restart(self) -> None:
        """Stop gracefully and start again: same ports, same location, same data."""
        self.stop()
        self.start()

    def _kill(self) -> None:
        if self.running():
            self.stop(timeout=3.0)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> AzuriteProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_azurite(
    *,
    location: Path,
    port: int = 0,
    in_memory: bool = False,
    extra_args: Sequence[str] = (),
    ready_timeout: float = 30,
    blob_port: int | None = None,
    queue_port: int | None = None,
) -> AzuriteProcess:
    """Start Azurite's table service on ``127.0.0.1:port`` (0: a free port) with data in
    ``location``; with ``blob_port`` (0: a free port) its blob and queue services too, in one
    process (``queue_port`` defaults to a free port then).

    Returns once the ports accept connections. Output goes to ``location/azurite-table.log``
    (tables only) or ``location/azurite.log``.
    """
    location = location.resolve()
    location.mkdir(parents=True, exist_ok=True)
    if blob_port is not None and queue_port is None:
        queue_port = 0
    asked = [p for p in (port, blob_port, queue_port) if p]
    busy = next(filter(_accepts_connections, asked), None)
    if busy is not None:
        # Our readiness check would mistake the other listener for Azurite.
        raise AzuriteError(f"port {busy} is already in use; pass another port, or 0")
    attempts = _PORT_ATTEMPTS if 0 in (port, blob_port, queue_port) else 1
    for attempt in range(1, attempts + 1):
        chosen = port or free_port()
        blob = None if blob_port is None else blob_port or free_port()
        queue = None if queue_port is None else queue_port or free_port()
        azurite = AzuriteProcess(
            command=azurite_command(
                port=chosen,
                location=location,
                in_memory=in_memory,
                extra_args=extra_args,
                blob_port=blob,
                queue_port=queue,
            ),
            port=chosen,
            location=location,
            ready_timeout=ready_timeout,
            blob_port=blob,
            queue_port=queue,
        )
        try:
            azurite.start()
        except AzuriteError:
            # Another process may have taken the free port between probe and listen.
            if attempt == attempts:
                raise
            continue
        return azurite
    raise AssertionError("unreachable")


def main(argv: Sequence[str] | None = None) -> None:
    """Run Azurite in the foreground; Ctrl-C stops it gracefully."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.azurite",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port", type=int, default=10002, help="table service port; 0 picks a free one"
    )
    parser.add_argument(
        "--blob-port",
        type=int,
        help="also serve blobs (and queues) on this port; 0 picks a free one (default: tables only)",
    )
    parser.add_argument(
        "--queue-port", type=int, help="queue port, with --blob-port (default: a free one)"
    )
    parser.add_argument("--location", type=Path, default=REPO_ROOT / ".azurite")
    parser.add_argument("--in-memory", action="store_true", help="keep no data on disk")
    args = parser.parse_args(argv)
    if args.queue_port is not None and args.blob_port is None:
        parser.error("--queue-port needs --blob-port")
    port = args.port or free_port()
    blob_port = None if args.blob_port is None else args.blob_port or free_port()
    queue_port = None if blob_port is None else args.queue_port or free_port()
    location: Path = args.location.resolve()
    location.mkdir(parents=True, exist_ok=True)
    command = azurite_command(
        port=port,
        location=location,
        in_memory=args.in_memory,
        blob_port=blob_port,
        queue_port=queue_port,
    )
    connection = connection_string(port, blob_port=blob_port, queue_port=queue_port)
    print(f"PHOTOS_STORAGE={connection}", file=sys.stderr, flush=True)
    os.chdir(location)
    os.execv(command[0], command)  # noqa: S606 - hand the terminal (and Ctrl-C) to Azurite


if __name__ == "__main__":
    main()
