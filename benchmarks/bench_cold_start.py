"""Cold start: a new dev host's first ``201`` against a new process's first raw insert.

    .venv/bin/python -m benchmarks.bench_cold_start [--rounds 5]

Against one in-memory Azurite whose tables already exist, alternating round by round:

- host: spawn ``python -m devtools.host`` on a free port, then POST ``/me/photos`` until the
  first ``201`` (a refused connection is retried every 5 ms): spawn → first 201;
- raw floor: spawn ``python -m benchmarks._raw_inserts ... --once`` (import azure-data-tables,
  build the async ``TableClient``, one ``create_entity``): spawn → its "inserted" line.

Then each side once more under ``python -X importtime`` (not timed): what each process has
imported by its first answer (the host: its own modules, every function folder, and what the
first POST imports on the way; the raw floor: azure-data-tables and what its first insert
imports, aiohttp among them), the largest cumulative costs of the host's (each marked when the
floor imports it too), and ``python -X importtime -c "import add_photo"`` against ``import
azure.data.tables.aio``. Prints medians and ratios, then one JSON line.

``app_bytecode_cached`` says whether the app's modules have ``__pycache__`` bytecode: without
it (``PYTHONDONTWRITEBYTECODE`` set and never compiled) every spawned host compiles the app's
source, as a deployed app does at each cold start (``.funcignore`` leaves ``__pycache__`` out
of the package); ``func start`` on a developer's machine writes it on the first run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar

from azure.core.exceptions import ResourceExistsError
from azure.data.tables.aio import TableClient

from benchmarks._measure import in_turn, machine, median, print_json, print_table, ratio
from benchmarks._stack import (
    BODY,
    HOST_TABLE,
    REPO_ROOT,
    Storage,
    host_environment,
    post_headers,
    running_storage,
    tokens_for_users,
)
from devtools.azurite import free_port

RAW_TABLE = "RawColdPhotos"
TOP_IMPORTS = 15
IMPORT_RUNS = 3
"""Runs of each side under ``-X importtime`` (medians; the top list is the last run's)."""
IMPORT_TIME = ("-X", "importtime")

_T = TypeVar("_T")
ImportRow = tuple[str, int, int]
"""(module, self µs, cumulative µs) of one ``-X importtime`` line; nested names indented."""


async def _create_tables(connection: str) -> None:
    for table in (HOST_TABLE, RAW_TABLE):
        async with TableClient.from_connection_string(connection, table_name=table) as client:
            with contextlib.suppress(ResourceExistsError):
                await client.create_table()


def _host_first_201(
    storage: Storage,
    token: str,
    options: Sequence[str] = (),
    stderr: IO[str] | int = subprocess.DEVNULL,
) -> float:
    port = free_port()
    env = {**host_environment(storage), "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, *options, "-m", "devtools.host"]
    command += ["--port", str(port), "--root", str(REPO_ROOT)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr
    )
    try:
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("POST", "/api/me/photos", body=BODY, headers=post_headers(token))
                status = connection.getresponse().status
                connection.close()
            except ConnectionRefusedError:
                if process.poll() is not None:
                    raise SystemExit("the dev host exited before answering") from None
                time.sleep(0.005)
                continue
            if status != 201:
                raise SystemExit(f"the first POST answered {status}")
            return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(30)


def _raw_first_insert(
    storage: Storage, options: Sequence[str] = (), stderr: IO[str] | None = None
) -> float:
    command = [sys.executable, *options, "-m", "benchmarks._raw_inserts"]
    command += [storage.connection_string, RAW_TABLE, "user", "--once"]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.wait(30)
    if "inserted" not in line:
        raise SystemExit(f"the raw client said {line!r}")
    return elapsed


def _imports_by_first_answer(side: Callable[[Sequence[str], IO[str]], float]) -> list[ImportRow]:
    """What the process ``side`` spawns has imported by its first answer (``-X importtime``)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as stderr:
        side(IMPORT_TIME, stderr)
        stderr.seek(0)
        return _parse_import_times(stderr.read())


def _import_times(statement: str) -> list[ImportRow]:
    """The rows of ``python -X importtime -c statement``."""
    done = subprocess.run(
        [sys.executable, *IMPORT_TIME, "-c", statement],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return _parse_import_times(done.stderr)


def _parse_import_times(text: str) -> list[ImportRow]:
    rows = []
    for line in text.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((name.rstrip()[1:], int(own), int(cumulative)))  # nested: indented
    return rows


def _total_ms(rows: list[ImportRow]) -> float:
    return sum(cumulative for name, _, cumulative in rows if not name.startswith(" ")) / 1000


def _app_bytecode_cached() -> bool:
    source = REPO_ROOT / "shared" / "app.py"
    return Path(importlib.util.cache_from_source(str(source))).exists()


def _alternate(rounds: int, sides: Sequence[tuple[list[_T], Callable[[], _T]]]) -> None:
    """Run each side ``rounds`` times, in turns (AB, then BA, ...), keeping each one's results."""
    for number in range(rounds):
        for samples, side in in_turn(number, sides):
            samples.append(side())


def run(rounds: int) -> dict[str, Any]:
    with running_storage() as storage:
        asyncio.run(_create_tables(storage.connection_string))
        (token,) = tokens_for_users(storage.issuer, 1)
        host: list[float] = []
        raw: list[float] = []
        sides: list[tuple[list[float], Callable[[], float]]] = [
            (host, lambda: _host_first_201(storage, token)),
            (raw, lambda: _raw_first_insert(storage)),
        ]
        _alternate(rounds, sides)
        host_imports: list[list[ImportRow]] = []
        raw_imports: list[list[ImportRow]] = []
        spawned: list[tuple[list[list[ImportRow]], Callable[[], list[ImportRow]]]] = [
            (
                host_imports,
                lambda: _imports_by_first_answer(
                    lambda options, stderr: _host_first_201(storage, token, options, stderr)
                ),
            ),
            (
                raw_imports,
                lambda: _imports_by_first_answer(
                    lambda options, stderr: _raw_first_insert(storage, options, stderr)
                ),
            ),
        ]
        _alternate(IMPORT_RUNS, spawned)
    app_imports: list[list[ImportRow]] = []
    floor_imports: list[list[ImportRow]] = []
    _alternate(
        IMPORT_RUNS,
        [
            (app_imports, lambda: _import_times("import add_photo")),
            (floor_imports, lambda: _import_times("import azure.data.tables.aio")),
        ],
    )
    app_ms = median([_total_ms(rows) for rows in app_imports])
    floor_ms = median([_total_ms(rows) for rows in floor_imports])
    host_ms = median([_total_ms(rows) for rows in host_imports])
    raw_ms = median([_total_ms(rows) for rows in raw_imports])
    in_floor = {name.strip() for name, _, _ in raw_imports[-1]}
    top = sorted(host_imports[-1], key=lambda row: row[2], reverse=True)[:TOP_IMPORTS]
    return {
        "rounds": rounds,
        "app_bytecode_cached": _app_bytecode_cached(),
        "host_first_201_ms": round(median(host) * 1000, 1),
        "raw_first_insert_ms": round(median(raw) * 1000, 1),
        "ratio": ratio(median(host), median(raw)),
        "host_imports_by_first_201_ms": round(host_ms, 1),
        "raw_imports_by_first_insert_ms": round(raw_ms, 1),
        "imports_by_first_answer_ratio": ratio(host_ms, raw_ms),
        "import_add_photo_ms": round(app_ms, 1),
        "import_raw_client_ms": round(floor_ms, 1),
        "import_ratio": ratio(app_ms, floor_ms),
        "host_top_imports_cumulative_ms": [
            [name.strip(), round(cumulative / 1000, 1), name.strip() in in_floor]
            for name, _, cumulative in top
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    where = machine()
    figures = run(max(1, args.rounds))
    cached = "cached" if figures["app_bytecode_cached"] else "compiled at every spawn"
    print(f"{figures['rounds']} rounds per side, medians; the app's bytecode: {cached}")
    print_table(
        ["what", "ms", "floor", "floor ms", "ratio"],
        [
            [
                "spawn -> first 201",
                figures["host_first_201_ms"],
                "spawn -> first raw insert",
                figures["raw_first_insert_ms"],
                f"{figures['ratio']:.2f}x",
            ],
            [
                "imports by the first answer",
                figures["host_imports_by_first_201_ms"],
                "imports by the first raw insert",
                figures["raw_imports_by_first_insert_ms"],
                f"{figures['imports_by_first_answer_ratio']:.2f}x",
            ],
            [
                "import add_photo",
                figures["import_add_photo_ms"],
                "import azure.data.tables.aio",
                figures["import_raw_client_ms"],
                f"{figures['import_ratio']:.2f}x",
            ],
        ],
    )
    print("the host's largest cumulative import costs by its first 201 (ms, last run; *: the")
    print("raw floor imports it too):")
    for name, cumulative, shared in figures["host_top_imports_cumulative_ms"]:
        print(f"  {cumulative:8.1f} {'*' if shared else ' '} {name}")
    print_json("cold_start", machine=where, **figures)


if __name__ == "__main__":
    main()
