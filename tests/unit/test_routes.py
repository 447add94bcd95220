"""The route table: what each path names, 404 vs 405, and the function folders it generates."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from devtools.functions import expected_files, main, stale_folders
from shared.models import MAX_ID_LENGTH
from shared.routes import (
    FALLBACK_FUNCTION,
    ROUTES,
    NoRoute,
    Route,
    RouteMatch,
    Target,
    match,
    match_function,
)


def _target(method: str, path: str) -> tuple[str, Target]:
    found = match(method, path)
    assert isinstance(found, RouteMatch), f"{method} {path} is not served"
    return found.operation, found.target


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("me/photos", Target(user=None, photo_id=None, as_ref=False)),
        ("ME/Photos", Target(user=None, photo_id=None, as_ref=False)),
        ("me/photos/$ref", Target(user=None, photo_id=None, as_ref=True)),
        ("me/photos/$REF/", Target(user=None, photo_id=None, as_ref=True)),
        ("users/abc/photos", Target(user="abc", photo_id=None, as_ref=False)),
        ("Users/Alice@Contoso.com/photos/$ref", Target("Alice@Contoso.com", None, as_ref=True)),
        (
            "users/bob_fabrikam.com#EXT#@contoso.onmicrosoft.com/photos",
            Target("bob_fabrikam.com#EXT#@contoso.onmicrosoft.com", None, as_ref=False),
        ),
    ],
)
def test_what_a_photos_path_names(path: str, expected: Target) -> None:
    assert _target("POST", path) == ("add_photo", expected)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("me/photos/p1", Target(user=None, photo_id="p1", as_ref=False)),
        ("ME/PHOTOS/P1/", Target(user=None, photo_id="P1", as_ref=False)),
        ("users/abc/photos/p1", Target(user="abc", photo_id="p1", as_ref=False)),
        ("users/a#EXT#@b.com/photos/x#y", Target("a#EXT#@b.com", "x#y", as_ref=False)),
        # the host leaves %2F encoded in route values (any case); everything else arrives decoded
        ("me/photos/a%2Fb%2fc", Target(user=None, photo_id="a/b/c", as_ref=False)),
        ("me/photos/%2F", Target(user=None, photo_id="/", as_ref=False)),
        ("me/photos/50%off", Target(user=None, photo_id="50%off", as_ref=False)),
        ("me/photos/a?b c", Target(user=None, photo_id="a?b c", as_ref=False)),
        ("me/photos/$refs", Target(user=None, photo_id="$refs", as_ref=False)),
        ("me/photos/" + "x" * (MAX_ID_LENGTH + 1), Target(None, "x" * (MAX_ID_LENGTH + 1), False)),
    ],
)
def test_what_a_photo_path_names(path: str, expected: Target) -> None:
    assert _target("GET", path) == ("get_photo", expected)
    assert _target("DELETE", path) == ("delete_photo", expected)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "me/photos", ("GET", "HEAD", "POST")),
        ("PATCH", "users/u1/photos/", ("GET", "HEAD", "POST")),
        ("GET", "me/photos/$ref", ("POST",)),
        ("PATCH", "me/photos/p1", ("DELETE", "GET", "HEAD")),
        ("DELETE", "OpenAPI.json", ("GET", "HEAD")),
        ("POST", "me/photo", ("DELETE", "GET", "HEAD")),
        ("POST", "users/u/photo/$value", ("DELETE", "GET", "HEAD", "PATCH", "PUT")),
        ("DELETE", "me/photos/48x48/$value", ("GET", "HEAD", "PUT")),
    ],
)
def test_a_method_not_served_at_a_known_path_names_the_allowed_ones(
    method: str, path: str, allowed: tuple[str, ...]
) -> None:
    assert match(method, path) == NoRoute(allowed)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "me",
        "photos",
        "me/photo/x",
        "users/photos",
        "users//photos",
        "users/ /photos",  # route values arrive decoded; a blank user is no user
        "users/ /photos/p1",
        "users/a/b/photos",
        "me/photos/a/b",
        "me/photos/p1/x",
    ],
)
def test_any_other_path_is_no_route_at_all(path: str) -> None:
    for method in ("GET", "POST", "DELETE"):
        assert match(method, path) == NoRoute(())


def test_methods_match_in_any_case() -> None:
    assert _target("post", "me/photos")[0] == "add_photo"


def test_head_is_served_by_the_get_operation() -> None:
    assert _target("HEAD", "me/photo/$value")[0] == "get_profile_photo_content"
    assert _target("HEAD", "users/u/photos")[0] == "list_photos"


def test_what_a_media_path_names() -> None:
    assert _target("PUT", "users/u/photos/96x96/$value") == (
        "set_photo_content",
        Target(user="u", photo_id="96x96", as_ref=False),
    )
    assert _target("PATCH", "me/photo/$value") == (
        "set_profile_photo_content",
        Target(user=None, photo_id=None, as_ref=False),
    )


def test_no_two_routes_answer_the_same_method_and_template() -> None:
    seen: dict[tuple[str, str], str] = {}
    for route in ROUTES:
        for template in route.templates:
            for method in route.operations:
                assert (method, template) not in seen, (route.function, seen[(method, template)])
                seen[(method, template)] = route.function


def test_a_function_answers_as_the_table_routes_when_the_host_disagrees() -> None:
    # The host gave get_photo a path that is the add operation's: answer as the table says.
    assert match_function("get_photo", "GET", "me/photos/$ref") == NoRoute(("POST",))
    found = match_function("get_photo", "GET", "me/photos/p1")
    assert isinstance(found, RouteMatch)
    assert found.operation == "get_photo"


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.function)
def test_the_host_regex_takes_exactly_the_paths_the_table_matches(route: Route) -> None:
    regex = re.fullmatch(r"\{\*target:regex\((.*)\)\}", route.host_route())
    assert regex is not None
    host = re.compile(regex[1].replace(r"\x2F", "/"), re.IGNORECASE)
    samples = [
        "me/photos",
        "me/photos/",
        "me/photos/$ref",
        "users/u/photos",
        "users/u/photos/$ref",
        "me/photos/p1",
        "users/u/photos/p1/",
        "me/photos/a/b",
        "openapi.json",
        "OPENAPI.JSON",
        "users/u",
    ]
    for sample in samples:
        assert (host.match(sample) is not None) == (route.match_path(sample) is not None), sample


def test_the_function_folders_are_up_to_date() -> None:
    assert main(["--check"]) == 0, "run: python -m devtools.functions"


def test_every_function_folder_is_in_the_table() -> None:
    assert stale_folders(expected_files()) == []


def test_the_fallback_sorts_after_every_function() -> None:
    assert all(route.function < FALLBACK_FUNCTION for route in ROUTES)


def test_mypy_checks_every_function_folder() -> None:
    # pyproject.toml's mypy `files` finds the function folders by the glob "*_*/__init__.py".
    root = Path(__file__).resolve().parents[2]
    globbed = {path.parent.name for path in root.glob("*_*/__init__.py")}
    assert globbed == {route.function for route in ROUTES} | {FALLBACK_FUNCTION}


@pytest.mark.parametrize(
    "path", ["me/photos", "users/U/photos/p%2Fq", "v1.0/me/photo/$value", "nowhere", "me/photos"]
)
@pytest.mark.parametrize("method", ["POST", "get", "DELETE", "OPTIONS"])
def test_a_kept_match_is_the_computed_one_and_cannot_be_changed(method: str, path: str) -> None:
    for kept in (match(method, path), match_function("add_photo", method, path)):
        assert kept == match.__wrapped__(method, path)
        with pytest.raises(dataclasses.FrozenInstanceError):
            kept.route = None  # type: ignore[misc,union-attr]
