"""In-memory ``Sightings`` and a dict directory: the operations' unit tests use them.

``MemorySightings`` keeps UPN sightings the way ``shared.storage.sighting_rows`` does (one per
UPN key, a write conditional on the version read) in a dict; ``calls`` counts reads and writes.
``MemoryDirectory`` is a directory that knows the UPNs it is given (Graph's role in tests).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from itertools import count

from shared.auth.directory import Sighting, StoredSighting
from shared.auth.permissions import user_key


class MemorySightings:
    """Sightings in a dict: UPN key -> stored sighting."""

    def __init__(self) -> None:
        self._rows: dict[str, StoredSighting] = {}
        self._versions = count(1)
        self.calls: Counter[str] = Counter()

    async def read_sighting(self, upn_key: str) -> StoredSighting | None:
        self.calls["read_sighting"] += 1
        return self._rows.get(upn_key)

    async def write_sighting(self, sighting: Sighting, *, replacing: StoredSighting | None) -> bool:
        self.calls["write_sighting"] += 1
        key = user_key(sighting.upn)
        if self._rows.get(key) != replacing:
            return False
        self._rows[key] = StoredSighting(sighting, f'W/"{next(self._versions)}"')
        return True


class MemoryDirectory:
    """Knows ``users`` (UPN -> object id, ASCII case-insensitively); ``asked`` counts look-ups."""

    def __init__(self, users: Mapping[str, str] | None = None) -> None:
        self._users = {user_key(upn): oid.lower() for upn, oid in (users or {}).items()}
        self.asked: Counter[str] = Counter()

    async def object_id(self, upn: str) -> str | None:
        self.asked[user_key(upn)] += 1
        return self._users.get(user_key(upn))

    async def aclose(self) -> None:
        pass
