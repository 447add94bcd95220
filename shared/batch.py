"""``POST /$batch``: Graph's JSON batching, served in process through the route table.

The batch needs only a valid body (``shared.graph.batch``); each item is routed with
``shared.routes`` to the function the host would hand it to, as an ``azure.functions.HttpRequest``
with the route values the host would give, and answered by the same ``PhotoApp.serve`` as any
request (never over HTTP to itself), with the batch's own ``Authorization`` (an item's own is
replaced). Items without ``dependsOn`` run concurrently; an item waits for what it depends on,
and one whose dependency answered ``>= 400`` is ``424 FailedDependency`` without running. One
failing item fails only itself; the batch is ``200`` with every answer, in the order sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import azure.functions as func

from shared.graph.batch import BatchItem, item_answer, parse_batch
from shared.graph.conditional import check_accepts_json
from shared.graph.errors import FailedDependency
from shared.graph.responses import RequestIds, json_response, render_error, request_ids
from shared.graph.urls import service_root
from shared.routes import FALLBACK_FUNCTION, NoRoute, Target, match

Serve = Callable[[str, func.HttpRequest], Awaitable[func.HttpResponse]]
"""``PhotoApp.serve``: the answer to a request the host handed to a function."""


def item_request(
    item: BatchItem, root: str, authorization: str | None
) -> tuple[str, func.HttpRequest]:
    """The function the host would hand ``item`` to, and the request it would get."""
    found = match(item.method, item.path)
    if isinstance(found, NoRoute):
        function, route_params = FALLBACK_FUNCTION, {"path": item.path}
    else:
        function, route_params = found.route.function, {"target": item.path}
    headers = {k: v for k, v in item.headers.items() if k.lower() != "authorization"}
    if authorization is not None:
        headers["Authorization"] = authorization
    request = func.HttpRequest(
        item.method,
        f"{root}/{item.raw_path}",
        headers=headers,
        params=item.query,
        route_params=route_params,
        body=item.body,
    )
    return function, request


async def serve_batch(
    req: func.HttpRequest, target: Target, ids: RequestIds, serve: Serve
) -> func.HttpResponse:
    """The batch's ``200`` with each item's answer."""
    check_accepts_json(req.headers.get("Accept"))
    items = parse_batch(req.headers.get("Content-Type"), req.get_body(), version=target.version)
    root = service_root(req.url, req.route_params.get("target", ""))
    authorization = req.headers.get("Authorization")
    answers: dict[str, asyncio.Task[func.HttpResponse]] = {}

    async def answer(item: BatchItem) -> func.HttpResponse:
        item_ids = request_ids(item.headers)
        if item.problem is not None:
            return render_error(item.problem, item_ids)
        for dependency in item.depends_on:
            if (await answers[dependency]).status_code >= 400:
                failed = FailedDependency(
                    f"Request '{item.id}' depends on '{dependency}', which failed."
                )
                return render_error(failed, item_ids)
        return await serve(*item_request(item, root, authorization))

    for item in items:
        answers[item.id] = asyncio.ensure_future(answer(item))
    responses = await asyncio.gather(*answers.values())
    body = {
        "responses": [item_answer(item.id, r) for item, r in zip(items, responses, strict=True)]
    }
    return json_response(200, body, ids)
