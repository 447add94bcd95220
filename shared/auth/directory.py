"""The directory: a userPrincipalName in, the user's object id (the partition) out.

One user, one partition: ``/users/{upn}`` and the user's own ``/me`` must reach the same
photos, so another user's UPN (``shared.auth.permissions.UpnRef``) is resolved to the object id
before storage is touched. The sources, in order (the caller's own token comes first, in
``resolve_user``)::

    Directory (Protocol)       object_id(upn) -> object id (lower-case GUID) | None (unknown)
    ├── GraphDirectory         Microsoft Graph, with the app's identity (DIRECTORY=graph;
    │                          shared.auth.graph_directory)
    ├── TokenSeenDirectory     UPN / object id pairs of validated delegated tokens, kept in
    │                          storage (Sightings) so every instance knows them
    └── ChainDirectory         the first source that knows the UPN

``TokenSeenDirectory.remember`` is called with every validated token: a delegated token's pair
is written through to storage the first time this process sees it (one point read, and a write
only for a new pair, a reassigned UPN or a stale sighting). A UPN seen with another object id
follows the newer token (``iat``), since Entra can give a UPN to another user.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from shared.auth.directory_cache import DEFAULT_MAX_ENTRIES, AnswerCache, RecentSet
from shared.auth.permissions import UpnRef, UserRef, user_key
from shared.auth.user_names import is_object_id, is_upn
from shared.graph.errors import RequestResourceNotFound, ServiceUnavailable

if TYPE_CHECKING:
    from shared.auth.tokens import Principal

logger = logging.getLogger(__name__)

SEEN_TTL: Final = 300.0
"""Seconds a looked-up sighting is trusted before it is read again (another instance may have
seen the UPN reassigned)."""
SEEN_NEGATIVE_TTL: Final = 30.0
"""Seconds "no token with this UPN seen" is trusted (the user may sign in meanwhile)."""
SEEN_REFRESH: Final = 3600.0
"""A stored sighting of the same pair is rewritten only when this much older than the token
seen: the newer ``iat`` matters only against another object id, and a write per user per
process start would be wasted otherwise."""
_WRITE_ATTEMPTS: Final = 3


class Directory(Protocol):
    """Resolves a userPrincipalName to an object id."""

    async def object_id(self, upn: str) -> str | None:
        """The object id (a lower-case GUID) of the user ``upn`` names; None if unknown.

        Raises ``ServiceUnavailable`` when the source cannot answer now, ``InternalServerError``
        when the service is not allowed to ask it.
        """
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Sighting:
    """A UPN and the object id a validated token gave it, and when that token was issued."""

    upn: str
    object_id: str
    issued_at: float


@dataclass(frozen=True)
class StoredSighting:
    """A sighting as stored, with its version (an ETag) for a conditional replace."""

    sighting: Sighting
    version: str


class Sightings(Protocol):
    """Where seen UPN / object id pairs are kept: one per UPN key (``user_key``)."""

    async def read_sighting(self, upn_key: str) -> StoredSighting | None: ...

    async def write_sighting(self, sighting: Sighting, *, replacing: StoredSighting | None) -> bool:
        """Store ``sighting`` if the stored one is still ``replacing`` (None: there is none);
        False when another writer came first."""
        ...


async def resolve_target(directory: Directory, target: UserRef | UpnRef) -> UserRef:
    """``target`` as a partition: an ``UpnRef`` resolved to its object id, or ``404``."""
    if isinstance(target, UserRef):
        return target
    object_id = await directory.object_id(target.upn)
    if object_id is None:
        raise RequestResourceNotFound(
            f"Resource '{target.upn}' does not exist or one of its queried reference-property "
            "objects are not present."
        )
    return UserRef(key=object_id, name=target.upn, is_self=False)


def sighting_of(principal: Principal) -> Sighting | None:
    """The pair a validated delegated token vouches for, or None (app-only, no UPN, ...)."""
    upn, object_id, issued_at = principal.upn, principal.object_id, principal.issued_at
    if principal.app_only or upn is None or object_id is None or issued_at is None:
        return None
    if not is_upn(upn) or not is_object_id(object_id):
        return None
    return Sighting(upn=upn, object_id=object_id.lower(), issued_at=issued_at)


class TokenSeenDirectory:
    """UPNs resolved from the validated tokens the service has seen, kept in ``sightings``."""

    def __init__(
        self,
        sightings: Sightings,
        *,
        ttl: float = SEEN_TTL,
        negative_ttl: float = SEEN_NEGATIVE_TTL,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sightings = sightings
        self._answers = AnswerCache(
            ttl=ttl, negative_ttl=negative_ttl, max_entries=max_entries, clock=clock
        )
        self._remembered: RecentSet[tuple[str, str]] = RecentSet(max_entries)
        self._done: RecentSet[Principal] = RecentSet(max_entries)
        """Principals whose pair is remembered, or who have none: a repeated token's is a
        set look-up (the token cache hands back the same ``Principal``)."""

    async def object_id(self, upn: str) -> str | None:
        key = user_key(upn)
        cached = self._answers.get(key)
        if cached is not None:
            return cached.object_id
        stored = await self._sightings.read_sighting(key)
        object_id = None if stored is None else stored.sighting.object_id
        self._answers.put(key, object_id)
        return object_id

    async def remember(self, principal: Principal) -> None:
        """Keep the pair of ``principal``'s token, once per process per pair."""
        if principal in self._done:
            return
        sighting = sighting_of(principal)
        if sighting is None:
            self._done.add(principal)
            return
        pair = (user_key(sighting.upn), sighting.object_id)
        if pair in self._remembered:
            self._done.add(principal)
            return
        try:
            current = await self._record(sighting)
        except ServiceUnavailable:
            # The request goes on (its own storage call will tell); the next one tries again.
            logger.warning("The UPN / object id pair of a token could not be stored now")
            return
        if current is not None:
            self._answers.put(pair[0], current)
            self._remembered.add(pair)
            self._done.add(principal)

    async def _record(self, sighting: Sighting) -> str | None:
        """Store ``sighting`` unless a newer one is stored; the object id that is stored now."""
        key = user_key(sighting.upn)
        for _ in range(_WRITE_ATTEMPTS):
            stored = await self._sightings.read_sighting(key)
            if stored is not None and not _supersedes(sighting, stored.sighting):
                return stored.sighting.object_id
            if await self._sightings.write_sighting(sighting, replacing=stored):
                if stored is not None and stored.sighting.object_id != sighting.object_id:
                    logger.info("A UPN now names another object id (a newer token says so)")
                return sighting.object_id
        logger.warning("A UPN sighting kept changing under us; it is recorded next time")
        return None

    async def aclose(self) -> None:
        """Nothing to close: the sightings' store is closed with the photo store."""


def _supersedes(seen: Sighting, stored: Sighting) -> bool:
    if seen.object_id != stored.object_id:
        return seen.issued_at > stored.issued_at
    return seen.issued_at - stored.issued_at > SEEN_REFRESH


class ChainDirectory:
    """The first of ``directories`` that knows the UPN; each closed with the chain."""

    def __init__(self, directories: Sequence[Directory]) -> None:
        self._directories = tuple(directories)

    async def object_id(self, upn: str) -> str | None:
        for directory in self._directories:
            object_id = await directory.object_id(upn)
            if object_id is not None:
                return object_id
        return None

    async def aclose(self) -> None:
        for directory in self._directories:
            await directory.aclose()
