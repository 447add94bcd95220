"""Principals of tokens already validated, so a repeated token skips the RSA verify.

A client sends the same access token for up to an hour; validating it once per process is
enough as long as nothing that decided it changes. ``PrincipalCache`` maps a token's SHA-256
digest (tokens themselves are not kept in memory) to what validation found:

* the ``Principal``;
* the interval of wall-clock time in which the token is accepted, leeway included
  (``not_before``: ``nbf`` / ``iat`` less the leeway; ``expires``: ``exp`` plus the leeway):
  outside it the entry is not used, so a cached principal is never returned after the token
  itself would be refused, even if the clock steps back;
* the ``kid`` and the key object that verified the signature: the validator asks the key
  source for that ``kid`` on every hit and uses the entry only if the very same key object
  comes back, so a key removed from (or replaced in) the JWK Set ends its entries at once.

Only validated tokens are stored (no negative caching: a refused token costs at most one
RSA verify, malformed ones less). The cache is bounded, least recently used out first.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import TYPE_CHECKING, Final, NamedTuple

if TYPE_CHECKING:
    import jwt

    from shared.auth.tokens import Principal

DEFAULT_MAX_ENTRIES: Final = 10_000


class CachedPrincipal(NamedTuple):
    principal: Principal
    kid: str
    key: jwt.PyJWK
    not_before: float
    expires: float

    def usable_at(self, now: float) -> bool:
        return self.not_before <= now < self.expires


def token_digest(token: str) -> bytes:
    """The cache key of an (ASCII) token."""
    return hashlib.sha256(token.encode("ascii")).digest()


class PrincipalCache:
    """At most ``max_entries`` validated tokens (0 turns caching off), LRU-evicted."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must be 0 or more")
        self._max_entries = max_entries
        self._entries: OrderedDict[bytes, CachedPrincipal] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: bytes) -> CachedPrincipal | None:
        entry = self._entries.get(digest)
        if entry is not None:
            self._entries.move_to_end(digest)
        return entry

    def put(self, digest: bytes, entry: CachedPrincipal) -> None:
        if self._max_entries == 0:
            return
        self._entries[digest] = entry
        self._entries.move_to_end(digest)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def discard(self, digest: bytes) -> None:
        self._entries.pop(digest, None)

    def clear(self) -> None:
        self._entries.clear()
