"""GET /openapi.json (anonymous): the OpenAPI document; glue to shared.openapi."""

import azure.functions as func

from shared.openapi import document_response


def main(req: func.HttpRequest) -> func.HttpResponse:
    return document_response(req)
