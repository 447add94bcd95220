"""POST /me/photos, /users/{user}/photos and their /$ref forms: glue to shared.app."""

import azure.functions as func

from shared.app import photo_app


async def main(req: func.HttpRequest) -> func.HttpResponse:
    return await photo_app.add_photo(req)
