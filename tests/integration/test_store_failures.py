"""Storage refusing the service's own credentials is the service's fault: a logged 500."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from devtools.azurite import ACCOUNT_KEY, connection_string
from shared.config import StorageSettings
from shared.graph.errors import InternalServerError
from shared.models import ProfilePhotoIn
from shared.storage.table_store import open_photo_store
from tests.conftest import AzuriteEndpoint
from tests.store_calls import add_photo

pytestmark = pytest.mark.azurite

USER = "alice@contoso.com"
PHOTO = ProfilePhotoIn(height=6, width=5)
WRONG_KEY = base64.b64encode(b"not the account key, 32 bytes!!!").decode()


async def test_a_wrong_account_key_is_a_logged_server_error(
    azurite: AzuriteEndpoint, table_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    if ACCOUNT_KEY not in azurite.connection_string:
        pytest.skip("needs the development account's connection string")
    wrong = azurite.connection_string.replace(ACCOUNT_KEY, WRONG_KEY)
    store = open_photo_store(StorageSettings(connection_string=wrong, table_name=table_name))
    try:
        with (
            caplog.at_level(logging.ERROR, logger="shared.storage.table_store"),
            pytest.raises(InternalServerError) as caught,
        ):
            await add_photo(store, USER, USER, PHOTO, request_id="r1")
    finally:
        await store.aclose()
    assert caught.value.status == 500
    assert "refused the service's credentials: 403" in caplog.text
    assert WRONG_KEY not in caplog.text and ACCOUNT_KEY not in caplog.text


@pytest.fixture
async def refusing_storage() -> AsyncIterator[int]:
    """A loopback server that answers every request 401 InvalidAuthenticationInfo."""

    async def refuse(_request: web.Request) -> web.Response:
        return web.json_response(
            {"odata.error": {"code": "InvalidAuthenticationInfo", "message": {"value": "no"}}},
            status=401,
            headers={"x-ms-error-code": "InvalidAuthenticationInfo"},
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def test_unauthorized_is_a_logged_server_error(
    refusing_storage: int, caplog: pytest.LogCaptureFixture
) -> None:
    settings = StorageSettings(connection_string=connection_string(refusing_storage))
    store = open_photo_store(settings)
    try:
        with caplog.at_level(logging.ERROR), pytest.raises(InternalServerError):
            await add_photo(store, USER, USER, PHOTO, request_id="r1")
    finally:
        await store.aclose()
    assert "refused the service's credentials: 401 InvalidAuthenticationInfo" in caplog.text
