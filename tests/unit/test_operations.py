"""Every operation through ``PhotoApp.serve`` over the in-memory store: bodies, headers, order."""

from __future__ import annotations

import pytest

from devtools.memory_sightings import MemoryDirectory
from devtools.memory_store import MemoryPhotoStore
from tests import tokens
from tests.unit.app_harness import ROOT, Harness, graph_error, json_body

PHOTO = {"@odata.type": "#microsoft.graph.profilePhoto", "height": 6, "width": 5}
OID = tokens.USER_OID
BOB_OID = "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


@pytest.fixture
def harness() -> Harness:
    return Harness()


def _token(**claims: object) -> str:
    return tokens.build_access_token(**claims)


async def test_add_answers_201_with_the_photo_location_and_context(harness: Harness) -> None:
    response = await harness.send("POST", "me/photos", token=_token(), body={**PHOTO, "id": "p1"})

    assert response.status_code == 201
    assert response.headers["Content-Type"] == (
        "application/json; odata.metadata=minimal; charset=utf-8"
    )
    assert response.headers["Location"] == f"{ROOT}/users/{OID}/photos/p1"
    assert json_body(response) == {
        "@odata.context": f"{ROOT}/$metadata#users('{OID}')/photos/$entity",
        **PHOTO,
        "id": "p1",
    }
    assert response.headers["request-id"]
    assert harness.store.count() == 1


async def test_add_without_an_id_makes_a_guid(harness: Harness) -> None:
    response = await harness.send("POST", "me/photos/$ref", token=_token(), body=PHOTO)

    photo_id = json_body(response)["id"]
    assert len(photo_id) == 36
    assert photo_id.count("-") == 4


async def test_add_for_another_user_by_upn_keeps_the_upn_in_the_urls() -> None:
    harness = Harness(graph=MemoryDirectory({"bob@contoso.com": BOB_OID}))
    token = tokens.build_app_only_token()
    response = await harness.send(
        "POST", "users/Bob@Contoso.com/photos", token=token, body={**PHOTO, "id": "b"}
    )

    assert response.status_code == 201
    assert response.headers["Location"] == f"{ROOT}/users/Bob@Contoso.com/photos/b"
    assert "users('Bob@Contoso.com')" in json_body(response)["@odata.context"]
    assert await harness.store.get(BOB_OID, "b") is not None  # Bob's partition: his object id


async def test_an_existing_id_is_409(harness: Harness) -> None:
    await harness.send("POST", "me/photos", token=_token(), body={**PHOTO, "id": "p1"})
    response = await harness.send("POST", "me/photos", token=_token(), body={**PHOTO, "id": "p1"})

    graph_error(response, 409, "Conflict")
    assert harness.store.count() == 1


async def test_an_idempotency_key_repeat_is_the_same_photo(harness: Harness) -> None:
    key = {"Idempotency-Key": '"k-1"'}
    first = await harness.send("POST", "me/photos", token=_token(), body=PHOTO, headers=key)
    again = await harness.send("POST", "me/photos", token=_token(), body=PHOTO, headers=key)

    assert again.status_code == 201
    assert json_body(again)["id"] == json_body(first)["id"]
    assert harness.store.count() == 1


async def test_an_idempotency_key_with_another_body_is_422(harness: Harness) -> None:
    key = {"Idempotency-Key": '"k-1"'}
    await harness.send("POST", "me/photos", token=_token(), body=PHOTO, headers=key)
    other = {**PHOTO, "height": 7}
    response = await harness.send("POST", "me/photos", token=_token(), body=other, headers=key)

    graph_error(response, 422, "UnprocessableEntity")


@pytest.mark.parametrize(
    ("token", "body", "headers", "status", "code"),
    [
        (None, b"{", {"Content-Type": "text/plain"}, 401, "InvalidAuthenticationToken"),
        ("read-only", b"{", {"Content-Type": "text/plain"}, 403, "Authorization_RequestDenied"),
        ("app-only", b"{", {"Content-Type": "text/plain"}, 400, "BadRequest"),
        ("ok", b"{", {"Content-Type": "text/plain"}, 415, "UnsupportedMediaType"),
        ("ok", b"{", {"Content-Type": "application/json"}, 400, "BadRequest"),
    ],
)
async def test_checks_come_in_order_token_permission_body(
    harness: Harness,
    token: str | None,
    body: bytes,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    minted = {
        None: None,
        "read-only": _token(scp="User.Read"),
        "app-only": tokens.build_app_only_token(),
        "ok": _token(),
    }[token]
    response = await harness.send("POST", "me/photos", token=minted, body=body, headers=headers)

    graph_error(response, status, code)
    assert harness.store.calls == {}


async def test_no_token_is_401_with_a_bearer_challenge(harness: Harness) -> None:
    response = await harness.send("GET", "me/photos")

    error = graph_error(response, 401, "InvalidAuthenticationToken")
    assert error["message"] == "Access token is empty."
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


async def test_list_pages_with_a_next_link_in_creation_order(harness: Harness) -> None:
    for photo_id in ("c", "a", "b"):
        await harness.send("POST", "me/photos", token=_token(), body={**PHOTO, "id": photo_id})

    first = await harness.send("GET", "me/photos", token=_token(), query={"$top": "2"})
    body = json_body(first)
    assert [photo["id"] for photo in body["value"]] == ["c", "a"]
    assert body["@odata.context"] == f"{ROOT}/$metadata#users('{OID}')/photos"
    next_link: str = body["@odata.nextLink"]
    assert next_link.startswith(f"{ROOT}/me/photos?$top=2&$skiptoken=")

    skiptoken = next_link.split("$skiptoken=", 1)[1]
    second = await harness.send(
        "GET", "me/photos", token=_token(), query={"$top": "2", "$skiptoken": skiptoken}
    )
    assert [photo["id"] for photo in json_body(second)["value"]] == ["b"]
    assert "@odata.nextLink" not in json_body(second)


async def test_list_selects_properties(harness: Harness) -> None:
    await harness.send("POST", "me/photos", token=_token(), body={**PHOTO, "id": "p"})
    response = await harness.send("GET", "me/photos", token=_token(), query={"$select": "width"})

    body = json_body(response)
    assert body["value"] == [{"@odata.type": "#microsoft.graph.profilePhoto", "width": 5}]
    assert body["@odata.context"].endswith("/photos(width)")


async def test_get_answers_the_photo_with_its_entity_context(harness: Harness) -> None:
    await harness.send("POST", "me/photos", token=_token(), body={**PHOTO, "id": "p#1"})
    response = await harness.send("GET", f"users/{OID}/photos/p#1", token=_token())

    assert response.status_code == 200
    body = json_body(response)
    assert body["id"] == "p#1"
    assert body["@odata.context"] == f"{ROOT}/$metadata#users('{OID}')/photos/$entity"


async def test_get_of_a_missing_photo_is_404(harness: Harness) -> None:
    response = await harness.send("GET", "me/photos/nope", token=_token())

    error = graph_error(response, 404, "ResourceNotFound")
    assert "'nope'" in error["message"]


async def test_delete_is_204_without_a_body_then_404(harness: Harness) -> None:
    await harness.send("POST", "me/photos", token=_token(), body={**PHOTO, "id": "p"})
    deleted = await harness.send("DELETE", "me/photos/p", token=_token())

    assert deleted.status_code == 204
    assert deleted.get_body() == b""
    assert deleted.headers["request-id"]
    graph_error(
        await harness.send("DELETE", "me/photos/p", token=_token()), 404, "ResourceNotFound"
    )


async def test_reading_needs_a_read_scope_and_deleting_a_write_one(harness: Harness) -> None:
    reader = _token(scp="User.Read")
    await harness.send("POST", "me/photos", token=_token(), body={**PHOTO, "id": "p"})

    assert (await harness.send("GET", "me/photos/p", token=reader)).status_code == 200
    graph_error(
        await harness.send("DELETE", "me/photos/p", token=reader),
        403,
        "Authorization_RequestDenied",
    )


async def test_own_object_id_and_me_are_one_partition(harness: Harness) -> None:
    await harness.send("POST", f"users/{OID}/photos", token=_token(), body={**PHOTO, "id": "p"})

    assert (await harness.send("GET", "me/photos/p", token=_token())).status_code == 200


async def test_a_photo_id_longer_than_any_stored_is_404_without_storage(harness: Harness) -> None:
    response = await harness.send("GET", "me/photos/" + "x" * 300, token=_token())

    graph_error(response, 404, "ResourceNotFound")
    assert harness.store.calls == {}


async def test_the_photo_limit_is_403_quota_limit_reached_and_sizes_do_not_count() -> None:
    harness = Harness(store=MemoryPhotoStore(photos_per_user_limit=2))
    for photo_id in ("a", "b"):
        await harness.send("POST", "me/photos", token=_token(), body={**PHOTO, "id": photo_id})

    response = await harness.send("POST", "me/photos", token=_token(), body={**PHOTO, "id": "c"})

    error = graph_error(response, 403, "QuotaLimitReached")
    assert "2 photos" in error["message"]
    other = tokens.build_access_token(oid="0b9f8a1c-3f43-4f0e-8c2a-8d4c9b1e2f30")
    assert (await harness.send("POST", "me/photos", token=other, body=PHOTO)).status_code == 201
