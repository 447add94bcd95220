import pytest

from shared.graph.errors import NotFound
from shared.graph.urls import (
    PhotosTarget,
    PhotoTarget,
    parse_photo_target,
    parse_photos_target,
    photo_entity_context,
    photo_not_found,
    photo_url,
    photos_context,
    service_root,
    with_query,
)
from shared.models import MAX_ID_LENGTH


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


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("me/photos/p1", PhotoTarget(user=None, photo_id="p1")),
        ("ME/PHOTOS/P1/", PhotoTarget(user=None, photo_id="P1")),
        ("users/abc/photos/p1", PhotoTarget(user="abc", photo_id="p1")),
        ("users/a#EXT#@b.com/photos/x#y", PhotoTarget(user="a#EXT#@b.com", photo_id="x#y")),
        # the host leaves %2F encoded in route values (any case); everything else arrives decoded
        ("me/photos/a%2Fb%2fc", PhotoTarget(user=None, photo_id="a/b/c")),
        ("me/photos/%2F", PhotoTarget(user=None, photo_id="/")),
        ("me/photos/50%off", PhotoTarget(user=None, photo_id="50%off")),
        ("me/photos/a?b c", PhotoTarget(user=None, photo_id="a?b c")),
        ("me/photos/$refs", PhotoTarget(user=None, photo_id="$refs")),
        ("me/photos/" + "x" * MAX_ID_LENGTH, PhotoTarget(user=None, photo_id="x" * MAX_ID_LENGTH)),
    ],
)
def test_photo_targets(target: str, expected: PhotoTarget) -> None:
    assert parse_photo_target(target) == expected


@pytest.mark.parametrize(
    "target",
    [
        "me/photos",
        "me/photos/",
        "me/photos/$ref",
        "me/photos/$REF/",
        "me/photos/a/b",
        "me/photos/a/$value",
        "users/ /photos/p1",
        "users/photos/p1",
        "users/a/b/photos/p1",
        "me/photo/p1",
        "me/photos/" + "x" * (MAX_ID_LENGTH + 1),
    ],
)
def test_other_photo_targets_are_not_found(target: str) -> None:
    with pytest.raises(NotFound):
        parse_photo_target(target)


def test_photo_not_found_names_the_photo_shortened() -> None:
    assert photo_not_found("p1").message == "The photo 'p1' was not found."
    long = photo_not_found("x" * 300).message
    assert long == f"The photo '{'x' * 64}…' was not found."
    assert photo_not_found("p1").code == "ResourceNotFound"


def test_collection_context() -> None:
    assert photos_context("http://h/api", "a#b") == "http://h/api/$metadata#users('a%23b')/photos"


def test_contexts_name_the_selected_properties() -> None:
    assert (
        photos_context("http://h/api", "u", ("id", "width"))
        == "http://h/api/$metadata#users('u')/photos(id,width)"
    )
    assert (
        photo_entity_context("http://h/api", "u", ("height",))
        == "http://h/api/$metadata#users('u')/photos(height)/$entity"
    )


def test_with_query_replaces_the_query_and_keeps_dollars_readable() -> None:
    url = with_query(
        "http://h/api/users/a%23b/photos?$top=1&x=2#frag",
        {"$top": "2", "$select": "id,width", "$skiptoken": "ab-_c"},
    )
    assert url == "http://h/api/users/a%23b/photos?$top=2&$select=id,width&$skiptoken=ab-_c"


def test_with_query_encodes_values() -> None:
    assert with_query("http://h/p", {"q": "a b&c=d/é"}) == "http://h/p?q=a%20b%26c%3Dd%2F%C3%A9"
