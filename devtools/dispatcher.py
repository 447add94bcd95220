"""The dev host's request handler: checks a request as Kestrel and the Functions host do,
answers CORS preflights, and hands the rest to the matching function.

For each request, in order: a head over the limits or with a bad ``Host`` is refused
(``devtools.request_limits``); a preflight from an allowed origin is answered ``204``
(``devtools.cors``); no matching route is a JSON ``404``; a declared ``Content-Length`` over
the function's limit is ``413`` before anything is read; the body is read within the limits;
the function runs (``async def main`` on the loop, ``def main`` in the thread pool) and its
``HttpResponse`` is converted (``devtools.http_conversion``). Responses to an allowed origin
carry the CORS headers. One console line per request.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from datetime import UTC, datetime
from http import HTTPStatus

from aiohttp import web

from devtools.cors import CorsPolicy, add_vary_origin
from devtools.functions_app import FunctionsApp, LoadedFunction
from devtools.http_conversion import build_function_request, build_web_response, request_url
from devtools.http_server import HostLimits, plain_refusal
from devtools.request_limits import BodyRefused, head_refusal, read_body
from devtools.routing import decode_request_path

logger = logging.getLogger("devtools.host")

Console = Callable[[str], None]

_HOST = "(host)"


class Dispatcher:
    def __init__(
        self,
        functions_app: FunctionsApp,
        *,
        executor: Executor,
        console: Console,
        limits: HostLimits,
        cors: CorsPolicy,
    ) -> None:
        self._routes = functions_app.route_table
        self._functions = {function.name: function for function in functions_app.functions}
        self._executor = executor
        self._console = console
        self._limits = limits
        self._cors = cors

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        started = time.perf_counter()
        path = request.raw_path.split("?", 1)[0]
        name, status = _HOST, 500
        try:
            name, response = await self._respond(request)
            status = response.status
            return response
        finally:
            elapsed = round((time.perf_counter() - started) * 1000)
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
            line = f"[{stamp}] {name}: {request.method} {path} -> {status} ({elapsed} ms)"
            self._console(line.encode("utf-8", "backslashreplace").decode("utf-8"))

    async def _respond(self, request: web.BaseRequest) -> tuple[str, web.Response]:
        path = request.raw_path.split("?", 1)[0]
        refusal = head_refusal(request, self._limits)
        if refusal is not None:
            return _HOST, plain_refusal(refusal)
        origin = request.headers.get("Origin")
        preflight = self._cors.preflight_headers(
            request.method,
            origin,
            request.headers.get("Access-Control-Request-Method"),
            request.headers.get("Access-Control-Request-Headers"),
        )
        if preflight is not None:
            response = web.Response(status=HTTPStatus.NO_CONTENT, headers=preflight)
            response.headers["Vary"] = "Origin"
            return f"{_HOST} CORS preflight", response
        found = self._routes.match(request.method, decode_request_path(request.raw_path))
        if found is None:
            name, response = "(no function)", _not_found(request.method, path)
        else:
            name = found.route.function_name
            response = await self._invoke(self._functions[name], request, found.values)
        self._add_cors_headers(response, origin)
        return name, response

    def _add_cors_headers(self, response: web.Response, origin: str | None) -> None:
        headers = self._cors.response_headers(origin)
        if headers:
            response.headers.update(headers)
            response.headers["Vary"] = add_vary_origin(response.headers.get("Vary"))

    async def _invoke(
        self, function: LoadedFunction, request: web.BaseRequest, route_values: Mapping[str, str]
    ) -> web.Response:
        host_limit = self._limits.max_body_bytes
        limit = host_limit
        if function.max_request_body_bytes is not None:
            limit = min(limit, function.max_request_body_bytes)
        declared = request.content_length
        if declared is not None and declared > host_limit:
            return plain_refusal(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        # Over the function's own limit (but not the host's): the function answers, in its own
        # format, from the declared length or the first limit + 1 bytes; the rest is never read.
        over_limit = declared is not None and declared > limit
        body = b""
        if not over_limit:
            try:
                body = await read_body(
                    request.content,
                    limit=limit,
                    min_rate=self._limits.min_body_rate,
                    grace=self._limits.min_body_rate_grace,
                )
            except BodyRefused as refused:
                if refused.status != HTTPStatus.REQUEST_ENTITY_TOO_LARGE or limit == host_limit:
                    return plain_refusal(refused.status)
                over_limit, body = True, refused.received
        response = await self._call(function, request, route_values, body)
        if over_limit:
            response.force_close()  # the unread rest of the body must not become a request
        return response

    async def _call(
        self,
        function: LoadedFunction,
        request: web.BaseRequest,
        route_values: Mapping[str, str],
        body: bytes,
    ) -> web.Response:
        func_request = build_function_request(
            method=request.method,
            url=request_url(request),
            headers=request.headers.items(),
            body=body,
            route_params=route_values,
        )
        arguments = {function.definition.trigger.param_name: func_request}
        try:
            if function.is_async:
                result = await function.main(**arguments)
            else:
                call = functools.partial(function.main, **arguments)
                result = await asyncio.get_running_loop().run_in_executor(self._executor, call)
            return build_web_response(result)
        except Exception:
            logger.exception("Executed 'Functions.%s' (Failed)", function.name)
            return web.Response(
                status=500, text=f"Exception while executing function: Functions.{function.name}"
            )


def _not_found(method: str, path: str) -> web.Response:
    message = f"No function matches {method} {path}."
    return web.json_response({"error": {"code": "NotFound", "message": message}}, status=404)
