"""``shared.storage.transaction`` against the SDK's own ``submit_transaction``, on Azurite.

The same operations go once through the SDK and once through ours (in two partitions of one
table, or two tables): the requests are the same bytes but for boundaries and dates, the rows
read back the same (through the SDK, and raw with full metadata), and every failure is the same
exception with the same status, index, error code and message.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import PipelineRequest
from azure.core.rest import HttpRequest
from azure.data.tables import EdmType, EntityProperty, UpdateMode
from azure.data.tables.aio import TableClient

from shared.config import StorageSettings
from shared.models import Media, Photo
from shared.storage.entities import (
    counter_entity,
    index_entity,
    media_columns,
    photo_entity,
    size_entity,
)
from shared.storage.photo_store import IdempotencyClaim, NewPhoto
from shared.storage.table_client import POST_RETRY_METHODS, create_table_client
from shared.storage.transaction import account_endpoint, submit_transaction
from shared.storage.transaction_body import Operation

pytestmark = pytest.mark.azurite

Submit = Callable[[TableClient, Sequence[Operation]], Awaitable[Sequence[Mapping[str, Any]]]]


async def _sdk(table: TableClient, operations: Sequence[Operation]) -> Sequence[Mapping[str, Any]]:
    return await table.submit_transaction(list(operations))


async def _ours(table: TableClient, operations: Sequence[Operation]) -> list[dict[str, str]]:
    return await submit_transaction(table, operations)


SIDES: dict[str, Submit] = {"sdk": _sdk, "ours": _ours}


@pytest.fixture
async def table(table_client: TableClient) -> AsyncIterator[TableClient]:
    await table_client.create_table()
    yield table_client


def _new_photo(user: str, *, idempotent: bool) -> NewPhoto:
    claim = IdempotencyClaim("key-1", "fingerprint-1") if idempotent else None
    return NewPhoto(
        user_key=user,
        user_name=f"{user}@Contoso.com",
        photo_id=str(uuid4()),
        height=640,
        width=480,
        created_at=datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        request_id=f"request-{uuid4()}",
        idempotency=claim,
    )


def _add(user: str, *, idempotent: bool = False) -> list[Operation]:
    """An add's three rows: the photo, its index row, and a new counter."""
    photo = photo_entity(_new_photo(user, idempotent=idempotent))
    return [
        ("create", photo),
        ("create", index_entity(photo)),
        ("create", counter_entity(photo["PartitionKey"], 1)),
    ]


def _awkward(partition: str) -> dict[str, Any]:
    """Every value type this path writes, and keys that need quoting in a URL."""
    return {
        "PartitionKey": partition,
        "RowKey": "it's %!a+b=c&d é",
        "Text": "naïve 'quotes' \"double\" \u2603",
        "Empty": "",
        "Flag": True,
        "Plain": 7,
        "Ratio": 0.25,
        "Huge": EntityProperty(2**40, EdmType.INT64),
        "Typed": EntityProperty(-5, EdmType.INT32),
        "Double": EntityProperty(3.0, EdmType.DOUBLE),
        "Local": datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC) + timedelta(microseconds=7),
        "Missing": None,
    }


async def _raw(table: TableClient, partition: str) -> list[dict[str, Any]]:
    """The partition's rows as Table Storage returns them, with full metadata (each
    property's ``@odata.type``), service-set fields and the partition itself left out."""
    request = HttpRequest(
        "GET",
        f"{account_endpoint(table)}/{table.table_name}()",
        params={"$filter": f"PartitionKey eq '{partition}'"},
        headers={"Accept": "application/json;odata=fullmetadata", "DataServiceVersion": "3.0"},
    )
    response = await table._client.send_request(request)
    response.raise_for_status()
    skip = re.compile(r"^(odata\.|PartitionKey|Timestamp)")
    rows = json.loads(response.text())["value"]
    return [{k: v for k, v in row.items() if not skip.match(k)} for row in rows]


async def _read_back(table: TableClient, partition: str) -> list[tuple[str, dict[str, Any]]]:
    """The partition's rows through the SDK: each value with its type."""
    rows = []
    async for entity in table.query_entities("PartitionKey eq @p", parameters={"p": partition}):
        values = {
            name: (type(value).__name__, value)
            for name, value in entity.items()
            if name != "PartitionKey"
        }
        rows.append((entity["RowKey"], values))
    return sorted(rows)


def _in(partition: str, operations: Sequence[Operation]) -> list[Operation]:
    """``operations`` moved to ``partition``."""
    moved: list[Operation] = []
    for kind, entity, *options in operations:
        moved.append((kind, {**entity, "PartitionKey": partition}, *options))  # type: ignore[arg-type]
    return moved


async def _both(table: TableClient, operations: Sequence[Operation]) -> tuple[str, str]:
    """Run ``operations`` through each side in a partition of its own; the partitions."""
    partitions = ("sdk-" + uuid4().hex, "ours-" + uuid4().hex)
    for side, partition in zip(SIDES.values(), partitions, strict=True):
        results = await side(table, _in(partition, operations))
        assert len(results) == len(operations)
    return partitions


async def _assert_same_rows(table: TableClient, partitions: tuple[str, str]) -> None:
    sdk, ours = partitions
    assert await _read_back(table, ours) == await _read_back(table, sdk)
    raw = await _raw(table, ours)
    assert raw == await _raw(table, sdk)
    assert raw  # something was compared


@pytest.mark.parametrize("idempotent", [False, True])
async def test_an_add_writes_the_rows_the_sdk_writes(table: TableClient, idempotent: bool) -> None:
    await _assert_same_rows(table, await _both(table, _add("alice", idempotent=idempotent)))


async def test_every_value_type_is_written_as_the_sdk_writes_it(table: TableClient) -> None:
    partitions = await _both(table, [("create", _awkward("p"))])
    await _assert_same_rows(table, partitions)
    raw = await _raw(table, partitions[1])
    assert raw[0]["Huge@odata.type"] == "Edm.Int64"
    assert raw[0]["Local@odata.type"] == "Edm.DateTime"
    assert "Missing" not in raw[0]


async def test_updates_upserts_and_deletes_leave_the_rows_the_sdk_leaves(
    table: TableClient,
) -> None:
    size = Photo("48x48", 48, 48, datetime(2024, 1, 1, tzinfo=UTC), Media("b/1", '"e"', "x", 9))
    first: list[Operation] = [
        ("create", {"PartitionKey": "p", "RowKey": "counter", "Count": 1}),
        ("create", {"PartitionKey": "p", "RowKey": "gone", "X": "x"}),
        ("create", {"PartitionKey": "p", "RowKey": "merged", "Kept": "k", "Old": "o"}),
        ("create", {"PartitionKey": "p", "RowKey": "media", "Kept": "k"}),
    ]
    partitions = await _both(table, first)
    for partition in partitions:
        counter = await table.get_entity(partition, "counter")
        gone = await table.get_entity(partition, "gone")
        row = size_entity("u", "U", size, "r1")
        operations: list[Operation] = [
            (
                "update",
                {**counter_entity(partition, 2), "RowKey": "counter"},
                {"mode": UpdateMode.REPLACE, **_unchanged(counter)},
            ),
            ("delete", gone, _unchanged(gone)),
            ("update", {"PartitionKey": partition, "RowKey": "merged", "Old": "new"}),
            (
                "update",
                {"PartitionKey": partition, "RowKey": "media", **media_columns(size.media)},  # type: ignore[arg-type]
                {"mode": UpdateMode.MERGE},
            ),
            ("upsert", {**row, "PartitionKey": partition}, {"mode": UpdateMode.REPLACE}),
            ("upsert", {"PartitionKey": partition, "RowKey": "new", "N": 1}),
        ]
        side = _sdk if partition.startswith("sdk-") else _ours
        with pytest.raises(ValueError, match="same"):  # one partition per transaction
            await side(table, [*operations, ("delete", {"PartitionKey": "x", "RowKey": "y"})])
        results = await side(table, operations)
        assert [set(result) for result in results] == [{"etag"}, set(), *[{"etag"}] * 4]
    await _assert_same_rows(table, partitions)


def _unchanged(entity: Any) -> dict[str, Any]:
    return {"etag": entity.metadata["etag"], "match_condition": MatchConditions.IfNotModified}


async def _failure(side: Submit, table: TableClient, operations: Sequence[Operation]) -> Any:
    """What ``side`` raised: type, status, index, error code and message (ids cut out)."""
    with pytest.raises(HttpResponseError) as caught:
        await side(table, operations)
    error = caught.value
    message = re.sub(r"\n(RequestId|Time):[^\n]*", "", str(error.message))
    code = getattr(error, "error_code", None)
    return (
        type(error),
        error.status_code,
        getattr(error, "index", None),
        (type(code), code),
        message,
    )


async def _same_failure(table: TableClient, operations: Sequence[Operation]) -> Any:
    failures = [await _failure(side, table, operations) for side in SIDES.values()]
    assert failures[0] == failures[1]
    return failures[0]


async def test_an_existing_photo_row_fails_at_index_0(table: TableClient) -> None:
    add = _add("bob")
    await _sdk(table, add)
    kind, status, index, _code, _message = await _same_failure(table, add)
    assert (kind.__name__, status, index) == ("TableTransactionError", 409, 0)


async def test_an_existing_index_row_fails_at_index_1(table: TableClient) -> None:
    add = _add("bob")
    await _sdk(table, [add[1]])
    _kind, status, index, (_type, code), _message = await _same_failure(table, add)
    assert (status, index, code) == (409, 1, "EntityAlreadyExists")


async def test_a_stale_counter_fails_at_index_2(table: TableClient) -> None:
    add = _add("carol")
    await _sdk(table, [add[2]])
    counter = await table.get_entity(add[2][1]["PartitionKey"], add[2][1]["RowKey"])
    await table.update_entity(counter)  # its ETag changes
    stale = ("update", add[2][1], {"mode": UpdateMode.REPLACE, **_unchanged(counter)})
    _kind, status, index, _code, _message = await _same_failure(table, [*add[:2], stale])
    assert (status, index) == (412, 2)


async def test_a_counter_created_twice_fails_at_index_2(table: TableClient) -> None:
    add = _add("dave")
    await _sdk(table, [add[2]])
    assert (await _same_failure(table, add))[1:3] == (409, 2)


@pytest.mark.parametrize("condition", ["unconditional", "stale etag"])
async def test_deleting_a_missing_row_fails_alike(table: TableClient, condition: str) -> None:
    row = {"PartitionKey": "p", "RowKey": "missing"}
    options = {}
    if condition == "stale etag":
        options = {
            "etag": "W/\"datetime'2020-01-01T00%3A00%3A00Z'\"",
            "match_condition": MatchConditions.IfNotModified,
        }
    status = (await _same_failure(table, [("delete", row, options)]))[1]
    assert status == 404


async def test_a_missing_table_fails_alike(table_client: TableClient) -> None:
    _kind, status, _index, (_type, code), _message = await _same_failure(table_client, _add("e"))
    assert (status, code) == (404, "TableNotFound")


async def test_an_oversized_transaction_fails_alike(table: TableClient) -> None:
    big = [
        ("create", {"PartitionKey": "p", "RowKey": f"r{i}", "S": "x" * 31_000}) for i in range(140)
    ]
    kind, status, _index, (_type, code), _message = await _same_failure(table, big)
    assert (kind.__name__, status, code) == ("RequestTooLargeError", 413, "RequestBodyTooLarge")


async def test_what_the_table_does_not_store_is_refused_before_sending(table: TableClient) -> None:
    with pytest.raises(TypeError, match="'Blob'"):
        await submit_transaction(
            table, [("create", {"PartitionKey": "p", "RowKey": "r", "Blob": b"x"})]
        )
    with pytest.raises(ValueError, match="unsupported"):
        await submit_transaction(table, [("merge", {"PartitionKey": "p", "RowKey": "r"})])
    with pytest.raises(ValueError, match="at least one"):
        await submit_transaction(table, [])


def _normalised(body: bytes) -> bytes:
    """A ``$batch`` body with its boundaries and dates made the same."""
    body = re.sub(rb"(batch|changeset)_[0-9a-f-]{36}", rb"\1_X", body)
    return re.sub(rb"(Date|x-ms-date): [^\r]*", rb"\1: D", body)


async def test_the_request_is_the_sdks_through_its_own_pipeline(table: TableClient) -> None:
    """Same body, same headers (the request id given, the shared-key signature, the SDK's
    user agent): ours goes through the client's pipeline like any SDK call."""
    seen: dict[str, tuple[dict[str, str], bytes]] = {}

    def record(side: str) -> Callable[[PipelineRequest[Any]], None]:
        def hook(request: PipelineRequest[Any]) -> None:
            http = request.http_request
            body = http.body if hasattr(http, "body") else http.content
            seen[side] = (dict(http.headers), _normalised(bytes(body)))

        return hook

    operations = _add("frank")
    operations.append(("create", _awkward(operations[0][1]["PartitionKey"])))
    options = {"retry_on_methods": POST_RETRY_METHODS, "request_id": "the-graph-request"}
    await table.submit_transaction(operations, raw_request_hook=record("sdk"), **options)
    for operation in operations:  # so that ours can write the same rows
        await table.delete_entity(operation[1]["PartitionKey"], operation[1]["RowKey"])
    await submit_transaction(table, operations, raw_request_hook=record("ours"), **options)
    (sdk_headers, sdk_body), (our_headers, our_body) = seen["sdk"], seen["ours"]
    assert our_body == sdk_body
    for name in ("x-ms-client-request-id", "User-Agent", "x-ms-version", "Accept"):
        assert our_headers[name] == sdk_headers[name]
    assert our_headers["x-ms-client-request-id"] == "the-graph-request"
    assert our_headers["Authorization"].startswith("SharedKey ")


async def test_the_sdk_still_has_the_generated_client_we_send_through(
    storage_settings: StorageSettings,
) -> None:
    """``TableClient._client`` is private: this fails first if azure-data-tables moves it."""
    async with create_table_client(storage_settings) as table:
        assert callable(table._client.send_request)
