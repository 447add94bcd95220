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
from shared.graph.urls import base_url, request_url
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
        public_base_url: str | None = None,
    ) -> None:
        self._validator = validator
        self._public_base_url = public_base_url
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
        return (await self._authorized(req, target, action))[1]

    async def _authorized(
        self, req: func.HttpRequest, target: Target, action: Action
    ) -> tuple[Principal, UserRef]:
        """``_authorized_user``, and the caller too."""
        principal = await self._validator.validate(req.headers.get("Authorization"))
        if self._observer is not None:
            await self._observer.remember(principal)
        user = resolve_user(principal, target.user)
        authorize(principal, user, action)
        return principal, await resolve_target(self._directory, user)

    def _base_url(self, req: func.HttpRequest, target: Target) -> str:
        """The base URL the caller used (``…/api/v1.0``), or ``PUBLIC_BASE_URL`` + version."""
        path = req.route_params.get("target", "")
        return base_url(req.url, path, target.version, self._public_base_url)

    def _request_url(self, req: func.HttpRequest) -> str:
        """The request's own URL (no query), re-rooted at ``PUBLIC_BASE_URL`` when it is set."""
        return request_url(req.url, req.route_params.get("target", ""), self._public_base_url)
