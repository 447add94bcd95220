"""The dev host as a subprocess, for tests: ``start_dev_host_process(root, env=...)`` starts
``python -m devtools.host`` for an app folder, waits for its listening line and returns a
``DevHostProcess`` that knows the base URL and keeps the child's output lines."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO
from urllib.parse import urlsplit

from devtools.host import LISTENING


class DevHostStartError(RuntimeError):
    """The dev host subprocess exited or never printed its listening line."""


class _LinePump:
    """Reads a pipe on a thread, keeping its lines, so the child never blocks on a full pipe."""

    def __init__(self, pipe: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self._thread.start()

    def _run(self, pipe: IO[str]) -> None:
        for line in pipe:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    return None
                self._changed.wait(remaining)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


class DevHostProcess:
    """A running ``python -m devtools.host`` subprocess; use as a context manager or ``stop()``."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None and process.stderr is not None  # noqa: S101
        self.process = process
        self.base_url = ""  # e.g. http://127.0.0.1:54321/api (with the route prefix)
        self.origin = ""  # e.g. http://127.0.0.1:54321
        self._stdout = _LinePump(process.stdout)
        self._stderr = _LinePump(process.stderr)

    def stdout_lines(self) -> list[str]:
        return list(self._stdout.lines)

    def stderr_lines(self) -> list[str]:
        return list(self._stderr.lines)

    def wait_for_stdout(self, text: str, timeout: float = 10.0) -> str | None:
        """The first stdout line containing ``text``, waiting for it; ``None`` on timeout."""
        return self._stdout.wait_for(text, timeout)

    def wait_for_stderr(self, text: str, timeout: float = 10.0) -> str | None:
        return self._stderr.wait_for(text, timeout)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait (SIGKILL after ``timeout``); the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stdout.join(timeout)
        self._stderr.join(timeout)
        return self.process.returncode

    def __enter__(self) -> DevHostProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_dev_host_process(
    root: Path,
    *,
    env: Mapping[str, str] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 30.0,
    python: str = sys.executable,
    options: Sequence[str] = (),
) -> DevHostProcess:
    """Start the dev host for the app in ``root`` and wait for its listening line.

    ``env`` is the child's whole environment (default: this process's); ``local.settings.json``
    never overrides it. ``options`` are more command-line options (``--cors``,
    ``--request-headers-timeout 1``, ...). ``port=0`` picks a free port; the returned ``base_url`` has the real one.
    Raises ``DevHostStartError`` (with the child's output) if it does not come up.
    """
    environment = dict(os.environ if env is None else env)
    repository = str(Path(__file__).resolve().parent.parent)
    extra_path = environment.get("PYTHONPATH")
    environment["PYTHONPATH"] = os.pathsep.join(
        [repository, extra_path] if extra_path else [repository]
    )
    environment["PYTHONUNBUFFERED"] = "1"
    environment["PYTHONIOENCODING"] = "utf-8"
    command = [python, "-m", "devtools.host", "--host", host, "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--root", str(root), *options],
        cwd=root,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    dev_host = DevHostProcess(process)
    line = dev_host.wait_for_stdout(LISTENING, startup_timeout)
    if line is None:
        exit_code = dev_host.stop()
        output = "\n".join(dev_host.stdout_lines() + dev_host.stderr_lines())
        raise DevHostStartError(f"dev host did not start (exit code {exit_code}):\n{output}")
    dev_host.base_url = line.split(LISTENING, 1)[1].split(" ", 1)[0]
    parts = urlsplit(dev_host.base_url)
    dev_host.origin = f"{parts.scheme}://{parts.netloc}"
    return dev_host
