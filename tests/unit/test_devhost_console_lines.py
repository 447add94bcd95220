"""The dev host's console lines: every line, in order, one write for the lines of an interval."""

from __future__ import annotations

import asyncio
import io

from devtools.console_lines import ConsoleLines


class _CountingStream(io.StringIO):
    """A text stream that counts its writes and flushes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.flushes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_without_a_running_loop_each_line_is_written_at_once() -> None:
    stream = _CountingStream()
    console = ConsoleLines(stream)
    console("Functions:")
    assert stream.getvalue() == "Functions:\n"
    console("Functions host listening on http://127.0.0.1:7071/api")
    assert stream.getvalue().splitlines() == [
        "Functions:",
        "Functions host listening on http://127.0.0.1:7071/api",
    ]
    assert (stream.writes, stream.flushes) == (2, 2)


def test_lines_of_one_interval_are_one_write_at_its_end() -> None:
    stream = _CountingStream()
    console = ConsoleLines(stream, interval=0.01)

    async def requests() -> list[str]:
        for number in range(3):
            console(f"[stamp] add_photo: POST /api/me/photos -> 201 ({number} ms)")
            await asyncio.sleep(0)
        written_early = stream.getvalue()
        await asyncio.sleep(0.05)
        written_once = stream.getvalue()
        console("later")
        await asyncio.sleep(0.05)
        return [written_early, written_once]

    early, once = asyncio.run(requests())
    assert early == ""
    assert once.splitlines() == [
        "[stamp] add_photo: POST /api/me/photos -> 201 (0 ms)",
        "[stamp] add_photo: POST /api/me/photos -> 201 (1 ms)",
        "[stamp] add_photo: POST /api/me/photos -> 201 (2 ms)",
    ]
    assert stream.getvalue().splitlines()[-1] == "later"
    assert (stream.writes, stream.flushes) == (2, 2)


def test_flush_writes_lines_kept_when_the_loop_stopped() -> None:
    stream = _CountingStream()
    console = ConsoleLines(stream)
    loop = asyncio.new_event_loop()
    try:
        loop.call_soon(console, "Functions host stopping (SIGTERM)")
        loop.call_soon(loop.stop)  # the loop stops before the line's write is due
        loop.run_forever()
    finally:
        loop.close()
    assert stream.getvalue() == ""
    console.flush()
    assert stream.getvalue() == "Functions host stopping (SIGTERM)\n"
    console.flush()
    assert stream.writes == 1
