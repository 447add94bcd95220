"""The photo console in headless Chromium, on its own origin, against the running service.

Each test reads what the page shows (the decoded ``<img>`` sizes, the status line, the error
panel) and checks storage's side over plain HTTP. Each test has its own user (a new ``oid``),
so the tests share the session's service without seeing each other's photos.
"""

from __future__ import annotations

import re
from pathlib import Path
from uuid import uuid4

import pytest

from tests.browser.console_page import ConsolePage, ShownError
from tests.e2e.conftest import Reply, Service, send
from tests.e2e.photo_media import SIZES, jpeg
from tests.tokens import bearer, build_access_token

pytestmark = pytest.mark.browser

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _new_user(page: ConsolePage, service: Service, *, by_id: bool = False) -> tuple[str, str]:
    """A new user's object id and delegated token (it may set their photo), filled in on
    ``page`` with the service's base URL; the user as ``me``, or by object id."""
    oid = str(uuid4())
    token = build_access_token(oid=oid, preferred_username=f"{oid}@contoso.example")
    page.connect(service.base_url, token, user=oid if by_id else "me")
    return oid, token


def _image_file(tmp_path: Path, width: int, height: int) -> Path:
    path = tmp_path / f"photo-{width}x{height}.jpg"
    path.write_bytes(jpeg(width, height))
    return path


def _expected_sizes(shorter_side: int) -> dict[str, tuple[int, int]]:
    return {f"{n}x{n}": (n, n) for n in SIZES if n <= shorter_side}


def _call(service: Service, path: str, token: str, method: str = "GET", **kwargs: bytes) -> Reply:
    """The service over plain HTTP, without the browser."""
    headers = {"Authorization": bearer(token), "Content-Type": "image/jpeg"}
    return send(f"{service.base_url}/{path}", method=method, headers=headers, **kwargs)


def test_upload_shows_every_size(
    console: ConsolePage, cors_service: Service, tmp_path: Path
) -> None:
    _new_user(console, cors_service)

    status = console.upload(_image_file(tmp_path, 700, 520))

    assert status.startswith('Uploaded photo-700x520.jpg (ETag "')
    assert status.endswith("Showing 8 sizes of me's photo.")
    assert console.rendered_sizes() == _expected_sizes(520)
    assert console.shown_error() is None
    assert [entry for entry in console.browser_log() if entry["level"] == "SEVERE"] == []


def test_upload_is_preflighted_and_lands(
    console: ConsolePage, cors_service: Service, tmp_path: Path
) -> None:
    oid, token = _new_user(console, cors_service, by_id=True)

    console.upload(_image_file(tmp_path, 300, 200))

    preflight = f"CORS preflight: OPTIONS /api/users/{oid}/photo/$value -> 204"
    assert cors_service.host.wait_for_stdout(preflight) is not None
    stored = _call(cors_service, f"users/{oid}/photo", token)
    assert (stored.status, stored.json()["id"]) == (200, "120x120")


def test_show_a_photo_set_elsewhere(
    console: ConsolePage, cors_service: Service, tmp_path: Path
) -> None:
    _, token = _new_user(console, cors_service)
    assert _call(cors_service, "me/photo/$value", token, "PUT", body=jpeg(100, 130)).status == 200

    assert console.show() == "Showing 3 sizes of me's photo."
    assert console.rendered_sizes() == _expected_sizes(100)


def test_delete_removes_the_photo(
    console: ConsolePage, cors_service: Service, tmp_path: Path
) -> None:
    oid, token = _new_user(console, cors_service, by_id=True)
    assert _call(cors_service, "me/photo/$value", token, "PUT", body=jpeg(64, 64)).status == 200
    assert console.show() == f"Showing 2 sizes of {oid}'s photo."

    assert console.delete() == f"Deleted {oid}'s photo."

    assert console.rendered_sizes() == {}
    assert _call(cors_service, "me/photo", token).status == 404
    assert console.show() == f"{oid} has no photo."


def _shown_graph_error(
    page: ConsolePage, service: Service, method: str, path: str, token: str
) -> ShownError:
    """What the page shows, checked against the error the service gives the same call."""
    shown = page.shown_error()
    assert shown is not None
    direct = _call(service, path, token, method)
    error = direct.json()["error"]
    assert (shown.status, shown.code, shown.message) == (
        str(direct.status),
        error["code"],
        error["message"],
    )
    assert GUID.match(shown.request_id), shown.request_id  # the exposed header, read
    return shown


def test_invalid_token_shows_the_graph_error(console: ConsolePage, cors_service: Service) -> None:
    console.connect(cors_service.base_url, "not-a-token")

    status = console.show()

    error = _shown_graph_error(console, cors_service, "GET", "me/photos", "not-a-token")
    assert (error.status, error.code) == ("401", "InvalidAuthenticationToken")
    assert status.startswith("Failed: InvalidAuthenticationToken.")


def test_deleting_no_photo_shows_image_not_found(
    console: ConsolePage, cors_service: Service
) -> None:
    _, token = _new_user(console, cors_service)

    console.delete()

    error = _shown_graph_error(console, cors_service, "DELETE", "me/photo", token)
    assert (error.status, error.code) == ("404", "ImageNotFound")


def test_an_origin_the_service_does_not_allow_is_refused(
    foreign_console: ConsolePage, cors_service: Service
) -> None:
    _new_user(foreign_console, cors_service)

    foreign_console.show()

    error = foreign_console.shown_error()
    assert error is not None
    assert error.status == "no answer"
    assert f"does its CORS allow {foreign_console.url.rstrip('/')}?" in error.message
