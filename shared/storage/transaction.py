"""Entity group transactions for a fraction of the SDK's client CPU.

``submit_transaction(table, operations, **options)`` does what
``TableClient.submit_transaction(operations, **options)`` does (azure-data-tables 12.7), and
answers and fails the same way, so callers handle it as they would the SDK's: the same request
on the wire (``shared.storage.transaction_body``), sent through the client's own pipeline, so
its credential (shared key or bearer token), retry policy, ``x-ms-client-request-id``
(``request_id=``), ``retry_on_methods=`` and timeouts apply as to any of its calls; the answer
read as the SDK reads it (``shared.storage.transaction_response``).

The SDK spends most of a transaction's CPU in azure-core's multipart code, which writes the
request through the standard library's ``email`` package and parses the answer with it; an add
(three rows) cost about as much client CPU as four single inserts. This writes and reads the
same bytes directly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from azure.core.rest import HttpRequest
from azure.data.tables.aio import TableClient

from shared.storage.transaction_body import Operation, batch_request
from shared.storage.transaction_response import batch_results


async def submit_transaction(
    table: TableClient, operations: Sequence[Operation], **options: Any
) -> list[dict[str, str]]:
    """Commit ``operations`` (all in one partition of ``table``) as one transaction; each
    operation's ``{"etag": ...}`` (``{}`` for a delete). Raises what the SDK's
    ``submit_transaction`` raises: ``TableTransactionError`` (``.index``, ``.error_code``),
    ``RequestTooLargeError``, ``ResourceNotFoundError``, ``HttpResponseError`` ..."""
    endpoint = account_endpoint(table)
    content_type, body = batch_request(
        endpoint, table.table_name, table.api_version, operations, now=time.time()
    )
    request = HttpRequest(
        "POST",
        f"{endpoint}/$batch",
        headers={
            "x-ms-version": table.api_version,
            "DataServiceVersion": "3.0",
            "MaxDataServiceVersion": "3.0;NetFx",
            "Content-Type": content_type,
            "Accept": "application/json",
        },
        content=body,
    )
    response = await _pipeline(table).send_request(request, stream=True, **options)
    await response.read()
    return batch_results(response)


def account_endpoint(table: TableClient) -> str:
    """``scheme://host[/account]`` of the table's account, as the SDK's batch URL starts."""
    url = urlsplit(table.url)
    return f"{url.scheme}://{url.netloc}{url.path.rstrip('/')}"


def _pipeline(table: TableClient) -> Any:
    """The client's generated ``AzureTable`` client, whose ``send_request`` runs a request
    through the client's pipeline (the SDK's own ``_batch_send`` does the same). ``_client`` is
    the one private name used here; azure-data-tables is pinned, and
    ``tests/integration/test_transaction.py`` fails if the attribute changes."""
    return table._client
