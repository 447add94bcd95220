"""Any method, any path no other function takes: Graph's 404 / 405; glue to shared.app.

Generated from shared/routes.py by `python -m devtools.functions`; do not edit.
"""

import azure.functions as func

from shared.app import photo_app


async def main(req: func.HttpRequest) -> func.HttpResponse:
    return await photo_app.serve("unmatched_route", req)
