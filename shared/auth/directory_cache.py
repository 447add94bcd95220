"""Answers of a directory, remembered for a while: UPN key -> object id, or "unknown".

``AnswerCache`` keeps positive answers (an object id) for ``ttl`` seconds and negative ones
(no such user) for ``negative_ttl`` seconds, at most ``max_entries`` of them (least recently
used out first), judged by a monotonic clock passed in. ``RecentSet`` remembers at most
``max_entries`` keys, least recently used out first: what this process has already done once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Final, Generic, NamedTuple, TypeVar

DEFAULT_MAX_ENTRIES: Final = 10_000

Key = TypeVar("Key", bound=Hashable)


class Answer(NamedTuple):
    """A cached answer: the object id, or None for "no such user"."""

    object_id: str | None


class _Entry(NamedTuple):
    answer: Answer
    expires: float


class AnswerCache:
    """Answers by UPN key, each until its time to live is over."""

    def __init__(
        self,
        *,
        ttl: float,
        negative_ttl: float,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must be 0 or more")
        self._ttl = ttl
        self._negative_ttl = negative_ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Answer | None:
        """The answer for ``key`` if one is remembered and still fresh, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() >= entry.expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.answer

    def put(self, key: str, object_id: str | None) -> None:
        if self._max_entries == 0:
            return
        ttl = self._ttl if object_id is not None else self._negative_ttl
        self._entries[key] = _Entry(Answer(object_id), self._clock() + ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)


class RecentSet(Generic[Key]):
    """At most ``max_entries`` keys, least recently used out first."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._keys: OrderedDict[Key, None] = OrderedDict()

    def __contains__(self, key: Key) -> bool:
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        return False

    def add(self, key: Key) -> None:
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self._max_entries:
            self._keys.popitem(last=False)
