import json
import uuid
from datetime import UTC, datetime

import pytest

from shared.graph.errors import InvalidAuthenticationToken, ServiceUnavailable
from shared.graph.responses import RequestIds, render_error, request_ids


def test_request_id_is_a_new_guid_and_echoed_when_no_client_id() -> None:
    ids = request_ids({})
    assert uuid.UUID(ids.request_id)
    assert ids.client_request_id == ids.request_id
    assert request_ids({}).request_id != ids.request_id


def test_client_request_id_is_echoed() -> None:
    ids = request_ids({"client-request-id": "d0e3e2a1-1111-2222-3333-444455556666"})
    assert ids.client_request_id == "d0e3e2a1-1111-2222-3333-444455556666"


@pytest.mark.parametrize("bad", ["", "   ", "a b", "x" * 129, "evil\r\nSet-Cookie: 1", "<script>"])
def test_unsafe_client_request_id_is_replaced_by_the_request_id(bad: str) -> None:
    ids = request_ids({"client-request-id": bad})
    assert ids.client_request_id == ids.request_id


def test_error_renders_in_graph_format_with_ids_and_headers() -> None:
    ids = RequestIds(request_id="r-1", client_request_id="c-1")
    error = InvalidAuthenticationToken("Token has expired.", token_presented=True)
    response = render_error(error, ids, now=datetime(2026, 11, 27, 14, 0, 0, tzinfo=UTC))
    assert response.status_code == 401
    assert (
        response.headers["Content-Type"]
        == "application/json; odata.metadata=minimal; charset=utf-8"
    )
    assert response.headers["request-id"] == "r-1"
    assert response.headers["client-request-id"] == "c-1"
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert json.loads(response.get_body()) == {
        "error": {
            "code": "InvalidAuthenticationToken",
            "message": "Token has expired.",
            "innerError": {
                "date": "2026-11-27T14:00:00",
                "request-id": "r-1",
                "client-request-id": "c-1",
            },
        }
    }


def test_empty_token_challenge_has_no_error_attribute() -> None:
    error = InvalidAuthenticationToken("Access token is empty.", token_presented=False)
    assert "error=" not in error.headers["WWW-Authenticate"]


def test_service_unavailable_carries_an_integer_retry_after() -> None:
    response = render_error(ServiceUnavailable("down", retry_after=7), RequestIds("r", "c"))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
