"""``POST /$batch`` through ``PhotoApp.serve`` over the in-memory store: Graph's JSON batching."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest

from devtools.memory_store import MemoryPhotoStore
from shared.graph.batch import parse_batch
from shared.graph.errors import BadRequest, GraphError, RequestEntityTooLarge
from shared.limits import MAX_BATCH_BODY_BYTES, MAX_BATCH_REQUESTS
from tests import tokens
from tests.unit.app_harness import ROOT, Harness, graph_error, json_body
from tests.unit.test_media_operations import jpeg

OID = tokens.USER_OID
JSON = {"Content-Type": "application/json"}
PHOTO = {"height": 6, "width": 5}


def _get(item_id: str, url: str, **more: Any) -> dict[str, Any]:
    return {"id": item_id, "method": "GET", "url": url, **more}


def _post(item_id: str, photo_id: str, **more: Any) -> dict[str, Any]:
    body = {**PHOTO, "id": photo_id}
    return {"id": item_id, "method": "POST", "url": "/me/photos", "headers": JSON, "body": body,
            **more}  # fmt: skip


async def _batch(
    harness: Harness, requests: list[dict[str, Any]], path: str = "$batch", **more: Any
) -> dict[str, dict[str, Any]]:
    more.setdefault("token", tokens.build_access_token())
    response = await harness.send("POST", path, body={"requests": requests}, **more)
    assert response.status_code == 200, response.get_body()
    answers = json_body(response)["responses"]
    assert [answer["id"] for answer in answers] == [request["id"] for request in requests]
    return {answer["id"]: answer for answer in answers}


async def test_items_are_served_and_answered_with_status_headers_and_body() -> None:
    harness = Harness()

    answers = await _batch(harness, [_post("1", "p"), _get("2", "/me/photos/p", dependsOn=["1"])])

    assert answers["1"]["status"] == 201
    assert answers["1"]["headers"]["Location"] == f"{ROOT}/users/{OID}/photos/p"
    assert answers["1"]["body"]["id"] == "p"
    assert answers["2"]["status"] == 200
    assert answers["2"]["body"] == {
        "@odata.context": f"{ROOT}/$metadata#users('{OID}')/photos/$entity",
        "@odata.type": "#microsoft.graph.profilePhoto",
        "id": "p",
        **PHOTO,
    }
    assert harness.store.count() == 1


@pytest.mark.parametrize("version", ["v1.0", "beta"])
async def test_item_urls_are_relative_to_the_prefix_the_batch_was_sent_to(version: str) -> None:
    answers = await _batch(Harness(), [_post("1", "p")], path=f"{version}/$batch")

    assert answers["1"]["headers"]["Location"] == f"{ROOT}/{version}/users/{OID}/photos/p"


async def test_a_failed_dependency_is_424_without_running() -> None:
    harness = Harness()

    answers = await _batch(
        harness,
        [_get("1", "/me/photos/missing"), _post("2", "p", dependsOn=["1"])],
    )

    assert answers["1"]["status"] == 404
    assert answers["2"]["status"] == 424
    assert answers["2"]["body"]["error"]["code"] == "FailedDependency"
    assert harness.store.count() == 0


async def test_one_failing_item_fails_only_itself() -> None:
    harness = Harness()

    answers = await _batch(harness, [_get("bad", "/me/nothing"), _post("ok", "p")])

    assert (answers["bad"]["status"], answers["ok"]["status"]) == (404, 201)


class _MeetingStore(MemoryPhotoStore):
    """Each ``get`` waits until two are in flight: sequential items would never meet."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = 0
        self.both = asyncio.Event()

    async def get(self, user_key: str, photo_id: str) -> Any:
        self.waiting += 1
        if self.waiting == 2:
            self.both.set()
        await asyncio.wait_for(self.both.wait(), timeout=5)
        return await super().get(user_key, photo_id)


async def test_independent_items_run_concurrently() -> None:
    harness = Harness(store=_MeetingStore())

    answers = await _batch(harness, [_get("1", "/me/photos/a"), _get("2", "/me/photos/b")])

    assert (answers["1"]["status"], answers["2"]["status"]) == (404, 404)


async def test_the_outer_token_authenticates_every_item() -> None:
    harness = Harness()
    other = tokens.build_access_token(oid="00000000-0000-0000-0000-000000000001")
    item = _post("1", "p", headers={**JSON, "Authorization": f"Bearer {other}"})

    answers = await _batch(harness, [item])
    unauthenticated = await _batch(harness, [_post("1", "q")], token=None)

    assert answers["1"]["headers"]["Location"] == f"{ROOT}/users/{OID}/photos/p"
    assert unauthenticated["1"]["status"] == 401
    assert unauthenticated["1"]["body"]["error"]["code"] == "InvalidAuthenticationToken"


async def test_binary_bodies_are_base64_both_ways() -> None:
    harness = Harness()
    put = {
        "id": "put",
        "method": "PUT",
        "url": "/me/photo/$value",
        "headers": {"Content-Type": "image/jpeg"},
        "body": base64.b64encode(jpeg(60, 60)).decode(),
    }
    read = _get("get", "/me/photos/48x48/$value", dependsOn=["put"])

    answers = await _batch(harness, [put, read])

    assert answers["put"]["status"] == 200
    assert "body" not in answers["put"]
    assert answers["get"]["headers"]["Content-Type"] == "image/jpeg"
    assert base64.b64decode(answers["get"]["body"]).startswith(b"\xff\xd8")


async def test_head_items_have_no_body() -> None:
    answers = await _batch(Harness(), [{"id": "1", "method": "HEAD", "url": "/me/photos"}])

    assert answers["1"]["status"] == 200
    assert "body" not in answers["1"]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (_get("1", "https://graph.microsoft.com/v1.0/me/photos"), "relative"),
        (_get("1", "//evil.example/me/photos"), "relative"),
        ({"id": "1", "method": "POST", "url": "/$batch", "headers": JSON, "body": {}}, "$batch"),
        (_get("1", "v1.0/$BATCH"), "$batch"),
        (
            {"id": "1", "method": "PUT", "url": "/me/photo/$value",
             "headers": {"Content-Type": "image/png"}, "body": "%%%not base64"},
            "base64",
        ),
        ({"id": "1", "method": "PUT", "url": "/me/photo/$value", "body": "AAAA"}, "Content-Type"),
    ],
)  # fmt: skip
async def test_an_items_own_problem_is_its_own_400(item: dict[str, Any], message: str) -> None:
    answers = await _batch(Harness(), [item, _post("2", "p")])

    assert answers["1"]["status"] == 400
    assert message in answers["1"]["body"]["error"]["message"]
    assert answers["2"]["status"] == 201


def _parse(document: object, content_type: str = "application/json") -> None:
    parse_batch(content_type, json.dumps(document).encode(), version=None)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "JSON object"),
        ({"request": []}, "requests"),
        ({"requests": []}, "1 to 20"),
        ({"requests": [_get(str(n), "/me/photos") for n in range(MAX_BATCH_REQUESTS + 1)]},
         "has 21"),
        ({"requests": ["GET /me"]}, "JSON object"),
        ({"requests": [{"method": "GET", "url": "/me/photos"}]}, "'id'"),
        ({"requests": [{"id": 1, "method": "GET", "url": "/me/photos"}]}, "'id'"),
        ({"requests": [{"id": "1", "url": "/me/photos"}]}, "'method'"),
        ({"requests": [{"id": "1", "method": "GET"}]}, "'url'"),
        ({"requests": [_get("1", "/me/photos", headers={"x": 1})]}, "object of strings"),
        ({"requests": [_get("1", "/me/photos", dependsOn="2")]}, "array of ids"),
        ({"requests": [_get("1", "/me/photos"), _get("1", "/me/photo")]}, "more than one"),
        ({"requests": [_get("1", "/me/photos", dependsOn=["9"])]}, "not in the batch"),
        ({"requests": [_get("1", "/a", dependsOn=["2"]), _get("2", "/b", dependsOn=["1"])]},
         "cycle"),
        ({"requests": [_get("1", "/a", dependsOn=["1"])]}, "cycle"),
    ],
)  # fmt: skip
def test_a_malformed_batch_is_400_whole(document: object, message: str) -> None:
    with pytest.raises(BadRequest, match=message.replace("$", r"\$")):
        _parse(document)


def test_a_batch_must_be_json() -> None:
    with pytest.raises(GraphError) as caught:
        _parse({"requests": [_get("1", "/me")]}, content_type="text/plain")
    assert caught.value.status == 415


def test_a_batch_over_the_limit_is_413() -> None:
    with pytest.raises(RequestEntityTooLarge):
        parse_batch("application/json", b" " * (MAX_BATCH_BODY_BYTES + 1), version=None)


async def test_a_malformed_batch_answers_400_in_graphs_format() -> None:
    response = await Harness().send("POST", "$batch", body={"requests": {}})

    graph_error(response, 400, "BadRequest")


async def test_a_declared_length_over_the_limit_is_413_unread() -> None:
    response = await Harness().send(
        "POST", "$batch", headers={"Content-Length": str(MAX_BATCH_BODY_BYTES + 1)}
    )

    graph_error(response, 413, "RequestEntityTooLarge")


def test_item_paths_keep_an_encoded_slash_as_the_host_does() -> None:
    document = {"requests": [_get("1", "/me/photos/a%2Fb%20c?$select=id&x=")]}
    (item,) = parse_batch("application/json", json.dumps(document).encode(), version="beta")

    assert (item.path, item.raw_path) == ("beta/me/photos/a%2Fb c", "beta/me/photos/a%2Fb%20c")
    assert item.query == {"$select": "id", "x": ""}
