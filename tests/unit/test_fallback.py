"""The fallback function: Graph's 404 / 405 for what no operation's route takes, agreeing with the routes."""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func
import pytest

from devtools.routing import decode_request_path
from shared.app import PhotoApp
from shared.config import Settings
from shared.graph.errors import SHOWN_LENGTH
from shared.routes import FALLBACK_FUNCTION, NoRoute, match
from tests.repo_routes import FALLBACK, repo_route_table
from tests.unit.test_devhost_routing import REPO_ROUTES

METHODS = ("GET", "POST", "DELETE", "HEAD", "PATCH", "PUT", "OPTIONS", "TRACE")
UNSERVED_ANYWHERE = "TRACE"
PATHS = sorted({raw_path for _, raw_path, function, _ in REPO_ROUTES if function is not None})


@pytest.mark.parametrize("raw_path", PATHS)
def test_the_allowed_methods_are_those_the_routes_serve(raw_path: str) -> None:
    table = repo_route_table()
    path = decode_request_path(raw_path)
    winners = {method: table.match(method, path) for method in METHODS}
    served = {
        method
        for method, found in winners.items()
        if found is not None and found.route.function_name != FALLBACK
    }
    unserved = [
        found for found in winners.values() if found and found.route.function_name == FALLBACK
    ]
    assert unserved, f"every method of {raw_path} is served"  # TRACE never is
    found = match(UNSERVED_ANYWHERE, unserved[0].values["path"])
    assert isinstance(found, NoRoute)
    assert set(found.allowed) == served


def _request(method: str, path: str, headers: dict[str, str] | None = None) -> func.HttpRequest:
    return func.HttpRequest(
        method,
        f"http://localhost/api/{path}",
        headers=headers or {},
        route_params={"path": path},
        body=b"",
    )


async def _unmatched(request: func.HttpRequest) -> func.HttpResponse:
    """The fallback's answer; it must never need settings."""

    def no_settings() -> Settings:
        raise AssertionError("the fallback must not load settings")

    return await PhotoApp(load=no_settings).serve(FALLBACK_FUNCTION, request)


def _error(response: func.HttpResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    error: dict[str, Any] = json.loads(response.get_body())["error"]
    assert error["code"] == code
    assert error["innerError"]["request-id"] == response.headers["request-id"]
    assert error["innerError"]["client-request-id"] == response.headers["client-request-id"]
    return error


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "me/photos", "GET, HEAD, POST"),
        ("PATCH", "users/u1/photos/", "GET, HEAD, POST"),
        ("GET", "me/photos/$ref", "POST"),
        ("DELETE", "users/u1/photos/$REF", "POST"),
        ("PATCH", "me/photos/p1", "DELETE, GET, HEAD"),
        ("post", "me/photos/p1", "DELETE, GET, HEAD"),
        ("DELETE", "OpenAPI.json", "GET, HEAD"),
        ("POST", "me/photo", "DELETE, GET, HEAD"),
    ],
)
async def test_a_resource_with_a_method_not_served_is_405_with_allow(
    method: str, path: str, allow: str
) -> None:
    response = await _unmatched(_request(method, path))

    error = _error(response, 405, "MethodNotAllowed")
    assert response.headers["Allow"] == allow
    assert f"'{method.upper()}'" in error["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "nothing"),
        ("GET", ""),
        ("GET", "me"),
        ("POST", "me/photo/x"),
        ("GET", "users//photos"),
        ("PUT", "users/ /photos"),  # route values arrive decoded; a blank user is no user
        ("DELETE", "me/photos/p1/x"),
    ],
)
async def test_any_other_path_is_404(method: str, path: str) -> None:
    response = await _unmatched(_request(method, path))

    _error(response, 404, "ResourceNotFound")
    assert "Allow" not in response.headers


async def test_the_client_request_id_is_echoed() -> None:
    response = await _unmatched(_request("GET", "nothing", {"client-request-id": "abc-1"}))

    assert _error(response, 404, "ResourceNotFound")["innerError"]["client-request-id"] == "abc-1"


async def test_options_on_a_resource_is_204_with_allow() -> None:
    response = await _unmatched(_request("OPTIONS", "me/photos"))

    assert response.status_code == 204
    assert response.get_body() == b""
    assert response.headers["Allow"] == "GET, HEAD, POST"
    assert response.headers["request-id"]


async def test_options_elsewhere_is_404() -> None:
    _error(await _unmatched(_request("OPTIONS", "nothing")), 404, "ResourceNotFound")


async def test_a_served_method_reaching_the_fallback_is_a_logged_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Only when the operation's function is missing, e.g. it failed to load.
    with caplog.at_level(logging.ERROR, logger="shared.app"):
        response = await _unmatched(_request("GET", "me/photos"))

    _error(response, 500, "InternalServerError")
    assert "did its function fail to load" in caplog.text


async def test_a_long_path_is_shortened_in_the_message() -> None:
    response = await _unmatched(_request("GET", "x" * 500))

    message = _error(response, 404, "ResourceNotFound")["message"]
    assert len(message) < 200
    assert "x" * (SHOWN_LENGTH - 1) + "…" in message
