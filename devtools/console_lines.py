"""The dev host's console lines on stdout: one write for the lines of ``FLUSH_INTERVAL``.

``ConsoleLines(stream)`` is the host's ``Console`` (``devtools.dispatcher``). Called on a
running event loop, it keeps the line and writes it, with every line kept after it,
``FLUSH_INTERVAL`` seconds later in one ``write`` and one ``flush``; called with no loop running
(before the server starts, after it stops) it writes the line at once. ``flush()`` writes what
is kept (the host calls it once its loop has ended).

A line per request written as ``print(text, flush=True)`` was about a fifth of the host's
samples under load (py-spy, 16 concurrent POSTs), and about 0.5 ms of its ~3.8 ms CPU per
POST (``benchmarks.bench_end_to_end``): the tests and benchmarks run the host with
``PYTHONUNBUFFERED``, so ``print`` made two system calls per line (the text, then the
newline), each waking the pipe's reader. Lines keep their order and their text; only the
writes are fewer (a line shows up to 20 ms late). A write still waits when the pipe is full,
as ``print`` did.
"""

from __future__ import annotations

import asyncio
from typing import Final, TextIO

FLUSH_INTERVAL: Final = 0.02
"""Seconds a line may wait for the lines after it: under load, one write for several requests."""


class ConsoleLines:
    """Lines for ``stream``, written ``interval`` seconds after the first kept (at once with no
    loop)."""

    def __init__(self, stream: TextIO, *, interval: float = FLUSH_INTERVAL) -> None:
        self._stream = stream
        self._interval = interval
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
        loop.call_later(self._interval, self.flush)

    def flush(self) -> None:
        """Write the kept lines, if any, in one write."""
        self._scheduled = False
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self._stream.write(text)
        self._stream.flush()
