"""The raw floor: azure-data-tables' async ``TableClient.create_entity``, in its own process.

    python -m benchmarks._raw_inserts CONNECTION_STRING TABLE {user,best} USERS

``user``: the client as a user would write it (``TableClient.from_connection_string`` and
``create_entity``, every default); ``best``: the best-configured one (``use_env_settings=False``:
no ``.netrc`` / proxy lookups per call; ``Prefer: return-no-content``). The table is created,
a warm-up inserted, then ``ready`` is printed; every line ``CONCURRENCY REQUESTS`` read from
stdin runs that many inserts spread over USERS users and prints one JSON line: seconds,
latencies, and this process's CPU seconds (``/proc/self/stat``) during the run. Also used by
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
from datetime import UTC, datetime
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.data.tables.aio import TableClient

from benchmarks._measure import cpu_seconds, summary_ms


def _client(connection: str, table: str, mode: str) -> tuple[TableClient, dict[str, Any]]:
    if mode == "user":
        return TableClient.from_connection_string(connection, table_name=table), {}
    client = TableClient.from_connection_string(
        connection, table_name=table, use_env_settings=False
    )
    return client, {"response_preference": "return-no-content"}


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
    client: TableClient, options: dict[str, Any], users: list[str], concurrency: int, total: int
) -> dict[str, Any]:
    latencies: list[float] = []
    next_number = iter(range(total))

    async def worker() -> None:
        for number in next_number:
            started = time.perf_counter()
            await client.create_entity(_entity(users[number % len(users)]), **options)
            latencies.append(time.perf_counter() - started)

    cpu_before, started = cpu_seconds(os.getpid()), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "seconds": elapsed,
        "cpu_s": cpu_seconds(os.getpid()) - cpu_before,
        **summary_ms(latencies),
    }


async def main_async(args: argparse.Namespace) -> None:
    client, options = _client(args.connection, args.table, args.mode)
    async with client:
        if args.once:
            await client.create_entity(_entity("cold-start"), **options)
            print("inserted", flush=True)
            return
        with contextlib.suppress(ResourceExistsError):
            await client.create_table()
        users = [str(uuid.uuid4()) for _ in range(args.users)]
        for number in range(50):
            await client.create_entity(_entity(users[number % len(users)]), **options)
        print("ready", flush=True)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            concurrency, total = (int(field) for field in line.split())
            result = await _run(client, options, users, concurrency, total)
            print(json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("connection")
    parser.add_argument("table")
    parser.add_argument("mode", choices=("user", "best"))
    parser.add_argument("users", type=int, nargs="?", default=1000)
    parser.add_argument("--once", action="store_true", help="one insert (table exists), exit")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
