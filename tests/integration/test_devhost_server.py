"""The dev host as a real subprocess serving a throw-away Functions app over loopback."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy
from yarl import URL

from devtools.host_process import DevHostProcess, DevHostStartError, start_dev_host_process
from tests.devhost_apps import http_function, write, write_host_json

ADD_PHOTO_ROUTE = "{*target:regex(^(me|users\\x2F[^\\x2F]+)\\x2Fphotos(\\x2F\\$ref)?\\x2F?$)}"


_ECHO = """
    import json, os, threading
    import azure.functions as func
    from shared.marker import MARKER
    from .neighbour import NEIGHBOUR

    def main(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(
            json.dumps({
                "method": req.method,
                "url": req.url,
                "params": dict(req.params),
                "route_params": dict(req.route_params),
                "headers": dict(req.headers),
                "body": req.get_body().decode("latin-1"),
                "from_settings": os.environ.get("DEVHOST_FROM_SETTINGS"),
                "overridden": os.environ.get("DEVHOST_OVERRIDDEN"),
                "thread": threading.current_thread().name,
                "imports": [MARKER, NEIGHBOUR],
                "cwd": os.getcwd(),
            }),
            mimetype="application/json",
            headers={"X-Echo": "yes"},
        )
"""

_SLEEPY_ASYNC = """
    import asyncio, threading
    import azure.functions as func

    async def main(req: func.HttpRequest) -> func.HttpResponse:
        await asyncio.sleep(int(req.route_params["ms"]) / 1000)
        return func.HttpResponse(threading.current_thread().name)
"""

_SLEEPY_SYNC = """
    import time
    import azure.functions as func

    def main(req: func.HttpRequest) -> func.HttpResponse:
        time.sleep(int(req.route_params["ms"]) / 1000)
        return func.HttpResponse("slept")
"""

_RESPOND = """
    import logging
    import azure.functions as func

    def main(req: func.HttpRequest) -> func.HttpResponse:
        kind = req.route_params["kind"]
        if kind == "raise":
            raise RuntimeError("boom-marker")
        if kind == "wrong":
            return 42
        if kind == "log":
            logging.getLogger("app").warning("log-marker %s", 7)
        response = func.HttpResponse(
            b"<p>created</p>", status_code=201, mimetype="text/html", headers={"Location": "/x"}
        )
        response.headers.add("Set-Cookie", "a=1")
        response.headers.add("Set-Cookie", "b=2")
        return response
"""

_NAMED = """
    import azure.functions as func

    def main(req: func.HttpRequest) -> str:
        return "{name} " + req.method
"""


def _write_app(root: Path) -> None:
    write_host_json(root)
    settings = {"DEVHOST_FROM_SETTINGS": "from-settings", "DEVHOST_OVERRIDDEN": "from-settings"}
    write(root / "local.settings.json", json.dumps({"IsEncrypted": False, "Values": settings}))
    write(root / "shared" / "__init__.py", "")
    write(root / "shared" / "marker.py", "MARKER = 'shared-ok'\n")
    functions = {
        "echo": (http_function("echo/{id:int}/{*rest}", ["get", "post"]), _ECHO),
        "sleepy": (http_function("sleepy/{ms:int}"), _SLEEPY_ASYNC),
        "sleepy_sync": (http_function("sleepy-sync/{ms:int}"), _SLEEPY_SYNC),
        "respond": (http_function("respond/{kind:alpha}", ["get"]), _RESPOND),
        "noroute": (http_function(), _NAMED.format(name="noroute")),
        "a_over": (http_function("over/{x}", ["get"]), _NAMED.format(name="a_over")),
        "b_over": (http_function("over/{*rest}"), _NAMED.format(name="b_over")),
        "graph": (http_function(ADD_PHOTO_ROUTE, ["post"]), _ECHO),
        "broken": (http_function("broken"), "def main(req):\n    return (\n"),
        "badjson": ("{not json", _NAMED.format(name="badjson")),
    }
    for name, (config, code) in functions.items():
        write(root / name / "function.json", config)
        write(root / name / "__init__.py", code)
    write(root / "echo" / "neighbour.py", "NEIGHBOUR = 'relative-ok'\n")
    write(root / "graph" / "neighbour.py", "NEIGHBOUR = 'relative-ok'\n")


@pytest.fixture(scope="module")
def app_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("functions_app")
    _write_app(root)
    return root


@pytest.fixture(scope="module")
def dev_host(app_root: Path) -> Iterator[DevHostProcess]:
    env = {**os.environ, "DEVHOST_OVERRIDDEN": "from-test"}
    with start_dev_host_process(app_root, env=env) as host:
        yield host
    assert host.process.poll() is not None


async def _request(
    method: str, url: str, **kwargs: Any
) -> tuple[int, CIMultiDictProxy[str], bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, URL(url, encoded=True), **kwargs) as response,
    ):
        return response.status, response.headers, await response.read()


async def _json(method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    status, _headers, body = await _request(method, url, **kwargs)
    assert status == 200, body
    result: dict[str, Any] = json.loads(body)
    return result


def test_listening_line_has_the_real_port_and_route_prefix(dev_host: DevHostProcess) -> None:
    assert dev_host.base_url.startswith("http://127.0.0.1:")
    assert dev_host.base_url.endswith("/testapi")
    assert int(URL(dev_host.base_url).port or 0) > 0
    line = dev_host.wait_for_stdout("Functions host listening on ")
    assert line is not None and "echo" in line and "broken" not in line


def test_function_urls_are_printed(dev_host: DevHostProcess) -> None:
    origin = dev_host.origin
    lines = dev_host.stdout_lines()
    assert f"    echo: [GET,POST] {origin}/testapi/echo/{{id:int}}/{{*rest}}" in lines
    assert any(
        line.startswith("    noroute: [GET,POST,") and "/testapi/noroute" in line for line in lines
    )


def test_broken_functions_are_reported(dev_host: DevHostProcess) -> None:
    broken = dev_host.wait_for_stdout("broken: failed to load")
    badjson = dev_host.wait_for_stdout("badjson: failed to load")
    assert broken is not None and "SyntaxError" in broken
    assert badjson is not None and "function.json" in badjson
    assert dev_host.wait_for_stderr("Function broken failed to load") is not None


async def test_route_params_query_body_and_headers(dev_host: DevHostProcess) -> None:
    echoed = await _json(
        "POST",
        f"{dev_host.base_url}/echo/42/a/b%20c/?x=1&x=2&y=%C3%A9",
        data=b"hello body",
        headers={"X-Test": "t1", "Content-Type": "application/octet-stream"},
    )
    assert echoed["method"] == "POST"
    assert echoed["route_params"] == {"id": "42", "rest": "a/b c/"}
    assert echoed["params"] == {"x": "1,2", "y": "\u00e9"}
    assert echoed["body"] == "hello body"
    assert echoed["headers"]["x-test"] == "t1"
    assert echoed["headers"]["content-type"] == "application/octet-stream"
    assert echoed["url"] == f"{dev_host.base_url}/echo/42/a/b%20c/?x=1&x=2&y=%C3%A9"


async def test_function_response_headers_and_content_type(dev_host: DevHostProcess) -> None:
    status, headers, _body = await _request("GET", f"{dev_host.base_url}/echo/1/")
    assert status == 200
    assert headers["X-Echo"] == "yes"
    assert headers["Content-Type"] == "application/json"


async def test_created_response_with_repeated_headers(dev_host: DevHostProcess) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{dev_host.base_url}/respond/created") as response,
    ):
        assert response.status == 201
        assert response.headers["Location"] == "/x"
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers.getall("Set-Cookie") == ["a=1", "b=2"]
        assert await response.read() == b"<p>created</p>"


async def test_graph_route_with_encoded_segments(dev_host: DevHostProcess) -> None:
    url = f"{dev_host.base_url}/users/a%23EXT%23%40b.com/photos/%24ref"
    echoed = await _json("POST", url)
    assert echoed["route_params"] == {"target": "users/a#EXT#@b.com/photos/$ref"}
    assert echoed["url"] == url


async def test_encoded_newline_in_a_segment_reaches_the_function(dev_host: DevHostProcess) -> None:
    echoed = await _json("POST", f"{dev_host.base_url}/users/a%0Ab/photos")
    assert echoed["route_params"] == {"target": "users/a\nb/photos"}


@pytest.mark.parametrize("path", ["me/photos/x", "users/a/b/photos", "photos"])
async def test_graph_route_refuses_other_paths(dev_host: DevHostProcess, path: str) -> None:
    status, _headers, _body = await _request("POST", f"{dev_host.base_url}/{path}")
    assert status == 404


async def test_unknown_path_is_a_json_404(dev_host: DevHostProcess) -> None:
    status, headers, body = await _request("GET", f"{dev_host.base_url}/nothing/here")
    assert status == 404
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body)["error"]["code"] == "NotFound"


async def test_constraint_or_method_mismatch_is_404(dev_host: DevHostProcess) -> None:
    not_int, _h, _b = await _request("GET", f"{dev_host.base_url}/echo/abc/")
    wrong_method, _h, _b = await _request("PUT", f"{dev_host.base_url}/echo/1/")
    assert (not_int, wrong_method) == (404, 404)


async def test_function_without_route_serves_its_name_for_any_method(
    dev_host: DevHostProcess,
) -> None:
    status, _headers, body = await _request("DELETE", f"{dev_host.base_url}/NoRoute")
    assert (status, body) == (200, b"noroute DELETE")


async def test_method_picks_between_overlapping_routes(dev_host: DevHostProcess) -> None:
    _s, _h, get_body = await _request("GET", f"{dev_host.base_url}/over/1")
    _s, _h, post_body = await _request("POST", f"{dev_host.base_url}/over/1")
    assert (get_body, post_body) == (b"a_over GET", b"b_over POST")


async def test_settings_imports_and_working_directory(
    dev_host: DevHostProcess, app_root: Path
) -> None:
    echoed = await _json("GET", f"{dev_host.base_url}/echo/1/")
    assert echoed["from_settings"] == "from-settings"
    assert echoed["overridden"] == "from-test"
    assert echoed["imports"] == ["shared-ok", "relative-ok"]
    assert Path(echoed["cwd"]) == app_root.resolve()


async def test_sync_main_runs_in_a_worker_thread_async_on_the_loop(
    dev_host: DevHostProcess,
) -> None:
    echoed = await _json("GET", f"{dev_host.base_url}/echo/1/")
    _status, _headers, async_thread = await _request("GET", f"{dev_host.base_url}/sleepy/0")
    assert echoed["thread"].startswith("function-worker")
    assert async_thread == b"MainThread"


async def test_exception_is_500_with_traceback_on_stderr(dev_host: DevHostProcess) -> None:
    status, _headers, body = await _request("GET", f"{dev_host.base_url}/respond/raise")
    assert status == 500
    assert b"Functions.respond" in body
    assert b"boom-marker" not in body
    assert dev_host.wait_for_stderr("RuntimeError: boom-marker") is not None
    assert any("Traceback" in line for line in dev_host.stderr_lines())


async def test_wrong_return_type_is_500(dev_host: DevHostProcess) -> None:
    status, _headers, _body = await _request("GET", f"{dev_host.base_url}/respond/wrong")
    assert status == 500
    assert dev_host.wait_for_stderr("got int") is not None


async def test_function_logging_goes_to_stderr(dev_host: DevHostProcess) -> None:
    await _request("GET", f"{dev_host.base_url}/respond/log")
    assert dev_host.wait_for_stderr("log-marker 7") is not None


async def test_each_invocation_is_logged_on_stdout(dev_host: DevHostProcess) -> None:
    await _request("GET", f"{dev_host.base_url}/echo/777/logged")
    line = dev_host.wait_for_stdout("/testapi/echo/777/logged")
    assert line is not None and "echo: GET /testapi/echo/777/logged -> 200 (" in line
    await _request("GET", f"{dev_host.base_url}/missing-777")
    assert dev_host.wait_for_stdout("GET /testapi/missing-777 -> 404") is not None


@pytest.mark.parametrize("function", ["sleepy", "sleepy-sync"])
async def test_requests_are_served_concurrently(dev_host: DevHostProcess, function: str) -> None:
    url = f"{dev_host.base_url}/{function}/500"
    started = time.perf_counter()
    results = await asyncio.gather(_request("GET", url), _request("GET", url))
    elapsed = time.perf_counter() - started
    assert [status for status, _h, _b in results] == [200, 200]
    assert elapsed < 0.9


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stops_gracefully_on_signal(app_root: Path, stop_signal: signal.Signals) -> None:
    host = start_dev_host_process(app_root)
    try:
        host.process.send_signal(stop_signal)
        assert host.process.wait(10) == 0
        assert host.wait_for_stdout(f"stopping ({stop_signal.name})") is not None
    finally:
        host.stop()


def test_start_failure_reports_the_output(tmp_path: Path) -> None:
    write(tmp_path / "host.json", "{broken")
    with pytest.raises(DevHostStartError, match=r"host\.json"):
        start_dev_host_process(tmp_path, startup_timeout=20)
