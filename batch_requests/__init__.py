"""POST /$batch: glue to shared.app.

Generated from shared/routes.py by `python -m devtools.functions`; do not edit.
"""

import azure.functions as func

from shared.app import photo_app

max_request_body_bytes = 25165824
"""The dev host refuses a larger declared body unread (the app answers 413 as well)."""

on_host_shutdown = photo_app.aclose
"""The dev host awaits this once when it stops: the app's sessions are closed."""


async def main(req: func.HttpRequest) -> func.HttpResponse:
    return await photo_app.serve("batch_requests", req)
