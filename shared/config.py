"""Settings, read once from the environment into typed objects.

This is the only module that looks at environment variables, and it does so only when
``load_settings`` is called with a mapping (``os.environ`` in the app, a plain dict in tests).
A missing or contradictory setting raises ``ConfigError`` naming the setting; the service
then fails closed.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_CONNECTION_STRING = "UseDevelopmentStorage=true"
DEFAULT_TABLE_NAME = "ProfilePhotos"
DEFAULT_CONTAINER_NAME = "profile-photos"
DEFAULT_PHOTOS_PER_USER_LIMIT = 100
MAX_PHOTOS_PER_USER_LIMIT = 10_000
DEFAULT_CLOCK_SKEW_SECONDS = 300
MAX_CLOCK_SKEW_SECONDS = 3600
DEFAULT_DIRECTORY = "tokens"
DIRECTORY_KINDS = ("tokens", "graph")
DEFAULT_DIRECTORY_GRAPH_URL = "https://graph.microsoft.com"

_TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,62}$")
_CONTAINER_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$")
_NOT_SHOWN = "(its value is not shown: it may hold an account key)"
_TENANT_ID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class ConfigError(Exception):
    """A setting is missing, malformed or contradicts another one."""


def _mask(value: str | None) -> str:
    return "None" if value is None else "'***'"


@dataclass(frozen=True)
class StorageSettings:
    """Where photos are stored: a connection string, or a table endpoint reached with an identity."""

    connection_string: str | None = field(default=DEFAULT_CONNECTION_STRING, repr=False)
    table_service_uri: str | None = None
    client_id: str | None = None
    table_name: str = DEFAULT_TABLE_NAME
    blob_service_uri: str | None = None
    container_name: str = DEFAULT_CONTAINER_NAME
    photos_per_user_limit: int = DEFAULT_PHOTOS_PER_USER_LIMIT

    def __repr__(self) -> str:
        return (
            f"StorageSettings(connection_string={_mask(self.connection_string)}, "
            f"table_service_uri={self.table_service_uri!r}, client_id={self.client_id!r}, "
            f"table_name={self.table_name!r}, blob_service_uri={self.blob_service_uri!r}, "
            f"container_name={self.container_name!r}, "
            f"photos_per_user_limit={self.photos_per_user_limit!r})"
        )


@dataclass(frozen=True)
class AuthSettings:
    """Which tokens are accepted: audiences, issuers, where the signing keys are, clock leeway."""

    audiences: tuple[str, ...]
    issuers: tuple[str, ...]
    jwks_uri: str
    tenant_id: str | None = None
    clock_skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS
    authorization_uri: str | None = None
    """Named in every 401's ``WWW-Authenticate``: the tenant's authorize endpoint in tenant mode;
    None with a custom issuer (its authorize endpoint is its discovery document's business, and
    a path guessed from the issuer would send clients astray)."""


@dataclass(frozen=True)
class DirectorySettings:
    """Where a userPrincipalName is resolved to an object id (``shared.auth.directory``).

    ``kind`` ``tokens``: only from the UPN / object id pairs of validated tokens; ``graph``:
    Microsoft Graph first (``graph_url``, with the app's managed identity), then those pairs.
    """

    kind: str = DEFAULT_DIRECTORY
    graph_url: str = DEFAULT_DIRECTORY_GRAPH_URL


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings
    auth: AuthSettings
    public_base_url: str | None = None
    """``PUBLIC_BASE_URL`` without a trailing ``/``; None: URLs handed back follow the request."""
    directory: DirectorySettings = field(default_factory=DirectorySettings)


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _load_storage(environ: Mapping[str, str]) -> StorageSettings:
    connection_string = _get(environ, "PHOTOS_STORAGE")
    service_uri = _get(environ, "PHOTOS_STORAGE__tableServiceUri")
    client_id = _get(environ, "PHOTOS_STORAGE__clientId")
    blob_uri = _get(environ, "PHOTOS_STORAGE__blobServiceUri")
    table_name = _get(environ, "PHOTOS_TABLE_NAME") or DEFAULT_TABLE_NAME
    if not _TABLE_NAME.match(table_name):
        raise ConfigError(
            "PHOTOS_TABLE_NAME must be 3-63 letters or digits starting with a letter, "
            f"got {table_name!r}"
        )
    limit = _photos_per_user_limit(_get(environ, "PHOTOS_PER_USER_LIMIT"))
    container_name = _get(environ, "PHOTOS_CONTAINER_NAME") or DEFAULT_CONTAINER_NAME
    if not _CONTAINER_NAME.match(container_name) or "--" in container_name:
        raise ConfigError(
            "PHOTOS_CONTAINER_NAME must be 3-63 lower-case letters, digits and single hyphens, "
            f"starting and ending with a letter or digit, got {container_name!r}"
        )
    if service_uri is not None or blob_uri is not None:
        if connection_string is not None:
            raise ConfigError(
                "PHOTOS_STORAGE and PHOTOS_STORAGE__tableServiceUri / __blobServiceUri are both "
                "set; set one: a connection string or identity-based endpoints"
            )
        if service_uri is None or blob_uri is None:
            missing = "tableServiceUri" if service_uri is None else "blobServiceUri"
            raise ConfigError(
                f"PHOTOS_STORAGE__{missing} is required with an identity-based connection: "
                "photos need both the table and the blob endpoint"
            )
        _check_service_uri("PHOTOS_STORAGE__tableServiceUri", service_uri, "table")
        _check_service_uri("PHOTOS_STORAGE__blobServiceUri", blob_uri, "blob")
        return StorageSettings(
            connection_string=None,
            table_service_uri=service_uri,
            client_id=client_id,
            table_name=table_name,
            blob_service_uri=blob_uri,
            container_name=container_name,
            photos_per_user_limit=limit,
        )
    if client_id is not None:
        raise ConfigError(
            "PHOTOS_STORAGE__clientId is set without PHOTOS_STORAGE__tableServiceUri; "
            "the managed identity is only used with an identity-based connection"
        )
    return StorageSettings(
        connection_string=_connection_string(connection_string or DEFAULT_CONNECTION_STRING),
        table_name=table_name,
        container_name=container_name,
        photos_per_user_limit=limit,
    )


def _photos_per_user_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PHOTOS_PER_USER_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PHOTOS_PER_USER_LIMIT:
        raise ConfigError(
            f"PHOTOS_PER_USER_LIMIT must be a whole number from 1 to {MAX_PHOTOS_PER_USER_LIMIT}, "
            f"got {raw!r}"
        )
    return int(raw)


def _scheme_and_host(url: str) -> tuple[str, str | None]:
    """``url``'s scheme (lower-cased) and host; ``("", None)`` when it is no URL at all."""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), parts.hostname
    except ValueError:  # e.g. an unclosed or invalid "[IPv6]" host
        return "", None


def _check_service_uri(setting: str, uri: str, service: str) -> None:
    """https only, loopback included: the Storage clients send the identity's bearer token
    over nothing else (they refuse an http:// endpoint with a token credential)."""
    scheme, host = _scheme_and_host(uri)
    if scheme != "https" or not host:
        raise ConfigError(
            f"{setting} must be an https:// URL "
            f"(e.g. https://<account>.{service}.core.windows.net): the identity's token is only "
            "sent over https, even on loopback; for a local http:// Azurite set PHOTOS_STORAGE "
            "to a connection string instead"
        )


def _connection_string(connection_string: str) -> str:
    """``connection_string`` as Table Storage's client reads it, or ``ConfigError``.

    ``UseDevelopmentStorage=true`` (Azurite), or ``key=value`` parts separated by ``;`` (a
    trailing ``;`` and spaces around parts are fine; keys are case-insensitive, as the client
    reads them) holding a credential, ``AccountName`` with ``AccountKey`` or a
    ``SharedAccessSignature``, and an endpoint, ``TableEndpoint`` or the ``AccountName`` to
    build it from. The result drops the trailing ``;`` and the spaces, which the client would
    take as part of a key. Messages never quote the value: it holds the key.
    """
    trimmed = connection_string.strip().rstrip(";").strip()
    if trimmed.lower() == DEFAULT_CONNECTION_STRING.lower():
        return DEFAULT_CONNECTION_STRING
    parts = [part.split("=", 1) for part in trimmed.split(";")]
    if any(len(part) != 2 or not part[0].strip() or not part[1].strip() for part in parts):
        raise ConfigError(
            "PHOTOS_STORAGE must be UseDevelopmentStorage=true or a connection string of "
            f"key=value parts separated by ';' {_NOT_SHOWN}"
        )
    values = {key.strip().lower(): value.strip() for key, value in parts}
    if len(values) != len(parts):
        raise ConfigError(f"PHOTOS_STORAGE names a key more than once {_NOT_SHOWN}")
    has_key = "accountname" in values and "accountkey" in values
    has_sas = "sharedaccesssignature" in values
    has_endpoint = "tableendpoint" in values or "accountname" in values
    if not (has_key or has_sas) or not has_endpoint:
        raise ConfigError(
            "PHOTOS_STORAGE must hold AccountName and AccountKey, or a SharedAccessSignature "
            f"with AccountName or TableEndpoint {_NOT_SHOWN}"
        )
    endpoint = values.get("tableendpoint")
    if endpoint is not None:
        scheme, host = _scheme_and_host(endpoint)
        if scheme not in ("https", "http") or not host:
            raise ConfigError(
                f"PHOTOS_STORAGE's TableEndpoint must be an https:// or http:// URL {_NOT_SHOWN}"
            )
    return ";".join(f"{key.strip()}={value.strip()}" for key, value in parts)


def _load_auth(environ: Mapping[str, str]) -> AuthSettings:
    audiences_raw = _get(environ, "AUTH_AUDIENCES")
    if audiences_raw is None:
        raise ConfigError(
            "AUTH_AUDIENCES is required: the accepted token audiences, comma-separated"
        )
    audiences = tuple(a.strip() for a in audiences_raw.split(",") if a.strip())
    if not audiences:
        raise ConfigError(
            "AUTH_AUDIENCES is required: the accepted token audiences, comma-separated"
        )

    skew_raw = _get(environ, "AUTH_CLOCK_SKEW_SECONDS")
    skew = DEFAULT_CLOCK_SKEW_SECONDS
    if skew_raw is not None:
        try:
            skew = int(skew_raw)
        except ValueError:
            raise ConfigError(
                f"AUTH_CLOCK_SKEW_SECONDS must be an integer, got {skew_raw!r}"
            ) from None
        if not 0 <= skew <= MAX_CLOCK_SKEW_SECONDS:
            raise ConfigError(
                f"AUTH_CLOCK_SKEW_SECONDS must be between 0 and {MAX_CLOCK_SKEW_SECONDS}"
            )

    tenant = _get(environ, "AUTH_TENANT_ID")
    issuer = _get(environ, "AUTH_ISSUER")
    jwks_uri = _get(environ, "AUTH_JWKS_URI")

    if tenant is not None:
        if issuer is not None or jwks_uri is not None:
            raise ConfigError(
                "AUTH_TENANT_ID cannot be combined with AUTH_ISSUER / AUTH_JWKS_URI; "
                "use the tenant, or a custom issuer and its JWKS"
            )
        if not _TENANT_ID.match(tenant):
            raise ConfigError(f"AUTH_TENANT_ID must be a tenant GUID, got {tenant!r}")
        tenant = tenant.lower()
        return AuthSettings(
            audiences=audiences,
            issuers=(
                f"https://login.microsoftonline.com/{tenant}/v2.0",
                f"https://sts.windows.net/{tenant}/",
            ),
            jwks_uri=f"https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys",
            tenant_id=tenant,
            clock_skew_seconds=skew,
            authorization_uri=f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
        )

    if issuer is None or jwks_uri is None:
        missing = "AUTH_ISSUER" if issuer is None else "AUTH_JWKS_URI"
        raise ConfigError(
            f"{missing} is required: set AUTH_TENANT_ID for Entra ID, "
            "or both AUTH_ISSUER and AUTH_JWKS_URI for another issuer"
        )
    _check_jwks_uri(jwks_uri)
    return AuthSettings(
        audiences=audiences,
        issuers=(issuer,),
        jwks_uri=jwks_uri,
        clock_skew_seconds=skew,
    )


def is_loopback_host(host: str | None) -> bool:
    """Whether ``host`` (a URL's host name, as ``urlsplit(url).hostname`` gives it) is this machine.

    ``localhost`` (any case), and any loopback IP address: ``127.0.0.0/8``, ``::1`` (bracketed
    or not). The one place that decides where plain ``http://`` is allowed.
    """
    if not host:
        return False
    name = host.lower()
    if name == "localhost":
        return True
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _check_jwks_uri(uri: str) -> None:
    lower = uri.lower()
    if lower.startswith("https://"):
        return
    if lower.startswith("http://"):
        if is_loopback_host(_scheme_and_host(uri)[1]):
            return
        raise ConfigError("AUTH_JWKS_URI may use http:// only on loopback; use https://")
    if "://" in lower and not lower.startswith("file://"):
        raise ConfigError(
            "AUTH_JWKS_URI must be an https:// URL, a loopback http:// URL or a file path"
        )


def _load_public_base_url(environ: Mapping[str, str]) -> str | None:
    """``PUBLIC_BASE_URL``: an absolute ``https://`` or ``http://`` URL, no query or fragment."""
    url = _get(environ, "PUBLIC_BASE_URL")
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # an invalid port or "[IPv6]" host
        parts, port_ok = None, False
    if (
        parts is None
        or not port_ok
        or parts.scheme.lower() not in ("https", "http")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
        or "?" in url
        or "#" in url
        or any(character.isspace() for character in url)
    ):
        raise ConfigError(
            "PUBLIC_BASE_URL must be an absolute https:// or http:// URL without user info, "
            "query or fragment (e.g. https://photos.contoso.com/api), "
            f"got {url[:100]!r}"
        )
    return url.rstrip("/")


def _load_directory(environ: Mapping[str, str]) -> DirectorySettings:
    kind = (_get(environ, "DIRECTORY") or DEFAULT_DIRECTORY).lower()
    if kind not in DIRECTORY_KINDS:
        raise ConfigError(
            f"DIRECTORY must be 'tokens' or 'graph', got {_get(environ, 'DIRECTORY')!r}"
        )
    graph_url = (_get(environ, "DIRECTORY_GRAPH_URL") or DEFAULT_DIRECTORY_GRAPH_URL).rstrip("/")
    scheme, host = _scheme_and_host(graph_url)
    if not host or not (scheme == "https" or (scheme == "http" and is_loopback_host(host))):
        raise ConfigError(
            "DIRECTORY_GRAPH_URL must be an https:// URL (http:// only on loopback), "
            f"got {graph_url!r}"
        )
    return DirectorySettings(kind=kind, graph_url=graph_url)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build the typed settings from ``environ``; raise ``ConfigError`` naming any bad setting."""
    return Settings(
        storage=_load_storage(environ),
        auth=_load_auth(environ),
        public_base_url=_load_public_base_url(environ),
        directory=_load_directory(environ),
    )


def load_process_settings() -> Settings:
    """The settings of this process: its environment (app settings in Azure, local.settings.json locally)."""
    return load_settings(os.environ)
