"""GET /me/photos and /users/{user}/photos ($top, $skiptoken, $select): glue to shared.app."""

import azure.functions as func

from shared.app import photo_app


async def main(req: func.HttpRequest) -> func.HttpResponse:
    return await photo_app.list_photos(req)
