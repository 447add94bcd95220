"""The URLs the service hands back: service root, @odata.context, Location, nextLink."""

import uuid
from collections.abc import Callable
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.graph import urls
from shared.graph.errors import SHOWN_LENGTH, BadRequest
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


_SCHEMES = ("http", "https", "http", "https", "HTTP", "ftp", "")
_HOSTS = (
    "localhost:7071",
    "app.azurewebsites.net",
    "h",
    "[::1]:7071",
    "[::1",
    "h]",
    "",
    "a b",
    "ex%41mple.com:",
    "é.com",
    "ﬁ.com",
    "user@host",
    "host?x=1",
    "host#x",
    "h\tost",
    "host:99999999",
)
_PREFIXES = (
    "",
    "/api",
    "/api/",
    "//api",
    "/a%20b",
    "/é",
    "/api;x=1",
    "/a b",
    "/a\tb",
    "/a#b",
    "/a?b/c",
    "/\ud800",
    "/%",
)
_VERSIONS = ("", "v1.0/", "beta/", "V1.0/")
_TARGETS = (
    "me/photos",
    "me/photos/$ref",
    "users/a%23EXT%23%40b/photos",
    "users/é/photos/x",
    "users/x/photos/",
    "users/a#b/photos",
    "users/a?b/photos",
    "users/a\nb/photos",
    "$batch",
    "",
    "/",
)
_TAILS = ("", "/", "//", "?x=1", "?x=1#f", "#f", "?a b", " ", "\n", "?$top=1&é")


def _outcome(compute: Callable[[], str]) -> str:
    try:
        return compute()
    except BadRequest as error:
        return f"400: {error.message}"


@given(
    scheme=st.sampled_from(_SCHEMES),
    host=st.sampled_from(_HOSTS),
    prefix=st.sampled_from(_PREFIXES),
    version=st.sampled_from(_VERSIONS),
    target=st.sampled_from(_TARGETS),
    tail=st.sampled_from(_TAILS),
)
@settings(derandomize=True, database=None, max_examples=2000)
def test_the_kept_service_root_is_the_parsed_one(
    scheme: str, host: str, prefix: str, version: str, target: str, tail: str
) -> None:
    """The per-root cache answers exactly what parsing the whole URL answers, errors too."""
    path = f"{version}{target}"
    url = f"{scheme}://{host}{prefix}/{path}{tail}"
    parsed = _outcome(lambda: urls._split(url, path)[0])  # the general path, no cache
    assert _outcome(lambda: service_root(url, path)) == parsed
    assert _outcome(lambda: service_root(url, path)) == parsed  # once kept, still the same


@given(url=st.text(max_size=60), target=st.text(max_size=20))
@settings(derandomize=True, database=None, max_examples=1000)
def test_any_text_gets_the_parsed_service_root(url: str, target: str) -> None:
    assert _outcome(lambda: service_root(url, target)) == _outcome(
        lambda: urls._split(url, target)[0]
    )


@given(user=st.text(max_size=20), photo_id=st.text(max_size=20))
@settings(derandomize=True, database=None, max_examples=500)
def test_ids_in_urls_are_percent_encoded_as_quote_does(user: str, photo_id: str) -> None:
    """Ids of unreserved characters skip ``quote``; every id reads as ``quote`` writes it."""
    ascii_text = "".join(map(chr, range(128)))
    for value in (user, photo_id, ascii_text, *ascii_text, str(uuid.uuid4()), "a@b.c", "o'b"):
        literal = "'" + quote(value.replace("'", "''"), safe="@'") + "'"
        assert photos_context("r", value) == f"r/$metadata#users({literal})/photos"
        assert photo_url("r", value, value) == (
            f"r/users/{quote(value, safe='@')}/photos/{quote(value, safe='')}"
        )
