"""The Microsoft Graph beta SDK (``msgraph-beta-sdk``, which spells ``client.me()``) against the
service's ``…/api/beta`` base URL, through the dev host: the typed photo calls, unchanged."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from urllib.parse import urlsplit
from uuid import uuid4

import httpx
import pytest
from kiota_abstractions.authentication import BaseBearerTokenAuthenticationProvider
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_beta.graph_request_adapter import GraphRequestAdapter
from msgraph_beta.graph_request_adapter import options as beta_middleware_options
from msgraph_beta.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory
from PIL import Image

from examples.graph_sdk import StaticTokenProvider
from tests.e2e.conftest import Service
from tests.tokens import build_access_token

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
async def client(service: Service) -> AsyncIterator[GraphServiceClient]:
    base_url = f"{service.base_url}/beta"
    token = build_access_token(oid=str(uuid4()))
    provider = StaticTokenProvider(token, [urlsplit(base_url).hostname or ""])
    async with httpx.AsyncClient() as http:
        transport = GraphClientFactory.create_with_default_middleware(
            client=http, options=beta_middleware_options
        )
        adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(provider), transport)
        adapter.base_url = base_url
        yield GraphServiceClient(request_adapter=adapter)


def _jpeg(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), (120, 30, 200)).save(out, "JPEG")
    return out.getvalue()


async def test_set_read_and_delete_the_profile_photo(client: GraphServiceClient) -> None:
    await client.me().photo.content.put(_jpeg(100))

    photo = await client.me().photo.get()
    content = await client.me().photo.content.get()
    listing = await client.me().photos.get()
    await client.me().photo.delete()

    assert photo is not None and (photo.id, photo.height, photo.width) == ("96x96", 96, 96)
    assert content is not None and Image.open(io.BytesIO(content)).size == (96, 96)
    assert listing is not None and [p.id for p in listing.value or []] == [
        "48x48",
        "64x64",
        "96x96",
    ]
    with pytest.raises(ODataError) as raised:
        await client.me().photo.get()
    assert raised.value.response_status_code == 404
