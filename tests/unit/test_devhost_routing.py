"""Route templates, matching and the route table of the dev host (ASP.NET Core rules)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.functions_app import FunctionLoadError, read_function_definition
from devtools.route_syntax import RouteTemplateError
from devtools.routing import (
    Route,
    RouteTable,
    RouteTemplate,
    decode_request_path,
    join_route_prefix,
)
from shared.routes import ROUTES
from tests.repo_routes import FALLBACK, repo_route_table

ADD_PHOTO_ROUTE = json.loads(
    (Path(__file__).parents[2] / "add_photo" / "function.json").read_text(encoding="utf-8")
)["bindings"][0]["route"]
ADD_PHOTO = join_route_prefix("api", ADD_PHOTO_ROUTE)

_HEX = "0f8fad5b-d9cb-469f-a165-70867728950e"

MATCHES = [
    # the app's real route
    (ADD_PHOTO, "/api/me/photos", {"target": "me/photos"}),
    (ADD_PHOTO, "/api/ME/Photos", {"target": "ME/Photos"}),
    (ADD_PHOTO, "/API/me/photos", {"target": "me/photos"}),
    (ADD_PHOTO, "/api/me/photos/", {"target": "me/photos/"}),
    (ADD_PHOTO, "/api/me/photos/$ref", {"target": "me/photos/$ref"}),
    (ADD_PHOTO, "/api/me/photos/%24ref", {"target": "me/photos/$ref"}),
    (ADD_PHOTO, "/api/me/photos/%24REF", {"target": "me/photos/$REF"}),
    (ADD_PHOTO, "/api/users/abc/photos", {"target": "users/abc/photos"}),
    (
        ADD_PHOTO,
        "/api/users/a%23EXT%23%40b.com/photos/$ref",
        {"target": "users/a#EXT#@b.com/photos/$ref"},
    ),
    (ADD_PHOTO, "/api/users/a%2Fb/photos", {"target": "users/a%2Fb/photos"}),
    (ADD_PHOTO, "/api/me/photos/x", None),
    (ADD_PHOTO, "/api/users/photos", None),
    (ADD_PHOTO, "/api/users/a/b/photos", None),
    (ADD_PHOTO, "/api/me", None),
    (ADD_PHOTO, "/api/photos", None),
    (ADD_PHOTO, "/api/me//photos", None),
    (ADD_PHOTO, "/other/me/photos", None),
    (ADD_PHOTO, "/api", None),
    # literals
    ("api/items", "/api/items", {}),
    ("api/items", "/Api/ITEMS/", {}),
    ("api/items", "/api/items//", None),
    ("api/items", "/api/item", None),
    ("api/items", "/api/items/1", None),
    ("api/$ref", "/api/%24ref", {}),
    ("api/$ref", "/api/%24REF", {}),
    ("api/a{{b}}", "/api/a{b}", {}),
    ("/api/items", "/api/items", {}),
    ("~/api/items", "/api/items", {}),
    # parameters
    ("api/items/{id}", "/api/items/42", {"id": "42"}),
    ("api/items/{id}", "/api/items/", None),
    ("api/items/{id}", "/api/items/a%20b", {"id": "a b"}),
    ("api/items/{id?}", "/api/items", {}),
    ("api/items/{id?}", "/api/items/7", {"id": "7"}),
    ("api/items/{id=first}", "/api/items", {"id": "first"}),
    ("api/items/{id=first}", "/api/items/7", {"id": "7"}),
    ("api/{a}/{b}", "/api/1/2", {"a": "1", "b": "2"}),
    # catch-alls
    ("api/files/{*rest}", "/api/files/a/b/c.txt", {"rest": "a/b/c.txt"}),
    ("api/files/{**rest}", "/api/files/a/b/", {"rest": "a/b/"}),
    ("api/files/{*rest}", "/api/files", {"rest": ""}),
    ("api/files/{*rest}", "/api/files/", {"rest": ""}),
    ("api/files/{*rest=x}", "/api/files", {"rest": "x"}),
    ("api/files/{*rest}", "/api/files/a%2Fb/%3F", {"rest": "a%2Fb/?"}),
    ("{*all}", "/", {"all": ""}),
    ("", "/", {}),
    ("", "/x", None),
    # constraints
    ("api/{id:int}", "/api/42", {"id": "42"}),
    ("api/{id:int}", "/api/-42", {"id": "-42"}),
    ("api/{id:int}", "/api/2147483647", {"id": "2147483647"}),
    ("api/{id:int}", "/api/2147483648", None),
    ("api/{id:int}", "/api/4x", None),
    ("api/{id:int}", "/api/%D9%A4", None),  # Arabic-Indic digit: not a .NET integer
    ("api/{id:long}", "/api/2147483648", {"id": "2147483648"}),
    ("api/{id:long}", "/api/9223372036854775808", None),
    ("api/{id:int:min(1)}", "/api/1", {"id": "1"}),
    ("api/{id:int:min(1)}", "/api/0", None),
    ("api/{id:INT:Min(1)}", "/api/0", None),
    ("api/{n:max(10)}", "/api/10", {"n": "10"}),
    ("api/{n:max(10)}", "/api/11", None),
    ("api/{n:range(2,4)}", "/api/4", {"n": "4"}),
    ("api/{n:range(2,4)}", "/api/5", None),
    ("api/{b:bool}", "/api/TRUE", {"b": "TRUE"}),
    ("api/{b:bool}", "/api/yes", None),
    ("api/{g:guid}", f"/api/{_HEX}", {"g": _HEX}),
    ("api/{g:guid}", f"/api/%7B{_HEX.upper()}%7D", {"g": "{" + _HEX.upper() + "}"}),
    ("api/{g:guid}", "/api/" + _HEX.replace("-", ""), {"g": _HEX.replace("-", "")}),
    ("api/{g:guid}", "/api/" + _HEX[:-1], None),
    ("api/{s:alpha}", "/api/abcXYZ", {"s": "abcXYZ"}),
    ("api/{s:alpha}", "/api/abc1", None),
    ("api/{s:length(3)}", "/api/abc", {"s": "abc"}),
    ("api/{s:length(3)}", "/api/abcd", None),
    ("api/{s:length(2,3)}", "/api/ab", {"s": "ab"}),
    ("api/{s:length(2,3)}", "/api/a", None),
    ("api/{s:length(2)}", "/api/%F0%9F%98%80", {"s": "\U0001f600"}),  # 2 UTF-16 units
    ("api/{s:minlength(2)}", "/api/a", None),
    ("api/{s:maxlength(2)}", "/api/abc", None),
    ("api/{s:maxlength(2)}", "/api/ab", {"s": "ab"}),
    ("api/{id:int?}", "/api", {}),
    ("api/{id:int?}", "/api/x", None),
    ("api/{*rest:regex(^a)}", "/api", None),  # an absent value fails a constraint
    ("api/{s:regex(b)}", "/api/abc", {"s": "abc"}),  # IsMatch: not anchored
    ("api/{s:regex(^AB$)}", "/api/ab", {"s": "ab"}),  # case-insensitive
    ("api/{s:regex(^\\d{{3}}$)}", "/api/123", {"s": "123"}),
    ("api/{s:regex(^\\d{{3}}$)}", "/api/1234", None),
    ("api/{s:regex(^(?<x>a)\\k<x>$)}", "/api/aa", {"s": "aa"}),
    ("api/{s:regex(^a\\z)}", "/api/a%0A", None),
    ("api/{s:regex(^a\\Z)}", "/api/a%0A", {"s": "a\n"}),
    ("api/{s:regex(^[a/]+$)}", "/api/a%2F", None),
]


@pytest.mark.parametrize(("template", "raw_path", "expected"), MATCHES)
def test_route_template_matches(
    template: str, raw_path: str, expected: dict[str, str] | None
) -> None:
    assert RouteTemplate.parse(template).match(decode_request_path(raw_path)) == expected


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("api//items", "consecutively"),
        ("api/{id", "matching"),
        ("api/id}", "unescaped"),
        ("api/{}", "invalid parameter name"),
        ("api/{a{b}", "unescaped"),
        ("api/{*rest}/more", "last segment"),
        ("api/{*rest?}", "cannot be optional"),
        ("api/{id?=3}", "invalid parameter name"),
        ("api/{id=3?}", "cannot have a default"),
        ("api/{id}/{ID}", "more than once"),
        ("api/{id:unknown}", "unknown constraint"),
        ("api/{id:min}", "takes 1 argument"),
        ("api/{id:min(x)}", "is not valid"),
        ("api/{id:range(5,1)}", "bad bounds"),
        ("api/{id:length(1,2,3)}", "takes 2 argument"),
        ("api/{id:regex(()}", "not usable"),
        ("api/{id:regex}", "needs a pattern"),
        ("api/{id:int(3)}", "unknown constraint"),
        ("api/{a}.{b}", "complex segment"),
        ("api/x{a}", "complex segment"),
        ("api/a?b", "cannot contain '?'"),
        ("~api", "must not start with '~'"),
    ],
)
def test_route_template_errors(template: str, problem: str) -> None:
    with pytest.raises(RouteTemplateError, match="route template") as raised:
        RouteTemplate.parse(template)
    assert problem in str(raised.value)


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("/api/me/photos?x=%2F", "/api/me/photos"),
        ("/api/%24ref", "/api/$ref"),
        ("/api/a%2fb%2Fc", "/api/a%2Fb%2Fc"),
        ("/api/%C3%A9", "/api/\u00e9"),
        ("/api/a+b", "/api/a+b"),
    ],
)
def test_decode_request_path(raw: str, decoded: str) -> None:
    assert decode_request_path(raw) == decoded


@pytest.mark.parametrize(
    ("prefix", "route", "template"),
    [("api", "items", "api/items"), ("/api/", "items", "api/items"), ("", "items", "items")],
)
def test_join_route_prefix(prefix: str, route: str, template: str) -> None:
    assert join_route_prefix(prefix, route) == template


def _route(name: str, template: str, methods: set[str] | None = None) -> Route:
    return Route(
        name, RouteTemplate.parse(template), None if methods is None else frozenset(methods)
    )


def test_routes_are_tried_by_function_name_ignoring_case() -> None:
    table = RouteTable([_route("b_catch_all", "api/{*rest}"), _route("A_items", "api/items/{id}")])
    found = table.match("GET", "/api/items/1")
    assert found is not None
    assert found.route.function_name == "A_items"
    assert [route.function_name for route in table.routes] == ["A_items", "b_catch_all"]


def test_route_order_is_ordinal_upper_case() -> None:
    # OrdinalIgnoreCase compares upper-cased: "AB" < "A_B" ('B' 0x42 < '_' 0x5F)
    table = RouteTable([_route("a_b", "x"), _route("ab", "y")])
    assert [route.function_name for route in table.routes] == ["ab", "a_b"]


def test_a_route_without_the_method_lets_the_next_one_match() -> None:
    table = RouteTable(
        [_route("a_get_only", "api/{*rest}", {"GET"}), _route("b_any", "api/{*rest}")]
    )
    get = table.match("get", "/api/x")
    post = table.match("POST", "/api/x")
    assert get is not None and get.route.function_name == "a_get_only"
    assert post is not None and post.route.function_name == "b_any"
    assert post.values == {"rest": "x"}


def test_no_route_for_the_method_is_no_match() -> None:
    table = RouteTable([_route("add_photo", ADD_PHOTO, {"POST"})])
    assert table.match("GET", "/api/me/photos") is None
    assert table.match("POST", "/api/me/photo") is None


def test_method_names_all_when_unrestricted() -> None:
    assert "TRACE" in _route("f", "x").method_names
    assert _route("f", "x", {"POST", "GET"}).method_names == ("GET", "POST")


def _function_dir(tmp_path: Path, name: str, config: object) -> Path:
    directory = tmp_path / name
    directory.mkdir()
    (directory / "function.json").write_text(json.dumps(config), encoding="utf-8")
    return directory


def _http(*more_bindings: dict[str, object], **trigger: object) -> dict[str, object]:
    return {
        "bindings": [
            {"type": "httpTrigger", "direction": "in", "name": "req", **trigger},
            {"type": "http", "direction": "out", "name": "$return"},
            *more_bindings,
        ]
    }


def test_function_json_defaults(tmp_path: Path) -> None:
    definition = read_function_definition(_function_dir(tmp_path, "hello", _http()))
    assert definition is not None
    assert definition.trigger.route == "hello"
    assert definition.trigger.methods is None
    assert definition.trigger.param_name == "req"
    assert definition.script_file == (tmp_path / "hello" / "__init__.py").resolve()
    assert definition.entry_point == "main"


def test_function_json_trigger_details(tmp_path: Path) -> None:
    config = {
        **_http(route="items/{id}", methods=["get", "Post"], authLevel="anonymous"),
        "scriptFile": "run.py",
        "entryPoint": "handle",
    }
    definition = read_function_definition(_function_dir(tmp_path, "items", config))
    assert definition is not None
    assert definition.trigger.route == "items/{id}"
    assert definition.trigger.methods == frozenset({"GET", "POST"})
    assert definition.trigger.auth_level == "anonymous"
    assert definition.script_file.name == "run.py"
    assert definition.entry_point == "handle"


def test_function_json_disabled(tmp_path: Path) -> None:
    config = {**_http(), "disabled": True}
    assert read_function_definition(_function_dir(tmp_path, "off", config)) is None


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"bindings": [{"type": "timerTrigger", "name": "t"}]}, "one 'httpTrigger'"),
        ({"bindings": "nope"}, "must be a list"),
        (_http(methods="get"), "'methods' must be a list"),
        (_http(route=3), "'route' must be a string"),
        ({"bindings": [{"type": "httpTrigger"}]}, "needs a 'name'"),
        (_http({"type": "queue", "name": "q"}), "'queue' is not supported"),
        (_http({"type": "http", "name": "res"}), "http out as '$return'"),
    ],
)
def test_function_json_problems(tmp_path: Path, config: object, problem: str) -> None:
    with pytest.raises(FunctionLoadError, match=r"function\.json") as raised:
        read_function_definition(_function_dir(tmp_path, "bad", config))
    assert problem in str(raised.value)


# ---- the repository's own routes ---------------------------------------------------------


def test_a_catch_all_named_first_takes_even_a_literal_route() -> None:
    # The real host does not rank templates (Azure/azure-functions-host#9876): name order only.
    table = RouteTable([_route("a_any", "api/{*rest}"), _route("b_document", "api/openapi.json")])
    found = table.match("GET", "/api/openapi.json")
    assert found is not None and found.route.function_name == "a_any"


_ID = "p1"
REPO_ROUTES = [
    # method, raw path, the function that takes it, its target (None: no route values)
    ("POST", "/api/me/photos", "add_photo", "me/photos"),
    ("POST", "/api/me/photos/$ref", "add_photo", "me/photos/$ref"),
    ("POST", "/api/users/u1/photos/%24ref/", "add_photo", "users/u1/photos/$ref/"),
    ("GET", "/api/me/photos", "list_photos", "me/photos"),
    ("GET", "/api/ME/Photos/", "list_photos", "ME/Photos/"),
    ("GET", "/api/users/a%23EXT%23%40b.com/photos", "list_photos", "users/a#EXT#@b.com/photos"),
    ("GET", "/api/users/u1/photos?$top=2", "list_photos", "users/u1/photos"),
    ("GET", f"/api/me/photos/{_ID}", "get_photo", f"me/photos/{_ID}"),
    ("GET", f"/api/users/u1/photos/{_ID}/", "get_photo", f"users/u1/photos/{_ID}/"),
    ("GET", "/api/me/photos/a%2Fb%3Fc", "get_photo", "me/photos/a%2Fb?c"),
    ("GET", "/api/me/photos/%24refs", "get_photo", "me/photos/$refs"),
    ("GET", "/api/me/photos/%2F", "get_photo", "me/photos/%2F"),
    ("DELETE", f"/api/me/photos/{_ID}", "delete_photo", f"me/photos/{_ID}"),
    ("DELETE", "/api/users/a%2Fb/photos/x%2Fy", "delete_photo", "users/a%2Fb/photos/x%2Fy"),
    ("GET", "/api/openapi.json", "openapi_document", "openapi.json"),
    ("GET", "/api/OpenAPI.json/", "openapi_document", "OpenAPI.json/"),
    ("GET", "/api/users/openapi.json/photos", "list_photos", "users/openapi.json/photos"),
    # everything else: the fallback, with the path after the route prefix
    ("GET", "/api/me/photos/$ref", FALLBACK, "me/photos/$ref"),
    ("GET", "/api/me/photos/%24REF/", FALLBACK, "me/photos/$REF/"),
    ("DELETE", "/api/me/photos/$ref", FALLBACK, "me/photos/$ref"),
    ("POST", f"/api/me/photos/{_ID}", FALLBACK, f"me/photos/{_ID}"),
    ("DELETE", "/api/me/photos", FALLBACK, "me/photos"),
    ("PUT", "/api/me/photos", FALLBACK, "me/photos"),
    ("HEAD", "/api/me/photos", "list_photos", "me/photos"),
    ("OPTIONS", "/api/me/photos", FALLBACK, "me/photos"),
    ("PUT", f"/api/me/photos/{_ID}", FALLBACK, f"me/photos/{_ID}"),
    ("PATCH", f"/api/me/photos/{_ID}", FALLBACK, f"me/photos/{_ID}"),
    ("GET", f"/api/me/photos/{_ID}/$value", "photo_value", f"me/photos/{_ID}/$value"),
    ("PUT", "/api/users/u/photos/48x48/%24value", "photo_value", "users/u/photos/48x48/$value"),
    ("DELETE", f"/api/me/photos/{_ID}/$value", FALLBACK, f"me/photos/{_ID}/$value"),
    ("GET", "/api/me/photo", "profile_photo", "me/photo"),
    ("DELETE", "/api/users/u/photo/", "profile_photo", "users/u/photo/"),
    ("PUT", "/api/me/photo", FALLBACK, "me/photo"),
    ("PATCH", "/api/me/photo/$value", "profile_photo_value", "me/photo/$value"),
    ("HEAD", "/api/me/photo/$value", "profile_photo_value", "me/photo/$value"),
    ("POST", "/api/me/photo/$value", FALLBACK, "me/photo/$value"),
    ("GET", "/api/me", FALLBACK, "me"),
    ("GET", "/api/users/photos", FALLBACK, "users/photos"),
    ("GET", "/api/users//photos", FALLBACK, "users//photos"),
    ("GET", "/api/users/a/b/photos", FALLBACK, "users/a/b/photos"),
    ("GET", "/api/users/a/b/photos/p1", FALLBACK, "users/a/b/photos/p1"),
    ("GET", "/api/me//photos/p1", FALLBACK, "me//photos/p1"),
    ("POST", "/api/openapi.json", FALLBACK, "openapi.json"),
    ("GET", "/api/openapi.json/x", FALLBACK, "openapi.json/x"),
    ("GET", "/api/openapi.json//", FALLBACK, "openapi.json//"),
    ("GET", "/api/me/photos//", FALLBACK, "me/photos//"),
    ("TRACE", "/api/nothing", FALLBACK, "nothing"),
    ("GET", "/api", FALLBACK, ""),
    ("GET", "/api/", FALLBACK, ""),
    # outside the route prefix: no function (the host's own 404)
    ("GET", "/me/photos", None, None),
    ("GET", "/openapi.json", None, None),
    ("GET", "/", None, None),
]


@pytest.mark.parametrize(("method", "raw_path", "function", "target"), REPO_ROUTES)
def test_the_repository_routes_each_request_to_one_function(
    method: str, raw_path: str, function: str | None, target: str | None
) -> None:
    table = repo_route_table()
    path = decode_request_path(raw_path)
    found = table.match(method, path)
    assert (found and found.route.function_name) == function
    parameter = "path" if function == FALLBACK else "target"
    assert (found and found.values) == (
        None if function is None else {} if target is None else {parameter: target}
    )
    # Apart from the fallback, at most one route takes any request: none shadows another.
    candidates = [
        route.function_name
        for route in table.routes
        if route.function_name != FALLBACK
        and route.accepts(method)
        and route.template.match(path) is not None
    ]
    assert candidates == ([] if function in (None, FALLBACK) else [function])


def test_the_fallback_is_tried_last() -> None:
    # The host tries routes in order of function names: a name sorting after the fallback's
    # would never be reached (its requests would get a 404 or 405 from the fallback).
    assert repo_route_table().routes[-1].function_name == FALLBACK


def test_the_repository_has_the_functions_the_route_table_says() -> None:
    names = {route.function_name: set(route.method_names) for route in repo_route_table().routes}
    assert names == {
        **{route.function: set(route.methods) for route in ROUTES},
        FALLBACK: {"GET", "POST", "DELETE", "HEAD", "PATCH", "PUT", "OPTIONS", "TRACE"},
    }
