"""The Microsoft Graph SDK for Python (msgraph-sdk) against the service, through the dev host.

The SDK runs unchanged: its own request adapter, middleware and models, with the base URL set
to the dev host and a static bearer token (``examples.graph_sdk``, the README's example, which
this file therefore also tests). Every test that takes ``user`` runs against each base URL:
``…/api``, ``…/api/v1.0`` and ``…/api/beta``; ``msgraph-beta-sdk`` runs against ``…/api/beta``.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime
from uuid import UUID, uuid4

import httpx
import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.profile_photo import ProfilePhoto
from msgraph.generated.users.item.photos.photos_request_builder import PhotosRequestBuilder

from examples.graph_sdk import StaticTokenProvider, add_photo, delete_photo, graph_client, run
from tests.e2e.conftest import Service
from tests.tokens import build_access_token

# msgraph's generated request builders warn about their own deprecated classes on first use
pytestmark = pytest.mark.filterwarnings("ignore:This class is deprecated:DeprecationWarning")


BASE_URL_PREFIXES = ("", "/v1.0", "/beta")


class User:
    """A fresh delegated user and an SDK client holding their token, at ``…/api`` + ``prefix``."""

    def __init__(self, service: Service, scp: str = "User.ReadWrite", prefix: str = "") -> None:
        self.oid = str(uuid4())
        self.http = httpx.AsyncClient()
        self.base_url = service.base_url + prefix
        token = build_access_token(oid=self.oid, scp=scp)
        self.client = graph_client(self.base_url, token, self.http)

    @property
    def photos(self) -> PhotosRequestBuilder:
        return self.client.users.by_user_id(self.oid).photos

    async def add(self, photo_id: str | None = None, height: int = 6, width: int = 5) -> str:
        added = await add_photo(self.photos, ProfilePhoto(id=photo_id, height=height, width=width))
        assert added.id is not None
        return added.id

    async def aclose(self) -> None:
        await self.http.aclose()


@pytest.fixture(params=BASE_URL_PREFIXES, ids=["api", "v1.0", "beta"])
async def user(service: Service, request: pytest.FixtureRequest) -> AsyncIterator[User]:
    user = User(service, prefix=request.param)
    try:
        yield user
    finally:
        await user.aclose()


async def test_add_returns_a_parsed_profile_photo(user: User) -> None:
    added = await add_photo(user.photos, ProfilePhoto(height=96, width=64))

    assert isinstance(added, ProfilePhoto)
    assert added.id is not None and UUID(added.id)
    assert added.additional_data["@odata.context"].startswith(f"{user.base_url}/$metadata#")
    assert (added.height, added.width) == (96, 64)
    assert added.odata_type == "#microsoft.graph.profilePhoto"


async def test_typed_list_parses_profile_photos_in_creation_order(user: User) -> None:
    ids = [await user.add("z", 1, 2), await user.add("a/b#c", 3, 4), await user.add(None, 5, 6)]

    listing = await user.photos.get()

    assert listing is not None and listing.value is not None
    assert all(isinstance(photo, ProfilePhoto) for photo in listing.value)
    assert [(p.id, p.height, p.width) for p in listing.value] == [
        (ids[0], 1, 2),
        (ids[1], 3, 4),
        (ids[2], 5, 6),
    ]
    assert listing.odata_next_link is None


async def test_me_works_like_the_users_form(user: User) -> None:
    photo_id = await user.add("mine")
    listing = await user.client.me.photos.get()
    assert listing is not None and [p.id for p in listing.value or []] == [photo_id]
    photo = await user.client.me.photos.by_profile_photo_id(photo_id).get()
    assert photo is not None and photo.id == photo_id


async def test_paging_with_top_and_next_links(user: User) -> None:
    ids = [await user.add(f"p{n}") for n in (3, 1, 2)]
    top = PhotosRequestBuilder.PhotosRequestBuilderGetQueryParameters(top=2, select=["id"])
    first = await user.photos.get(RequestConfiguration(query_parameters=top))
    assert first is not None and first.odata_next_link is not None
    assert first.odata_next_link.startswith(f"{user.base_url}/users/{user.oid}/photos?")

    rest = await user.photos.with_url(first.odata_next_link).get()

    assert rest is not None and rest.odata_next_link is None
    pages = [first.value or [], rest.value or []]
    assert [[p.id for p in page] for page in pages] == [ids[:2], ids[2:]]
    assert all(p.height is None for page in pages for p in page)  # $select=id


@pytest.mark.parametrize("photo_id", ["p1", "a/b#c?d", "50%off é"])
async def test_typed_get_parses_the_stored_photo(user: User, photo_id: str) -> None:
    await user.add(photo_id, 300, 200)

    photo = await user.photos.by_profile_photo_id(photo_id).get()

    assert isinstance(photo, ProfilePhoto)
    assert (photo.id, photo.height, photo.width) == (photo_id, 300, 200)


async def test_delete_through_the_adapter(user: User) -> None:
    photo_id = await user.add("gone")
    await delete_photo(user.photos, photo_id)
    listing = await user.photos.get()
    assert listing is not None and listing.value == []


def assert_odata_error(error: ODataError, status: int, code: str, message: str) -> None:
    assert error.response_status_code == status
    assert error.error is not None
    assert (error.error.code, error.error.message) == (code, message)
    inner = error.error.inner_error
    assert inner is not None
    headers = error.response_headers or {}
    assert inner.request_id == headers["request-id"] and UUID(inner.request_id)
    # msgraph-core sends a client-request-id on every request; the service echoes it
    assert inner.client_request_id == headers["client-request-id"]
    assert isinstance(inner.date, datetime)


async def test_not_found_is_an_odata_error(user: User) -> None:
    with pytest.raises(ODataError) as raised:
        await user.photos.by_profile_photo_id("missing").get()
    assert_odata_error(raised.value, 404, "ResourceNotFound", "The photo 'missing' was not found.")


async def test_forbidden_is_an_odata_error(service: Service, user: User) -> None:
    reader = User(service, scp="User.Read")
    try:
        with pytest.raises(ODataError) as raised:
            await reader.client.users.by_user_id(user.oid).photos.get()
    finally:
        await reader.aclose()
    assert_odata_error(
        raised.value,
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )


async def test_bad_request_is_an_odata_error(user: User) -> None:
    with pytest.raises(ODataError) as raised:
        await add_photo(user.photos, ProfilePhoto(height=0, width=5))
    assert raised.value.response_status_code == 400
    assert raised.value.error is not None and raised.value.error.code == "BadRequest"

    top = PhotosRequestBuilder.PhotosRequestBuilderGetQueryParameters(top=1000)
    with pytest.raises(ODataError) as raised:
        await user.photos.get(RequestConfiguration(query_parameters=top))
    assert_odata_error(
        raised.value,
        400,
        "BadRequest",
        "Invalid value '1000' for $top: it must be an integer from 1 to 999.",
    )


async def test_no_token_is_an_odata_error(service: Service) -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(ODataError) as raised:
            await graph_client(service.base_url, "", http).me.photos.get()
    assert_odata_error(raised.value, 401, "InvalidAuthenticationToken", "Access token is empty.")


async def test_the_token_goes_only_to_the_allowed_host() -> None:
    provider = StaticTokenProvider("t0ken", ["127.0.0.1"])
    assert await provider.get_authorization_token("http://127.0.0.1:7071/api/me/photos") == "t0ken"
    assert await provider.get_authorization_token("https://graph.microsoft.com/v1.0/me") == ""


async def test_the_readme_example_runs(service: Service) -> None:
    out = io.StringIO()
    async with httpx.AsyncClient() as http:
        token = build_access_token(oid=str(uuid4()))
        await run(graph_client(service.base_url, token, http), out)
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["added", "listed", "fetched", "error", "deleted"]
    assert lines[0].endswith(": 96x64")
    assert "404 ResourceNotFound" in lines[3]
