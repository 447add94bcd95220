"""Round trips per ``POST /me/photos``: storage requests, and JWKS fetches after warm-up.

    .venv/bin/python -m benchmarks.bench_round_trips [--requests 1000] [--users 100]

The dev host's Table endpoint is a loopback TCP proxy in front of Azurite that records every
request head (``tests.tcp_proxy``), and its JWKS URI a loopback JWKS server that counts its
requests (``tests.tokens.JwksServer``, serving the dev issuer's keys). After a warm-up (the
table created, the keys fetched, every user's token seen once: a process keeps the UPN /
object id pair of each user's first token, one sighting read and one insert), ``--requests`` POSTs at concurrency 16, spread over
``--users`` users; the floor is one write per photo (an add is one entity group transaction:
photo row, listing-index row, counter row) and no key fetch. Prints the counts, the
requests by method, and one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from typing import Any

import aiohttp

from benchmarks._measure import machine, print_json, print_table, ratio
from benchmarks._stack import (
    BODY,
    host_environment,
    post_headers,
    running_host,
    running_storage,
    tokens_for_users,
)
from tests.tcp_proxy import RequestHead, TcpProxy, is_batch, is_insert
from tests.tokens import JwksServer

CONCURRENCY = 16


def _kind(head: RequestHead) -> str:
    """``transaction`` (an entity group transaction: an add), ``insert``, or ``other``."""
    if is_batch(head):
        return "transaction"
    return "insert" if is_insert(head) else "other"


async def _post_all(
    session: aiohttp.ClientSession, url: str, tokens: list[str], total: int
) -> None:
    numbers = iter(range(total))

    async def worker() -> None:
        for number in numbers:
            headers = post_headers(tokens[number % len(tokens)])
            async with session.post(url, data=BODY, headers=headers) as response:
                await response.read()
                if response.status != 201:
                    raise SystemExit(f"POST answered {response.status}")

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def run(requests: int, users: int) -> dict[str, Any]:
    with running_storage() as storage:
        tokens = tokens_for_users(storage.issuer, users)
        document = json.loads(storage.issuer.jwks_path.read_text(encoding="utf-8"))
        async with TcpProxy(storage.azurite.port) as proxy, JwksServer(document) as jwks:
            env = host_environment(storage, table_port=proxy.port, jwks_uri=jwks.url)
            host_context = running_host(env)
            host = await asyncio.to_thread(host_context.__enter__)
            try:
                url = f"{host.origin}/api/me/photos"
                async with aiohttp.ClientSession() as session:
                    # Warm-up: the table, the keys, and every user's first token in this
                    # process (its UPN / object id pair: one sighting read, one insert).
                    warm_up_posts = max(50, users)
                    await _post_all(session, url, tokens, warm_up_posts)
                    warm_up = len(proxy.requests)
                    storage_before, jwks_before = len(proxy.requests), jwks.requests
                    await _post_all(session, url, tokens, requests)
                    during = proxy.requests[storage_before:]
                    jwks_after = jwks.requests - jwks_before
            finally:
                await asyncio.to_thread(host_context.__exit__, None, None, None)
    methods = Counter(f"{head.method} {_kind(head)}" for head in during)
    return {
        "posts": requests,
        "storage_requests": len(during),
        "storage_requests_per_post": ratio(len(during), requests),
        "inserts": sum(1 for head in during if is_insert(head)),
        "transactions": sum(1 for head in during if is_batch(head)),
        "by_method": dict(methods),
        "jwks_fetches_after_warm_up": jwks_after,
        "warm_up_posts": warm_up_posts,
        "warm_up_storage_requests": warm_up,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--users", type=int, default=100)
    args = parser.parse_args()
    where = machine()
    figures = asyncio.run(run(max(1, args.requests), max(1, args.users)))
    print_table(
        ["what", "measured", "floor"],
        [
            ["POSTs (201)", figures["posts"], ""],
            ["storage requests", figures["storage_requests"], figures["posts"]],
            ["storage requests per POST", f"{figures['storage_requests_per_post']:.3f}", "1"],
            ["of which writes (insert or transaction)", figures["inserts"], figures["posts"]],
            ["of which transactions", figures["transactions"], figures["posts"]],
            ["JWKS fetches after warm-up", figures["jwks_fetches_after_warm_up"], "0"],
            [
                f"warm-up: storage requests for {figures['warm_up_posts']} first POSTs",
                figures["warm_up_storage_requests"],
                "",
            ],
        ],
    )
    print(f"storage requests by method: {figures['by_method']}")
    print_json("round_trips", machine=where, **figures)


if __name__ == "__main__":
    main()
