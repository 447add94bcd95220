"""The identity-based storage connection, for real: Azurite over HTTPS with OAuth.

Azurite's ``--oauth basic`` (HTTPS only) checks a bearer token's audience
(``https://storage.azure.com``), issuer (``https://sts.windows.net/<tenant>/``) and lifetime,
but not its signature. The test's own ``AsyncTokenCredential`` mints such tokens; the store's
client trusts the test's self-signed certificate through ``connection_verify`` only.
"""

from __future__ import annotations

import logging
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import jwt
import pytest
from azure.core.credentials import AccessToken

from devtools.azurite import ACCOUNT_NAME, HOST, AzuriteProcess, start_azurite
from shared.config import StorageSettings
from shared.graph.errors import InternalServerError, ServiceUnavailable
from shared.models import ProfilePhotoIn
from shared.storage.photo_store import Image
from shared.storage.table_client import create_table_client
from shared.storage.table_store import TablePhotoStore, open_photo_store
from shared.storage.transaction import submit_transaction
from tests.python_process import run_python
from tests.self_signed import CertificateFiles, write_self_signed
from tests.store_calls import add_photo

pytestmark = pytest.mark.azurite

USER = "alice@contoso.com"
PHOTO = ProfilePhotoIn(height=6, width=5)
STORAGE_SCOPE = "https://storage.azure.com/.default"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


class AzuriteTokens:
    """An ``AsyncTokenCredential`` whose tokens Azurite's basic OAuth accepts."""

    def __init__(self, audience: str = "https://storage.azure.com") -> None:
        self.audience = audience
        self.scopes: list[tuple[str, ...]] = []
        self.tokens: list[str] = []
        self.closed = False

    async def get_token(self, *scopes: str, **_options: Any) -> AccessToken:
        self.scopes.append(scopes)
        now = int(time.time())
        claims = {
            "aud": self.audience,
            "iss": f"https://sts.windows.net/{TENANT}/",
            "iat": now - 60,
            "nbf": now - 60,
            "exp": now + 3600,
            "oid": str(uuid4()),
            "tid": TENANT,
        }
        token = jwt.encode(claims, "azurite-does-not-check-signatures" * 2, algorithm="HS256")
        self.tokens.append(token)
        return AccessToken(token, now + 3600)

    async def close(self) -> None:
        self.closed = True

    async def __aenter__(self) -> AzuriteTokens:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return write_self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https_azurite(
    tmp_path_factory: pytest.TempPathFactory, certificate: CertificateFiles
) -> Iterator[AzuriteProcess]:
    tls = ["--oauth", "basic", "--cert", str(certificate.cert), "--key", str(certificate.key)]
    azurite = start_azurite(
        location=tmp_path_factory.mktemp("https-azurite"),
        in_memory=True,
        extra_args=tls,
        blob_port=0,
    )
    try:
        yield azurite
    finally:
        azurite.stop()


@pytest.fixture
def identity_settings(https_azurite: AzuriteProcess) -> StorageSettings:
    return StorageSettings(
        connection_string=None,
        table_service_uri=f"https://{HOST}:{https_azurite.port}/{ACCOUNT_NAME}",
        table_name=f"t{uuid4().hex}",
        blob_service_uri=f"https://{HOST}:{https_azurite.blob_port}/{ACCOUNT_NAME}",
    )


@pytest.fixture
async def tokens() -> AsyncIterator[AzuriteTokens]:
    async with AzuriteTokens() as credential:
        yield credential


async def test_writes_and_reads_with_a_token_credential(
    identity_settings: StorageSettings, tokens: AzuriteTokens, certificate: CertificateFiles
) -> None:
    store = open_photo_store(identity_settings, tokens, connection_verify=str(certificate.cert))
    try:
        added = await add_photo(store, USER, USER, PHOTO, request_id="r1")
        assert await store.get(USER, added.id) == added
    finally:
        await store.aclose()
    assert tokens.scopes and set(tokens.scopes) == {(STORAGE_SCOPE,)}


async def test_photo_bytes_go_to_blobs_with_the_same_token_credential(
    identity_settings: StorageSettings, tokens: AzuriteTokens, certificate: CertificateFiles
) -> None:
    store = open_photo_store(identity_settings, tokens, connection_verify=str(certificate.cert))
    image = Image(b"jpeg bytes, as far as storage cares", '"etag-1"', width=48, height=48)
    try:
        profile = await store.set_profile(
            USER, USER, [image], condition=None, request_id="r1", now=datetime.now(UTC)
        )
        media = profile.largest.media
        assert media is not None
        assert await store.read_content(media) == image.data
        assert await store.get_profile(USER) == profile
    finally:
        await store.aclose()
    assert set(tokens.scopes) == {(STORAGE_SCOPE,)}
    assert not tokens.closed  # passed in: the caller's to close


async def test_the_store_closes_a_credential_it_owns(
    identity_settings: StorageSettings, tokens: AzuriteTokens, certificate: CertificateFiles
) -> None:
    table = create_table_client(identity_settings, tokens, connection_verify=str(certificate.cert))
    store = TablePhotoStore(table, credential=tokens)
    await add_photo(store, USER, USER, PHOTO, request_id="r1")
    await store.aclose()
    assert tokens.closed


async def test_a_token_storage_refuses_is_a_logged_server_error(
    identity_settings: StorageSettings,
    certificate: CertificateFiles,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = AzuriteTokens(audience="https://vault.azure.net")
    store = open_photo_store(identity_settings, wrong, connection_verify=str(certificate.cert))
    try:
        with (
            caplog.at_level(logging.ERROR, logger="shared.storage.table_store"),
            pytest.raises(InternalServerError) as caught,
        ):
            await add_photo(store, USER, USER, PHOTO, request_id="r1")
    finally:
        await store.aclose()
    assert caught.value.status == 500
    assert "refused the service's credentials: 403 AuthenticationFailed" in caplog.text
    assert wrong.tokens and not any(token in caplog.text for token in wrong.tokens)
    assert not any(part in caplog.text for token in wrong.tokens for part in token.split("."))


async def test_tls_is_verified(
    identity_settings: StorageSettings, tokens: AzuriteTokens, caplog: pytest.LogCaptureFixture
) -> None:
    """Without the test's CA the self-signed certificate is refused: nothing disables checks."""
    store = open_photo_store(identity_settings, tokens)
    try:
        with pytest.raises(ServiceUnavailable):
            await add_photo(store, USER, USER, PHOTO, request_id="r1")
    finally:
        await store.aclose()
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text


def test_identity_mode_needs_a_credential_and_a_connection_string_none(
    identity_settings: StorageSettings, tokens: AzuriteTokens
) -> None:
    with pytest.raises(ValueError, match="needs a credential"):
        create_table_client(identity_settings)
    with pytest.raises(ValueError, match="only used with an identity"):
        create_table_client(StorageSettings(), tokens)


def _run_python(code: str) -> None:
    run_python("-c", textwrap.dedent(code))


def test_azure_identity_is_imported_only_in_identity_mode() -> None:
    _run_python(
        """
        import asyncio, sys
        from shared.config import StorageSettings
        from shared.storage.table_store import open_photo_store

        async def main():
            from shared.app import build_handlers
            from shared.config import load_settings

            build_handlers(load_settings({
                "AUTH_AUDIENCES": "api://x", "AUTH_ISSUER": "https://i", "AUTH_JWKS_URI": "k.json"
            }))
            store = open_photo_store(StorageSettings())
            assert "azure.identity" not in sys.modules, "imported for a connection string"
            await store.aclose()

            identity = StorageSettings(
                connection_string=None,
                table_service_uri="https://example.table.core.windows.net",
                blob_service_uri="https://example.blob.core.windows.net",
                client_id="0d9d7c4a-2b8e-4a44-8f6e-7f1c9a3b5d20",
            )
            store = open_photo_store(identity)
            assert "azure.identity" in sys.modules
            from azure.identity.aio import DefaultAzureCredential
            assert isinstance(store._credential, DefaultAzureCredential)
            await store.aclose()

        asyncio.run(main())
        """
    )


async def test_a_transaction_goes_through_the_pipeline_with_the_token(
    identity_settings: StorageSettings, tokens: AzuriteTokens, certificate: CertificateFiles
) -> None:
    """``shared.storage.transaction`` sends through the client's pipeline: over HTTPS, with a
    bearer token from the credential, and its answer read back."""
    sent: list[str] = []
    table = create_table_client(identity_settings, tokens, connection_verify=str(certificate.cert))
    async with table:
        await table.create_table()
        row = {"PartitionKey": "p", "RowKey": "r", "N": 1}
        results = await submit_transaction(
            table,
            [("create", row)],
            raw_request_hook=lambda request: sent.append(
                request.http_request.headers["Authorization"]
            ),
        )
        assert (await table.get_entity("p", "r"))["N"] == 1
    assert set(results[0]) == {"etag"}
    assert sent == [f"Bearer {tokens.tokens[-1]}"]
