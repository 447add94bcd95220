"""The operations: one method per operation name of the route table (``shared.routes``).

Each takes the request, what its path names (``Target``) and the request ids, and walks
forward: authenticate → resolve the user and authorize → parse and validate → decide (e.g. the
photo id) → one store call → render. Failures are ``GraphError``s raised where they are found;
``shared.app`` renders them, in one place.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

import azure.functions as func

from shared.auth.permissions import Action, UserRef, authorize, resolve_user
from shared.auth.tokens import TokenValidator
from shared.graph.body import parse_photo
from shared.graph.errors import Conflict, NotFound, UnprocessableEntity
from shared.graph.query import (
    encode_skiptoken,
    next_page_query,
    parse_item_options,
    parse_list_options,
    selected,
)
from shared.graph.responses import RequestIds, empty_response, json_response
from shared.graph.urls import (
    photo_entity_context,
    photo_not_found,
    photo_url,
    photos_context,
    service_root,
    with_query,
)
from shared.idempotency import HEADER as IDEMPOTENCY_HEADER
from shared.idempotency import derived_photo_id, fingerprint, parse_idempotency_key
from shared.models import MAX_ID_LENGTH, ProfilePhotoIn
from shared.photo_order import position_of
from shared.routes import Target
from shared.storage.photo_store import (
    IdempotencyClaim,
    IdempotencyKeyReused,
    NewPhoto,
    PhotoExists,
    PhotoStore,
)

Clock = Callable[[], datetime]


class Closeable(Protocol):
    async def aclose(self) -> None: ...


Operation = Callable[
    ["PhotoHandlers", func.HttpRequest, Target, RequestIds], Awaitable[func.HttpResponse]
]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PhotoHandlers:
    """The photo operations over a token validator and a photo store handed in."""

    def __init__(
        self,
        validator: TokenValidator,
        store: PhotoStore,
        *,
        clock: Clock = _utc_now,
        also_close: Sequence[Closeable] = (),
    ) -> None:
        self._validator = validator
        self._store = store
        self._clock = clock
        self._also_close = tuple(also_close)

    async def aclose(self) -> None:
        """Close the store, then whatever else was handed in to close (the key source)."""
        try:
            await self._store.aclose()
        finally:
            for resource in self._also_close:
                await resource.aclose()

    @property
    def store(self) -> PhotoStore:
        return self._store

    async def _authorized_user(
        self, req: func.HttpRequest, target: Target, action: Action
    ) -> UserRef:
        """The caller's token validated, the user the path names, and the permission checked."""
        principal = await self._validator.validate(req.headers.get("Authorization"))
        user = resolve_user(principal, target.user)
        authorize(principal, user, action)
        return user

    async def add_photo(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        user = await self._authorized_user(req, target, "add")
        photo_in = parse_photo(req.headers.get("Content-Type"), req.get_body())
        idempotency_key = parse_idempotency_key(req.headers.get(IDEMPOTENCY_HEADER))
        new = decide_new_photo(
            user.key,
            user.name,
            photo_in,
            idempotency_key=idempotency_key,
            request_id=ids.request_id,
            now=self._clock(),
        )
        try:
            photo = await self._store.add(new)
        except PhotoExists as exists:
            raise Conflict(f"A photo with id '{exists.photo_id}' already exists.") from None
        except IdempotencyKeyReused:
            raise UnprocessableEntity(
                f"The {IDEMPOTENCY_HEADER} was already used for a request with another "
                "body; use a new key for a new request."
            ) from None
        root = service_root(req.url, req.route_params.get("target", ""))
        body = {"@odata.context": photo_entity_context(root, user.name), **photo.to_graph()}
        location = photo_url(root, user.name, photo.id)
        return json_response(201, body, ids, {"Location": location})

    async def list_photos(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        user = await self._authorized_user(req, target, "read")
        options = parse_list_options(req.params)
        page = await self._store.list(user.key, top=options.top, after=options.after)
        root = service_root(req.url, req.route_params.get("target", ""))
        body: dict[str, object] = {
            "@odata.context": photos_context(root, user.name, options.select)
        }
        if page.has_more:
            skiptoken = encode_skiptoken(position_of(page.photos[-1]))
            body["@odata.nextLink"] = with_query(req.url, next_page_query(req.params, skiptoken))
        body["value"] = [selected(photo.to_graph(), options.select) for photo in page.photos]
        return json_response(200, body, ids)

    async def get_photo(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        photo_id = _photo_id(target)
        user = await self._authorized_user(req, target, "read")
        select = parse_item_options(req.params)
        photo = await self._store.get(user.key, photo_id)
        if photo is None:
            raise photo_not_found(photo_id)
        root = service_root(req.url, req.route_params.get("target", ""))
        context = photo_entity_context(root, user.name, select)
        return json_response(
            200, {"@odata.context": context, **selected(photo.to_graph(), select)}, ids
        )

    async def delete_photo(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        photo_id = _photo_id(target)
        user = await self._authorized_user(req, target, "add")  # deleting needs what adding needs
        if not await self._store.delete(user.key, photo_id):
            raise photo_not_found(photo_id)
        return empty_response(204, ids)


def _photo_id(target: Target) -> str:
    """The photo the path names; one longer than any id "Add photos" accepts is not there."""
    if target.photo_id is None:
        raise NotFound("Resource not found.")
    if len(target.photo_id) > MAX_ID_LENGTH:
        raise photo_not_found(target.photo_id)
    return target.photo_id


def decide_new_photo(
    user_key: str,
    user_name: str,
    photo: ProfilePhotoIn,
    *,
    idempotency_key: str | None,
    request_id: str,
    now: datetime,
) -> NewPhoto:
    """The photo to store: the client's id, else one derived from the idempotency key, else new."""
    claim = None
    if idempotency_key is not None:
        claim = IdempotencyClaim(idempotency_key, fingerprint(photo))
    if photo.id is not None:
        photo_id = photo.id
    elif idempotency_key is not None:
        photo_id = derived_photo_id(user_key, idempotency_key)
    else:
        photo_id = str(uuid.uuid4())
    return NewPhoto(
        user_key=user_key,
        user_name=user_name,
        photo_id=photo_id,
        height=photo.height,
        width=photo.width,
        created_at=now,
        request_id=request_id,
        idempotency=claim,
    )
