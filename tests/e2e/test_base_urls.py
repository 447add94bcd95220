"""Base URLs on the wire: ``/api/v1.0`` and ``/api/beta`` served by the dev host, the URLs handed
back keeping the prefix, and ``PUBLIC_BASE_URL`` keeping the request's ``Host`` out of them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from uuid import uuid4

import pytest

from tests.conftest import AzuriteEndpoint
from tests.e2e.conftest import Reply, Service, running_service, send
from tests.tokens import build_access_token

PUBLIC = "https://photos.contoso.com/graph"


def _add(base_url: str, path: str, oid: str, host: str | None = None) -> Reply:
    headers = {
        "Authorization": f"Bearer {build_access_token(oid=oid)}",
        "Content-Type": "application/json",
    }
    if host is not None:
        headers["Host"] = host
    body = json.dumps({"id": "p1", "height": 6, "width": 5})
    return send(f"{base_url}/{path}", body=body, headers=headers)


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_a_version_prefix_is_served_and_kept(service: Service, version: str) -> None:
    oid = str(uuid4())

    reply = _add(service.base_url, f"{version}/me/photos", oid)

    assert reply.status == 201, reply.body
    assert reply.headers["location"] == f"{service.base_url}/{version}/users/{oid}/photos/p1"
    assert reply.json()["@odata.context"].startswith(f"{service.base_url}/{version}/$metadata#")


@pytest.fixture(scope="module")
def gatewayed(azurite: AzuriteEndpoint, jwks_url: str) -> Iterator[Service]:
    settings = {"PUBLIC_BASE_URL": PUBLIC + "/"}
    with running_service(azurite.connection_string, jwks_url, settings=settings) as running:
        yield running


def test_public_base_url_replaces_what_the_request_said(gatewayed: Service) -> None:
    oid = str(uuid4())

    reply = _add(gatewayed.base_url, "v1.0/me/photos", oid, host="evil.example:666")

    assert reply.status == 201, reply.body
    assert reply.headers["location"] == f"{PUBLIC}/v1.0/users/{oid}/photos/p1"
    assert reply.json()["@odata.context"].startswith(f"{PUBLIC}/v1.0/$metadata#")
    assert b"evil" not in reply.body
    assert not any("evil" in value for value in reply.headers.values())
