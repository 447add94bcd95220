"""The app: every function's ``main`` lands in ``PhotoApp.serve``, the one error path.

``serve`` finds the operation in the route table (``shared.routes``), runs it and renders any
``GraphError`` in Graph's format; anything else is logged with its traceback and answered with a
generic ``500`` carrying the request id. The handlers (``shared.handlers``) are built on first
use, never at import, inside the configuration guard: a missing setting or an SDK refusing one is
a logged configuration error and a ``500``, the same for every request until it is fixed.
Anonymous operations (the OpenAPI and ``$metadata`` documents, the fallback's ``404`` / ``405``) need no settings.

Importing this module (what every function folder does) imports only what a photo request
needs: ``$batch``, the documents and the Graph directory are imported when they first run.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

import azure.functions as func

from shared.auth.directory import ChainDirectory, Directory, TokenSeenDirectory
from shared.auth.signing_keys import JwksKeySource
from shared.auth.tokens import TokenValidator
from shared.config import ConfigError, Settings, load_process_settings
from shared.graph.errors import (
    BadRequest,
    GraphError,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    shown,
)
from shared.graph.responses import (
    NOSNIFF,
    RequestIds,
    empty_response,
    render_error,
    request_ids,
)
from shared.models import CONTROL_CHARACTERS_RULE, has_control_character, is_unicode
from shared.operations import Operation, PhotoHandlers
from shared.routes import (
    BATCH_OPERATION,
    FALLBACK_FUNCTION,
    NoRoute,
    RouteMatch,
    Target,
    match,
    match_function,
)
from shared.storage.table_store import open_photo_store

logger = logging.getLogger(__name__)

AnonymousOperation = Callable[[func.HttpRequest, Target, RequestIds], Awaitable[func.HttpResponse]]

ANONYMOUS_OPERATIONS: Final[Mapping[str, str]] = {
    "metadata_document": "shared.metadata",
    "openapi_document": "shared.openapi",
}
"""The operations that need neither a token nor settings, by route-table name: the function
of that name in that module, imported when the operation first runs (``_anonymous_operation``)."""


@functools.cache
def _anonymous_operation(name: str) -> AnonymousOperation | None:
    """The anonymous operation ``name`` (its module imported on first use), or None."""
    module = ANONYMOUS_OPERATIONS.get(name)
    if module is None:
        return None
    operation: AnonymousOperation = getattr(importlib.import_module(module), name)
    return operation


def build_handlers(settings: Settings) -> PhotoHandlers:
    """The production wiring: JWKS keys over HTTPS (or a file), Table Storage, the directory
    (Microsoft Graph when ``DIRECTORY`` is ``graph``, then the UPNs of tokens seen)."""
    # azure-core logs every storage request and response, headers included, at INFO.
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
    keys = JwksKeySource(settings.auth.jwks_uri)
    validator = TokenValidator(settings.auth, keys)
    store = open_photo_store(settings.storage)
    seen = TokenSeenDirectory(store)
    directory: Directory = seen
    if settings.directory.kind == "graph":
        from shared.auth.graph_directory import open_graph_directory

        directory = ChainDirectory([open_graph_directory(settings), seen])
    return PhotoHandlers(
        validator,
        store,
        directory=directory,
        observer=seen,
        also_close=(keys,),
        public_base_url=settings.public_base_url,
    )


class PhotoApp:
    """Builds the handlers on first use (never at import) and renders every failure."""

    def __init__(
        self,
        load: Callable[[], Settings] = load_process_settings,
        factory: Callable[[Settings], PhotoHandlers] = build_handlers,
    ) -> None:
        self._load = load
        self._factory = factory
        self._handlers: PhotoHandlers | None = None
        self._lock = asyncio.Lock()

    async def serve(self, function: str, req: func.HttpRequest) -> func.HttpResponse:
        """The answer to ``req``, which the host handed to ``function``."""
        ids = request_ids(req.headers)
        try:
            response = await self._answer(function, req, ids)
        except GraphError as error:
            if error.status >= 500:
                logger.warning(
                    "request %s failed: %s %s", ids.request_id, error.code, error.message
                )
            return render_error(error, ids)
        except Exception:
            logger.exception("request %s failed with an unexpected error", ids.request_id)
            return render_error(InternalServerError(), ids)
        for name, value in NOSNIFF.items():  # whatever built the answer, it carries these
            if name not in response.headers:
                response.headers[name] = value
        return response

    async def aclose(self) -> None:
        """Close the store's and the key source's sessions (the host is stopping)."""
        if self._handlers is not None:
            handlers, self._handlers = self._handlers, None
            await handlers.aclose()

    async def _answer(
        self, function: str, req: func.HttpRequest, ids: RequestIds
    ) -> func.HttpResponse:
        if function == FALLBACK_FUNCTION:
            path = req.route_params.get("path", "")
            found = match(req.method, path)
        else:
            path = req.route_params.get("target", "")
            found = match_function(function, req.method, path)
        if isinstance(found, NoRoute):
            return _no_route(req.method.upper(), path, found, ids)
        if function == FALLBACK_FUNCTION:
            # A served method reached the fallback: that operation's function is missing.
            logger.error(
                "request %s: %s %r reached no operation; did its function fail to load?",
                ids.request_id,
                req.method.upper(),
                shown(path),
            )
            raise InternalServerError()
        _check_declared_length(req, found.route.max_body_bytes)
        _check_path_values(found.target)
        response = await self._run(found, req, ids)
        return _without_body(response) if req.method.upper() == "HEAD" else response

    async def _run(
        self, found: RouteMatch, req: func.HttpRequest, ids: RequestIds
    ) -> func.HttpResponse:
        if found.operation == BATCH_OPERATION:  # each item authenticates itself
            from shared.batch import serve_batch  # imported with the first batch

            return await serve_batch(req, found.target, ids, self.serve)
        anonymous = _anonymous_operation(found.operation)
        if anonymous is not None:
            return await anonymous(req, found.target, ids)
        handlers = await self._get_handlers()
        operation: Operation = getattr(PhotoHandlers, found.operation)
        return await operation(handlers, req, found.target, ids)

    async def _get_handlers(self) -> PhotoHandlers:
        if self._handlers is None:
            async with self._lock:
                if self._handlers is None:
                    self._handlers = self._build()
        return self._handlers

    def _build(self) -> PhotoHandlers:
        try:
            return self._factory(self._load())
        except (ConfigError, ValueError) as error:
            # ValueError: an SDK constructor refusing a setting (a malformed URL, say).
            logger.error("graph-photos is misconfigured: %s", error)
            raise InternalServerError("The service is not configured correctly.") from None


def _no_route(method: str, path: str, found: NoRoute, ids: RequestIds) -> func.HttpResponse:
    """``404``, or ``405`` with ``Allow`` (``OPTIONS``: ``204`` with ``Allow``)."""
    if not found.allowed:
        raise NotFound(f"Resource not found for the segment '{shown(path)}'.")
    allow = {"Allow": ", ".join(found.allowed)}
    if method == "OPTIONS":
        return empty_response(204, ids, allow)
    raise MethodNotAllowed(
        f"The method '{shown(method)}' is not allowed on '{shown(path)}'; allowed: {allow['Allow']}.",
        headers=allow,
    )


def _check_declared_length(req: func.HttpRequest, limit: int) -> None:
    """``413`` for a declared ``Content-Length`` over the route's limit, before anything else."""
    declared = req.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise RequestEntityTooLarge(f"The request body is over {limit} bytes, this path's limit.")


def _check_path_values(target: Target) -> None:
    """``400`` for a ``{user}`` or ``{photo-id}`` no id can be: control characters, or text
    that is not Unicode (a lone surrogate)."""
    for name, value in (("user", target.user), ("photo id", target.photo_id)):
        if value is None:
            continue
        if has_control_character(value):
            raise BadRequest(f"The {name} in the request path {CONTROL_CHARACTERS_RULE}.")
        if not is_unicode(value):
            raise BadRequest(f"The {name} in the request path is not valid Unicode.")


def _without_body(response: func.HttpResponse) -> func.HttpResponse:
    """``HEAD``: the ``GET`` answer's status and headers, without its body."""
    return func.HttpResponse(
        status_code=response.status_code,
        headers=dict(response.headers),
        mimetype=response.mimetype,
        charset=response.charset,
    )


photo_app = PhotoApp()
