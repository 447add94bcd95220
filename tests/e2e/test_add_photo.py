"""POST …/photos through the dev host, against Azurite, with real tokens."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from shared.storage.key_encoding import encode_key
from tests.e2e.conftest import Reply, Service, send
from tests.tokens import (
    USER_OID,
    USER_UPN,
    build_access_token,
    build_access_token_expired,
    build_app_only_token,
    build_evil_access_token,
)

SEED = '{"@odata.type": "#microsoft.graph.profilePhoto", "height": 6, "width": 5}'
JSON = "application/json"


def post(
    service: Service, path: str, body: str = SEED, token: str | None = None, **headers: str
) -> Reply:
    sent = {"Content-Type": JSON, **headers}
    sent["Authorization"] = f"Bearer {token if token is not None else build_access_token()}"
    return send(f"{service.base_url}/{path}", body=body, headers=sent)


def rows_for(service: Service, photo_id: str) -> list[dict[str, Any]]:
    return [e for e in service.entities() if e["PhotoId"] == photo_id]


def test_seed_request_gives_the_seed_response(service: Service) -> None:
    reply = post(service, "me/photos")

    assert reply.status == 201
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    photo_id = body["id"]
    assert uuid.UUID(photo_id)
    assert body == {
        "@odata.context": f"{service.base_url}/$metadata#users('{USER_OID}')/photos/$entity",
        "@odata.type": "#microsoft.graph.profilePhoto",
        "id": photo_id,
        "height": 6,
        "width": 5,
    }
    assert reply.headers["location"] == f"{service.base_url}/users/{USER_OID}/photos/{photo_id}"
    assert uuid.UUID(reply.headers["request-id"])
    assert reply.headers["client-request-id"] == reply.headers["request-id"]


def test_stored_entity_matches_the_response(service: Service) -> None:
    reply = post(service, "me/photos", '{"height": 300, "width": 200}')
    body = reply.json()

    [entity] = rows_for(service, body["id"])
    assert entity["PartitionKey"] == encode_key(USER_OID)
    assert entity["RowKey"] == encode_key(body["id"])
    assert (entity["Height"], entity["Width"]) == (300, 200)
    assert entity["RequestId"] == reply.headers["request-id"]


@pytest.mark.parametrize(
    "path",
    [
        "me/photos",
        "me/photos/$ref",
        "me/photos/%24ref",
        "ME/Photos/$REF",
        f"users/{USER_OID}/photos",
        f"users/{USER_OID}/photos/$ref",
        f"users/{USER_OID}/photos/%24ref/",
    ],
)
def test_every_route_form_adds_a_photo(service: Service, path: str) -> None:
    reply = post(service, path)
    assert reply.status == 201, reply.body
    assert len(rows_for(service, reply.json()["id"])) == 1


def test_me_own_object_id_and_own_upn_land_in_the_same_partition(service: Service) -> None:
    ids = [
        post(service, path).json()["id"]
        for path in ("me/photos", f"users/{USER_OID}/photos", f"users/{USER_UPN.upper()}/photos")
    ]
    partitions = {rows_for(service, photo_id)[0]["PartitionKey"] for photo_id in ids}
    assert partitions == {encode_key(USER_OID)}


def test_guest_upn_sent_percent_encoded_is_stored_under_that_users_object_id(
    service: Service,
) -> None:
    guest = f"Bob{uuid.uuid4().hex[:8]}_Fabrikam.com#EXT#@contoso.onmicrosoft.com"
    guest_oid = str(uuid.uuid4())
    signed_in = build_access_token(oid=guest_oid, preferred_username=guest)
    assert post(service, "me/photos", token=signed_in).status == 201  # the guest's token, seen
    token = build_access_token(scp="User.ReadWrite.All")
    encoded = guest.replace("#", "%23").replace("@", "%40")
    reply = post(service, f"users/{encoded}/photos", token=token)

    assert reply.status == 201, reply.body
    [entity] = rows_for(service, reply.json()["id"])
    assert entity["PartitionKey"] == encode_key(guest_oid)
    assert entity["User"] == guest
    assert "%23EXT%23" in reply.headers["location"]


def test_a_upn_no_token_was_seen_for_is_404(service: Service) -> None:
    token = build_access_token(scp="User.ReadWrite.All")
    reply = post(
        service, f"users/nobody-{uuid.uuid4().hex[:8]}@contoso.example/photos", token=token
    )

    assert reply.status == 404, reply.body
    assert reply.json()["error"]["code"] == "Request_ResourceNotFound"


def test_client_chosen_id_is_kept_and_a_repeat_is_a_conflict(service: Service) -> None:
    photo_id = f"photo/{uuid.uuid4().hex}?#'é"
    body = json.dumps({"id": photo_id, "height": 6, "width": 5})

    first = post(service, "me/photos", body)
    second = post(service, "me/photos", json.dumps({"id": photo_id, "height": 7, "width": 7}))

    assert first.status == 201
    assert first.json()["id"] == photo_id
    assert second.status == 409
    assert second.json()["error"]["code"] == "Conflict"
    [entity] = rows_for(service, photo_id)
    assert entity["Height"] == 6


def test_client_request_id_is_echoed(service: Service) -> None:
    reply = post(service, "me/photos", **{"client-request-id": "my-call-42"})
    assert reply.headers["client-request-id"] == "my-call-42"


@pytest.mark.parametrize(
    ("path", "body", "token", "headers", "status", "code"),
    [
        ("me/photos", SEED, "", {}, 401, "InvalidAuthenticationToken"),
        ("me/photos", SEED, build_access_token_expired(), {}, 401, "InvalidAuthenticationToken"),
        ("me/photos", SEED, build_evil_access_token(), {}, 401, "InvalidAuthenticationToken"),
        (
            "me/photos",
            SEED,
            build_access_token(scp="User.Read"),
            {},
            403,
            "Authorization_RequestDenied",
        ),
        (
            "users/someone-else@contoso.example/photos",
            SEED,
            build_access_token(scp="User.ReadWrite"),
            {},
            403,
            "Authorization_RequestDenied",
        ),
        ("me/photos", SEED, build_app_only_token(), {}, 400, "BadRequest"),
        ("me/photos", SEED, None, {"Content-Type": "text/plain"}, 415, "UnsupportedMediaType"),
        ("me/photos", "", None, {}, 400, "BadRequest"),
        ("me/photos", '{"height": 6', None, {}, 400, "BadRequest"),
        ("me/photos", '{"height": 6.0, "width": 5}', None, {}, 400, "BadRequest"),
        ("me/photos", '{"height": 6, "width": 5, "color": "red"}', None, {}, 400, "BadRequest"),
        (
            "me/photos",
            json.dumps({"height": 6, "width": 5, "pad": "x" * 70_000}),
            None,
            {},
            413,
            "RequestEntityTooLarge",
        ),
    ],
)
def test_bad_requests_get_graph_errors_and_store_nothing(
    service: Service,
    path: str,
    body: str,
    token: str | None,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    before = len(service.entities())
    reply = post(service, path, body, token, **headers)

    assert reply.status == status, reply.body
    error = reply.json()["error"]
    assert error["code"] == code
    assert error["innerError"]["request-id"] == reply.headers["request-id"]
    assert "Traceback" not in reply.body.decode()
    if status == 401:
        assert reply.headers["www-authenticate"].lower().startswith("bearer")
    assert len(service.entities()) == before


def test_routes_other_than_the_four_are_not_added_to(service: Service) -> None:
    token = build_access_token()
    before = len(service.entities())
    for method, path, status in [
        ("POST", "me/photos/x", 405),
        ("PUT", "me/photos", 405),
        ("DELETE", "me/photos", 405),
        ("POST", "users/a/b/photos", 404),
    ]:
        reply = send(
            f"{service.base_url}/{path}",
            method=method,
            body=SEED,
            headers={"Authorization": f"Bearer {token}", "Content-Type": JSON},
        )
        assert reply.status == status, (method, path)
    assert len(service.entities()) == before


def test_tokens_never_reach_the_host_log(service: Service) -> None:
    token = build_access_token()
    post(service, "me/photos", token=token)
    post(service, "me/photos", '{"height": "6"}', token=token)
    log = "\n".join(service.host.stdout_lines() + service.host.stderr_lines())
    assert token not in log
    assert token.split(".")[1] not in log
