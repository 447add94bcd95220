"""The operations: one method per operation name of the route table (``shared.routes``).

Each takes the request, what its path names (``Target``) and the request ids, and walks
forward: authenticate → resolve the user and authorize → parse and validate → decide (e.g. the
photo id) → one store call → render. Failures are ``GraphError``s raised where they are found;
``shared.app`` renders them, in one place.

- ``photos``  the photo entities: add, list, get, delete
- ``media``   the photo's bytes: the profile photo and its sizes, an added photo's bytes
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import azure.functions as func

from shared.graph.responses import RequestIds
from shared.operations.media import MediaOperations
from shared.operations.photos import PhotoOperations, decide_new_photo
from shared.routes import Target

__all__ = ["Operation", "PhotoHandlers", "decide_new_photo"]


class PhotoHandlers(PhotoOperations, MediaOperations):
    """Every operation, over a token validator and a photo store handed in."""


Operation = Callable[
    [PhotoHandlers, func.HttpRequest, Target, RequestIds], Awaitable[func.HttpResponse]
]
