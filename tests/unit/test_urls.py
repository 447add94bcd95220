"""The URLs the service hands back: service root, @odata.context, Location, nextLink."""

import pytest

from shared.graph.errors import SHOWN_LENGTH
from shared.graph.urls import (
    photo_entity_context,
    photo_not_found,
    photo_url,
    photos_context,
    service_root,
    with_query,
)


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


def test_photo_not_found_names_the_photo_shortened() -> None:
    assert photo_not_found("p1").message == "The photo 'p1' was not found."
    long = photo_not_found("x" * 300).message
    assert long == f"The photo '{'x' * (SHOWN_LENGTH - 1)}…' was not found."
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
