"""The answer to a request no operation's route takes: Graph's ``404`` or ``405``, never the host's.

The ``unmatched_route`` function has a catch-all route (``{*path}``, every method) and is
tried after every other function (the host tries routes in order of function names; see README,
"Routes"), so it sees exactly the requests nothing else takes:

- a path that names one of the service's resources, with a method not served there:
  ``405 MethodNotAllowed`` with ``Allow`` (``HEAD`` included: no operation answers it);
  ``OPTIONS`` there is ``204 No Content`` with ``Allow``;
- any other path: ``404 ResourceNotFound``;
- a method that *is* served there: the operation's function is missing (it failed to load),
  so the service is broken: a logged ``500``, never a ``404`` that reads as "no such photo".

Resources are recognised by ``shared.graph.urls``, the parsers of the photo operations, whose rules
are the photo routes' regexes. Nothing here reads settings, validates a token or touches
storage: an unknown path is a ``404`` even when the service is misconfigured.
"""

from __future__ import annotations

import logging

import azure.functions as func

from shared.graph.errors import GraphError, InternalServerError, MethodNotAllowed, NotFound
from shared.graph.responses import RequestIds, empty_response, render_error, request_ids
from shared.graph.urls import parse_photo_target, parse_photos_target

logger = logging.getLogger("graph_photos")

_DOCUMENT_ROUTE = "openapi.json"  # openapi_document/function.json
_SHOWN_PATH_LENGTH = 100


def allowed_methods(path: str) -> tuple[str, ...]:
    """The methods the service serves at ``path`` (after the route prefix); ``()``: none."""
    if path.removesuffix("/").lower() == _DOCUMENT_ROUTE:
        return ("GET",)
    try:
        photos = parse_photos_target(path)
    except NotFound:
        pass
    else:
        return ("POST",) if photos.as_ref else ("GET", "POST")
    try:
        parse_photo_target(path)
    except NotFound:
        return ()
    return ("DELETE", "GET")


def unmatched_response(req: func.HttpRequest) -> func.HttpResponse:
    """Graph's answer to ``req``, which no operation's route took."""
    ids = request_ids(req.headers)
    try:
        return _answer(req.method.upper(), req.route_params.get("path", ""), ids)
    except GraphError as error:
        return render_error(error, ids)
    except Exception:
        logger.exception("request %s failed with an unexpected error", ids.request_id)
        return render_error(InternalServerError(), ids)


def _answer(method: str, path: str, ids: RequestIds) -> func.HttpResponse:
    allowed = allowed_methods(path)
    shown = _shown(path)
    if not allowed:
        raise NotFound(f"Resource not found for the segment '{shown}'.")
    allow = {"Allow": ", ".join(allowed)}
    if method == "OPTIONS":
        return empty_response(204, ids, allow)
    if method in allowed:
        logger.error(
            "request %s: %s %r reached no operation; did its function fail to load?",
            ids.request_id,
            method,
            shown,
        )
        raise InternalServerError()
    raise MethodNotAllowed(
        f"The method '{method}' is not allowed on '{shown}'; allowed: {allow['Allow']}.",
        headers=allow,
    )


def _shown(path: str) -> str:
    return path if len(path) <= _SHOWN_PATH_LENGTH else path[:_SHOWN_PATH_LENGTH] + "…"
