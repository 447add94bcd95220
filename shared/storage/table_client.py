"""The Storage clients: how they connect, their timeouts and their retries.

``create_table_client`` and ``create_container_client`` build the async ``TableClient`` and
blob ``ContainerClient`` for ``StorageSettings`` (a connection string, or an identity-based
connection with a credential); ``shared.storage.table_store`` builds the ``PhotoStore`` on them. The time limits, and why they are what they are, are laid out in
``shared.storage.table_store``'s docstring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from azure.core.credentials_async import AsyncTokenCredential
from azure.data.tables.aio import TableClient

from shared.config import StorageSettings

if TYPE_CHECKING:
    from azure.storage.blob.aio import ContainerClient, ExponentialRetry

# Timeouts and retries. A request must end well inside the Functions HTTP limit (230 s) and,
# better, inside what a Graph client waits (~100 s); we aim for a 503 within 20 s.
CONNECTION_TIMEOUT: Final = 3.0
"""Seconds to open a connection (TCP + TLS); Table Storage in-region answers in milliseconds."""
READ_TIMEOUT: Final = 5.0
"""Seconds of silence on a socket read; an entity insert or point read takes well under 1 s."""
RETRY_TOTAL: Final = 2
"""At most 3 attempts per operation. By itself azure-core retries a POST only after a 500/503/504
response: never after a refused or dropped connection, nor after a lost response, so a stale
pooled connection after a storage restart would cost a 503. Our two POSTs (insert, create
table) are safe to replay, so they are retried like reads (``POST_RETRY_METHODS``): a replayed
insert that had succeeded meets 409 and is recognised by its RequestId; a replayed create meets
TableAlreadyExists."""
RETRY_BACKOFF_FACTOR: Final = 0.5
"""Exponential backoff: 0 s before the 2nd attempt, 1 s before the 3rd."""
RETRY_BACKOFF_MAX: Final = 2
OPERATION_TIMEOUT: Final = 10
"""Absolute seconds for one SDK operation including its retries (azure-core's ``timeout``):
no new attempt starts after it, and a late attempt's connect timeout is cut to what is left.
Worst case per operation: one read timeout past it, ~15 s."""
POST_RETRY_METHODS: Final = frozenset({"POST", "HEAD", "GET", "PUT", "DELETE", "OPTIONS"})
"""azure-core's per-call ``retry_on_methods`` for the insert and create table: POST added."""


USE_ENV_SETTINGS: Final = False
"""azure-core's ``use_env_settings``: False, so the clients' aiohttp session is opened with
``trust_env=False``. With the default (True) aiohttp looks up ``.netrc`` and the proxy
variables in a worker thread on every request (two thread hops per storage call, about a
quarter of the service's CPU per photo). So the storage clients ignore ``HTTP_PROXY`` /
``HTTPS_PROXY`` / ``NO_PROXY`` and ``.netrc``, and reach storage directly; nothing else in
the process changes (the README's "Performance" says the same)."""


def client_options() -> dict[str, Any]:
    """Keyword arguments for a ``TableClient`` or ``ContainerClient``: the timeouts and retries
    above, and no environment lookups (``USE_ENV_SETTINGS``)."""
    return {
        "use_env_settings": USE_ENV_SETTINGS,
        "connection_timeout": CONNECTION_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        "retry_total": RETRY_TOTAL,
        "retry_backoff_factor": RETRY_BACKOFF_FACTOR,
        "retry_backoff_max": RETRY_BACKOFF_MAX,
        "timeout": OPERATION_TIMEOUT,
    }


def blob_retry_policy() -> ExponentialRetry:
    """The blob client's retries, like the table client's: ``RETRY_TOTAL`` retries, each 1 s
    after the last attempt. The blob SDK brings its own retry policy, which ignores
    ``retry_backoff_factor`` and by default waits 15 s, then 18 s: an upload in flight when
    storage restarted waited out the store's whole deadline (and was a 503) instead."""
    from azure.storage.blob.aio import ExponentialRetry

    # the n-th retry waits initial_backoff + increment_base ** n seconds, +/- the jitter
    return ExponentialRetry(
        initial_backoff=0, increment_base=1, retry_total=RETRY_TOTAL, random_jitter_range=0
    )


def default_credential(settings: StorageSettings) -> AsyncTokenCredential:
    """azure-identity's ``DefaultAzureCredential``; the user-assigned managed identity
    ``settings.client_id`` when set. azure-identity is imported here, so only in identity mode."""
    from azure.identity.aio import DefaultAzureCredential

    if settings.client_id:
        return DefaultAzureCredential(managed_identity_client_id=settings.client_id)
    return DefaultAzureCredential()


def create_table_client(
    settings: StorageSettings,
    credential: AsyncTokenCredential | None = None,
    *,
    connection_verify: bool | str = True,
) -> TableClient:
    """The async ``TableClient`` for ``settings``, with the timeouts and retries above.

    A connection string needs no ``credential``; an identity-based connection
    (``table_service_uri``) needs one, which stays the caller's to close
    (``shared.storage.table_store.open_photo_store`` makes one and hands it to the store).
    ``connection_verify`` is azure-core's TLS setting: True, or the path of a CA bundle to
    trust (a test's self-signed certificate).
    """
    options = {**client_options(), "connection_verify": connection_verify}
    endpoint, connection = _connection(settings, settings.table_service_uri, credential)
    if endpoint is not None:
        return TableClient(
            endpoint=endpoint, table_name=settings.table_name, credential=credential, **options
        )
    return TableClient.from_connection_string(connection, table_name=settings.table_name, **options)


def _connection(
    settings: StorageSettings, service_uri: str | None, credential: AsyncTokenCredential | None
) -> tuple[str | None, str]:
    """``(service_uri, "")`` for an identity-based connection (which needs ``credential``), or
    ``(None, connection string)`` (which takes none)."""
    if service_uri is not None:
        if credential is None:
            raise ValueError("an identity-based connection needs a credential")
        return service_uri, ""
    if credential is not None:
        raise ValueError("a credential is only used with an identity-based connection")
    if settings.connection_string is None:
        raise ValueError("StorageSettings needs a connection string or identity-based endpoints")
    return None, settings.connection_string


def create_container_client(
    settings: StorageSettings,
    credential: AsyncTokenCredential | None = None,
    *,
    connection_verify: bool | str = True,
) -> ContainerClient:
    """The async blob ``ContainerClient`` for ``settings``, with the timeouts and retries above.

    Like ``create_table_client``: a connection string (its ``BlobEndpoint``, or the account's
    default one) needs no ``credential``; ``blob_service_uri`` needs one. The blob SDK is
    imported here, on the store's first blob call (``shared.storage.blobs``), not when the app
    is imported or the store opened.
    """
    from azure.storage.blob.aio import ContainerClient

    options = {
        **client_options(),
        "connection_verify": connection_verify,
        "retry_policy": blob_retry_policy(),
    }
    account_url, connection = _connection(settings, settings.blob_service_uri, credential)
    if account_url is not None:
        return ContainerClient(
            account_url=account_url,
            container_name=settings.container_name,
            credential=credential,
            **options,
        )
    return ContainerClient.from_connection_string(
        connection, container_name=settings.container_name, **options
    )
