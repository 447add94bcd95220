"""Run the repository's pinned Azurite Table service (``node_modules/.bin/azurite-table``).

In code (tests, the dev host)::

    azurite = start_azurite(location=tmp_path)      # a free loopback port
    azurite.connection_string                       # TableEndpoint=http://127.0.0.1:<port>/...
    azurite.restart()                               # same port, same data
    azurite.stop()                                  # SIGINT: Azurite persists and exits

In a terminal, in the foreground (Ctrl-C stops it gracefully)::

    python -m devtools.azurite [--port 10002] [--location .azurite] [--in-memory]

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
HOST: Final = "127.0.0.1"
ACCOUNT_NAME: Final = "devstoreaccount1"
ACCOUNT_KEY: Final = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
_PORT_ATTEMPTS = 3
_STARTED = b"Azurite Table service successfully started"


class AzuriteError(RuntimeError):
    """Azurite is not installed, exited early, or did not listen in time."""


def connection_string(port: int, host: str = HOST) -> str:
    """The full development-account connection string for a Table endpoint on ``host:port``."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
        f"TableEndpoint=http://{host}:{port}/{ACCOUNT_NAME};"
    )


def azurite_command(
    *, port: int, location: Path, in_memory: bool = False, extra_args: Sequence[str] = ()
) -> list[str]:
    """The ``azurite-table`` command line (loopback only, no telemetry).

    Azurite refuses ``--location`` with ``--inMemoryPersistence``; it then runs in ``location``
    (``AzuriteProcess`` sets the working directory), which only holds the log.
    """
    if not AZURITE_TABLE.exists():
        raise AzuriteError(f"{AZURITE_TABLE} not found; run `npm ci` in {REPO_ROOT}")
    command = [
        str(AZURITE_TABLE),
        "--tableHost",
        HOST,
        "--tablePort",
        str(port),
        "--skipApiVersionCheck",
        "--disableProductStyleUrl",
        "--disableTelemetry",
    ]
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
    """A running ``azurite-table``; its console output goes to ``log_path``."""

    def __init__(
        self, *, command: list[str], port: int, location: Path, ready_timeout: float
    ) -> None:
        self.port = port
        self.location = location
        self.log_path = location / "azurite-table.log"
        self._command = command
        self._ready_timeout = ready_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        atexit.register(self._kill)

    @property
    def connection_string(self) -> str:
        return connection_string(self.port)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start Azurite; return once it has announced itself and its port accepts connections."""
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
        while not (self._logged_start(log_start) and _accepts_connections(self.port)):
            if self._process.poll() is not None:
                self._close_log()
                raise AzuriteError(
                    f"Azurite exited with {self._process.returncode} before listening on "
                    f"port {self.port}; see {self.log_path}"
                )
            if time.monotonic() > deadline:
                self.stop(sig=signal.SIGKILL)
                raise AzuriteError(
                    f"Azurite did not listen on port {self.port} within "
                    f"{self._ready_timeout} s; see {self.log_path}"
                )
            time.sleep(0.05)

    def _logged_start(self, offset: int) -> bool:
        # Azurite installs its graceful SIGINT handler only after it prints this line.
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return _STARTED in log.read()

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
        """Stop gracefully and start again: same port, same location, same data."""
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
) -> AzuriteProcess:
    """Start ``azurite-table`` on ``127.0.0.1:port`` (0: a free port) with data in ``location``.

    Returns once the port accepts connections. Output goes to ``location/azurite-table.log``.
    """
    location = location.resolve()
    location.mkdir(parents=True, exist_ok=True)
    if port and _accepts_connections(port):
        # Our readiness check would mistake the other listener for Azurite.
        raise AzuriteError(f"port {port} is already in use; pass another port, or 0")
    attempts = _PORT_ATTEMPTS if port == 0 else 1
    for attempt in range(1, attempts + 1):
        chosen = port or free_port()
        azurite = AzuriteProcess(
            command=azurite_command(
                port=chosen, location=location, in_memory=in_memory, extra_args=extra_args
            ),
            port=chosen,
            location=location,
            ready_timeout=ready_timeout,
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
    parser = argparse.ArgumentParser(prog="python -m devtools.azurite", description=__doc__)
    parser.add_argument("--port", type=int, default=10002, help="0 picks a free port")
    parser.add_argument("--location", type=Path, default=REPO_ROOT / ".azurite")
    parser.add_argument("--in-memory", action="store_true", help="keep no data on disk")
    args = parser.parse_args(argv)
    port = args.port or free_port()
    location: Path = args.location.resolve()
    location.mkdir(parents=True, exist_ok=True)
    command = azurite_command(port=port, location=location, in_memory=args.in_memory)
    print(f"PHOTOS_STORAGE={connection_string(port)}", file=sys.stderr, flush=True)
    os.chdir(location)
    os.execv(command[0], command)  # noqa: S606 - hand the terminal (and Ctrl-C) to Azurite


if __name__ == "__main__":
    main()
