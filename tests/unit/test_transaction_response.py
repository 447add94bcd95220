"""Reading a ``$batch`` answer: recorded from Azurite 3.35, and errors as the SDK decodes them.

The recorded bodies are Azurite's answers to the SDK's own transactions (boundaries and ids as
it sent them). Errors no Azurite gives (a 403 in XML, a 503) are checked against the SDK's own
decoder (``azure.data.tables._error._decode_error``, private: the point is to agree with it).
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.data.tables import RequestTooLargeError, TableErrorCode, TableTransactionError
from azure.data.tables._error import _decode_error

from shared.storage.failures import error_code, is_refused_credential, is_transient
from shared.storage.transaction_response import Part, batch_results, decode_error

_BATCH = "batchresponse_f660cb24-44fc-4b08-889f-7c9d35b0c6e0"
_CHANGESET = "changesetresponse_a75bebee-3d47-4d0b-8444-c6d965d8319a"


def _created(row: str, etag: str) -> bytes:
    return (
        f"--{_CHANGESET}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary"
        "\r\n\r\nHTTP/1.1 201 Created\r\nX-Content-Type-Options: nosniff\r\n"
        "Cache-Control: no-cache\r\nDataServiceVersion: 3.0;\r\n"
        f"Location: http://127.0.0.1:60469/devstoreaccount1/cap(PartitionKey='p',RowKey='{row}')"
        f"\r\nETag: {etag}\r\n\r\n\r\n"
    ).encode()


def _failed(status: str, code: str, message: str) -> bytes:
    return (
        f"--{_CHANGESET}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary"
        f"\r\n\r\nHTTP/1.1 {status}\r\nContent-ID: 2\r\nDataServiceVersion: 3.0;\r\n"
        "Content-Type: application/json;odata=minimalmetadata;charset=utf-8\r\n\r\n"
        f'{{"odata.error":{{"code":"{code}","message":{{"lang":"en-US","value":"{message}'
        '\\nRequestId:7e99b7d3-bb33-48ac-83ab-4bb3fdb40e20\\nTime:2026-12-01T23:18:51.871Z"}}}'
        "\r\n"
    ).encode()


def _batch(*parts: bytes) -> Part:
    body = (
        f"--{_BATCH}\r\nContent-Type: multipart/mixed; boundary={_CHANGESET}\r\n\r\n".encode()
        + b"".join(parts)
        + f"--{_CHANGESET}--\r\n--{_BATCH}--\r\n".encode()
    )
    return Part(202, "Accepted", {"Content-Type": f"multipart/mixed; boundary={_BATCH}"}, body)


def _error(status: int, content_type: str, body: str, **headers: str) -> Part:
    return Part(status, "Error", {"Content-Type": content_type, **headers}, body.encode())


ETAG = "W/\"datetime'2026-12-01T23%3A18%3A51.8587377Z'\""


def test_each_operation_has_its_etag() -> None:
    response = _batch(_created("a", ETAG), _created("b", ETAG + "2"), _created("c", ETAG + "3"))
    assert batch_results(response) == [{"etag": ETAG}, {"etag": ETAG + "2"}, {"etag": ETAG + "3"}]


def test_a_delete_has_no_etag() -> None:
    deleted = (
        f"--{_CHANGESET}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary"
        "\r\n\r\nHTTP/1.1 204 No Content\r\nX-Content-Type-Options: nosniff\r\n"
        "Cache-Control: no-cache\r\nDataServiceVersion: 1.0;\r\n\r\n\r\n"
    ).encode()
    assert batch_results(_batch(_created("a", ETAG), deleted)) == [{"etag": ETAG}, {}]


def test_a_failed_operation_is_named_by_its_index() -> None:
    response = _batch(_failed("409 Conflict", "EntityAlreadyExists", "1:The entity exists."))
    with pytest.raises(TableTransactionError) as caught:
        batch_results(response)
    error = caught.value
    assert (error.status_code, error.index, error_code(error)) == (409, 1, "EntityAlreadyExists")
    assert error.message.startswith("1:The entity exists.\nRequestId:")
    assert error.message.endswith("\nErrorCode:EntityAlreadyExists")


def test_a_missing_table_inside_the_batch_is_a_transaction_error() -> None:
    response = _batch(_failed("404 Not Found", "TableNotFound", "0:The table does not exist."))
    with pytest.raises(TableTransactionError) as caught:
        batch_results(response)
    assert (caught.value.index, error_code(caught.value)) == (0, "TableNotFound")


def test_a_part_too_large_is_request_too_large() -> None:
    response = _batch(_failed("413 Request Entity Too Large", "RequestBodyTooLarge", "0:Big."))
    with pytest.raises(RequestTooLargeError) as caught:
        batch_results(response)
    assert caught.value.status_code == 202  # the SDK names the batch's response, too


def test_a_batch_too_large_is_request_too_large() -> None:
    body = (
        '{"odata.error":{"code":"RequestBodyTooLarge","message":{"lang":"en-US","value":'
        '"The request body is too large.\\nRequestId:d08414ba"}}}'
    )
    response = _error(413, "application/json;odata=minimalmetadata;charset=utf-8", body)
    with pytest.raises(RequestTooLargeError) as caught:
        batch_results(response)
    assert (caught.value.status_code, error_code(caught.value)) == (413, "RequestBodyTooLarge")


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (
            _error(
                404,
                "application/json;odata=minimalmetadata",
                '{"odata.error":{"code":"TableNotFound","message":{"value":"No table."}}}',
            ),
            ResourceNotFoundError,
        ),
        (
            _error(
                403,
                "application/xml",
                '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed'
                "</Code><Message>Server failed to authenticate the request.</Message></Error>",
            ),
            ClientAuthenticationError,
        ),
        (
            _error(503, "application/json", '{"odata.error":{"code":"ServerBusy"}}'),
            HttpResponseError,
        ),
        (_error(500, "text/plain", "boom", **{"x-ms-error-code": "NoSuchCode"}), HttpResponseError),
    ],
)
def test_a_failed_batch_is_what_the_sdk_decodes(response: Part, kind: type[Exception]) -> None:
    with pytest.raises(HttpResponseError) as caught:
        batch_results(response)
    ours, sdks = caught.value, _decode_error(response)  # type: ignore[no-untyped-call]
    assert type(ours) is type(sdks) is kind
    assert _described(ours) == _described(sdks)


def _described(error: Any) -> tuple[Any, ...]:
    return (
        error.status_code,
        error.error_code,
        type(error.error_code),
        error.message,
        error.additional_info,
    )


def test_what_the_store_reads_from_a_failed_batch() -> None:
    refused = _error(403, "application/json", '{"odata.error":{"code":"AuthenticationFailed"}}')
    assert is_refused_credential(decode_error(refused))
    busy = _error(503, "application/json", '{"odata.error":{"code":"ServerBusy"}}')
    assert is_transient(decode_error(busy))
    missing = _error(404, "application/json", '{"odata.error":{"code":"TableNotFound"}}')
    assert decode_error(missing).error_code == TableErrorCode.TABLE_NOT_FOUND  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "response",
    [
        Part(202, "Accepted", {"Content-Type": "multipart/mixed"}, b"--x\r\n"),
        Part(
            202,
            "Accepted",
            {"Content-Type": "multipart/mixed; boundary=b"},
            b"--b\r\nContent-Type: application/http\r\n\r\nnot an http response\r\n--b--\r\n",
        ),
    ],
)
def test_an_unreadable_answer_is_an_http_response_error(response: Part) -> None:
    with pytest.raises(HttpResponseError, match="\\$batch response"):
        batch_results(response)
