"""What must never leak: into a log line (tokens, Authorization values, the storage account key)
or into a response (a traceback, an internal path).

``tests.tokens`` registers every token it mints (``tokens.MINTED``); a log text leaks one when
it holds any ``FRAGMENT`` characters in a row of it. Log records of the in-process suites are
checked by an autouse fixture (``tests/conftest.py``), the dev host's output when the host
stops (``tests/e2e/conftest.py``), responses where the tests' clients receive them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from devtools.azurite import ACCOUNT_KEY
from tests import tokens

FRAGMENT: Final = 12
"""Characters in a row of a secret that count as leaking it."""
INTERNALS: Final = (b"Traceback", b"/work/", b"site-packages", b'.py"')
"""What no response body may hold: a traceback, or a path inside the deployment."""
_AUTHORIZATION: Final = re.compile(r"\b(?:Bearer|Basic)\s+[A-Za-z0-9\-_.~+/=]{12,}", re.IGNORECASE)


class _Fragments:
    """Every ``FRAGMENT``-long piece of the secrets, kept up to date as tokens are minted."""

    def __init__(self) -> None:
        self._pieces: set[str] = set()
        self._seen = 0
        self._add(ACCOUNT_KEY)

    def _add(self, secret: str) -> None:
        self._pieces.update(secret[i : i + FRAGMENT] for i in range(len(secret) - FRAGMENT + 1))

    def pieces(self) -> set[str]:
        minted = tokens.MINTED
        for token in minted[self._seen :]:
            self._add(token)
        self._seen = len(minted)
        return self._pieces


_FRAGMENTS = _Fragments()


def secrets_in(text: str) -> list[str]:
    """What ``text`` leaks (described, never quoted in full); empty when nothing."""
    found: list[str] = []
    pieces = _FRAGMENTS.pieces()
    for start in range(len(text) - FRAGMENT + 1):
        if text[start : start + FRAGMENT] in pieces:
            found.append(f"a secret's fragment at offset {start}")
            break
    if _AUTHORIZATION.search(text):
        found.append("an Authorization value")
    return found


def leaks_in_lines(lines: Iterable[str]) -> list[str]:
    """``secrets_in`` over each line, with the line's number."""
    return [
        f"line {number}: {what}" for number, line in enumerate(lines) for what in secrets_in(line)
    ]


def assert_no_internals(body: bytes) -> None:
    """A response body holds no traceback and no internal path."""
    for marker in INTERNALS:
        assert marker not in body, f"a response holds {marker!r}: {body[:200]!r}"
