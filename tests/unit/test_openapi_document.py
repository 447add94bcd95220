"""The OpenAPI document: up to date, valid OpenAPI 3.1, true to the routes, the code and the parser."""

from __future__ import annotations

import copy
import json
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import quote

import azure.functions as func
import jsonschema_rs
import pytest
import schemathesis
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from devtools import openapi as builder
from devtools.functions_app import read_route_prefix
from devtools.routing import decode_request_path
from shared.graph.body import parse_photo
from shared.graph.errors import GraphError
from shared.graph.responses import request_ids
from shared.openapi import DOCUMENT_PATH, document_bytes, openapi_document
from shared.routes import ROUTES, Target
from tests.repo_routes import FALLBACK, repo_route_table

REPO_ROOT = Path(__file__).parents[2]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    return loaded


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


# ---- the file -------------------------------------------------------------------------------


def test_the_committed_file_is_what_the_builder_makes() -> None:
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == builder.render(builder.build_document()), (
        "shared/openapi.json is out of date: run python -m devtools.openapi"
    )


def test_the_builder_check_fails_on_a_stale_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(builder, "DOCUMENT_PATH", stale)

    assert builder.main(["--check"]) == 1
    assert builder.main([]) == 0
    assert builder.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == builder.render(builder.build_document())


def _funcignored(path: str) -> bool:
    """Whether a ``.funcignore`` pattern (gitignore-like) keeps ``path`` out of the package."""
    lines = (REPO_ROOT / ".funcignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip().rstrip("/") for line in lines if line.strip()]
    parts = path.split("/")
    candidates = {"/".join(parts[:end]) for end in range(1, len(parts) + 1)} | set(parts)
    return any(fnmatch(candidate, pattern) for pattern in patterns for candidate in candidates)


def test_the_document_and_its_function_are_deployed_and_the_builder_is_not() -> None:
    deployed = [
        "shared/openapi.json",
        "shared/openapi.py",
        "openapi_document/function.json",
        "openapi_document/__init__.py",
    ]
    assert [path for path in deployed if _funcignored(path)] == []
    assert _funcignored("devtools/openapi.py")


# ---- valid OpenAPI 3.1 ----------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    errors = [error.message for error in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []


def test_the_validator_rejects_a_broken_document(document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    del broken["info"]
    broken["paths"]["/me/photos"]["get"]["responses"]["2XX0"] = {"description": "bad key"}
    assert not OPENAPI_31_VALIDATOR.is_valid(broken)


def test_schemathesis_loads_every_operation(document: dict[str, Any]) -> None:
    loaded = schemathesis.openapi.from_dict(document)
    labels = {result.ok().label for result in loaded.get_all_operations() if isinstance(result, Ok)}
    assert labels == {f"{method.upper()} {path}" for path, method, _ in _operations(document)}
    served = {
        f"{method} /{template}"
        for route in ROUTES
        for template in route.templates
        for method in route.operations
        if method != "HEAD"  # GET without the body
    }
    assert labels == served


# ---- true to the app ------------------------------------------------------------------------


_SAMPLE_VALUES = [
    {"user": "u1", "photo-id": "p1"},
    {"user": "AdeleV@contoso.example", "photo-id": "a b#c"},
    {"user": "adele_contoso.example#EXT#@fabrikam.example", "photo-id": "x/y"},
]


def _documented_requests(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(method, raw request path, documented path) for each operation and sample value."""
    prefix = document["servers"][0]["url"]
    requests = []
    for path, method, _ in _operations(document):
        for values in _SAMPLE_VALUES:
            raw = path
            for name, value in values.items():
                raw = raw.replace("{" + name + "}", quote(value, safe="@"))
            requests.append((method.upper(), prefix + raw, path))
    return requests


def test_every_documented_operation_is_routed_to_a_function(document: dict[str, Any]) -> None:
    table = repo_route_table()  # what the host builds from the function.json files
    expected = {
        (method, f"/{template}"): route.function
        for route in ROUTES
        for template in route.templates
        for method in route.operations
        if method != "HEAD"
    }
    assert {(method.upper(), path) for path, method, _ in _operations(document)} == set(expected)
    for method, raw_path, path in _documented_requests(document):
        found = table.match(method, decode_request_path(raw_path))
        assert found is not None, f"{method} {raw_path} reaches no function"
        assert found.route.function_name == expected[(method, path)], raw_path


def test_every_function_and_method_is_documented(document: dict[str, Any]) -> None:
    table = repo_route_table()
    reached = {
        (found.route.function_name, method)
        for method, raw_path, _ in _documented_requests(document)
        if (found := table.match(method, decode_request_path(raw_path))) is not None
    }
    every = {
        (route.function_name, method)
        for route in table.routes
        if route.function_name != FALLBACK  # Graph's 404 / 405 for the rest: not an operation
        for method in route.method_names
        if method != "HEAD"  # documented as its GET
    }
    assert reached == every


def test_servers_is_the_route_prefix_relative_then_each_version(
    document: dict[str, Any],
) -> None:
    prefix = f"/{read_route_prefix(REPO_ROOT)}"
    assert [server["url"] for server in document["servers"]] == [
        prefix,
        f"{prefix}/v1.0",
        f"{prefix}/beta",
    ]


def test_info_version_is_the_project_version(document: dict[str, Any]) -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert document["info"]["version"] == project["project"]["version"]


def test_bearer_tokens_everywhere_but_the_anonymous_documents(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        **document["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert document["security"] == [{"bearerAuth": []}]
    anonymous = {f"/{t}" for route in ROUTES if route.anonymous for t in route.templates}
    assert anonymous == {"/openapi.json", "/$metadata", "/$batch"}
    for path, method, operation in _operations(document):
        if path in anonymous:
            assert operation["security"] == []
            assert "401" not in operation["responses"]
        else:
            assert "security" not in operation, f"{method} {path}"
            assert operation["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node and len(node) == 1:
        *_, kind, name = node["$ref"].split("/")
        node = document["components"][kind][name]
    return node


def test_every_response_has_the_request_ids(document: dict[str, Any]) -> None:
    for path, method, operation in _operations(document):
        for status, reference in operation["responses"].items():
            response = _resolve(document, reference)
            assert {"request-id", "client-request-id"} <= set(response["headers"]), (
                f"{method} {path} {status}"
            )


def test_every_operation_documents_500_and_the_photo_operations_503(
    document: dict[str, Any],
) -> None:
    for path, method, operation in _operations(document):
        assert "500" in operation["responses"], f"{method} {path}"
        if path not in ("/openapi.json", "/$metadata", "/$batch"):  # no storage of their own
            assert "503" in operation["responses"], f"{method} {path}"


def test_add_photos_documents_every_status_it_can_answer(document: dict[str, Any]) -> None:
    for path in ("/me/photos", "/me/photos/$ref", "/users/{user}/photos/$ref"):
        operation = document["paths"][path]["post"]
        assert {"201", "400", "401", "403", "409", "413", "415", "422", "500", "503"} <= set(
            operation["responses"]
        )
        created = operation["responses"]["201"]
        assert {"Location", "request-id", "client-request-id"} <= set(created["headers"])
        names = {_resolve(document, p)["name"] for p in operation["parameters"]}
        assert {"Idempotency-Key", "client-request-id"} <= names


def test_each_error_status_pins_the_graph_code_the_service_sends(document: dict[str, Any]) -> None:
    codes_of: dict[int, set[str]] = {}
    for error in _all_subclasses(GraphError):
        codes_of.setdefault(error.status, set()).add(error.code)
    for path, method, operation in _operations(document):
        for status, reference in operation["responses"].items():
            if int(status) < 400:
                continue
            schema = _resolve(document, reference)["content"]["application/json"]["schema"]
            assert schema["$ref"] == "#/components/schemas/ODataError"
            pinned = schema["properties"]["error"]["properties"]["code"]["const"]
            assert pinned in codes_of[int(status)], f"{method} {path} {status}"
    responses = document["components"]["responses"]
    assert responses["Unauthorized"]["headers"]["WWW-Authenticate"]["$ref"]
    assert responses["ServiceUnavailable"]["headers"]["Retry-After"]["$ref"]


def _all_subclasses(cls: type[GraphError]) -> list[type[GraphError]]:
    found: list[type[GraphError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


# ---- the request body schema agrees with the parser -------------------------------------------

_BODIES: list[tuple[object, bool]] = [
    ({"height": 6, "width": 5}, True),
    ({"@odata.type": "#microsoft.graph.profilePhoto", "id": "x", "height": 1, "width": 1}, True),
    ({"id": None, "@odata.type": None, "height": 2147483647, "width": 1}, True),
    ({"id": "\U0001f600" * 256, "height": 6, "width": 5}, True),
    ({"id": "a" * 257, "height": 6, "width": 5}, False),
    ({"id": "", "height": 6, "width": 5}, False),
    ({"id": 7, "height": 6, "width": 5}, False),
    ({"height": 0, "width": 5}, False),
    ({"height": 2147483648, "width": 5}, False),
    ({"height": "6", "width": 5}, False),
    ({"height": True, "width": 5}, False),
    ({"height": 6}, False),
    ({"height": 6, "width": 5, "extra": 1}, False),
    ({"@odata.type": "#microsoft.graph.user", "height": 6, "width": 5}, False),
    ([{"height": 6, "width": 5}], False),
]


@pytest.mark.parametrize(("body", "valid"), _BODIES)
def test_the_body_schema_agrees_with_the_parser(
    document: dict[str, Any], body: object, valid: bool
) -> None:
    schema = document["components"]["schemas"]["ProfilePhotoInput"]
    assert jsonschema_rs.validator_for(schema).is_valid(body) is valid
    try:
        parse_photo("application/json", json.dumps(body).encode())
    except GraphError as error:
        assert not valid, error.message
    else:
        assert valid


# ---- serving ----------------------------------------------------------------------------------


def _request(headers: dict[str, str] | None = None) -> func.HttpRequest:
    return func.HttpRequest(
        "GET", "http://localhost/api/openapi.json", headers=headers or {}, body=b""
    )


async def test_the_response_is_the_file_with_the_request_ids() -> None:
    request = _request({"client-request-id": "abc-1"})
    response = await openapi_document(request, _TARGET, request_ids(request.headers))

    assert response.status_code == 200
    assert response.get_body() == DOCUMENT_PATH.read_bytes()
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["client-request-id"] == "abc-1"
    assert response.headers["request-id"]


def test_a_missing_file_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        document_bytes(tmp_path / "missing.json")


_TARGET = Target(user=None, photo_id=None, as_ref=False)
