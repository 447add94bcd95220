"""DELETE /me/photos/{id} and /users/{user}/photos/{id}: glue to shared.app."""

import azure.functions as func

from shared.app import photo_app


async def main(req: func.HttpRequest) -> func.HttpResponse:
    return await photo_app.delete_photo(req)
