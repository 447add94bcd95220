"""One user, one partition, through the dev host: what an administrator sets for a UPN is what
the user sees at ``/me``.

``DIRECTORY=tokens`` (the session's service): Alice's token must have been seen first.
``DIRECTORY=graph``: a Graph double on loopback answers, and the service's production wiring
gets its token from azure-identity's ``DefaultAzureCredential`` through an App Service managed
identity endpoint served beside it (``tests.graph_double``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from shared.storage.key_encoding import encode_key
from tests.conftest import AzuriteEndpoint
from tests.e2e.conftest import Reply, Service, running_service, send
from tests.e2e.photo_media import jpeg
from tests.graph_double import IDENTITY_HEADER, GraphUsers, graph_in_thread
from tests.tokens import build_access_token, build_app_only_token

pytestmark = pytest.mark.azurite


@dataclass
class Alice:
    """A user of her own: a fresh object id and UPN, and her delegated token."""

    oid: str
    upn: str
    token: str

    @classmethod
    def new(cls) -> Alice:
        oid, upn = str(uuid.uuid4()), f"alice-{uuid.uuid4().hex[:8]}@contoso.example"
        return cls(oid, upn, build_access_token(oid=oid, preferred_username=upn, scp="User.Read"))


def call(
    service: Service,
    method: str,
    path: str,
    token: str,
    body: bytes | None = None,
    content_type: str | None = None,
) -> Reply:
    headers = {"Authorization": f"Bearer {token}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return send(f"{service.base_url}/{path}", method=method, body=body, headers=headers)


def administrator_sets_photos_for(service: Service, upn: str) -> tuple[Reply, Reply]:
    """An app-only token PUTs a profile photo and POSTs an added photo for ``upn``."""
    admin = build_app_only_token()
    put = call(
        service,
        "PUT",
        f"users/{upn}/photo/$value",
        admin,
        jpeg(100, 100),
        "application/octet-stream",
    )
    body = json.dumps({"id": "from-admin", "height": 6, "width": 5}).encode()
    posted = call(service, "POST", f"users/{upn}/photos", admin, body, "application/json")
    return put, posted


def assert_alice_sees_them_at_me(service: Service, alice: Alice) -> None:
    photo = call(service, "GET", "me/photo", alice.token)
    assert photo.status == 200, photo.body
    assert photo.json()["id"] == "96x96"
    listed = call(service, "GET", "me/photos", alice.token).json()
    assert {p["id"] for p in listed["value"]} == {"48x48", "64x64", "96x96", "from-admin"}
    partitions = {
        row["PartitionKey"]
        for row in service.entities()
        if str(row.get("User", "")).lower() == alice.upn
    }
    assert partitions == {encode_key(alice.oid)}


def test_with_tokens_a_photo_set_by_upn_is_the_users_once_her_token_was_seen(
    service: Service,
) -> None:
    alice = Alice.new()
    put, posted = administrator_sets_photos_for(service, alice.upn)
    assert put.status == posted.status == 404
    assert put.json()["error"]["code"] == "Request_ResourceNotFound"

    assert call(service, "GET", "me/photos", alice.token).status == 200  # Alice signs in
    put, posted = administrator_sets_photos_for(service, alice.upn.upper())

    assert put.status == 200, put.body
    assert posted.status == 201, posted.body
    assert_alice_sees_them_at_me(service, alice)


@pytest.fixture(scope="module")
def graph() -> Iterator[GraphUsers]:
    with graph_in_thread(GraphUsers()) as users:
        yield users


@pytest.fixture(scope="module")
def graph_service(azurite: AzuriteEndpoint, jwks_url: str, graph: GraphUsers) -> Iterator[Service]:
    settings = {
        "DIRECTORY": "graph",
        "DIRECTORY_GRAPH_URL": graph.base_url,
        "IDENTITY_ENDPOINT": f"{graph.base_url}/msi/token",
        "IDENTITY_HEADER": IDENTITY_HEADER,
    }
    with running_service(azurite.connection_string, jwks_url, settings=settings) as running:
        yield running


def test_with_graph_a_photo_set_by_upn_is_the_users_without_her_signing_in_first(
    graph_service: Service, graph: GraphUsers
) -> None:
    alice = Alice.new()
    graph.users[alice.upn.lower()] = alice.oid

    put, posted = administrator_sets_photos_for(graph_service, alice.upn)

    assert put.status == 200, put.body
    assert posted.status == 201, posted.body
    assert graph.asked[alice.upn.lower()] == 1  # the second request was answered from the cache
    assert graph.identity_requests >= 1
    assert_alice_sees_them_at_me(graph_service, alice)


def test_with_graph_an_unknown_upn_is_404_and_throttling_is_503(
    graph_service: Service, graph: GraphUsers
) -> None:
    admin = build_app_only_token()
    unknown = call(graph_service, "GET", "users/nobody@contoso.example/photos", admin)
    assert unknown.status == 404
    assert unknown.json()["error"]["code"] == "Request_ResourceNotFound"

    graph.throttle = 7
    try:
        busy = call(graph_service, "GET", "users/carol@contoso.example/photos", admin)
    finally:
        graph.throttle = None
    assert busy.status == 503
    assert busy.json()["error"]["code"] == "ServiceUnavailable"
    assert busy.headers["retry-after"] == "7"
