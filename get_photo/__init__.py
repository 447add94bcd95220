"""GET /me/photos/{id} and /users/{user}/photos/{id} ($select): glue to shared.app."""

import azure.functions as func

from shared.app import photo_app


async def main(req: func.HttpRequest) -> func.HttpResponse:
    return await photo_app.get_photo(req)
