"""``POST /me/photos`` through the dev host against the raw Table Storage insert it cannot avoid.

    .venv/bin/python -m benchmarks.bench_end_to_end [--rounds 3] [--requests 1000] [--users 1000]

One in-memory Azurite (tables and blobs) serves four sides, each writing to its own table,
spread over ``--users`` users (Azurite's insert cost grows with a partition's size):

- host: the dev host (``python -m devtools.host``, the real app over Table Storage), driven by
  one aiohttp session in this process, one token per user;
- raw (as written): azure-data-tables' async ``TableClient.create_entity`` with every default,
  in its own process (``benchmarks._raw_inserts``);
- raw (best): the same client with ``use_env_settings=False`` and ``Prefer: return-no-content``;
- raw (transaction): the best-configured client writing what the service's add writes: one
  entity group transaction of the photo row, its listing-index row and the user's counter row
  (the per-user limit; see ``benchmarks._raw_inserts``). The two floors above are one row.

At concurrency 1, 16 and 64, for ``--rounds`` rounds, the sides take turns (the order rotates
every time). Reported per side and concurrency: photos/s (median over rounds), p50 / p99
latency (median over rounds), CPU ms per request of the side's own process and of Azurite
(``/proc/PID/stat`` utime + stime), and the ratios host / raw. Then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from benchmarks._measure import (
    cpu_seconds,
    in_turn,
    machine,
    median,
    print_json,
    print_table,
    ratio,
    summary_ms,
)
from benchmarks._stack import (
    BODY,
    REPO_ROOT,
    host_environment,
    post_headers,
    running_host,
    running_storage,
    tokens_for_users,
)

CONCURRENCY = (1, 16, 64)
SIDES = ("host", "raw_user", "raw_best", "raw_txn")
RAWS = {"raw_user": "user", "raw_best": "best", "raw_txn": "transaction"}


class RawProcess:
    """A ``benchmarks._raw_inserts`` child, warmed up, running one batch per ``run``."""

    def __init__(self, connection: str, table: str, mode: str, users: int) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._raw_inserts", connection, table, mode, str(users)],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._expect("ready")

    def _expect(self, text: str) -> str:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if text not in line and not line.startswith("{"):
            raise SystemExit(f"raw client said {line!r}, not {text!r}")
        return line

    def run(self, concurrency: int, requests: int) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(f"{concurrency} {requests}\n")
        self._process.stdin.flush()
        result: dict[str, Any] = json.loads(self._expect("{"))
        return result

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(30)


async def _post_all(
    session: aiohttp.ClientSession, url: str, tokens: list[str], concurrency: int, total: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    numbers = iter(range(total))

    async def worker() -> None:
        for number in numbers:
            started = time.perf_counter()
            async with session.post(
                url, data=BODY, headers=post_headers(tokens[number % len(tokens)])
            ) as response:
                await response.read()
                if response.status != 201:
                    raise SystemExit(f"POST answered {response.status}")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


async def run(rounds: int, requests: int, users: int) -> dict[str, Any]:
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    with running_storage() as storage:
        env = host_environment(storage)
        tokens = tokens_for_users(storage.issuer, users)
        raws = {
            name: RawProcess(storage.connection_string, f"Raw{mode.title()}Photos", mode, users)
            for name, mode in RAWS.items()
        }
        try:
            with running_host(env) as host:
                url = f"{host.origin}/api/me/photos"
                host_pid = host.process.pid
                async with aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=0)
                ) as session:
                    # Warm-up: the table, the keys, the pool, and every user's token seen once.
                    await _post_all(session, url, tokens, 16, max(200, len(tokens)))

                    async def host_side(concurrency: int, total: int) -> dict[str, float]:
                        cpu_before = cpu_seconds(host_pid)
                        load_before = time.process_time()
                        seconds, latencies = await _post_all(
                            session, url, tokens, concurrency, total
                        )
                        return {
                            "seconds": seconds,
                            "cpu_s": cpu_seconds(host_pid) - cpu_before,
                            "load_generator_cpu_s": time.process_time() - load_before,
                            **summary_ms(latencies),
                        }

                    def raw_side(name: str) -> Callable[[int, int], Any]:
                        async def side(concurrency: int, total: int) -> dict[str, float]:
                            return await asyncio.to_thread(raws[name].run, concurrency, total)

                        return side

                    sides = {"host": host_side, **{name: raw_side(name) for name in raws}}
                    turn = 0
                    for round_number in range(rounds):
                        for concurrency in CONCURRENCY:
                            total = max(100, requests // 3) if concurrency == 1 else requests
                            for name in in_turn(turn, SIDES):
                                azurite_before = cpu_seconds(storage.pid)
                                figures = await sides[name](concurrency, total)
                                figures["azurite_cpu_s"] = cpu_seconds(storage.pid) - azurite_before
                                figures["requests"] = total
                                results.setdefault((name, concurrency), []).append(figures)
                            turn += 1
                        print(f"round {round_number + 1} of {rounds} done", file=sys.stderr)
        finally:
            for raw in raws.values():
                raw.close()
    return _summarise(results)


def _summarise(results: dict[tuple[str, int], list[dict[str, float]]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for (name, concurrency), runs in results.items():
        row = {
            "photos_per_s": round(median([r["requests"] / r["seconds"] for r in runs]), 1),
            "p50_ms": round(median([r["p50_ms"] for r in runs]), 2),
            "p99_ms": round(median([r["p99_ms"] for r in runs]), 2),
            "cpu_ms_per_request": round(
                median([1000 * r["cpu_s"] / r["requests"] for r in runs]), 3
            ),
            "azurite_cpu_ms_per_request": round(
                median([1000 * r["azurite_cpu_s"] / r["requests"] for r in runs]), 3
            ),
        }
        if "retried" in runs[0]:
            row["retried_after_a_dropped_connection"] = sum(r["retried"] for r in runs)
        if "load_generator_cpu_s" in runs[0]:
            row["load_generator_cpu_ms_per_request"] = round(
                median([1000 * r["load_generator_cpu_s"] / r["requests"] for r in runs]), 3
            )
        summary.setdefault(str(concurrency), {})[name] = row
    for sides in summary.values():
        host = sides["host"]
        for raw in RAWS:
            sides[f"ratio_vs_{raw}"] = {
                "photos_per_s": ratio(host["photos_per_s"], sides[raw]["photos_per_s"]),
                "cpu_per_request": ratio(
                    host["cpu_ms_per_request"], sides[raw]["cpu_ms_per_request"]
                ),
            }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1000, help="per run (c=1: a third)")
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    where = machine()
    summary = asyncio.run(run(max(1, args.rounds), max(100, args.requests), max(1, args.users)))
    print(f"{args.rounds} rounds; medians over rounds; CPU in ms per request")
    rows = []
    for concurrency, sides in summary.items():
        for name in SIDES:
            side = sides[name]
            rows.append(
                [
                    concurrency,
                    name,
                    f"{side['photos_per_s']:.0f}",
                    f"{side['p50_ms']:.2f}",
                    f"{side['p99_ms']:.2f}",
                    f"{side['cpu_ms_per_request']:.2f}",
                    f"{side['azurite_cpu_ms_per_request']:.2f}",
                ]
            )
        for raw in RAWS:
            figures = sides[f"ratio_vs_{raw}"]
            rows.append(
                [
                    concurrency,
                    f"host / {raw}",
                    f"{figures['photos_per_s']:.2f}x",
                    "",
                    "",
                    f"{figures['cpu_per_request']:.2f}x",
                    "",
                ]
            )
    print_table(["c", "side", "photos/s", "p50 ms", "p99 ms", "CPU ms/req", "Azurite ms/req"], rows)
    print_json(
        "end_to_end",
        rounds=args.rounds,
        requests=args.requests,
        users=args.users,
        machine=where,
        concurrency=summary,
    )


if __name__ == "__main__":
    main()
