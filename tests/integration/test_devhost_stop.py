"""A clean stop of a dev host subprocess: in-flight requests finish, the functions' shutdown
hook runs once, sessions close, exit code 0."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from devtools.host_process import start_dev_host_process
from tests.devhost_apps import http_function, write, write_host_json

_LIFECYCLE = """
    from pathlib import Path

    import aiohttp

    _sessions: list[aiohttp.ClientSession] = []

    def session() -> aiohttp.ClientSession:
        if not _sessions:
            _sessions.append(aiohttp.ClientSession())
        return _sessions[0]

    async def on_host_shutdown() -> None:
        for each in _sessions:
            await each.close()
        with Path("shutdown-marker").open("a") as marker:
            marker.write(f"closed {len(_sessions)}\\n")
"""

_SLOW = """
    import asyncio
    from pathlib import Path

    import azure.functions as func
    from shared.lifecycle import on_host_shutdown, session

    async def main(req: func.HttpRequest) -> func.HttpResponse:
        session()
        Path("request-started").touch()
        await asyncio.sleep(0.5)
        return func.HttpResponse("finished")
"""


def _write_app(root: Path) -> None:
    write_host_json(root)
    write(root / "shared" / "__init__.py", "")
    write(root / "shared" / "lifecycle.py", _LIFECYCLE)
    for name in ("a_slow", "b_slow"):  # two functions, one shared hook: awaited once
        write(root / name / "function.json", http_function(name.replace("_", "-")))
        write(root / name / "__init__.py", _SLOW)


async def _wait_for_file(path: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_stop_finishes_requests_runs_the_hook_once_and_exits_0(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    _write_app(tmp_path)
    host = start_dev_host_process(tmp_path)
    try:
        async with aiohttp.ClientSession() as client:
            in_flight = asyncio.create_task(client.get(f"{host.base_url}/a-slow"))
            await _wait_for_file(tmp_path / "request-started")
            host.process.send_signal(stop_signal)
            response = await in_flight
            assert (response.status, await response.text()) == (200, "finished")
            response.release()
        assert await asyncio.to_thread(host.process.wait, 20) == 0
    finally:
        host.stop()
    assert (tmp_path / "shutdown-marker").read_text() == "closed 1\n"
    stderr = "\n".join(host.stderr_lines())
    assert "Unclosed" not in stderr
    assert "Traceback" not in stderr
