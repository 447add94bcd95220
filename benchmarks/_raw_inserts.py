"""The raw floors: azure-data-tables' async ``TableClient`` inserting photos, in its own process.

    python -m benchmarks._raw_inserts CONNECTION_STRING TABLE {user,best,transaction} USERS

``user``: the client as a user would write it (``TableClient.from_connection_string`` and
``create_entity``, every default); ``best``: the best-configured one (``use_env_settings=False``:
no ``.netrc`` / proxy lookups per call; ``Prefer: return-no-content``); ``transaction``: the
best-configured client writing what the service's add writes, one entity group transaction of
the photo row, its listing-index row and the user's counter row (created, then replaced while
unchanged, its ETag remembered, one writer per user: as the service keeps the per-user limit
exact). The table is created, a warm-up inserted, then ``ready`` is printed; every line
``CONCURRENCY REQUESTS`` read from stdin runs that many adds spread over USERS users and prints
one JSON line: seconds, latencies, this process's CPU seconds (``/proc/self/stat``) during
the run, and how many adds were sent again after a dropped pooled connection. Also used by
``bench_cold_start`` with ``--once``: one insert, then exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ServiceRequestError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from benchmarks._measure import cpu_seconds, summary_ms


def _client(connection: str, table: str, mode: str) -> TableClient:
    if mode == "user":
        return TableClient.from_connection_string(connection, table_name=table)
    return TableClient.from_connection_string(connection, table_name=table, use_env_settings=False)


def _options(mode: str) -> dict[str, Any]:
    return {} if mode == "user" else {"response_preference": "return-no-content"}


class _Transactions:
    """Adds as the service writes them: photo row + listing-index row + counter row."""

    def __init__(self, client: TableClient) -> None:
        self._client = client
        self._counters: dict[str, tuple[str, int]] = {}  # user -> (ETag, count)
        self._writers: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def add(self, user: str) -> None:
        async with self._writers[user]:  # one writer per user, as in the service
            await self._add(user)

    async def _add(self, user: str) -> None:
        photo = {**_entity(user), "User": user}
        photo["PhotoId"] = photo["RowKey"]
        index = {
            **{name: value for name, value in photo.items() if name != "PhotoId"},
            "RowKey": f"%!o{time.time_ns() // 1000:018d}_{photo['RowKey']}",
            "ListedId": photo["RowKey"],
        }
        known = self._counters.get(user)
        count = 1 if known is None else known[1] + 1
        counter = {"PartitionKey": user, "RowKey": "%!count", "Count": count}
        write: tuple[Any, ...] = ("create", counter)
        if known is not None:
            condition = {"etag": known[0], "match_condition": MatchConditions.IfNotModified}
            write = ("update", counter, {"mode": UpdateMode.REPLACE, **condition})
        results = await self._client.submit_transaction(
            [("create", photo), ("create", index), write]
        )
        self._counters[user] = (results[2]["etag"], count)


def _inserter(client: TableClient, mode: str) -> Callable[[str], Awaitable[object]]:
    """One add for a user, as ``mode`` writes it."""
    if mode == "transaction":
        return _Transactions(client).add
    options = _options(mode)
    return lambda user: client.create_entity(_entity(user), **options)


def _entity(user: str) -> dict[str, Any]:
    return {
        "PartitionKey": user,
        "RowKey": str(uuid.uuid4()),
        "Height": 6,
        "Width": 5,
        "CreatedAt": datetime.now(UTC),
        "RequestId": str(uuid.uuid4()),
    }


async def _run(
    add: Callable[[str], Awaitable[object]], users: list[str], concurrency: int, total: int
) -> dict[str, Any]:
    latencies: list[float] = []
    next_number = iter(range(total))
    retried = 0

    async def worker() -> None:
        nonlocal retried
        for number in next_number:
            started = time.perf_counter()
            try:
                await add(users[number % len(users)])
            except ServiceRequestError:  # a pooled connection Azurite closed while it sat idle
                retried += 1  # (Node's 5 s keep-alive; the SDK does not replay a POST itself)
                await add(users[number % len(users)])
            latencies.append(time.perf_counter() - started)

    cpu_before, started = cpu_seconds(os.getpid()), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "seconds": elapsed,
        "cpu_s": cpu_seconds(os.getpid()) - cpu_before,
        "retried": retried,
        **summary_ms(latencies),
    }


async def main_async(args: argparse.Namespace) -> None:
    async with _client(args.connection, args.table, args.mode) as client:
        add = _inserter(client, args.mode)
        if args.once:
            await add("cold-start")
            print("inserted", flush=True)
            return
        with contextlib.suppress(ResourceExistsError):
            await client.create_table()
        users = [str(uuid.uuid4()) for _ in range(args.users)]
        for number in range(50):
            await add(users[number % len(users)])
        print("ready", flush=True)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            concurrency, total = (int(field) for field in line.split())
            result = await _run(add, users, concurrency, total)
            print(json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("connection")
    parser.add_argument("table")
    parser.add_argument("mode", choices=("user", "best", "transaction"))
    parser.add_argument("users", type=int, nargs="?", default=1000)
    parser.add_argument("--once", action="store_true", help="one insert (table exists), exit")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
