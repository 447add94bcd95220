"""The app: one ``PhotoService`` per process, built lazily from the environment.

A request flows one way: request ids → authenticate → resolve the target user and authorize
→ parse and validate the body → ``PhotoStore.add`` → ``201``; reads and deletes go the same
way to ``PhotoStore.list`` / ``get`` / ``delete`` (``200`` / ``204``). Failures are ``GraphError``s
raised where they are found and rendered here, in one place; anything else is logged with
its traceback and answered with a generic ``500``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import azure.functions as func

from shared.auth.permissions import Action, UserRef, authorize, resolve_user
from shared.auth.signing_keys import JwksKeySource
from shared.auth.tokens import TokenValidator
from shared.config import ConfigError, Settings, load_process_settings
from shared.graph.body import parse_photo
from shared.graph.errors import GraphError, InternalServerError
from shared.graph.query import (
    encode_skiptoken,
    next_page_query,
    parse_item_options,
    parse_list_options,
    selected,
)
from shared.graph.responses import (
    RequestIds,
    empty_response,
    json_response,
    render_error,
    request_ids,
)
from shared.graph.urls import (
    parse_photo_target,
    parse_photos_target,
    photo_entity_context,
    photo_not_found,
    photo_url,
    photos_context,
    service_root,
    with_query,
)
from shared.idempotency import HEADER as IDEMPOTENCY_HEADER
from shared.idempotency import parse_idempotency_key
from shared.photo_order import position_of
from shared.storage.table_store import PhotoStore, open_photo_store

logger = logging.getLogger("graph_photos")


class PhotoService:
    """The operations, over a token validator and a photo store handed in."""

    def __init__(self, validator: TokenValidator, store: PhotoStore) -> None:
        self._validator = validator
        self._store = store

    async def _authorized_user(
        self, req: func.HttpRequest, path_user: str | None, action: Action
    ) -> UserRef:
        """The caller's token validated, the user the path names, and the permission checked."""
        principal = await self._validator.validate(req.headers.get("Authorization"))
        user = resolve_user(principal, path_user)
        authorize(principal, user, action)
        return user

    async def add_photo(self, req: func.HttpRequest, ids: RequestIds) -> func.HttpResponse:
        target = req.route_params.get("target", "")
        user = await self._authorized_user(req, parse_photos_target(target).user, "add")
        photo_in = parse_photo(req.headers.get("Content-Type"), req.get_body())
        idempotency_key = parse_idempotency_key(req.headers.get(IDEMPOTENCY_HEADER))
        photo = await self._store.add(
            user.key,
            user.name,
            photo_in,
            request_id=ids.request_id,
            idempotency_key=idempotency_key,
        )
        root = service_root(req.url, target)
        body = {"@odata.context": photo_entity_context(root, user.name), **photo.to_graph()}
        location = photo_url(root, user.name, photo.id)
        return json_response(201, body, ids, {"Location": location})

    async def list_photos(self, req: func.HttpRequest, ids: RequestIds) -> func.HttpResponse:
        target = req.route_params.get("target", "")
        user = await self._authorized_user(req, parse_photos_target(target).user, "read")
        options = parse_list_options(req.params)
        page = await self._store.list(user.key, top=options.top, after=options.after)
        root = service_root(req.url, target)
        body: dict[str, object] = {
            "@odata.context": photos_context(root, user.name, options.select)
        }
        if page.has_more:
            skiptoken = encode_skiptoken(position_of(page.photos[-1]))
            body["@odata.nextLink"] = with_query(req.url, next_page_query(req.params, skiptoken))
        body["value"] = [selected(photo.to_graph(), options.select) for photo in page.photos]
        return json_response(200, body, ids)

    async def get_photo(self, req: func.HttpRequest, ids: RequestIds) -> func.HttpResponse:
        target = req.route_params.get("target", "")
        wanted = parse_photo_target(target)
        user = await self._authorized_user(req, wanted.user, "read")
        select = parse_item_options(req.params)
        photo = await self._store.get(user.key, wanted.photo_id)
        if photo is None:
            raise photo_not_found(wanted.photo_id)
        root = service_root(req.url, target)
        context = photo_entity_context(root, user.name, select)
        return json_response(
            200, {"@odata.context": context, **selected(photo.to_graph(), select)}, ids
        )

    async def delete_photo(self, req: func.HttpRequest, ids: RequestIds) -> func.HttpResponse:
        wanted = parse_photo_target(req.route_params.get("target", ""))
        user = await self._authorized_user(
            req, wanted.user, "add"
        )  # deleting needs what adding needs
        if not await self._store.delete(user.key, wanted.photo_id):
            raise photo_not_found(wanted.photo_id)
        return empty_response(204, ids)


def build_service(settings: Settings) -> PhotoService:
    """The production wiring: JWKS keys over HTTPS (or a file), Table Storage."""
    # azure-core logs every storage request and response, headers included, at INFO.
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
    keys = JwksKeySource(settings.auth.jwks_uri)
    validator = TokenValidator(settings.auth, keys)
    store = open_photo_store(settings.storage)
    return PhotoService(validator, store)


Operation = Callable[[PhotoService, func.HttpRequest, RequestIds], Awaitable[func.HttpResponse]]


class PhotoApp:
    """Builds the service on first use (never at import) and renders every failure."""

    def __init__(
        self,
        load: Callable[[], Settings] = load_process_settings,
        factory: Callable[[Settings], PhotoService] = build_service,
    ) -> None:
        self._load = load
        self._factory = factory
        self._service: PhotoService | None = None
        self._lock = asyncio.Lock()

    async def _get_service(self) -> PhotoService:
        if self._service is None:
            async with self._lock:
                if self._service is None:
                    try:
                        settings = self._load()
                    except ConfigError as error:
                        logger.error("graph-photos is misconfigured: %s", error)
                        raise InternalServerError(
                            "The service is not configured correctly."
                        ) from None
                    self._service = self._factory(settings)
        return self._service

    async def handle(self, operation: Operation, req: func.HttpRequest) -> func.HttpResponse:
        ids = request_ids(req.headers)
        try:
            service = await self._get_service()
            return await operation(service, req, ids)
        except GraphError as error:
            if error.status >= 500:
                logger.warning(
                    "request %s failed: %s %s", ids.request_id, error.code, error.message
                )
            return render_error(error, ids)
        except Exception:
            logger.exception("request %s failed with an unexpected error", ids.request_id)
            return render_error(InternalServerError(), ids)

    async def add_photo(self, req: func.HttpRequest) -> func.HttpResponse:
        return await self.handle(PhotoService.add_photo, req)

    async def list_photos(self, req: func.HttpRequest) -> func.HttpResponse:
        return await self.handle(PhotoService.list_photos, req)

    async def get_photo(self, req: func.HttpRequest) -> func.HttpResponse:
        return await self.handle(PhotoService.get_photo, req)

    async def delete_photo(self, req: func.HttpRequest) -> func.HttpResponse:
        return await self.handle(PhotoService.delete_photo, req)


photo_app = PhotoApp()
