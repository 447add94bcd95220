"""What every benchmark here shares: percentiles, alternating sides, CPU time from /proc, output.

Every figure a benchmark reports is a ratio against a floor measured in the same run, with
the sides alternated (ABAB..., then BABA...) so that drift on a shared machine hits both alike.
Each benchmark prints a table, then one JSON line (``{"benchmark": ..., ...}``).
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Sequence
from typing import Any

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[rank]


def summary_us(samples_ns: Sequence[int]) -> dict[str, float]:
    """p50 and p99 in microseconds."""
    return {
        "p50_us": round(percentile(samples_ns, 0.50) / 1000, 2),
        "p99_us": round(percentile(samples_ns, 0.99) / 1000, 2),
    }


def summary_ms(samples_s: Sequence[float]) -> dict[str, float]:
    """p50 and p99 in milliseconds."""
    return {
        "p50_ms": round(percentile(samples_s, 0.50) * 1000, 3),
        "p99_ms": round(percentile(samples_s, 0.99) * 1000, 3),
    }


def ratio(value: float, floor: float) -> float:
    return round(value / floor, 3) if floor else float("inf")


def in_turn(round_number: int, sides: Sequence[Any]) -> Sequence[Any]:
    """``sides`` in the order for this round: rotated by one each round."""
    shift = round_number % len(sides)
    return [*sides[shift:], *sides[:shift]]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far (``/proc/PID/stat`` utime + stime)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(header))]
    for number, row in enumerate(cells):
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("  ".join("-" * width for width in widths))


def print_json(name: str, **figures: Any) -> None:
    print(json.dumps({"benchmark": name, **figures}))


def machine() -> dict[str, Any]:
    """What the figures were taken on: cores and the load average at the start."""
    return {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}


def status_kib(pid: int, field: str) -> int:
    """A ``/proc/PID/status`` figure in KiB (``VmRSS``, ``VmHWM``: the peak RSS)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def reset_peak_rss(pid: int) -> None:
    """Reset process ``pid``'s ``VmHWM`` to its current RSS (``/proc/PID/clear_refs``: "5");
    ``OSError`` where that is not allowed."""
    with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as clear_refs:
        clear_refs.write("5")
