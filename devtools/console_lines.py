"""The dev host's console lines on stdout: one write for all the lines of a loop turn.

``ConsoleLines(stream)`` is the host's ``Console`` (``devtools.dispatcher``). Called on a
running event loop, it keeps the line and writes every line kept in the same turn of the loop
at the end of that turn, in one ``write`` and one ``flush``; called with no loop running (before
the server starts, after it stops) it writes the line at once. ``flush()`` writes what is kept.

A line per request written as ``print(text, flush=True)`` was about a fifth of the host's
samples under load (py-spy, 16 concurrent POSTs), and about 0.5 ms of its ~3.8 ms CPU per
POST (``benchmarks.bench_end_to_end``): the tests and benchmarks run the host with
``PYTHONUNBUFFERED``, so ``print`` made two system calls per line (the text, then the
newline), each waking the pipe's reader. Lines keep their order and their text; only the
writes are fewer. A write still waits when the pipe is full, as ``print`` did.
"""

from __future__ import annotations

import asyncio
from typing import TextIO


class ConsoleLines:
    """Lines for ``stream``, written once per event loop turn (at once with no loop)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._pending: list[str] = []
        self._scheduled = False

    def __call__(self, text: str) -> None:
        self._pending.append(f"{text}\n")
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._scheduled = True
        loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write the kept lines, if any, in one write."""
        self._scheduled = False
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self._stream.write(text)
        self._stream.flush()
