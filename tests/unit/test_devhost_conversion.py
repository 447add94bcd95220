"""The dev host's conversions: aiohttp request -> func.HttpRequest, func result -> HTTP response."""

from __future__ import annotations

import ssl
from collections.abc import Iterable

import azure.functions as func
import pytest
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from devtools.http_conversion import (
    FunctionResultError,
    build_function_request,
    build_web_response,
    request_url,
)


def _request(
    url: str = "http://127.0.0.1:7071/api/me/photos",
    *,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    route_params: dict[str, str] | None = None,
) -> func.HttpRequest:
    return build_function_request(
        method="post",
        url=url,
        headers=headers,
        body=body,
        route_params=route_params or {},
    )


def test_request_url_is_what_the_client_sent() -> None:
    request = make_mocked_request(
        "GET", "/api/users/a%23EXT%23%40b.com/photos/%24ref?x=1%202", headers={"Host": "h:7071"}
    )
    assert (
        request_url(request) == "http://h:7071/api/users/a%23EXT%23%40b.com/photos/%24ref?x=1%202"
    )


def test_request_url_https() -> None:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    request = make_mocked_request("GET", "/api/x", headers={"Host": "h"}, sslcontext=tls)
    assert request_url(request) == "https://h/api/x"


def test_request_method_url_body_and_route_params() -> None:
    request = _request(body=b'{"height": 6}', route_params={"target": "me/photos"})
    assert request.method == "POST"
    assert request.url == "http://127.0.0.1:7071/api/me/photos"
    assert request.get_body() == b'{"height": 6}'
    assert request.get_json() == {"height": 6}
    assert request.route_params == {"target": "me/photos"}


def test_request_query_params_decoded_and_repeats_joined() -> None:
    request = _request("http://h/api/x?a=1&b=x%20y&a=2&empty=&plus=a+b")
    assert request.params == {"a": "1,2", "b": "x y", "empty": "", "plus": "a b"}


def test_request_headers_case_insensitive_and_repeats_joined() -> None:
    headers = [("Content-Type", "application/json"), ("X-Multi", "a"), ("x-multi", "b")]
    request = _request(headers=headers)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["CONTENT-TYPE"] == "application/json"
    assert request.headers["x-multi"] == "a,b"


def test_request_headers_from_an_aiohttp_request() -> None:
    mocked = make_mocked_request(
        "POST",
        "/api/me/photos",
        headers=CIMultiDict([("Host", "h"), ("Authorization", "Bearer t"), ("Accept", "a")]),
    )
    request = _request(headers=mocked.headers.items())
    assert request.headers["authorization"] == "Bearer t"
    assert request.headers["host"] == "h"


def test_response_status_headers_and_body() -> None:
    response = build_web_response(
        func.HttpResponse(
            b'{"id": "1"}',
            status_code=201,
            headers={"Location": "http://h/api/x", "request-id": "r"},
            mimetype="application/json",
        )
    )
    assert response.status == 201
    assert response.headers["Location"] == "http://h/api/x"
    assert response.headers["request-id"] == "r"
    assert response.headers["Content-Type"] == "application/json"
    assert response.body == b'{"id": "1"}'


def test_response_text_mimetype_gets_the_charset() -> None:
    response = build_web_response(
        func.HttpResponse("h\u00e9", mimetype="text/html", charset="latin-1")
    )
    assert response.headers["Content-Type"] == "text/html; charset=latin-1"
    assert response.body == "h\u00e9".encode("latin-1")


def test_response_default_is_text_plain_utf8() -> None:
    response = build_web_response(func.HttpResponse("ok"))
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("status", [204, 304])
def test_a_response_without_content_gets_no_made_up_content_type(status: int) -> None:
    response = build_web_response(func.HttpResponse(status_code=status, headers={"ETag": '"x"'}))
    assert "Content-Type" not in response.headers
    assert response.headers["ETag"] == '"x"'


def test_response_content_type_header_is_not_duplicated() -> None:
    result = func.HttpResponse(
        "{}", headers={"content-type": "application/problem+json"}, mimetype="application/json"
    )
    response = build_web_response(result)
    assert response.headers.getall("Content-Type") == ["application/problem+json"]


def test_response_repeated_headers_kept() -> None:
    result = func.HttpResponse("ok")
    result.headers.add("Set-Cookie", "a=1")
    result.headers.add("Set-Cookie", "b=2")
    assert build_web_response(result).headers.getall("Set-Cookie") == ["a=1", "b=2"]


def test_response_content_length_is_left_to_the_server() -> None:
    result = func.HttpResponse("ok", headers={"Content-Length": "999"})
    assert "Content-Length" not in build_web_response(result).headers


def test_response_str_result_is_200_text() -> None:
    response = build_web_response("hello")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.body == b"hello"


@pytest.mark.parametrize("result", [None, 42, b"bytes", {"status": 200}])
def test_response_wrong_type_is_an_error(result: object) -> None:
    with pytest.raises(FunctionResultError, match=r"expected azure\.functions\.HttpResponse"):
        build_web_response(result)


@pytest.mark.parametrize("status", [99, 1000])
def test_response_invalid_status_is_an_error(status: int) -> None:
    with pytest.raises(FunctionResultError, match="invalid HTTP status"):
        build_web_response(func.HttpResponse("x", status_code=status))
