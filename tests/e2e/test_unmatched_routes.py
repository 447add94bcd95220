"""Requests no operation's route takes get Graph's 404 / 405 with request ids, from the fallback.

``GET …/photos/$ref`` is a ``405`` (``Allow: POST``): ``$ref`` names the collection's
references, which the service adds to but does not read. No request here carries a token; one
test runs a host whose settings are broken, where an unknown path is still a plain ``404``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from devtools.host_process import DevHostProcess, start_dev_host_process
from tests.e2e.conftest import REPO_ROOT, Reply, Service, send


def _graph_error(reply: Reply, status: int, code: str) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = reply.json()["error"]
    assert error["code"] == code
    assert error["innerError"]["request-id"] == reply.headers["request-id"]
    assert error["innerError"]["client-request-id"] == reply.headers["client-request-id"]
    return error


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "me/photos", "GET, HEAD, POST"),
        ("DELETE", "users/u1/photos/", "GET, HEAD, POST"),
        ("GET", "me/photos/$ref", "POST"),
        ("GET", "users/u1/photos/%24REF", "POST"),
        ("PATCH", "me/photos/p1", "DELETE, GET, HEAD"),
        ("POST", "openapi.json", "GET, HEAD"),
        ("POST", "me/photo/$value", "DELETE, GET, HEAD, PATCH, PUT"),
    ],
)
def test_a_method_a_resource_does_not_serve_is_405_with_allow(
    service: Service, method: str, path: str, allow: str
) -> None:
    reply = send(f"{service.base_url}/{path}", method=method)

    error = _graph_error(reply, 405, "MethodNotAllowed")
    assert reply.headers["allow"] == allow
    assert f"'{method}'" in error["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "nothing"),
        ("POST", "nothing/at/all"),
        ("GET", "users//photos"),
        ("GET", "me/photos/p1/$value/x"),
        ("GET", ""),
    ],
)
def test_any_other_path_is_404(service: Service, method: str, path: str) -> None:
    reply = send(f"{service.base_url}/{path}", method=method)

    _graph_error(reply, 404, "ResourceNotFound")
    assert "allow" not in reply.headers


def test_the_client_request_id_is_echoed(service: Service) -> None:
    reply = send(
        f"{service.base_url}/nothing", method="GET", headers={"client-request-id": "cid-42"}
    )

    error = _graph_error(reply, 404, "ResourceNotFound")
    assert error["innerError"]["client-request-id"] == "cid-42"
    assert reply.headers["request-id"] != "cid-42"


def test_options_on_a_resource_lists_its_methods(service: Service) -> None:
    reply = send(f"{service.base_url}/me/photos", method="OPTIONS")

    assert reply.status == 204
    assert reply.headers["allow"] == "GET, HEAD, POST"
    assert reply.headers["request-id"]
    assert reply.body == b""


def test_head_where_get_is_not_served_is_405_without_a_body(service: Service) -> None:
    reply = send(f"{service.base_url}/me/photos/$ref", method="HEAD")

    assert reply.status == 405
    assert reply.headers["allow"] == "POST"
    assert reply.headers["request-id"]
    assert reply.body == b""


def test_head_where_get_is_served_is_its_answer_without_a_body(service: Service) -> None:
    reply = send(f"{service.base_url}/me/photos", method="HEAD")

    assert reply.status == 401  # GET's answer without a token
    assert reply.headers["request-id"]
    assert reply.body == b""


def test_the_operations_still_take_their_own_requests(service: Service) -> None:
    # Without a token: the operation answers (401), not the fallback.
    reply = send(f"{service.base_url}/me/photos", method="POST", body="{}")

    _graph_error(reply, 401, "InvalidAuthenticationToken")


@pytest.fixture(scope="module")
def misconfigured() -> Iterator[DevHostProcess]:
    """The app on a dev host whose settings are broken (``AUTH_AUDIENCES`` blank)."""
    env = {**os.environ, "AUTH_AUDIENCES": ""}
    with start_dev_host_process(REPO_ROOT, env=env) as host:
        yield host


def test_an_unknown_path_is_404_even_when_the_service_is_misconfigured(
    misconfigured: DevHostProcess,
) -> None:
    _graph_error(send(f"{misconfigured.base_url}/nothing", method="GET"), 404, "ResourceNotFound")
    put = send(f"{misconfigured.base_url}/me/photos", method="PUT")
    _graph_error(put, 405, "MethodNotAllowed")
    # ... while the operations, which need the settings, fail closed
    get = send(f"{misconfigured.base_url}/me/photos", method="GET")
    _graph_error(get, 500, "InternalServerError")
