"""Storage settings: a connection string or an identity-based endpoint, never both."""

from __future__ import annotations

import pytest
from azure.data.tables import TableClient

from shared.config import (
    DEFAULT_CONNECTION_STRING,
    ConfigError,
    StorageSettings,
    is_loopback_host,
    load_settings,
)
from shared.storage.table_client import create_table_client

AUTH = {"AUTH_AUDIENCES": "api://x", "AUTH_ISSUER": "https://issuer", "AUTH_JWKS_URI": "k.json"}
URI = "https://acct.table.core.windows.net"
CLIENT_ID = "0d9d7c4a-2b8e-4a44-8f6e-7f1c9a3b5d20"
BLOB_URI = "https://acct.blob.core.windows.net"
IDENTITY = {"PHOTOS_STORAGE__tableServiceUri": URI, "PHOTOS_STORAGE__blobServiceUri": BLOB_URI}


def test_default_is_azurite() -> None:
    storage = load_settings(AUTH).storage
    assert storage.connection_string == DEFAULT_CONNECTION_STRING
    assert storage.table_service_uri is None


def test_identity_based_connection() -> None:
    env = {**AUTH, **IDENTITY, "PHOTOS_STORAGE__clientId": CLIENT_ID}
    storage = load_settings(env).storage
    assert (storage.connection_string, storage.table_service_uri) == (None, URI)
    assert storage.blob_service_uri == BLOB_URI
    assert storage.client_id == CLIENT_ID


@pytest.mark.parametrize(
    "missing", ["PHOTOS_STORAGE__tableServiceUri", "PHOTOS_STORAGE__blobServiceUri"]
)
def test_an_identity_based_connection_needs_both_endpoints(missing: str) -> None:
    env = {**AUTH, **IDENTITY}
    del env[missing]
    with pytest.raises(ConfigError, match=f"{missing} is required"):
        load_settings(env)


def test_the_container_name_follows_blob_storage_rules() -> None:
    assert load_settings(AUTH).storage.container_name == "profile-photos"
    assert (
        load_settings({**AUTH, "PHOTOS_CONTAINER_NAME": "pics-1"}).storage.container_name
        == "pics-1"
    )
    for bad in ("Pics", "a", "a--b", "-ab", "ab-", "a_b"):
        with pytest.raises(ConfigError, match="PHOTOS_CONTAINER_NAME"):
            load_settings({**AUTH, "PHOTOS_CONTAINER_NAME": bad})


def test_both_connection_kinds_is_a_start_up_error() -> None:
    env = {**AUTH, "PHOTOS_STORAGE": "UseDevelopmentStorage=true"}
    with pytest.raises(ConfigError, match="PHOTOS_STORAGE and PHOTOS_STORAGE__tableServiceUri"):
        load_settings({**env, **IDENTITY})


def test_client_id_without_endpoint_is_a_start_up_error() -> None:
    with pytest.raises(ConfigError, match="PHOTOS_STORAGE__clientId"):
        load_settings({**AUTH, "PHOTOS_STORAGE__clientId": CLIENT_ID})


def test_endpoint_must_be_a_url() -> None:
    with pytest.raises(ConfigError, match="PHOTOS_STORAGE__tableServiceUri"):
        load_settings({**AUTH, **IDENTITY, "PHOTOS_STORAGE__tableServiceUri": "acct.table.core"})


def test_connection_string_is_masked_in_repr() -> None:
    secret = "AccountKey=c2VjcmV0"
    storage = load_settings({**AUTH, "PHOTOS_STORAGE": f"AccountName=acct;{secret}"}).storage
    assert "c2VjcmV0" not in repr(storage)


# ---- PHOTOS_STORAGE__tableServiceUri: https only ------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "http://acct.table.core.windows.net",
        "http://127.0.0.1:10002/devstoreaccount1",  # the client sends no token over http
        "http://localhost:10002/devstoreaccount1",
        "ftp://acct.table.core.windows.net",
        "https://",
        "https://[::1",
        "//acct.table.core.windows.net",
    ],
)
def test_endpoint_must_be_an_https_url(uri: str) -> None:
    with pytest.raises(ConfigError, match=r"PHOTOS_STORAGE__tableServiceUri must be an https://"):
        load_settings({**AUTH, **IDENTITY, "PHOTOS_STORAGE__tableServiceUri": uri})
    with pytest.raises(ConfigError, match=r"PHOTOS_STORAGE__blobServiceUri must be an https://"):
        load_settings({**AUTH, **IDENTITY, "PHOTOS_STORAGE__blobServiceUri": uri})


@pytest.mark.parametrize(
    "uri", [URI, "HTTPS://acct.table.core.windows.net/", "https://127.0.0.1:10002/devstoreaccount1"]
)
def test_https_endpoints_are_fine(uri: str) -> None:
    env = {**AUTH, **IDENTITY, "PHOTOS_STORAGE__tableServiceUri": uri}
    assert load_settings(env).storage.table_service_uri


def test_the_table_client_sends_no_token_over_http() -> None:
    """Why an http:// endpoint is refused even on loopback: the client would refuse it later."""

    class Credential:
        async def get_token(self, *scopes: str, **kwargs: object) -> object:
            raise AssertionError("not called")

    settings = StorageSettings(
        connection_string=None, table_service_uri="http://127.0.0.1:10002/devstoreaccount1"
    )
    with pytest.raises(ValueError, match="HTTPS"):
        create_table_client(settings, Credential())  # type: ignore[arg-type]


# ---- PHOTOS_STORAGE: a connection string the table client can use ---------------------------

KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
SAS = "sv=2019-02-02&st=2026-01-01T00%3A00%3A00Z&se=2026-01-02T00%3A00%3A00Z&sp=raud&sig=c2VjcmV0"
ENDPOINT = "http://127.0.0.1:10002/devstoreaccount1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("UseDevelopmentStorage=true", "UseDevelopmentStorage=true"),
        ("usedevelopmentstorage=TRUE;", "UseDevelopmentStorage=true"),
        (
            f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={KEY};"
            "EndpointSuffix=core.windows.net",
            f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={KEY};"
            "EndpointSuffix=core.windows.net",
        ),
        (f"AccountName=acct;AccountKey={KEY};", f"AccountName=acct;AccountKey={KEY}"),
        (f" accountname = acct ; ACCOUNTKEY={KEY} ; ", f"accountname=acct;ACCOUNTKEY={KEY}"),
        (
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={KEY};"
            f"TableEndpoint={ENDPOINT};",
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={KEY};"
            f"TableEndpoint={ENDPOINT}",
        ),
        (f"TableEndpoint={ENDPOINT};SharedAccessSignature={SAS}", None),
        (f"AccountName=acct;SharedAccessSignature={SAS}", None),
    ],
)
def test_good_connection_strings(value: str, expected: str | None) -> None:
    connection_string = load_settings({**AUTH, "PHOTOS_STORAGE": value}).storage.connection_string
    assert connection_string == (value if expected is None else expected)
    assert connection_string is not None
    TableClient.from_connection_string(connection_string, table_name="t")  # the client agrees


BAD_CONNECTION_STRINGS = [
    # (id, value)
    ("bare key", KEY),
    ("key only", f"AccountKey={KEY}"),
    ("name only", "AccountName=acct"),
    ("endpoint only", f"TableEndpoint={ENDPOINT}"),
    ("sas only", f"SharedAccessSignature={SAS}"),
    ("endpoint and key, no name", f"TableEndpoint={ENDPOINT};AccountKey={KEY}"),
    ("empty value", f"AccountName=acct;AccountKey=;TableEndpoint={ENDPOINT}"),
    ("empty key", f"AccountName=acct;={KEY}"),
    ("no equals", f"AccountName=acct;{KEY}"),
    ("empty part", f"AccountName=acct;;AccountKey={KEY}"),
    ("duplicate", f"AccountName=acct;AccountKey={KEY};accountkey={KEY}x"),
    ("dev storage with more", f"UseDevelopmentStorage=true;AccountKey={KEY}"),
    ("dev storage false", "UseDevelopmentStorage=false"),
    ("endpoint not a url", f"AccountName=acct;AccountKey={KEY};TableEndpoint=c2VjcmV0"),
    ("endpoint bad ipv6", f"AccountName=acct;AccountKey={KEY};TableEndpoint=http://[c2VjcmV0"),
    ("semicolons only", ";;"),
]


@pytest.mark.parametrize(
    "value",
    [case[1] for case in BAD_CONNECTION_STRINGS],
    ids=[c[0] for c in BAD_CONNECTION_STRINGS],
)
def test_bad_connection_string_is_named_and_not_echoed(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**AUTH, "PHOTOS_STORAGE": value})
    message = str(caught.value)
    assert message.startswith("PHOTOS_STORAGE ") or message.startswith("PHOTOS_STORAGE's ")
    assert "not shown" in message
    for secret in (KEY, KEY[:8], "c2VjcmV0", "acct", ENDPOINT):
        assert secret not in message


@pytest.mark.parametrize(
    "host",
    ["localhost", "LocalHost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1"],
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize(
    "host",
    [
        None,
        "",
        "example.com",
        "localhost.example.com",
        "127.0.0.1.example.com",
        "127.example",
        "10.0.0.1",
        "0.0.0.0",  # noqa: S104 - a host name under test; nothing binds to it
        "::",
        "[::2]",
        "128.0.0.1",
    ],
)
def test_other_hosts_are_not_loopback(host: str | None) -> None:
    assert not is_loopback_host(host)
