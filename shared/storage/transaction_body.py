"""The ``$batch`` request of an entity group transaction, written as text.

What azure-data-tables' ``submit_transaction`` sends (12.7, ``TableBatchOperations`` and
``_batch_send``), without its detour through ``HttpRequest.set_multipart_mixed`` and the
standard library's ``email`` package: one batch part holding one changeset, each operation an
HTTP request with the headers the SDK writes (no ``Prefer``: the SDK sends none in a batch),
its entity as the JSON the SDK's serializer (``_serialize._add_entity_properties``) writes.

Operations are the SDK's tuples, ``(kind, entity)`` or ``(kind, entity, options)``:

- ``("create", entity)``: insert;
- ``("update", entity, {"mode": ..., "etag": ..., "match_condition": ...})``: replace (PUT) or
  merge (PATCH, the default), ``If-Match`` the ETag with ``MatchConditions.IfNotModified``,
  else ``If-Match: *``;
- ``("upsert", entity, {"mode": ...})``: insert or replace / merge, no ``If-Match``;
- ``("delete", entity, {"etag": ..., "match_condition": ...})``: ``If-Match`` as for update.

Property values: ``str``, ``bool``, ``int`` (Int32), ``float``, ``datetime`` and
``EntityProperty`` of Int32, Int64, Double, String, Boolean or DateTime; ``None`` is left out.
Any other value (bytes, GUID, Enum ...) is a ``TypeError``: this module writes only what it
was checked to write as the SDK does. For Table Storage (and Azurite) only: the SDK's
rewrite of a merge for a Cosmos DB endpoint is not made.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote
from uuid import uuid4
from wsgiref.handlers import format_date_time

from azure.core import MatchConditions
from azure.data.tables import EdmType, UpdateMode

Operation = tuple[str, Mapping[str, Any]] | tuple[str, Mapping[str, Any], Mapping[str, Any]]
"""One operation of a transaction, as ``TableClient.submit_transaction`` takes it."""

_INT32: Final = 2**31
_INT64: Final = 2**63
_MINIMAL_METADATA: Final = "application/json;odata=minimalmetadata"


def batch_request(
    endpoint: str, table: str, version: str, operations: Sequence[Operation], *, now: float
) -> tuple[str, bytes]:
    """The ``$batch`` body for ``operations`` on ``table`` at ``endpoint`` (the account's URL,
    ``scheme://host[/account]``) and its ``Content-Type``; ``now`` (``time.time()``) dates each
    operation as the SDK does."""
    if not operations:
        raise ValueError("a transaction needs at least one operation")
    batch, changeset = f"batch_{uuid4()}", f"changeset_{uuid4()}"
    date = format_date_time(now)
    common = (
        f"x-ms-version: {version}\r\nDataServiceVersion: 3.0\r\n",
        f"x-ms-date: {date}\r\nDate: {date}\r\n",
    )
    table_url = f"{endpoint}/{quote(table, safe='')}"
    partition: str | None = None
    parts = [
        f"--{batch}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n",
    ]
    for index, operation in enumerate(operations):
        kind, entity, options = _unpack(operation)
        partition = _same_partition(entity, partition)
        parts.append(
            f"--{changeset}\r\nContent-Type: application/http\r\n"
            f"Content-Transfer-Encoding: binary\r\nContent-ID: {index}\r\n\r\n"
        )
        parts.append(_operation(kind, entity, options, table_url, common))
    parts.append(f"--{changeset}--\r\n\r\n--{batch}--\r\n")
    return f"multipart/mixed; boundary={batch}", "".join(parts).encode()


def _unpack(operation: Operation) -> tuple[str, Mapping[str, Any], Mapping[str, Any]]:
    if len(operation) == 3:
        return operation[0], operation[1], operation[2]
    if len(operation) == 2:
        return operation[0], operation[1], {}
    raise TypeError("an operation is (kind, entity) or (kind, entity, options)")


def _same_partition(entity: Mapping[str, Any], partition: str | None) -> str:
    if "PartitionKey" not in entity or "RowKey" not in entity:
        raise ValueError("PartitionKey and/or RowKey were not provided in entity")
    if partition is not None and entity["PartitionKey"] != partition:
        raise ValueError("Partition Keys in the batch must all be the same.")
    return str(entity["PartitionKey"])


def _operation(
    kind: str,
    entity: Mapping[str, Any],
    options: Mapping[str, Any],
    table_url: str,
    common: tuple[str, str],
) -> str:
    """One operation: its request line, headers and body, as the SDK writes them."""
    versions, dates = common
    unknown = set(options) - _OPTIONS.get(kind, set())
    if kind not in _OPTIONS or unknown:
        raise ValueError(f"unsupported transaction operation {kind!r} {sorted(unknown)}")
    if kind == "create":
        body = entity_json(entity)
        return (
            f"POST {table_url} HTTP/1.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{versions}Accept: {_MINIMAL_METADATA}\r\n"
            f"{dates}\r\n{body}\r\n"
        )
    url = f"{table_url}(PartitionKey='{_key(entity['PartitionKey'])}',RowKey='{_key(entity['RowKey'])}')"
    if_match = "" if kind == "upsert" else f"If-Match: {_if_match(options)}\r\n"
    if kind == "delete":
        return (
            f"DELETE {url} HTTP/1.1\r\n{versions}Accept: {_MINIMAL_METADATA}\r\n"
            f"{if_match}{dates}\r\n\r\n"
        )
    mode = options.get("mode", UpdateMode.MERGE)
    if mode not in (UpdateMode.REPLACE, UpdateMode.MERGE):
        raise ValueError(f"Mode type '{mode}' is not supported.")
    method = "PUT" if mode == UpdateMode.REPLACE else "PATCH"
    body = entity_json(entity)
    return (
        f"{method} {url} HTTP/1.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{versions}Accept: application/json\r\n"
        f"{if_match}{dates}\r\n{body}\r\n"
    )


_OPTIONS: Final[dict[str, set[str]]] = {
    "create": set(),
    "update": {"mode", "etag", "match_condition"},
    "upsert": {"mode"},
    "delete": {"etag", "match_condition"},
}
"""The operations this module writes, and the options each takes."""


def _key(key: object) -> str:
    """A PartitionKey or RowKey in an entity's URL: quotes doubled, then percent-encoded."""
    if not isinstance(key, str):
        raise TypeError("PartitionKey or RowKey must be of type string.")
    return quote(key.replace("'", "''"), safe="")


def _if_match(options: Mapping[str, Any]) -> str:
    """The SDK's ``_get_match_condition``: the ETag if unmodified, else ``*`` (if present)."""
    etag = options.get("etag")
    condition = options.get("match_condition") or MatchConditions.Unconditionally
    if condition == MatchConditions.IfNotModified:
        if not etag:
            raise ValueError("IfNotModified must be specified with etag.")
        return str(etag)
    if condition == MatchConditions.Unconditionally:
        if etag:
            raise ValueError("Etag is not supported for an Unconditional operation.")
        return "*"
    raise ValueError(f"Unsupported match condition: {condition}")


def entity_json(entity: Mapping[str, Any]) -> str:
    """The entity as the SDK sends it: each property, then its ``@odata.type`` where the SDK
    writes one (every string, Int32 only when given as an ``EntityProperty``, ...)."""
    properties: dict[str, Any] = {}
    for name, value in entity.items():
        if value is None:
            continue
        if isinstance(value, tuple):  # EntityProperty(value, EdmType)
            if value[0] is None:
                continue
            convert = _BY_EDM_TYPE.get(EdmType(value[1]))
            value = value[0]
        elif isinstance(value, datetime):
            convert = _datetime
        else:
            convert = _BY_TYPE.get(type(value))
        if convert is None:
            raise TypeError(f"property {name!r}: {type(value).__name__} is not written here")
        edm_type, properties[name] = convert(value)
        if edm_type is not None:
            properties[f"{name}@odata.type"] = edm_type
    return json.dumps(properties)


def _datetime(value: Any) -> tuple[str, str]:
    if isinstance(value, str):
        return "Edm.DateTime", value
    service_value = getattr(value, "tables_service_value", None)
    if service_value:  # read from the service: written back as it was
        return "Edm.DateTime", str(service_value)
    utc = value.astimezone(UTC)
    try:
        return "Edm.DateTime", utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return "Edm.DateTime", utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def _int32(value: Any) -> int:
    number = int(value)
    if not -_INT32 <= number < _INT32:
        raise TypeError(f"{number} is too large to be cast to type Edm.Int32.")
    return number


def _int64(value: Any) -> tuple[str, str]:
    if not -_INT64 <= int(value) < _INT64:
        raise TypeError(f"{value} is too large to be cast to type Edm.Int64.")
    return "Edm.Int64", str(value)


def _double(value: Any) -> tuple[str, Any]:
    if isinstance(value, str):
        return "Edm.Double", value
    if math.isnan(value):
        return "Edm.Double", "NaN"
    if math.isinf(value):
        return "Edm.Double", "Infinity" if value > 0 else "-Infinity"
    return "Edm.Double", value


_Convert = Callable[[Any], tuple[str | None, Any]]

_BY_TYPE: Final[dict[type, _Convert]] = {
    str: lambda value: ("Edm.String", value),
    bool: lambda value: (None, value),
    int: lambda value: (None, _int32(value)),
    float: _double,
}
"""Plain values, by their exact type (as the SDK looks them up: a bool is not an int)."""

_BY_EDM_TYPE: Final[dict[EdmType, _Convert]] = {
    EdmType.STRING: lambda value: ("Edm.String", str(value)),
    EdmType.BOOLEAN: lambda value: ("Edm.Boolean", value),
    EdmType.INT32: lambda value: ("Edm.Int32", _int32(value)),
    EdmType.INT64: _int64,
    EdmType.DOUBLE: _double,
    EdmType.DATETIME: _datetime,
}
"""``EntityProperty`` values: always annotated with their type, as the SDK writes them."""
