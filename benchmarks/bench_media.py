"""What ``render_sizes`` (decode + all nine sizes) costs against Pillow's plain decode + one resize.

    .venv/bin/python -m benchmarks.bench_media [--rounds N]

Two photo-like JPEGs are made in process (gradients under blurred colour noise, so they
compress as photos do): about 1 MiB at 2400 x 1800 and just under the 4 MiB upload limit at
4000 x 3000. For each, interleaved round by round:

- baseline: ``Image.open`` + full ``load()`` + one LANCZOS ``resize`` to 648 x 648 (what a
  plain "make a thumbnail" does, without cropping, encoding or any checks);
- render_sizes: header checks, reduced-scale JPEG decode, centre crop, nine JPEG encodes.

Prints medians in milliseconds and the ratio render_sizes / baseline, then peak memory of
one call of each on the 4 MiB file, measured in a fresh process (growth of the peak RSS,
which sees Pillow's C buffers, Linux only; ``tracemalloc``'s peak, which sees Python objects
only), then one JSON line with all of it. Numbers from this run only.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from PIL import Image

from benchmarks._measure import reset_peak_rss, status_kib
from benchmarks._photos import UPLOADS, upload_bytes
from shared.media import render_sizes


def baseline(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.resize((648, 648), Image.Resampling.LANCZOS)


def _time(call: Callable[[bytes], object], data: bytes) -> float:
    started = time.perf_counter()
    call(data)
    return (time.perf_counter() - started) * 1000


def _peak_memory(name: str, data: bytes) -> dict[str, float]:
    """Run one call in this (fresh) process: growth of the peak RSS, tracemalloc's peak; MiB.

    ``ru_maxrss`` survives ``exec`` on Linux (a spawned child starts with its parent's peak),
    so the peak is read from ``VmHWM`` after resetting it through ``/proc/self/clear_refs``.
    """
    call = render_sizes if name == "render_sizes" else baseline
    reset_peak_rss(os.getpid())
    before = status_kib(os.getpid(), "VmRSS")
    tracemalloc.start()
    call(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    growth = status_kib(os.getpid(), "VmHWM") - before
    return {"peak_rss_growth_mib": growth / 1024, "tracemalloc_peak_mib": peak / 2**20}


def _in_fresh_process(name: str, data: bytes) -> dict[str, float]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_peak_memory, (name, data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    rounds = max(20, args.rounds)

    results: list[dict[str, Any]] = []
    uploads: dict[str, bytes] = {}
    for upload in UPLOADS:
        label, size = upload.label, upload.size
        data = upload_bytes(upload)
        uploads[label] = data
        base: list[float] = []
        ours: list[float] = []
        sides: list[tuple[list[float], Callable[[bytes], object]]] = [
            (base, baseline),
            (ours, render_sizes),
        ]
        for _, warm_up in sides:
            warm_up(data)
        for round_number in range(rounds):  # alternate which side goes first
            for samples, side in sides if round_number % 2 == 0 else sides[::-1]:
                samples.append(_time(side, data))
        base_ms, ours_ms = statistics.median(base), statistics.median(ours)
        results.append(
            {
                "file": label,
                "bytes": len(data),
                "pixels": f"{size[0]}x{size[1]}",
                "baseline_ms_p50": round(base_ms, 2),
                "render_sizes_ms_p50": round(ours_ms, 2),
                "ratio": round(ours_ms / base_ms, 3),
            }
        )

    memory = {
        name: _in_fresh_process(name, uploads["4 MiB"]) for name in ("baseline", "render_sizes")
    }

    print(f"{rounds} rounds, medians; baseline = Image.open + load() + resize to 648 (LANCZOS)")
    print(
        f"{'file':8} {'bytes':>9} {'pixels':>10} {'baseline ms':>12} {'render_sizes ms':>16} {'ratio':>7}"
    )
    for row in results:
        print(
            f"{row['file']:8} {row['bytes']:>9} {row['pixels']:>10} {row['baseline_ms_p50']:>12.1f}"
            f" {row['render_sizes_ms_p50']:>16.1f} {row['ratio']:>6.2f}x"
        )
    print("peak memory of one call on the 4 MiB file, in a fresh process:")
    for name, figures in memory.items():
        print(
            f"  {name:13} peak RSS +{figures['peak_rss_growth_mib']:6.1f} MiB"
            f"   tracemalloc peak {figures['tracemalloc_peak_mib']:6.1f} MiB"
        )
    print(
        json.dumps(
            {"benchmark": "media", "rounds": rounds, "files": results, "memory_4mib": memory}
        )
    )


if __name__ == "__main__":
    main()
