"""``GET /api/openapi.json``: the service's OpenAPI 3.1 document, anonymous.

The document is ``shared/openapi.json``, built by ``python -m devtools.openapi`` and deployed
with the app. It is read once per process and served as it is, with the request ids every
response carries; if it cannot be read, the caller gets Graph's generic ``500`` (``shared.app``).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Final

import azure.functions as func

from shared.graph.conditional import check_accepts_json
from shared.graph.errors import InternalServerError
from shared.graph.responses import RequestIds, common_headers
from shared.routes import Target

DOCUMENT_PATH: Final = Path(__file__).with_name("openapi.json")
CONTENT_TYPE: Final = "application/json; charset=utf-8"

logger = logging.getLogger(__name__)


@functools.cache
def document_bytes(path: Path = DOCUMENT_PATH) -> bytes:
    """The document's bytes, read on first use and kept for the life of the process."""
    return path.read_bytes()


async def openapi_document(
    req: func.HttpRequest, target: Target, ids: RequestIds
) -> func.HttpResponse:
    """The document, with the request ids every response carries."""
    check_accepts_json(req.headers.get("Accept"))
    try:
        body = document_bytes()
    except OSError:
        logger.exception("request %s: cannot read the OpenAPI document", ids.request_id)
        raise InternalServerError() from None
    return func.HttpResponse(
        body=body,
        status_code=200,
        headers={**common_headers(ids), "Content-Type": CONTENT_TYPE},
        mimetype="application/json",
        charset="utf-8",
    )
