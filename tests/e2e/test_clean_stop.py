"""The repository's app stops cleanly on the dev host: sessions closed, no "Unclosed" warning.

The app's clients (Table and Blob Storage, the signing-key fetcher) open aiohttp sessions on
first use; the dev host awaits each function's ``on_host_shutdown`` (``PhotoApp.aclose``) when
it stops, so they are closed rather than left for the garbage collector to complain about.
"""

from __future__ import annotations

import io
import signal

import pytest
from PIL import Image

from tests.conftest import AzuriteEndpoint
from tests.e2e.conftest import running_service, send
from tests.tokens import build_access_token


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_app_closes_its_sessions_when_the_host_stops(
    azurite: AzuriteEndpoint, jwks_url: str, stop_signal: signal.Signals
) -> None:
    with running_service(azurite.connection_string, jwks_url) as service:
        auth = {"Authorization": f"Bearer {build_access_token()}"}
        added = send(
            f"{service.base_url}/me/photos",
            method="POST",
            body='{"height": 6, "width": 5}',
            headers={**auth, "Content-Type": "application/json"},
        )
        assert added.status == 201
        put = send(
            f"{service.base_url}/me/photo/$value",
            method="PUT",
            body=_jpeg(),
            headers={**auth, "Content-Type": "image/jpeg"},
        )
        assert put.status == 200
        service.host.process.send_signal(stop_signal)
        code = service.host.process.wait(30)
        log = "\n".join(service.host.stderr_lines())
    assert code == 0
    assert "Unclosed" not in log
    assert "Traceback" not in log
