"""The photo entities: add (Graph's "Add photos"), list, get and delete."""

from __future__ import annotations

from datetime import datetime

import azure.functions as func

from shared.graph.body import parse_photo
from shared.graph.conditional import check_accepts_json
from shared.graph.errors import (
    BadRequest,
    Conflict,
    MethodNotAllowed,
    NotFound,
    QuotaLimitReached,
    UnprocessableEntity,
    shown,
)
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
    with_query,
)
from shared.guids import new_guid
from shared.idempotency import HEADER as IDEMPOTENCY_HEADER
from shared.idempotency import (
    caller_identity,
    derived_photo_id,
    fingerprint,
    parse_idempotency_key,
    scoped_key,
)
from shared.media.sizes import is_size_id
from shared.models import MAX_ID_LENGTH, ProfilePhotoIn
from shared.operations.base import OperationsBase
from shared.photo_order import position_of
from shared.routes import Target
from shared.storage.photo_store import (
    IdempotencyClaim,
    IdempotencyKeyReused,
    NewPhoto,
    PhotoExists,
    PhotoLimitReached,
)


class PhotoOperations(OperationsBase):
    """Add, list, get and delete photos (the JSON entities)."""

    async def add_photo(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        principal, user = await self._authorized(req, target, "add")
        check_accepts_json(req.headers.get("Accept"))
        photo_in = parse_photo(req.headers.get("Content-Type"), req.get_body())
        if photo_in.id is not None and is_size_id(photo_in.id):
            raise BadRequest(
                f"Property 'id' cannot be '{shown(photo_in.id)}': ids of the form '{{n}}x{{n}}' name "
                "the profile photo's sizes."
            )
        idempotency_key = parse_idempotency_key(req.headers.get(IDEMPOTENCY_HEADER))
        root = self._base_url(req, target)  # a bad Host is a 400 before anything is stored
        caller = (
            ""
            if idempotency_key is None
            else caller_identity(principal.object_id, principal.app_id)
        )
        new = decide_new_photo(
            user.key,
            user.name,
            photo_in,
            caller=caller,
            idempotency_key=idempotency_key,
            request_id=ids.request_id,
            now=self._clock(),
        )
        location = photo_url(root, user.name, new.photo_id)
        try:
            photo = await self._store.add(new)
        except PhotoExists as exists:
            raise Conflict(f"A photo with id '{shown(exists.photo_id)}' already exists.") from None
        except PhotoLimitReached as reached:
            raise QuotaLimitReached(
                f"The user already has {reached.limit} photos, as many as the service keeps per "
                "user; delete one to add another."
            ) from None
        except IdempotencyKeyReused:
            raise UnprocessableEntity(
                f"The {IDEMPOTENCY_HEADER} was already used for a request with another "
                "body; use a new key for a new request."
            ) from None
        body = {"@odata.context": photo_entity_context(root, user.name), **photo.to_graph()}
        return json_response(201, body, ids, {"Location": location})

    async def list_photos(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        user = await self._authorized_user(req, target, "read")
        check_accepts_json(req.headers.get("Accept"))
        options = parse_list_options(req.params)
        root = self._base_url(req, target)
        page = await self._store.list(user.key, top=options.top, after=options.after)
        body: dict[str, object] = {
            "@odata.context": photos_context(root, user.name, options.select)
        }
        if page.has_more:
            skiptoken = encode_skiptoken(position_of(page.photos[-1]))
            body["@odata.nextLink"] = with_query(
                self._request_url(req), next_page_query(req.params, skiptoken)
            )
        body["value"] = [selected(photo.to_graph(), options.select) for photo in page.photos]
        return json_response(200, body, ids)

    async def get_photo(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        photo_id = _photo_id(target)
        user = await self._authorized_user(req, target, "read")
        check_accepts_json(req.headers.get("Accept"))
        select = parse_item_options(req.params)
        root = self._base_url(req, target)
        photo = await self._store.get(user.key, photo_id)
        if photo is None:
            raise photo_not_found(photo_id)
        context = photo_entity_context(root, user.name, select)
        return json_response(
            200, {"@odata.context": context, **selected(photo.to_graph(), select)}, ids
        )

    async def delete_photo(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        photo_id = _photo_id(target)
        if is_size_id(photo_id):
            raise MethodNotAllowed(
                f"The size '{shown(photo_id)}' cannot be deleted by itself; DELETE …/photo removes "
                "the profile photo and all its sizes.",
                headers={"Allow": "GET, HEAD"},
            )
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
    caller: str,
    idempotency_key: str | None,
    request_id: str,
    now: datetime,
) -> NewPhoto:
    """The photo to store: the client's id, else one derived from the idempotency key, else new.

    ``caller`` (``shared.idempotency.caller_identity``) owns the key together with the user;
    without a key nothing is scoped to it (``add_photo`` then passes ``""``).
    """
    claim = None
    if idempotency_key is not None:
        claim = IdempotencyClaim(scoped_key(caller, idempotency_key), fingerprint(photo))
    if photo.id is not None:
        photo_id = photo.id
    elif idempotency_key is not None:
        photo_id = derived_photo_id(caller, user_key, idempotency_key)
    else:
        photo_id = new_guid()
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
