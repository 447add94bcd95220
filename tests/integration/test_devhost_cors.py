"""Host.CORS in local.settings.json, honoured by a dev host subprocess over loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from devtools.host_process import DevHostProcess, start_dev_host_process
from tests.devhost_apps import http_function, write, write_host_json

_ECHO = """
    import azure.functions as func

    def main(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(
            "from " + req.method, headers={"X-Function": "yes", "Vary": "Accept"}
        )
"""

_ALLOWED = "http://localhost:8080"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevHostProcess]:
    root: Path = tmp_path_factory.mktemp("cors_app")
    write_host_json(root)
    cors = {"CORS": f"{_ALLOWED},http://127.0.0.1:8080", "CORSCredentials": True}
    write(root / "local.settings.json", json.dumps({"Values": {}, "Host": cors}))
    write(root / "echo" / "function.json", http_function("echo"))
    write(root / "echo" / "__init__.py", _ECHO)
    with start_dev_host_process(root) as dev_host:
        yield dev_host


async def test_an_allowed_origin_gets_the_cors_headers(host: DevHostProcess) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{host.base_url}/echo", headers={"Origin": _ALLOWED}) as response,
    ):
        assert response.status == 200
        headers = response.headers
    assert headers["Access-Control-Allow-Origin"] == _ALLOWED
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert headers["Vary"] == "Accept, Origin"
    exposed = {name.strip().lower() for name in headers["Access-Control-Expose-Headers"].split(",")}
    assert {"request-id", "client-request-id", "etag", "location", "retry-after"} <= exposed


async def test_a_preflight_from_an_allowed_origin_is_answered_by_the_host(
    host: DevHostProcess,
) -> None:
    preflight = {
        "Origin": _ALLOWED,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.options(f"{host.base_url}/echo", headers=preflight) as response,
    ):
        assert response.status == 204
        headers = response.headers
    assert "X-Function" not in headers
    assert headers["Access-Control-Allow-Origin"] == _ALLOWED
    assert headers["Access-Control-Allow-Methods"] == "PUT"
    assert headers["Access-Control-Allow-Headers"] == "authorization, content-type"
    assert int(headers["Access-Control-Max-Age"]) > 0


async def test_another_origin_gets_no_cors_and_its_preflight_reaches_the_function(
    host: DevHostProcess,
) -> None:
    other = {"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{host.base_url}/echo", headers=other) as response:
            assert response.status == 200
            assert not any(name.startswith("Access-Control-") for name in response.headers)
        async with session.options(f"{host.base_url}/echo", headers=other) as response:
            assert (response.status, await response.text()) == (200, "from OPTIONS")
            assert response.headers["X-Function"] == "yes"
            assert not any(name.startswith("Access-Control-") for name in response.headers)
