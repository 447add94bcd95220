"""``…/api``, ``…/api/v1.0`` and ``…/api/beta`` all serve every route; the URLs handed back
keep the prefix the request used, or follow ``PUBLIC_BASE_URL``."""

from __future__ import annotations

import pytest

from shared.config import ConfigError, load_settings
from shared.routes import ROUTES, RouteMatch, match
from tests import tokens
from tests.unit.app_harness import ROOT, Harness, json_body

PHOTO = {"height": 6, "width": 5}
OID = tokens.USER_OID
PUBLIC = "https://photos.contoso.com/graph"
_AUTH = {"AUTH_AUDIENCES": "api://photos", "AUTH_TENANT_ID": tokens.TENANT_ID}


@pytest.mark.parametrize("version", ["v1.0", "beta", "V1.0", "Beta"])
def test_every_route_is_served_under_each_version(version: str) -> None:
    for route in ROUTES:
        for template in route.templates:
            path = f"{version}/{template}".replace("{user}", "u").replace("{photo-id}", "p")
            found = match(next(iter(route.operations)), path)
            assert isinstance(found, RouteMatch), path
            assert found.route is route
            assert found.target.version == version


@pytest.mark.parametrize("path", ["v2/me/photos", "v1.0/v1.0/me/photos", "beta", "v1.0"])
def test_other_prefixes_are_not_served(path: str) -> None:
    assert not isinstance(match("GET", path), RouteMatch)


def test_without_a_version_the_target_has_none() -> None:
    found = match("GET", "me/photos")
    assert isinstance(found, RouteMatch)
    assert found.target.version is None


def test_the_host_route_takes_the_version_segments() -> None:
    assert ROUTES[0].host_route().startswith(r"{*target:regex(^(?:(?:v1\.0|beta)\x2F)?(?:")


@pytest.mark.parametrize("prefix", ["", "v1.0/", "beta/"])
async def test_add_hands_back_urls_under_the_prefix_used(prefix: str) -> None:
    harness = Harness()
    response = await harness.send(
        "POST", f"{prefix}me/photos", token=tokens.build_access_token(), body={**PHOTO, "id": "p"}
    )

    assert response.status_code == 201
    base = f"{ROOT}/{prefix}".rstrip("/")
    assert response.headers["Location"] == f"{base}/users/{OID}/photos/p"
    assert json_body(response)["@odata.context"].startswith(f"{base}/$metadata#users(")


async def _two_photos(harness: Harness) -> str:
    token = tokens.build_access_token()
    for photo_id in ("a", "b"):
        await harness.send("POST", "me/photos", token=token, body={**PHOTO, "id": photo_id})
    return token


async def test_next_link_keeps_the_version_used() -> None:
    harness = Harness()
    token = await _two_photos(harness)

    response = await harness.send("GET", "beta/me/photos", token=token, query={"$top": "1"})

    body = json_body(response)
    assert body["@odata.context"] == f"{ROOT}/beta/$metadata#users('{OID}')/photos"
    assert body["@odata.nextLink"].startswith(f"{ROOT}/beta/me/photos?$top=1&$skiptoken=")


async def test_get_and_profile_photo_contexts_keep_the_version() -> None:
    harness = Harness()
    token = await _two_photos(harness)

    response = await harness.send("GET", "v1.0/me/photos/a", token=token)

    assert json_body(response)["@odata.context"].startswith(f"{ROOT}/v1.0/$metadata#")


async def test_public_base_url_replaces_scheme_host_and_prefix() -> None:
    harness = Harness(public_base_url=PUBLIC)
    token = await _two_photos(harness)

    added = await harness.send("POST", "v1.0/me/photos", token=token, body={**PHOTO, "id": "c"})
    listed = await harness.send("GET", "v1.0/me/photos", token=token, query={"$top": "1"})
    got = await harness.send("GET", "me/photos/a", token=token)

    assert added.headers["Location"] == f"{PUBLIC}/v1.0/users/{OID}/photos/c"
    assert json_body(added)["@odata.context"].startswith(f"{PUBLIC}/v1.0/$metadata#")
    assert json_body(listed)["@odata.nextLink"].startswith(f"{PUBLIC}/v1.0/me/photos?")
    assert json_body(got)["@odata.context"].startswith(f"{PUBLIC}/$metadata#")
    for response in (added, listed, got):
        shown = response.get_body().decode() + repr(dict(response.headers))
        assert "localhost" not in shown


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://photos.contoso.com/graph/", "https://photos.contoso.com/graph"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("  HTTPS://Gw.Example/api  ", "HTTPS://Gw.Example/api"),
    ],
)
def test_public_base_url_setting(value: str, expected: str) -> None:
    assert load_settings({**_AUTH, "PUBLIC_BASE_URL": value}).public_base_url == expected


def test_public_base_url_defaults_to_none() -> None:
    assert load_settings(_AUTH).public_base_url is None


@pytest.mark.parametrize(
    "value",
    [
        "photos.contoso.com/api",
        "/api",
        "ftp://h/api",
        "https://",
        "https://h/api?x=1",
        "https://h/api#top",
        "https://h/api?",
        "https://user:pw@h/api",
        "https://h:99999/api",
        "https://[::1/api",
        "https://h/a b",
    ],
)
def test_a_bad_public_base_url_is_a_config_error_naming_it(value: str) -> None:
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_settings({**_AUTH, "PUBLIC_BASE_URL": value})
