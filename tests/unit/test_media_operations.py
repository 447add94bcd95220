"""The photo's bytes through ``PhotoApp.serve`` over the in-memory store: sizes, ETags, 304/412."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests import tokens
from tests.unit.app_harness import ROOT, Harness, graph_error, json_body

OID = tokens.USER_OID
SDK_ACCEPT = {"Accept": "application/octet-stream, application/json"}
OCTETS = {"Content-Type": "application/octet-stream"}


def jpeg(width: int, height: int, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG")
    return out.getvalue()


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def harness() -> Harness:
    return Harness()


def _token(**claims: object) -> str:
    return tokens.build_access_token(**claims)


async def _put(harness: Harness, data: bytes, path: str = "me/photo/$value") -> str:
    response = await harness.send("PUT", path, token=_token(), body=data, headers=OCTETS)
    assert response.status_code == 200, response.get_body()
    assert response.get_body() == b""
    etag: str = response.headers["ETag"]
    return etag


async def test_a_photo_set_comes_back_in_every_size_not_larger_than_it(harness: Harness) -> None:
    await _put(harness, jpeg(300, 400))

    listed = json_body(await harness.send("GET", "me/photos", token=_token()))
    assert [photo["id"] for photo in listed["value"]] == [
        "48x48",
        "64x64",
        "96x96",
        "120x120",
        "240x240",
    ]
    for size in listed["value"]:
        response = await harness.send(
            "GET", f"me/photos/{size['id']}/$value", token=_token(), headers=SDK_ACCEPT
        )
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["ETag"] == size["@odata.mediaEtag"]
        assert Image.open(io.BytesIO(response.get_body())).size == (size["width"], size["height"])


async def test_the_photo_is_the_largest_size_with_its_media_annotations(harness: Harness) -> None:
    etag = await _put(harness, png(300, 300))

    response = await harness.send("GET", "me/photo", token=_token())
    assert response.status_code == 200
    assert json_body(response) == {
        "@odata.context": f"{ROOT}/$metadata#users('{OID}')/photo/$entity",
        "@odata.type": "#microsoft.graph.profilePhoto",
        "@odata.mediaContentType": "image/jpeg",
        "@odata.mediaEtag": etag,
        "id": "240x240",
        "height": 240,
        "width": 240,
    }


async def test_the_bytes_are_the_same_on_every_get_and_revalidate_to_304(harness: Harness) -> None:
    etag = await _put(harness, jpeg(100, 100))
    first = await harness.send("GET", "me/photo/$value", token=_token(), headers=SDK_ACCEPT)
    second = await harness.send("GET", "me/photo/$value", token=_token())

    assert first.get_body() == second.get_body()
    assert first.headers["ETag"] == etag
    assert first.headers["Cache-Control"] == "private"
    reads = harness.store.calls["read_content"]
    again = await harness.send(
        "GET", "me/photo/$value", token=_token(), headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.get_body() == b""
    assert again.headers["ETag"] == etag
    assert harness.store.calls["read_content"] == reads  # no blob read for a 304


async def test_head_answers_the_headers_without_the_bytes(harness: Harness) -> None:
    etag = await _put(harness, jpeg(64, 64))
    response = await harness.send("HEAD", "me/photo/$value", token=_token())

    assert response.status_code == 200
    assert response.get_body() == b""
    assert response.headers["ETag"] == etag


async def test_a_small_image_gets_one_size_the_square_of_its_shorter_side(harness: Harness) -> None:
    await _put(harness, jpeg(30, 100))

    photo = json_body(await harness.send("GET", "me/photo", token=_token()))
    assert (photo["id"], photo["width"], photo["height"]) == ("30x30", 30, 30)


async def test_a_new_photo_replaces_every_size_of_the_old(harness: Harness) -> None:
    await _put(harness, jpeg(500, 500))
    await _put(harness, jpeg(64, 64))

    ids = [
        p["id"] for p in json_body(await harness.send("GET", "me/photos", token=_token()))["value"]
    ]
    assert ids == ["48x48", "64x64"]
    assert harness.store.blob_count() == 2


async def test_if_match_on_put_and_delete(harness: Harness) -> None:
    wrong = {**OCTETS, "If-Match": '"nope"'}
    no_photo = await harness.send(
        "PUT", "me/photo/$value", token=_token(), body=jpeg(50, 50), headers=wrong
    )
    graph_error(no_photo, 412, "PreconditionFailed")

    etag = await _put(harness, jpeg(50, 50))
    stale = await harness.send("DELETE", "me/photo", token=_token(), headers={"If-Match": '"nope"'})
    graph_error(stale, 412, "PreconditionFailed")
    fresh = await harness.send("DELETE", "me/photo", token=_token(), headers={"If-Match": etag})
    assert fresh.status_code == 204


async def test_no_photo_is_image_not_found_everywhere(harness: Harness) -> None:
    for method, path in [
        ("GET", "me/photo"),
        ("GET", "me/photo/$value"),
        ("DELETE", "me/photo"),
        ("DELETE", "me/photo/$value"),
        ("GET", "me/photos/48x48"),
        ("GET", "me/photos/48x48/$value"),
    ]:
        response = await harness.send(method, path, token=_token())
        expected = "ResourceNotFound" if path == "me/photos/48x48" else "ImageNotFound"
        graph_error(response, 404, expected)


async def test_delete_removes_the_photo_and_every_size(harness: Harness) -> None:
    await _put(harness, jpeg(100, 100))
    response = await harness.send("DELETE", "me/photo/$value", token=_token())

    assert response.status_code == 204
    assert json_body(await harness.send("GET", "me/photos", token=_token()))["value"] == []
    assert harness.store.blob_count() == 0


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"a": 1}', "application/json", 415, "UnsupportedMediaType"),
        (b"hello", "text/plain", 415, "UnsupportedMediaType"),
        (b"", "image/jpeg", 400, "BadRequest"),
        (b"GIF89a not really", "image/gif", 400, "BadRequest"),
        (b"plain bytes, no image", "application/octet-stream", 400, "BadRequest"),
    ],
)
async def test_what_is_not_an_image_is_refused_and_nothing_changes(
    harness: Harness, body: bytes, content_type: str, status: int, code: str
) -> None:
    response = await harness.send(
        "PUT", "me/photo/$value", token=_token(), body=body, headers={"Content-Type": content_type}
    )

    graph_error(response, status, code)
    assert "set_profile" not in harness.store.calls
    assert harness.store.blob_count() == 0


async def test_a_declared_body_over_the_limit_is_413_before_the_token(harness: Harness) -> None:
    response = await harness.send(
        "PUT", "me/photo/$value", headers={"Content-Length": str(4 * 1024 * 1024 + 1)}
    )

    graph_error(response, 413, "RequestEntityTooLarge")


async def test_setting_needs_a_write_permission(harness: Harness) -> None:
    response = await harness.send(
        "PUT", "me/photo/$value", token=_token(scp="User.Read"), body=jpeg(50, 50), headers=OCTETS
    )

    graph_error(response, 403, "Authorization_RequestDenied")


async def test_an_accept_that_rules_out_bytes_is_406(harness: Harness) -> None:
    await _put(harness, jpeg(50, 50))
    response = await harness.send(
        "GET", "me/photo/$value", token=_token(), headers={"Accept": "application/json"}
    )

    graph_error(response, 406, "NotAcceptable")


async def test_sizes_are_read_only(harness: Harness) -> None:
    await _put(harness, jpeg(50, 50))

    put = await harness.send("PUT", "me/photos/48x48/$value", token=_token(), body=jpeg(48, 48))
    graph_error(put, 405, "MethodNotAllowed")
    assert put.headers["Allow"] == "GET, HEAD"
    delete = await harness.send("DELETE", "me/photos/48x48", token=_token())
    graph_error(delete, 405, "MethodNotAllowed")


async def test_a_size_id_cannot_be_added_by_post(harness: Harness) -> None:
    body = {"id": "96x96", "height": 96, "width": 96}
    response = await harness.send("POST", "me/photos", token=_token(), body=body)

    error = graph_error(response, 400, "BadRequest")
    assert "96x96" in error["message"]


async def test_an_added_photo_gets_bytes_of_exactly_its_size(harness: Harness) -> None:
    await harness.send(
        "POST", "me/photos", token=_token(), body={"id": "p", "height": 40, "width": 60}
    )
    missing = await harness.send("GET", "me/photos/p/$value", token=_token())
    graph_error(missing, 404, "ImageNotFound")

    wrong = await harness.send(
        "PUT", "me/photos/p/$value", token=_token(), body=jpeg(40, 60), headers=OCTETS
    )
    error = graph_error(wrong, 400, "BadRequest")
    assert "40x60" in error["message"]
    assert "60x40" in error["message"]

    etag = await _put(harness, jpeg(60, 40), "me/photos/p/$value")
    got = await harness.send("GET", "me/photos/p/$value", token=_token())
    assert got.headers["ETag"] == etag
    assert Image.open(io.BytesIO(got.get_body())).size == (60, 40)
    item = json_body(await harness.send("GET", "me/photos/p", token=_token()))
    assert item["@odata.mediaEtag"] == etag


async def test_bytes_for_a_photo_never_added_is_404(harness: Harness) -> None:
    response = await harness.send(
        "PUT", "me/photos/nope/$value", token=_token(), body=jpeg(5, 5), headers=OCTETS
    )

    graph_error(response, 404, "ResourceNotFound")


async def test_an_administrator_sets_another_users_photo(harness: Harness) -> None:
    app_token = tokens.build_app_only_token()
    response = await harness.send(
        "PUT", f"users/{OID}/photo/$value", token=app_token, body=jpeg(120, 120), headers=OCTETS
    )
    assert response.status_code == 200

    mine = json_body(await harness.send("GET", "me/photo", token=_token()))
    assert mine["id"] == "120x120"
