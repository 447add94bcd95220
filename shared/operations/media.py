"""The photo itself: the profile photo (``/photo``, ``/photo/$value``), its sizes, and the
bytes of a photo added by POST (``/photos/{id}/$value``).

Uploads are decoded and rendered off the event loop (``asyncio.to_thread``); the store puts the
bytes in blobs and switches the rows at once (``shared.storage.media_rows``). Every ``$value``
answer carries a strong ``ETag`` and ``Cache-Control: private``; ``If-None-Match`` is ``304``
before any blob is read, ``If-Match`` on a write or delete is ``412`` when it differs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final, TypeVar

import azure.functions as func

from shared.auth.permissions import UserRef
from shared.graph.conditional import (
    check_accepts_bytes,
    check_accepts_json,
    if_match,
    none_match,
)
from shared.graph.errors import (
    BadRequest,
    ImageNotFound,
    MethodNotAllowed,
    PreconditionFailed,
    RequestEntityTooLarge,
    UnsupportedMediaType,
    shown,
)
from shared.graph.responses import RequestIds, bytes_response, empty_response, json_response
from shared.graph.urls import photo_not_found, profile_photo_context
from shared.limits import MAX_IMAGE_BYTES
from shared.media import ImageRejected, Rejection, is_size_id
from shared.models import Photo
from shared.operations.base import OperationsBase
from shared.routes import Target
from shared.storage.photo_store import Image, PhotoMissing, ProfilePhoto
from shared.storage.photo_store import PreconditionFailed as StoredPreconditionFailed

CACHE_CONTROL: Final = "private"
"""A photo is the user's own: browsers may keep it, shared caches may not."""
_SIZES_ARE_READ_ONLY: Final = {"Allow": "GET, HEAD"}
_T = TypeVar("_T")


class MediaOperations(OperationsBase):
    """The operations on a photo's bytes."""

    async def get_profile_photo(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        """The largest size's metadata, with ``@odata.mediaEtag``."""
        user = await self._authorized_user(req, target, "read")
        check_accepts_json(req.headers.get("Accept"))
        largest = (await self._profile(user)).largest
        root = self._base_url(req, target)
        body = {"@odata.context": profile_photo_context(root, user.name), **largest.to_graph()}
        return json_response(200, body, ids)

    async def get_profile_photo_content(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        user = await self._authorized_user(req, target, "read")
        check_accepts_bytes(req.headers.get("Accept"))
        return await self._content(req, (await self._profile(user)).largest, ids)

    async def set_profile_photo_content(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        user = await self._authorized_user(req, target, "add")
        data = _image_body(req)
        condition = if_match(req.headers.get("If-Match"))
        from shared.media import etag_of, render_sizes  # Pillow: loaded with the first photo

        rendered = await _render(render_sizes, data)
        images = [Image(jpeg, etag_of(jpeg), width=size, height=size) for size, jpeg in rendered]
        try:
            profile = await self._store.set_profile(
                user.key,
                user.name,
                images,
                condition=condition,
                request_id=ids.request_id,
                now=self._clock(),
            )
        except StoredPreconditionFailed:
            raise _precondition_failed() from None
        return empty_response(200, ids, {"ETag": profile.etag})

    async def delete_profile_photo(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        user = await self._authorized_user(req, target, "add")  # deleting needs what adding needs
        condition = if_match(req.headers.get("If-Match"))
        try:
            deleted = await self._store.delete_profile(user.key, condition=condition)
        except StoredPreconditionFailed:
            raise _precondition_failed() from None
        if not deleted:
            raise _no_photo()
        return empty_response(204, ids)

    async def get_photo_content(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        """The bytes of one size, or of a photo added by POST that has them."""
        photo_id = _photo_id(target)
        user = await self._authorized_user(req, target, "read")
        check_accepts_bytes(req.headers.get("Accept"))
        photo = await self._store.get(user.key, photo_id)
        if photo is None or photo.media is None:
            raise _no_photo(photo_id)
        return await self._content(req, photo, ids)

    async def set_photo_content(
        self, req: func.HttpRequest, target: Target, ids: RequestIds
    ) -> func.HttpResponse:
        """Bytes for a photo added by POST: exactly its width x height."""
        photo_id = _photo_id(target)
        if is_size_id(photo_id):
            raise MethodNotAllowed(
                f"The size '{shown(photo_id)}' is made from the profile photo and is read-only; "
                "set the profile photo with PUT …/photo/$value.",
                headers=_SIZES_ARE_READ_ONLY,
            )
        user = await self._authorized_user(req, target, "add")
        data = _image_body(req)
        condition = if_match(req.headers.get("If-Match"))
        photo = await self._store.get(user.key, photo_id)
        if photo is None:
            raise photo_not_found(photo_id)
        from shared.media import etag_of, render_exact  # Pillow: loaded with the first photo

        jpeg = await _render(render_exact, data, photo.width, photo.height)
        image = Image(jpeg, etag_of(jpeg), width=photo.width, height=photo.height)
        try:
            stored = await self._store.set_content(user.key, photo_id, image, condition=condition)
        except PhotoMissing:
            raise photo_not_found(photo_id) from None
        except StoredPreconditionFailed:
            raise _precondition_failed() from None
        if stored.media is None:
            raise ValueError("a photo whose bytes were just stored has media")
        return empty_response(200, ids, {"ETag": stored.media.etag})

    async def _profile(self, user: UserRef) -> ProfilePhoto:
        profile = await self._store.get_profile(user.key)
        if profile is None:
            raise _no_photo()
        return profile

    async def _content(
        self, req: func.HttpRequest, photo: Photo, ids: RequestIds
    ) -> func.HttpResponse:
        media = photo.media
        if media is None:
            raise _no_photo(photo.id)
        caching = {"ETag": media.etag, "Cache-Control": CACHE_CONTROL}
        if none_match(req.headers.get("If-None-Match"), media.etag):
            return empty_response(304, ids, caching)
        data = await self._store.read_content(media)
        if data is None:  # replaced between the row read and the blob read
            raise _no_photo(photo.id)
        return bytes_response(200, data, ids, media.content_type, caching)


_NOT_BYTES: Final = ("application/json", "text/")


def _image_body(req: func.HttpRequest) -> bytes:
    """The upload: the bytes decide the format, but JSON or text is not an image."""
    content_type = (req.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if content_type.startswith(_NOT_BYTES) or content_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"A photo is sent as its bytes (image/jpeg, image/png, … or "
            f"application/octet-stream), not as {shown(content_type)}."
        )
    data = req.get_body()
    if len(data) > MAX_IMAGE_BYTES:
        raise RequestEntityTooLarge(f"A photo is at most {MAX_IMAGE_BYTES} bytes.")
    if not data:
        raise BadRequest("The request body is empty; send the image's bytes.")
    return data


async def _render(render: Callable[..., _T], *args: object) -> _T:
    """``render(*args)`` in a worker thread; an ``ImageRejected`` becomes Graph's error."""
    try:
        return await asyncio.to_thread(render, *args)
    except ImageRejected as rejected:
        if rejected.kind is Rejection.TOO_LARGE:
            raise RequestEntityTooLarge(rejected.message) from None
        raise BadRequest(rejected.message) from None


def _photo_id(target: Target) -> str:
    if target.photo_id is None:
        raise ImageNotFound("No photo was named.")
    return target.photo_id


def _no_photo(photo_id: str | None = None) -> ImageNotFound:
    if photo_id is None:
        return ImageNotFound("The user has no profile photo.")
    return ImageNotFound(f"The photo '{shown(photo_id)}' has no image.")


def _precondition_failed() -> PreconditionFailed:
    return PreconditionFailed("The photo's ETag does not match If-Match; it has changed.")
