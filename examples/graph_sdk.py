"""Use graph-photos from the Microsoft Graph SDK for Python (``msgraph-sdk``).

Start the service (``./scripts/run-local``), then, in another terminal at the repository root::

    .venv/bin/python examples/graph_sdk.py --token "$(.venv/bin/python -m devtools.token)"
    .venv/bin/python examples/graph_sdk.py --token "…" --photo photo.jpg   # the photo itself too

The SDK's request adapter gets the service as its base URL and a bearer token from a
``StaticTokenProvider`` (kiota's ``BaseBearerTokenAuthenticationProvider`` asks it for the token;
it hands the token only to the service's host). The example adds a photo, reads the photos
back with the SDK's typed calls, shows an error as the SDK's ``ODataError``, and deletes the
photo again. The SDK has no typed methods for the beta draft "Add photos" operation or for
deleting a photo, so those two go through the SDK's own adapter as a ``RequestInformation``.
With ``--photo``, it also sets the profile photo, reads it back in two sizes and deletes it,
all with the SDK's typed calls (``me.photo.content.put``, ``me.photo.get``, …).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import httpx
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.profile_photo import ProfilePhoto
from msgraph.generated.users.item.photos.photos_request_builder import PhotosRequestBuilder
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_request_adapter import options as graph_middleware_options
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory

DEFAULT_BASE_URL = "http://127.0.0.1:7071/api"
ERRORS: dict[str, Any] = {"XXX": ODataError}  # any 4xx or 5xx answer parses as an ODataError


class StaticTokenProvider(AccessTokenProvider):
    """One bearer token, handed out only for URLs on ``allowed_hosts``."""

    def __init__(self, token: str, allowed_hosts: list[str]) -> None:
        self._token = token
        self._hosts = AllowedHostsValidator(allowed_hosts)

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] | None = None
    ) -> str:
        return self._token if self._hosts.is_url_host_valid(uri) else ""

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._hosts


def graph_client(base_url: str, token: str, http: httpx.AsyncClient) -> GraphServiceClient:
    """A ``GraphServiceClient`` that talks to graph-photos at ``base_url`` (``…/api``).

    ``http`` gets the SDK's default middleware (retries, redirects, ``/me`` handling); the
    caller owns it and closes it.
    """
    host = urlsplit(base_url).hostname or ""
    auth = BaseBearerTokenAuthenticationProvider(StaticTokenProvider(token, [host]))
    transport = GraphClientFactory.create_with_default_middleware(
        client=http, options=graph_middleware_options
    )
    adapter = GraphRequestAdapter(auth, client=transport)
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter)


async def add_photo(photos: PhotosRequestBuilder, photo: ProfilePhoto) -> ProfilePhoto:
    """POST ``photo`` to a photos collection (``client.me.photos`` or ``….by_user_id(u).photos``)."""
    request = RequestInformation(Method.POST, photos.url_template, photos.path_parameters)
    request.headers.try_add("Accept", "application/json")
    request.set_content_from_parsable(photos.request_adapter, "application/json", photo)
    added: ProfilePhoto | None = await photos.request_adapter.send_async(
        request, ProfilePhoto, ERRORS
    )
    if added is None:
        raise RuntimeError("the service answered without a photo")
    return added


async def delete_photo(photos: PhotosRequestBuilder, photo_id: str) -> None:
    """DELETE one photo of a photos collection."""
    item = photos.by_profile_photo_id(photo_id)
    request = RequestInformation(Method.DELETE, item.url_template, item.path_parameters)
    await photos.request_adapter.send_no_response_content_async(request, ERRORS)


async def run(client: GraphServiceClient, out: TextIO) -> None:
    """Add, list, get, fail and delete, writing what happens to ``out``."""
    photos = client.me.photos
    added = await add_photo(photos, ProfilePhoto(height=96, width=64))
    out.write(f"added    {added.id}: {added.height}x{added.width}\n")

    listing = await photos.get()
    for photo in listing.value if listing and listing.value else []:
        out.write(f"listed   {photo.id}: {photo.height}x{photo.width}\n")

    if added.id is None:
        raise RuntimeError("the added photo has no id")
    fetched = await photos.by_profile_photo_id(added.id).get()
    if fetched is not None:
        out.write(f"fetched  {fetched.id}: {fetched.height}x{fetched.width}\n")

    try:
        await photos.by_profile_photo_id("no-such-photo").get()
    except ODataError as error:
        main_error = error.error
        code = main_error.code if main_error else None
        inner = main_error.inner_error if main_error else None
        request_id = inner.request_id if inner else None
        out.write(f"error    {error.response_status_code} {code} (request-id {request_id})\n")

    await delete_photo(photos, added.id)
    out.write(f"deleted  {added.id}\n")


async def profile_photo(client: GraphServiceClient, image: bytes, out: TextIO) -> None:
    """Set the profile photo to ``image``, read it back (largest size and 96x96), delete it."""
    await client.me.photo.content.put(image)
    photo = await client.me.photo.get()
    if photo is None:
        raise RuntimeError("the service answered without the photo's metadata")
    largest = await client.me.photo.content.get() or b""
    out.write(f"photo    {photo.id}: {photo.width}x{photo.height}, {len(largest)} bytes\n")
    listing = await client.me.photos.get()
    sizes = [p.id for p in (listing.value if listing and listing.value else []) if p.id]
    out.write(f"sizes    {' '.join(sizes)}\n")
    small = await client.me.photos.by_profile_photo_id("48x48").content.get() or b""
    out.write(f"48x48    {len(small)} bytes\n")
    await client.me.photo.delete()
    out.write("deleted  the profile photo\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL, help="the service's …/api URL")
    parser.add_argument("--token", required=True, help="a bearer token (python -m devtools.token)")
    parser.add_argument("--photo", type=Path, help="an image to set as the profile photo")
    args = parser.parse_args(argv)
    image = args.photo.read_bytes() if args.photo else None
    raise SystemExit(asyncio.run(_main(args.base_url, args.token, image)))


async def _main(base_url: str, token: str, image: bytes | None) -> int:
    async with httpx.AsyncClient() as http:
        client = graph_client(base_url, token, http)
        try:
            await run(client, sys.stdout)
            if image is not None:
                await profile_photo(client, image, sys.stdout)
        except ODataError as error:
            detail = error.error
            code, message = (detail.code, detail.message) if detail else (None, None)
            sys.stderr.write(f"failed: {error.response_status_code} {code}: {message}\n")
            return 1
    return 0


if __name__ == "__main__":
    main()
