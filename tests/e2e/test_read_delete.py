"""GET …/photos, GET …/photos/{id} and DELETE …/photos/{id} through the dev host, on Azurite."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import uuid4

import pytest

from tests.e2e.conftest import Reply, Service, send
from tests.tokens import build_access_token, build_app_only_token

PHOTO_TYPE = "#microsoft.graph.profilePhoto"


class Caller:
    """A delegated user of their own (a fresh oid), so tests never see each other's photos."""

    def __init__(self, service: Service, scp: str = "User.ReadWrite") -> None:
        self.service = service
        self.oid = str(uuid4())
        self.token = build_access_token(
            oid=self.oid, preferred_username=f"{self.oid}@x.example", scp=scp
        )

    def call(self, method: str, path: str, token: str | None = None) -> Reply:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return send(f"{self.service.base_url}/{path}", method=method, headers=headers)

    def add(self, photo_id: str | None = None, height: int = 6, width: int = 5) -> dict[str, Any]:
        body: dict[str, Any] = {"height": height, "width": width}
        if photo_id is not None:
            body["id"] = photo_id
        reply = send(
            f"{self.service.base_url}/me/photos",
            body=json.dumps(body),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        assert reply.status == 201, reply.body
        added: dict[str, Any] = reply.json()
        added["location"] = reply.headers["location"]
        return added


def graph_photo(added: dict[str, Any]) -> dict[str, Any]:
    return {"@odata.type": PHOTO_TYPE, **{k: added[k] for k in ("id", "height", "width")}}


def assert_graph_error(reply: Reply, status: int, code: str) -> dict[str, Any]:
    assert reply.status == status, reply.body
    error: dict[str, Any] = reply.json()["error"]
    assert error["code"] == code
    assert error["innerError"]["request-id"] == reply.headers["request-id"]
    return error


@pytest.fixture
def caller(service: Service) -> Caller:
    return Caller(service)


# ---- list ----------------------------------------------------------------------------------


def test_list_gives_the_photos_in_creation_order(service: Service, caller: Caller) -> None:
    added = [caller.add("z", 1, 2), caller.add("a", 3, 4), caller.add(None, 5, 6)]

    reply = caller.call("GET", "me/photos")

    assert reply.status == 200
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json() == {
        "@odata.context": f"{service.base_url}/$metadata#users('{caller.oid}')/photos",
        "value": [graph_photo(photo) for photo in added],
    }
    assert reply.headers["client-request-id"] == reply.headers["request-id"]


@pytest.mark.parametrize("form", ["me/photos", "users/{oid}/photos", "users/{upn}/photos/"])
def test_me_and_users_forms_list_the_same_photos(caller: Caller, form: str) -> None:
    caller.add("p1")
    path = form.format(oid=caller.oid, upn=quote(f"{caller.oid.upper()}@X.example"))
    reply = caller.call("GET", path)
    assert reply.status == 200
    assert [photo["id"] for photo in reply.json()["value"]] == ["p1"]


def test_a_user_without_photos_has_an_empty_list(caller: Caller) -> None:
    reply = caller.call("GET", "me/photos")
    assert reply.status == 200
    assert reply.json()["value"] == []
    assert "@odata.nextLink" not in reply.json()


def test_next_links_page_through_every_photo(service: Service, caller: Caller) -> None:
    added = [caller.add(f"p{n}") for n in (4, 2, 5, 1, 3)]
    seen: list[str] = []
    links: list[str] = []
    url: str | None = f"{service.base_url}/me/photos?$top=2&$select=id"
    while url is not None:
        reply = send(url, method="GET", headers={"Authorization": f"Bearer {caller.token}"})
        assert reply.status == 200, reply.body
        body = reply.json()
        seen += [photo["id"] for photo in body["value"]]
        assert all(set(photo) == {"@odata.type", "id"} for photo in body["value"])
        url = body.get("@odata.nextLink")
        if url is not None:
            links.append(url)
    assert seen == [photo["id"] for photo in added]
    assert len(links) == 2
    for link in links:
        assert link.startswith(f"{service.base_url}/me/photos?$top=2&$select=id&$skiptoken=")


def test_select_picks_properties(service: Service, caller: Caller) -> None:
    caller.add("p1", 6, 5)
    reply = caller.call("GET", "me/photos?$select=width,ID")
    assert reply.json() == {
        "@odata.context": f"{service.base_url}/$metadata#users('{caller.oid}')/photos(id,width)",
        "value": [{"@odata.type": PHOTO_TYPE, "id": "p1", "width": 5}],
    }


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("$top=0", "$top"),
        ("$top=1000", "$top"),
        ("$top=x", "$top"),
        ("$skiptoken=nonsense", "$skiptoken"),
        ("$select=color", "color"),
        ("$filter=id%20eq%20'x'", "$filter"),
        ("%24orderby=id", "$orderby"),
    ],
)
def test_bad_query_options_are_bad_requests(caller: Caller, query: str, words: str) -> None:
    error = assert_graph_error(caller.call("GET", f"me/photos?{query}"), 400, "BadRequest")
    assert words in error["message"]


# ---- get -----------------------------------------------------------------------------------


def test_get_gives_the_photo(service: Service, caller: Caller) -> None:
    added = caller.add("p1", 300, 200)
    for path in ("me/photos/p1", f"users/{caller.oid}/photos/p1", "me/photos/p1/"):
        reply = caller.call("GET", path)
        assert reply.status == 200, path
        assert reply.json() == {
            "@odata.context": (
                f"{service.base_url}/$metadata#users('{caller.oid}')/photos/$entity"
            ),
            **graph_photo(added),
        }


@pytest.mark.parametrize(
    "photo_id", ["a/b", "a#b?c", "50%off", "%2", "é 😀", "$refs", "%", "a b+c"]
)
def test_the_location_of_an_added_photo_gets_it(caller: Caller, photo_id: str) -> None:
    added = caller.add(photo_id)
    assert added["location"].endswith("/photos/" + quote(photo_id, safe=""))
    reply = send(
        added["location"], method="GET", headers={"Authorization": f"Bearer {caller.token}"}
    )
    assert reply.status == 200, reply.body
    assert reply.json()["id"] == photo_id


@pytest.mark.parametrize("photo_id", [".", "..", "$ref", "$REF", "x%2Fy", "x%2fy"])
def test_an_id_no_url_can_name_is_refused(caller: Caller, photo_id: str) -> None:
    # The host leaves %2F encoded in route values, so "x%252Fy" and "x%2Fy" arrive alike;
    # ".." is resolved away by clients and hosts; "…/photos/$ref" is not a photo.
    reply = send(
        f"{caller.service.base_url}/me/photos",
        body=json.dumps({"id": photo_id, "height": 6, "width": 5}),
        headers={"Authorization": f"Bearer {caller.token}", "Content-Type": "application/json"},
    )
    error = assert_graph_error(reply, 400, "BadRequest")
    assert "could never be read or deleted" in error["message"]
    assert caller.call("GET", "me/photos").json()["value"] == []


def test_get_with_select(service: Service, caller: Caller) -> None:
    caller.add("p1", 6, 5)
    reply = caller.call("GET", "me/photos/p1?$select=height")
    assert reply.json() == {
        "@odata.context": (
            f"{service.base_url}/$metadata#users('{caller.oid}')/photos(height)/$entity"
        ),
        "@odata.type": PHOTO_TYPE,
        "height": 6,
    }


def test_get_a_missing_photo_is_not_found(caller: Caller) -> None:
    caller.add("p1")
    error = assert_graph_error(caller.call("GET", "me/photos/p2"), 404, "ResourceNotFound")
    assert error["message"] == "The photo 'p2' was not found."


def test_another_users_photo_is_not_yours(service: Service, caller: Caller) -> None:
    caller.add("p1")
    other = Caller(service)
    assert_graph_error(other.call("GET", "me/photos/p1"), 404, "ResourceNotFound")


def test_ref_is_not_a_photo(caller: Caller) -> None:
    reply = caller.call("GET", "me/photos/$ref")  # the fallback: $ref is POST-only
    assert_graph_error(reply, 405, "MethodNotAllowed")
    assert reply.headers["allow"] == "POST"


# ---- delete --------------------------------------------------------------------------------


def test_delete_removes_the_photo(service: Service, caller: Caller) -> None:
    kept = caller.add("p1")
    caller.add("a/b")

    reply = caller.call("DELETE", "me/photos/a%2Fb")

    assert reply.status == 204
    assert reply.body == b""
    assert reply.headers["request-id"]
    assert caller.call("GET", "me/photos/a%2Fb").status == 404
    assert caller.call("GET", "me/photos").json()["value"] == [graph_photo(kept)]
    assert not [e for e in service.entities() if e["User"] == caller.oid and e["PhotoId"] == "a/b"]


def test_delete_twice_is_not_found_the_second_time(caller: Caller) -> None:
    caller.add("p1")
    assert caller.call("DELETE", f"users/{caller.oid}/photos/p1").status == 204
    assert_graph_error(caller.call("DELETE", "me/photos/p1"), 404, "ResourceNotFound")


# ---- who may ----------------------------------------------------------------------------------


def test_reading_needs_the_read_permission_and_deleting_the_add_permission(
    service: Service,
) -> None:
    owner = Caller(service)
    owner.add("p1")
    reader = build_access_token(oid=owner.oid, scp="User.Read")

    assert owner.call("GET", "me/photos", reader).status == 200
    assert owner.call("GET", "me/photos/p1", reader).status == 200
    assert_graph_error(
        owner.call("DELETE", "me/photos/p1", reader), 403, "Authorization_RequestDenied"
    )

    stranger = build_access_token(scp="User.Read")  # another user's own-photo scope
    for method, path in [
        ("GET", f"users/{owner.oid}/photos"),
        ("GET", f"users/{owner.oid}/photos/p1"),
        ("DELETE", f"users/{owner.oid}/photos/p1"),
    ]:
        assert_graph_error(owner.call(method, path, stranger), 403, "Authorization_RequestDenied")
    assert owner.call("GET", "me/photos/p1").status == 200  # nothing was deleted


def test_app_only_callers(service: Service, caller: Caller) -> None:
    caller.add("p1")
    read_app = build_app_only_token(roles=("ProfilePhoto.Read.All",))
    write_app = build_app_only_token(roles=("ProfilePhoto.ReadWrite.All",))

    assert caller.call("GET", f"users/{caller.oid}/photos", read_app).status == 200
    assert caller.call("GET", f"users/{caller.oid}/photos/p1", read_app).status == 200
    assert_graph_error(caller.call("GET", "me/photos", read_app), 400, "BadRequest")
    assert_graph_error(
        caller.call("DELETE", f"users/{caller.oid}/photos/p1", read_app),
        403,
        "Authorization_RequestDenied",
    )
    assert caller.call("DELETE", f"users/{caller.oid}/photos/p1", write_app).status == 204


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "me/photos"), ("GET", "me/photos/p1"), ("DELETE", "me/photos/p1")]
)
def test_no_token_is_unauthorized(service: Service, method: str, path: str) -> None:
    reply = send(f"{service.base_url}/{path}", method=method)
    assert_graph_error(reply, 401, "InvalidAuthenticationToken")
    assert reply.headers["www-authenticate"].lower().startswith("bearer")


def test_locations_are_on_the_service(service: Service, caller: Caller) -> None:
    added = caller.add("p1")
    assert urlsplit(added["location"]).netloc == urlsplit(service.base_url).netloc
