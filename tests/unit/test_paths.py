import pytest

from shared.errors import NotFound
from shared.paths import (
    PhotosTarget,
    parse_photos_target,
    photo_entity_context,
    photo_url,
    service_root,
)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("me/photos", PhotosTarget(user=None, as_ref=False)),
        ("ME/Photos", PhotosTarget(user=None, as_ref=False)),
        ("me/photos/$ref", PhotosTarget(user=None, as_ref=True)),
        ("me/photos/$REF/", PhotosTarget(user=None, as_ref=True)),
        ("users/abc/photos", PhotosTarget(user="abc", as_ref=False)),
        (
            "Users/Alice@Contoso.com/photos/$ref",
            PhotosTarget(user="Alice@Contoso.com", as_ref=True),
        ),
        (
            "users/bob_fabrikam.com#EXT#@contoso.onmicrosoft.com/photos",
            PhotosTarget(user="bob_fabrikam.com#EXT#@contoso.onmicrosoft.com", as_ref=False),
        ),
    ],
)
def test_photos_targets(target: str, expected: PhotosTarget) -> None:
    assert parse_photos_target(target) == expected


@pytest.mark.parametrize(
    "target",
    ["", "me", "me/photos/x", "users/photos", "users/a/b/photos", "users/ /photos", "photos"],
)
def test_other_targets_are_not_found(target: str) -> None:
    with pytest.raises(NotFound):
        parse_photos_target(target)


@pytest.mark.parametrize(
    ("url", "target", "root"),
    [
        ("http://localhost:7071/api/me/photos", "me/photos", "http://localhost:7071/api"),
        (
            "http://localhost:7071/api/me/photos/%24ref?x=1",
            "me/photos/$ref",
            "http://localhost:7071/api",
        ),
        (
            "https://app.azurewebsites.net/api/users/a%23EXT%23%40b/photos/",
            "users/a#EXT#@b/photos",
            "https://app.azurewebsites.net/api",
        ),
        ("http://h/v1/me/photos", "me/photos", "http://h/v1"),
        ("http://h/me/photos", "me/photos", "http://h"),
    ],
)
def test_service_root_drops_the_target_segments(url: str, target: str, root: str) -> None:
    assert service_root(url, target) == root


def test_entity_context_quotes_the_user_as_an_odata_literal() -> None:
    context = photo_entity_context("http://h/api", "o'brien#EXT#@x.com")
    assert context == "http://h/api/$metadata#users('o''brien%23EXT%23@x.com')/photos/$entity"


def test_photo_url_percent_encodes_user_and_id() -> None:
    url = photo_url("http://h/api", "a#EXT#@b.com", "x/y?z")
    assert url == "http://h/api/users/a%23EXT%23@b.com/photos/x%2Fy%3Fz"
