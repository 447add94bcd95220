"""Storage settings: a connection string or an identity-based endpoint, never both."""

from __future__ import annotations

import pytest

from shared.config import DEFAULT_CONNECTION_STRING, ConfigError, load_settings

AUTH = {"AUTH_AUDIENCES": "api://x", "AUTH_ISSUER": "https://issuer", "AUTH_JWKS_URI": "k.json"}
URI = "https://acct.table.core.windows.net"
CLIENT_ID = "0d9d7c4a-2b8e-4a44-8f6e-7f1c9a3b5d20"


def test_default_is_azurite() -> None:
    storage = load_settings(AUTH).storage
    assert storage.connection_string == DEFAULT_CONNECTION_STRING
    assert storage.table_service_uri is None


def test_identity_based_connection() -> None:
    env = {**AUTH, "PHOTOS_STORAGE__tableServiceUri": URI, "PHOTOS_STORAGE__clientId": CLIENT_ID}
    storage = load_settings(env).storage
    assert (storage.connection_string, storage.table_service_uri) == (None, URI)
    assert storage.client_id == CLIENT_ID


def test_both_connection_kinds_is_a_start_up_error() -> None:
    env = {**AUTH, "PHOTOS_STORAGE": "UseDevelopmentStorage=true"}
    with pytest.raises(ConfigError, match="PHOTOS_STORAGE and PHOTOS_STORAGE__tableServiceUri"):
        load_settings({**env, "PHOTOS_STORAGE__tableServiceUri": URI})


def test_client_id_without_endpoint_is_a_start_up_error() -> None:
    with pytest.raises(ConfigError, match="PHOTOS_STORAGE__clientId"):
        load_settings({**AUTH, "PHOTOS_STORAGE__clientId": CLIENT_ID})


def test_endpoint_must_be_a_url() -> None:
    with pytest.raises(ConfigError, match="PHOTOS_STORAGE__tableServiceUri"):
        load_settings({**AUTH, "PHOTOS_STORAGE__tableServiceUri": "acct.table.core"})


def test_connection_string_is_masked_in_repr() -> None:
    secret = "AccountKey=c2VjcmV0"
    storage = load_settings({**AUTH, "PHOTOS_STORAGE": secret}).storage
    assert secret not in repr(storage)
