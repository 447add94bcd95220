"""Writing a transaction's entities and conditions as the SDK does.

Each entity's JSON is compared with the SDK's own serializer
(``azure.data.tables._serialize._add_entity_properties``, private: the point is to agree with
it) and azure-core's JSON encoder; the whole ``$batch`` body is compared with the SDK's on the
wire in ``tests/integration/test_transaction.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.serialization import AzureJSONEncoder
from azure.data.tables import EdmType, EntityProperty, UpdateMode
from azure.data.tables._serialize import _add_entity_properties

from shared.storage.transaction_body import batch_request, entity_json

KEYS = {"PartitionKey": "p", "RowKey": "r"}


@pytest.mark.parametrize(
    "value",
    [
        "text",
        "",
        "naïve \u2603 'q' \"d\"",
        True,
        False,
        0,
        -(2**31),
        2**31 - 1,
        0.5,
        float("nan"),
        float("inf"),
        float("-inf"),
        datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=-7))),
        datetime(2024, 5, 6, 7, 8, 9),
        EntityProperty(5, EdmType.INT32),
        EntityProperty(2**40, EdmType.INT64),
        EntityProperty(1.0, EdmType.DOUBLE),
        EntityProperty(float("nan"), EdmType.DOUBLE),
        EntityProperty("s", EdmType.STRING),
        EntityProperty(True, EdmType.BOOLEAN),
        EntityProperty(datetime(2024, 1, 1, tzinfo=UTC), EdmType.DATETIME),
        EntityProperty(None, EdmType.INT32),
        None,
    ],
)
def test_a_value_is_written_as_the_sdk_writes_it(value: Any) -> None:
    entity = {**KEYS, "Value": value}
    sdk = json.dumps(_add_entity_properties(entity), cls=AzureJSONEncoder)
    assert entity_json(entity) == sdk


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, EntityProperty(2**31, EdmType.INT32)])
def test_an_int32_out_of_range_is_refused_like_the_sdk(value: Any) -> None:
    with pytest.raises(TypeError):
        _add_entity_properties({**KEYS, "N": value})
    with pytest.raises(TypeError, match=r"Edm\.Int32"):
        entity_json({**KEYS, "N": value})


@pytest.mark.parametrize(
    "value",
    [
        b"bytes",
        EntityProperty(b"x", EdmType.BINARY),
        EntityProperty("g", EdmType.GUID),
        [1],
        UpdateMode.MERGE,
    ],
)
def test_a_value_not_checked_against_the_sdk_is_refused(value: Any) -> None:
    with pytest.raises(TypeError, match="'Value'"):
        entity_json({**KEYS, "Value": value})


def _body(*operations: Any) -> str:
    _type, body = batch_request("http://h/acct", "t", "2019-02-02", list(operations), now=0)
    return body.decode()


ETAG = "W/\"datetime'2024-01-01T00%3A00%3A00Z'\""


def test_conditions_are_the_sdks() -> None:
    unchanged = {"etag": ETAG, "match_condition": MatchConditions.IfNotModified}
    assert f"If-Match: {ETAG}\r\n" in _body(("delete", KEYS, unchanged))
    assert "If-Match: *\r\n" in _body(("delete", KEYS))
    assert f"If-Match: {ETAG}\r\n" in _body(("update", KEYS, {"mode": "replace", **unchanged}))
    assert "If-Match" not in _body(("upsert", KEYS, {"mode": UpdateMode.REPLACE}))
    assert "If-Match" not in _body(("create", KEYS))
    with pytest.raises(ValueError, match="IfNotModified must be specified with etag"):
        _body(("delete", KEYS, {"match_condition": MatchConditions.IfNotModified}))
    with pytest.raises(ValueError, match="Etag is not supported for an Unconditional"):
        _body(("update", KEYS, {"etag": ETAG}))
    with pytest.raises(ValueError, match="Unsupported match condition"):
        _body(("delete", KEYS, {"etag": ETAG, "match_condition": MatchConditions.IfModified}))


def test_methods_and_urls_are_the_sdks() -> None:
    keys = {"PartitionKey": "it's %!", "RowKey": "a b"}
    url = "http://h/acct/t(PartitionKey='it%27%27s%20%25%21',RowKey='a%20b') HTTP/1.1"
    assert f"PUT {url}" in _body(("update", keys, {"mode": UpdateMode.REPLACE}))
    assert f"PATCH {url}" in _body(("update", keys))
    assert f"PATCH {url}" in _body(("upsert", keys))
    assert f"DELETE {url}" in _body(("delete", keys))
    assert "POST http://h/acct/t HTTP/1.1" in _body(("create", keys))


@pytest.mark.parametrize(
    ("operations", "message"),
    [
        ([], "at least one"),
        ([("create", {"PartitionKey": "p"})], "PartitionKey and/or RowKey"),
        ([("create", KEYS), ("create", {"PartitionKey": "q", "RowKey": "r"})], "same"),
        ([("merge", KEYS)], "unsupported"),
        ([("create", KEYS, {"mode": UpdateMode.MERGE})], "unsupported"),
        ([("update", KEYS, {"mode": "sideways"})], "not supported"),
    ],
)
def test_what_the_sdk_would_refuse_is_refused(operations: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        batch_request("http://h/acct", "t", "2019-02-02", operations, now=0)
