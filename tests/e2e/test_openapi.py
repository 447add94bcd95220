"""The running service holds to its OpenAPI document, checked by schemathesis.

Schemathesis reads ``shared/openapi.json``, generates requests for every operation (valid ones,
and invalid ones that must be refused with a 4xx), sends them to the dev host with a token that
may do everything, and checks every response: no 5xx, a documented status code, the documented
content type, headers and body schema. Generation is derandomized and bounded, so a run is the
same every time and takes well under a minute.

The document is loaded from the file (``from_path``) rather than from the running service
(``from_url`` through ``schemathesis.pytest.from_fixture``) because schemathesis 4.32's lazy
fixture parametrization fails under pytest 9.2 (it sets ``Function._nodeid``, which pytest
9.2 no longer has). ``test_the_service_serves_this_document_without_a_token`` keeps the two
the same, and ``test_the_served_document_loads_with_from_url`` shows ``from_url`` reads it.

The checks cannot pass vacuously: ``test_the_checks_pass_a_real_…`` and
``test_the_checks_catch_…`` feed them recorded responses (a 201, a 409) and doctored copies.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from uuid import uuid4

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case, CheckFunction, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import Service, send
from tests.tokens import build_access_token

DOCUMENT = Path(__file__).resolve().parents[2] / "shared" / "openapi.json"
ALL_PERMISSIONS = "ProfilePhoto.ReadWrite.All User.ReadWrite.All"
MAX_EXAMPLES = 40
"""Per operation and generation phase; about 20 s for the whole document on 2 cores."""

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,  # an invalid request is refused with a 4xx
]

schema = schemathesis.openapi.from_path(DOCUMENT)
# The service ignores query parameters that are not OData options (as Graph does), so requests
# with made-up extra parameters are not invalid; do not generate them as if they were.
schema.config.generation.update(deterministic=True, allow_extra_parameters=False)


@pytest.fixture(scope="module")
def token() -> str:
    """A delegated token of a user of its own that may add and read anyone's photos."""
    oid = str(uuid4())
    return build_access_token(oid=oid, preferred_username=f"{oid}@x.example", scp=ALL_PERMISSIONS)


def _reaches_no_operation(case: Case[Any]) -> bool:
    """Whether ``case`` is a request that no operation's route takes, whatever the document says.

    Negative generation sends path values the document excludes: ``$ref`` as a photo id
    (``…/photos/$ref`` is POST-only; GET or DELETE there is the fallback's ``405``, which is
    not an operation and not in the document; ``tests/e2e/test_unmatched_routes.py``).
    """
    values = {name: unquote(str(value)) for name, value in (case.path_parameters or {}).items()}
    return values.get("photo-id", "").lower() == "$ref"


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_every_response_conforms_to_the_document(
    case: Case[Any], token: str, service: Service
) -> None:
    if _reaches_no_operation(case):
        return
    case.call_and_validate(
        base_url=service.base_url,
        headers={"Authorization": f"Bearer {token}"},
        checks=CHECKS,
        timeout=30,
    )


@pytest.mark.parametrize(
    "created_at",
    ["0001-01-01T00:00:00+01:00", "1600-12-31T23:59:59+00:00", "9999-12-31T23:59:59-01:00"],
    ids=["y1", "y1600", "y9999"],
)
def test_a_skiptoken_out_of_the_utc_range_is_a_documented_400(
    created_at: str, token: str, service: Service
) -> None:
    """Found while writing the document: it was a 500 (OverflowError converting to UTC)."""
    raw = json.dumps({"createdAt": created_at, "id": "p"}).encode()
    skiptoken = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    case = schema["/me/photos"]["GET"].Case(query={"$skiptoken": skiptoken})

    response = case.call_and_validate(
        base_url=service.base_url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
    )

    assert response.status_code == 400


def test_the_service_serves_this_document_without_a_token(service: Service) -> None:
    reply = send(f"{service.base_url}/openapi.json", method="GET")

    assert reply.status == 200
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.body == DOCUMENT.read_bytes()
    assert reply.headers["request-id"]
    assert reply.headers["client-request-id"] == reply.headers["request-id"]


def test_the_served_document_loads_with_from_url(service: Service) -> None:
    served = schemathesis.openapi.from_url(f"{service.base_url}/openapi.json", timeout=10)

    assert served.get_base_url() == service.base_url  # servers: /api, relative to the document
    assert served.raw_schema == schema.raw_schema


# ---- the checks themselves ------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded(service: Service, token: str) -> tuple[Case[Any], Response]:
    """A real ``POST /me/photos`` and the service's ``201`` to it."""
    case = schema["/me/photos"]["POST"].Case(
        body={"height": 6, "width": 5},
        media_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    response = case.call(base_url=service.base_url, timeout=30)
    assert response.status_code == 201, response.text
    return case, response


def _doctored(
    response: Response,
    *,
    status: int | None = None,
    drop_header: str | None = None,
    edit_body: Callable[[dict[str, Any]], None] | None = None,
    content_type: str | None = None,
) -> Response:
    headers = {name: list(values) for name, values in response.headers.items()}
    if drop_header is not None:
        headers.pop(drop_header.lower())
    if content_type is not None:
        headers["content-type"] = [content_type]
    body = json.loads(response.content)
    if edit_body is not None:
        edit_body(body)
    return Response(
        status_code=response.status_code if status is None else status,
        headers=headers,
        content=json.dumps(body).encode(),
        request=response.request,
        elapsed=response.elapsed,
        verify=response.verify,
    )


def test_the_checks_pass_a_real_response(recorded: tuple[Case[Any], Response]) -> None:
    case, response = recorded
    case.validate_response(response, checks=CHECKS)


def _set_height(value: object) -> Callable[[dict[str, Any]], None]:
    def edit(body: dict[str, Any]) -> None:
        body["height"] = value

    return edit


def _add_property(body: dict[str, Any]) -> None:
    body["secret"] = "leaked"


def _drop_id(body: dict[str, Any]) -> None:
    del body["id"]


@pytest.mark.parametrize(
    ("doctoring", "caught_by"),
    [
        ({"status": 500}, "Server error"),
        ({"status": 418}, "Undocumented status code"),
        ({"drop_header": "Location"}, "Missing required response headers"),
        ({"drop_header": "request-id"}, "Missing required response headers"),
        ({"content_type": "text/html"}, "Undocumented Content-Type"),
        ({"edit_body": _set_height(0)}, "Response violates schema"),
        ({"edit_body": _set_height("6")}, "Response violates schema"),
        ({"edit_body": _add_property}, "Response violates schema"),
        ({"edit_body": _drop_id}, "Response violates schema"),
    ],
    ids=[
        "5xx",
        "undocumented-status",
        "no-location",
        "no-request-id",
        "content-type",
        "height-0",
        "height-string",
        "extra-property",
        "no-id",
    ],
)
def test_the_checks_catch_a_nonconforming_response(
    recorded: tuple[Case[Any], Response], doctoring: dict[str, Any], caught_by: str
) -> None:
    case, response = recorded

    with pytest.raises(FailureGroup) as raised:
        case.validate_response(_doctored(response, **doctoring), checks=CHECKS)

    assert any(caught_by in failure.title for failure in raised.value.exceptions), [
        failure.title for failure in raised.value.exceptions
    ]


@pytest.fixture(scope="module")
def recorded_conflict(service: Service, token: str) -> tuple[Case[Any], Response]:
    """A real ``409`` Graph error: the same photo id posted twice."""
    case = schema["/me/photos"]["POST"].Case(
        body={"id": f"dup-{uuid4()}", "height": 6, "width": 5},
        media_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert case.call(base_url=service.base_url, timeout=30).status_code == 201
    response = case.call(base_url=service.base_url, timeout=30)
    assert response.status_code == 409, response.text
    return case, response


def _set_code(code: str) -> Callable[[dict[str, Any]], None]:
    def edit(body: dict[str, Any]) -> None:
        body["error"]["code"] = code

    return edit


def _drop_inner_error(body: dict[str, Any]) -> None:
    del body["error"]["innerError"]


def _add_stack_trace(body: dict[str, Any]) -> None:
    body["error"]["stackTrace"] = "Traceback (most recent call last): ..."


def test_the_checks_pass_a_real_error(recorded_conflict: tuple[Case[Any], Response]) -> None:
    case, response = recorded_conflict
    case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize(
    "edit",
    [_set_code("BadRequest"), _drop_inner_error, _add_stack_trace],
    ids=["code-of-another-status", "no-inner-error", "stack-trace"],
)
def test_the_checks_catch_a_wrong_graph_error(
    recorded_conflict: tuple[Case[Any], Response], edit: Callable[[dict[str, Any]], None]
) -> None:
    case, response = recorded_conflict

    with pytest.raises(FailureGroup) as raised:
        case.validate_response(_doctored(response, edit_body=edit), checks=CHECKS)

    assert [failure.title for failure in raised.value.exceptions] == ["Response violates schema"]
