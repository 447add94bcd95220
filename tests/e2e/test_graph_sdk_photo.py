"""The photo's bytes through the Microsoft Graph SDK's typed calls (msgraph-sdk), unchanged,
against the dev host on real Azurite: ``me.photo.content.put/get``, ``me.photo.get``,
``users.by_user_id(u).photos`` with the sizes, one size's ``content``, ``me.photo.delete``.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.profile_photo import ProfilePhoto
from msgraph.graph_service_client import GraphServiceClient

from examples.graph_sdk import graph_client, profile_photo
from tests.e2e.conftest import Service, send
from tests.e2e.photo_media import SIZES, jpeg
from tests.tokens import build_access_token

pytestmark = [
    pytest.mark.azurite,
    pytest.mark.filterwarnings("ignore:This class is deprecated:DeprecationWarning"),
]


class SdkUser:
    def __init__(self, service: Service, oid: str) -> None:
        self.oid = oid
        self.token = build_access_token(oid=oid, scp="User.ReadWrite")
        self.http = httpx.AsyncClient()
        self.client: GraphServiceClient = graph_client(service.base_url, self.token, self.http)
        self.base_url = service.base_url


@pytest.fixture
async def sdk(service: Service) -> AsyncIterator[SdkUser]:
    user = SdkUser(service, str(uuid4()))
    try:
        yield user
    finally:
        await user.http.aclose()


async def test_put_get_sizes_and_delete_with_typed_calls(sdk: SdkUser) -> None:
    await sdk.client.me.photo.content.put(jpeg(500, 400))

    photo = await sdk.client.me.photo.get()
    content = await sdk.client.me.photo.content.get()
    direct = send(
        f"{sdk.base_url}/me/photo/$value",
        method="GET",
        headers={"Authorization": f"Bearer {sdk.token}"},
    )
    sizes = await sdk.client.users.by_user_id(sdk.oid).photos.get()
    small = (
        await sdk.client.users.by_user_id(sdk.oid).photos.by_profile_photo_id("96x96").content.get()
    )

    assert isinstance(photo, ProfilePhoto)
    assert (photo.id, photo.height, photo.width) == ("360x360", 360, 360)
    assert content == direct.body and len(content) > 1000
    assert sizes is not None and sizes.value is not None
    assert [p.id for p in sizes.value] == [f"{n}x{n}" for n in SIZES if n <= 400]
    assert small is not None and small[:2] == b"\xff\xd8"
    assert (
        small
        == send(
            f"{sdk.base_url}/me/photos/96x96/$value",
            method="GET",
            headers={"Authorization": f"Bearer {sdk.token}"},
        ).body
    )

    await sdk.client.me.photo.delete()

    with pytest.raises(ODataError) as raised:
        await sdk.client.me.photo.get()
    assert raised.value.response_status_code == 404
    assert raised.value.error is not None and raised.value.error.code == "ImageNotFound"
    with pytest.raises(ODataError) as raised:
        await sdk.client.me.photo.content.get()
    assert raised.value.response_status_code == 404
    assert raised.value.error is not None and raised.value.error.code == "ImageNotFound"


async def test_the_example_sets_reads_and_deletes_the_profile_photo(sdk: SdkUser) -> None:
    out = io.StringIO()

    await profile_photo(sdk.client, jpeg(100, 120), out)

    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["photo", "sizes", "48x48", "deleted"]
    assert lines[0].startswith("photo    96x96: 96x96, ")
    assert lines[1] == "sizes    48x48 64x64 96x96"
    with pytest.raises(ODataError):
        await sdk.client.me.photo.get()
