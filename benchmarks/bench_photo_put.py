"""``PUT /me/photo/$value`` through the dev host against the blob upload and image work it needs.

    .venv/bin/python -m benchmarks.bench_photo_put [--rounds 10]

Two photo-like JPEGs are made in process (``benchmarks._photos``: about 1 MiB at 2400 x 1800
and just under the 4 MiB limit at 4000 x 3000). One in-memory Azurite (tables and blobs)
serves both sides. For each file, ``--rounds`` rounds (default 10; fewer only to shorten a
run), the sides taking turns (the order rotates every round):

- host: ``PUT /api/me/photo/$value`` with the file to the dev host (``python -m
  devtools.host``, the real app over Table and Blob Storage), one aiohttp session in this
  process, a new user each time (one token per user), so every PUT is a first set: decode,
  nine sizes, nine blob uploads, one entity group transaction, the ``200``;
- blob upload: the same bytes uploaded once with azure-storage-blob's async
  ``ContainerClient.upload_blob`` (configured as the service's: no environment lookups) to
  its own container in the same Azurite, from this process;
- render_sizes: ``shared.media.render_sizes`` of the same bytes in this process (decode at
  reduced scale, crop, nine JPEG encodes: the image work of one PUT).

The floor is blob upload + render_sizes of the same round: what a PUT cannot avoid, once
the bytes go to storage and the sizes are made. (The service stores the nine sizes, not
the upload, so its storage write is smaller than the floor's, and it adds the HTTP round
trip, the token, the table transaction.) Reported per file: ms p50 / p99 of each side and
of the floor, and host / floor. Then the dev host's peak RSS during the 4 MiB PUTs: its
``VmHWM`` reset through ``/proc/PID/clear_refs`` before that phase (where the kernel
refuses, the growth of ``VmHWM`` over the phase instead; the phase includes its warm-up
PUTs), with the RSS when the host was idle after start, before the phase, after it, and the
largest sampled after each PUT. Then one JSON line.

Pillow's own full decode + one resize of the same files, against ``render_sizes``, is
``benchmarks.bench_media``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from azure.storage.blob.aio import ContainerClient

from benchmarks._measure import (
    in_turn,
    machine,
    print_json,
    print_table,
    ratio,
    reset_peak_rss,
    status_kib,
    summary_ms,
)
from benchmarks._photos import UPLOADS, Upload, upload_bytes
from benchmarks._stack import host_environment, running_host, running_storage, tokens_for_users
from shared.media import render_sizes

RAW_CONTAINER = "raw-photo-uploads"
WARM_UP = 2
SIDES = ("host", "blob_upload", "render_sizes")
MEMORY_FILE = "4 MiB"


class _Sides:
    """The three sides of one file, each timing one call and keeping its seconds."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        container: ContainerClient,
        tokens: list[str],
        data: bytes,
    ) -> None:
        self._session, self._url, self._container = session, url, container
        self._tokens, self._data = iter(tokens), data
        self.samples: dict[str, list[float]] = {name: [] for name in SIDES}
        self.rss_after_put_kib: list[int] = []
        self.host_pid = 0

    async def host(self) -> None:
        headers = {"Authorization": f"Bearer {next(self._tokens)}", "Content-Type": "image/jpeg"}
        async with self._session.put(self._url, data=self._data, headers=headers) as response:
            await response.read()
            if response.status != 200:
                raise SystemExit(f"PUT answered {response.status}")

    async def blob_upload(self) -> None:
        await self._container.upload_blob(uuid.uuid4().hex, self._data, overwrite=False)

    async def render_sizes(self) -> None:
        render_sizes(self._data)

    async def timed(self, name: str) -> None:
        side: Callable[[], Awaitable[None]] = getattr(self, name)
        started = time.perf_counter()
        await side()
        self.samples[name].append(time.perf_counter() - started)
        if name == "host" and self.host_pid:
            self.rss_after_put_kib.append(status_kib(self.host_pid, "VmRSS"))


def _file_figures(upload: Upload, data: bytes, sides: _Sides) -> dict[str, Any]:
    samples = sides.samples
    floor = [
        upload_s + render_s
        for upload_s, render_s in zip(samples["blob_upload"], samples["render_sizes"], strict=True)
    ]
    figures: dict[str, Any] = {name: summary_ms(samples[name]) for name in SIDES}
    figures["floor"] = summary_ms(floor)
    return {
        "file": upload.label,
        "bytes": len(data),
        "pixels": f"{upload.size[0]}x{upload.size[1]}",
        **figures,
        "ratio_p50": ratio(figures["host"]["p50_ms"], figures["floor"]["p50_ms"]),
        "ratio_p99": ratio(figures["host"]["p99_ms"], figures["floor"]["p99_ms"]),
    }


def _start_memory_phase(pid: int) -> dict[str, Any]:
    before = status_kib(pid, "VmHWM")
    try:
        reset_peak_rss(pid)
    except OSError as error:
        return {"vmhwm_reset": False, "reset_refused": type(error).__name__, "hwm_before": before}
    return {"vmhwm_reset": True, "hwm_before": status_kib(pid, "VmHWM")}


def _memory_figures(
    pid: int, start: dict[str, Any], rss_before: int, rss: list[int]
) -> dict[str, Any]:
    mib = 1024
    hwm = status_kib(pid, "VmHWM")
    figures = {
        "vmhwm_reset": start["vmhwm_reset"],
        "rss_before_mib": round(rss_before / mib, 1),
        "peak_rss_mib": round(hwm / mib, 1),
        "peak_growth_mib": round((hwm - rss_before) / mib, 1),
        "largest_rss_after_a_put_mib": round(max(rss) / mib, 1),
        "rss_after_mib": round(status_kib(pid, "VmRSS") / mib, 1),
    }
    if not start["vmhwm_reset"]:  # the peak may predate the phase: say how much it grew
        figures["vmhwm_growth_over_phase_mib"] = round((hwm - start["hwm_before"]) / mib, 1)
        figures["reset_refused"] = start["reset_refused"]
    return figures


async def run(rounds: int, uploads: list[tuple[Upload, bytes]]) -> dict[str, Any]:
    files: list[dict[str, Any]] = []
    memory: dict[str, Any] = {}
    with running_storage() as storage:
        tokens = tokens_for_users(storage.issuer, len(uploads) * (rounds + WARM_UP))
        container = ContainerClient.from_connection_string(
            storage.connection_string, RAW_CONTAINER, use_env_settings=False
        )
        async with container, aiohttp.ClientSession() as session:
            await container.create_container()
            with running_host(host_environment(storage)) as host:
                pid = host.process.pid
                url = f"{host.origin}/api/me/photo/$value"
                rss_idle = status_kib(pid, "VmRSS")
                for number, (upload, data) in enumerate(uploads):
                    share = tokens[number * (rounds + WARM_UP) : (number + 1) * (rounds + WARM_UP)]
                    sides = _Sides(session, url, container, share, data)
                    if upload.label == MEMORY_FILE:  # the phase's warm-up PUTs count too
                        start = _start_memory_phase(pid)
                        rss_before = status_kib(pid, "VmRSS")
                        sides.host_pid = pid
                    for _ in range(WARM_UP):  # container, table, keys, Pillow, connections
                        for name in SIDES:
                            await getattr(sides, name)()
                    for round_number in range(rounds):
                        for name in in_turn(round_number, SIDES):
                            await sides.timed(name)
                    if upload.label == MEMORY_FILE:
                        memory = _memory_figures(pid, start, rss_before, sides.rss_after_put_kib)
                        memory["rss_idle_mib"] = round(rss_idle / 1024, 1)
                    files.append(_file_figures(upload, data, sides))
                    print(f"{upload.label} done", file=sys.stderr)
    return {"files": files, "host_memory_4mib": memory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=10, help="per file and side (default 10)")
    args = parser.parse_args()
    rounds = max(1, args.rounds)
    where = machine()
    uploads = [(upload, upload_bytes(upload)) for upload in UPLOADS]
    figures = asyncio.run(run(rounds, uploads))
    print(f"{rounds} rounds per file and side; floor = blob upload + render_sizes, same round")
    rows = []
    for row in figures["files"]:
        for name in (*SIDES, "floor"):
            rows.append(
                [row["file"], name, f"{row[name]['p50_ms']:.1f}", f"{row[name]['p99_ms']:.1f}"]
            )
        rows.append(
            [row["file"], "host / floor", f"{row['ratio_p50']:.2f}x", f"{row['ratio_p99']:.2f}x"]
        )
    print_table(["file", "side", "p50 ms", "p99 ms"], rows)
    memory = figures["host_memory_4mib"]
    print(
        f"dev host during the {MEMORY_FILE} PUTs: RSS {memory['rss_idle_mib']} MiB idle after"
        f" start, {memory['rss_before_mib']} MiB before the phase,"
        f" peak {memory['peak_rss_mib']} MiB (+{memory['peak_growth_mib']} MiB;"
        f" VmHWM {'reset' if memory['vmhwm_reset'] else 'not reset'} before the phase),"
        f" largest after a PUT {memory['largest_rss_after_a_put_mib']} MiB,"
        f" after {memory['rss_after_mib']} MiB"
    )
    print_json("photo_put", rounds=rounds, machine=where, **figures)


if __name__ == "__main__":
    main()
