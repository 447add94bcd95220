"""What every operation starts from: the token validator, the store, the directory, the clock,
the caller."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

import azure.functions as func

from shared.auth.directory import Directory, resolve_target
from shared.auth.permissions import Action, UserRef, authorize, resolve_user
from shared.auth.tokens import Principal, TokenValidator
from shared.routes import Target
from shared.storage.photo_store import PhotoStore

Clock = Callable[[], datetime]


class Closeable(Protocol):
    async def aclose(self) -> None: ...


class TokenObserver(Protocol):
    """Told about every validated token (``TokenSeenDirectory`` keeps its UPN / object id)."""

    async def remember(self, principal: Principal) -> None: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OperationsBase:
    """The operations' shared parts, over a token validator, a photo store and a directory
    (``shared.auth.directory``) handed in; ``observer`` hears of every validated token."""

    def __init__(
        self,
        validator: TokenValidator,
        store: PhotoStore,
        *,
        directory: Directory,
        observer: TokenObserver | None = None,
        clock: Clock = _utc_now,
        also_close: Sequence[Closeable] = (),
    ) -> None:
        self._validator = validator
        self._store = store
        self._directory = directory
        self._observer = observer
        self._clock = clock
        self._also_close = tuple(also_close)

    async def aclose(self) -> None:
        """Close the store and the directory, then whatever else was handed in to close (the
        key source)."""
        try:
            await self._store.aclose()
        finally:
            try:
                await self._directory.aclose()
            finally:
                for resource in self._also_close:
                    await resource.aclose()

    @property
    def store(self) -> PhotoStore:
        return self._store

    async def _authorized_user(
        self, req: func.HttpRequest, target: Target, action: Action
    ) -> UserRef:
        """The caller's token validated, the permission checked, and the user the path names as
        a partition: another user's UPN resolved to the object id (after the permission, so a
        caller without one learns nothing of the directory), before storage is touched."""
        principal = await self._validator.validate(req.headers.get("Authorization"))
        if self._observer is not None:
            await self._observer.remember(principal)
        user = resolve_user(principal, target.user)
        authorize(principal, user, action)
        return await resolve_target(self._directory, user)
