"""POST …/photos with an Idempotency-Key, through the dev host, against Azurite."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import Reply, Service, send
from tests.tokens import build_access_token

SEED = '{"height": 6, "width": 5}'
OTHER_OID = "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


def post(service: Service, key: str, body: str = SEED, token: str | None = None) -> Reply:
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {token or build_access_token()}",
        "Idempotency-Key": key,
    }
    return send(f"{service.base_url}/me/photos", body=body, headers=headers)


def stored(service: Service, photo_id: str) -> list[dict[str, object]]:
    return [e for e in service.entities() if e["PhotoId"] == photo_id]


def new_key() -> str:
    return f'"{uuid.uuid4()}"'


def test_a_repeat_gets_the_same_photo_and_stores_nothing_new(service: Service) -> None:
    key = new_key()
    first = post(service, key)
    again = post(service, key)

    assert (first.status, again.status) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["request-id"] != first.headers["request-id"]
    [entity] = stored(service, first.json()["id"])
    assert entity["RequestId"] == first.headers["request-id"]


def test_the_same_key_with_another_body_is_422(service: Service) -> None:
    key = new_key()
    first = post(service, key)
    other = post(service, key, '{"height": 7, "width": 5}')

    assert other.status == 422
    error = other.json()["error"]
    assert error["code"] == "UnprocessableEntity"
    assert "Idempotency-Key" in error["message"]
    [entity] = stored(service, first.json()["id"])
    assert entity["Height"] == 6


def test_the_same_body_written_differently_is_a_repeat(service: Service) -> None:
    key = new_key()
    first = post(service, key)
    again = post(
        service, key, '{"width":5,"@odata.type":"#microsoft.graph.profilePhoto","height":6}'
    )
    assert again.status == 201
    assert again.json()["id"] == first.json()["id"]


def test_another_user_with_the_same_key_is_independent(service: Service) -> None:
    key = new_key()
    mine = post(service, key)
    theirs = post(service, key, token=build_access_token(oid=OTHER_OID, preferred_username=None))

    assert (mine.status, theirs.status) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert OTHER_OID in theirs.headers["location"]
    assert len(stored(service, theirs.json()["id"])) == 1


def test_a_bare_key_and_its_quoted_form_are_the_same_key(service: Service) -> None:
    bare = str(uuid.uuid4())
    assert post(service, bare).json()["id"] == post(service, f'"{bare}"').json()["id"]


def test_a_bad_key_is_400(service: Service) -> None:
    reply = post(service, "x" * 256)
    assert reply.status == 400
    assert reply.json()["error"]["code"] == "BadRequest"
