"""Writes the reference pages of ``docs/`` from the code that enforces them.

    python -m devtools.docs           write what is out of date
    python -m devtools.docs --check   exit 1 if a page is out of date; write nothing

Each page in ``docs/reference/`` is built from one source and says so on its first line:

- ``routes.md`` from ``shared.routes.ROUTES`` (method, path, operation, token or anonymous);
- ``permissions.md`` from ``shared.auth.permissions`` (scopes and roles per action) and the
  action each operation of ``shared.operations`` checks;
- ``errors.md`` from the ``GraphError`` subclasses of ``shared.graph.errors``, with the "when"
  column from ``ERROR_CASES`` below: a subclass without an entry stops the generator;
- ``limits.md`` from the constants of ``shared`` (``devtools.doc_limits``);
- ``settings.md`` from ``SETTINGS`` below, with the defaults of ``shared.config``: a setting
  ``shared.config`` reads that ``SETTINGS`` does not describe stops the generator.

The hand-written pages of ``docs/`` explain the contract and link to these for the tables. A
page in ``docs/reference/`` that the generator does not make is reported as stale.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

from devtools.doc_limits import limits_page
from devtools.doc_pages import (
    error_classes,
    errors_page,
    permissions_page,
    routes_page,
    settings_page,
)
from devtools.generated_files import generator_main
from shared.config import (
    DEFAULT_CLOCK_SKEW_SECONDS,
    DEFAULT_CONNECTION_STRING,
    DEFAULT_CONTAINER_NAME,
    DEFAULT_DIRECTORY,
    DEFAULT_DIRECTORY_GRAPH_URL,
    DEFAULT_PHOTOS_PER_USER_LIMIT,
    DEFAULT_TABLE_NAME,
)

ROOT: Final = Path(__file__).resolve().parents[1]
REFERENCE: Final = ROOT / "docs" / "reference"

ERROR_CASES: Final[Mapping[str, str]] = {
    "BadRequest": "the body is empty, not UTF-8, not JSON, not an object, or breaks a property "
    "rule (the message names the property); a bad query option, `$skiptoken` or "
    "`Idempotency-Key`; `/me` with an app-only token; an id too long to store; a `{user}` "
    "that is neither an object id (a GUID) nor a userPrincipalName by Entra's rules",
    "InvalidAuthenticationToken": "no token, not the Bearer scheme, or a token that is "
    "malformed, too large, badly signed, expired, not yet valid, or for another audience, "
    'issuer or tenant; `WWW-Authenticate: Bearer` says which (`error="invalid_token"` when '
    "a token was sent)",
    "AuthorizationRequestDenied": "the token is valid but grants none of the scopes or roles "
    "the action needs",
    "QuotaLimitReached": "the user already has `PHOTOS_PER_USER_LIMIT` photos added by POST "
    "(sizes of the profile photo do not count); delete one to add another",
    "NotFound": "no such photo for that user; a path the service does not serve",
    "RequestResourceNotFound": "`/users/{upn}` names a userPrincipalName that no source knows: "
    "not the caller's own, not in Microsoft Graph (`DIRECTORY=graph`), not in a validated token "
    "the service has seen",
    "ImageNotFound": "no profile photo, no such size, or a photo added by POST whose bytes "
    "were never put (`ResourceNotFound`'s kin, with Graph's own code)",
    "MethodNotAllowed": "a method the path does not serve, or a write to a size (sizes are "
    "read-only); `Allow` lists the methods that are served",
    "NotAcceptable": "an `Accept` that admits nothing the resource is served as: "
    "`application/json` for the JSON resources, `application/xml` for `$metadata`, "
    "`image/jpeg` or `application/octet-stream` for `$value`",
    "PreconditionFailed": "`If-Match` on a photo write or delete names another ETag than the "
    "photo's, or there is no photo yet",
    "Conflict": "the body's `id` is already a photo of that user",
    "RequestEntityTooLarge": "the request body is over the limit",
    "UnsupportedMediaType": "for JSON bodies: no `Content-Type`, not `application/json`, or a "
    "charset other than UTF-8; for photo bytes: JSON or text instead of an image",
    "UnprocessableEntity": "an `Idempotency-Key` already used by that user with another body",
    "FailedDependency": "a `$batch` item whose `dependsOn` names an item that answered `>= 400`; "
    "it does not run",
    "InternalServerError": "the service is misconfigured, storage or Microsoft Graph refuses "
    "the service's own credentials (Graph: the identity lacks `User.Read.All`), or anything "
    "unexpected; the message is generic and the `request-id` "
    "finds the logged cause",
    "ServiceUnavailable": "storage is unreachable, too slow or throttling, no signing keys "
    "could be loaded, or Microsoft Graph (`DIRECTORY=graph`) is unreachable or throttling; `Retry-After` says when to try again (whole seconds)",
}
"""When each ``GraphError`` subclass is raised, by class name (the errors table's last column)."""

SETTINGS: Final[Mapping[str, tuple[str, str]]] = {
    "PHOTOS_STORAGE": (
        "Storage connection string (tables and blobs): `UseDevelopmentStorage=true`, or "
        "`AccountName` with `AccountKey` or a `SharedAccessSignature`, plus `TableEndpoint` / "
        "`BlobEndpoint` where needed",
        f"`{DEFAULT_CONNECTION_STRING}` (Azurite on this machine)",
    ),
    "PHOTOS_STORAGE__tableServiceUri": (
        "an identity-based connection instead: the table endpoint, `https://` only, reached "
        "with azure-identity's `DefaultAzureCredential`; not together with `PHOTOS_STORAGE`",
        "—",
    ),
    "PHOTOS_STORAGE__blobServiceUri": (
        "with `PHOTOS_STORAGE__tableServiceUri`: the blob endpoint for the photos' bytes, "
        "`https://` only, reached with the same credential",
        "— (required in identity mode)",
    ),
    "PHOTOS_STORAGE__clientId": (
        "the client id of the user-assigned managed identity for the identity-based connection",
        "— (the credential's own choice)",
    ),
    "PHOTOS_TABLE_NAME": (
        "the table's name: letters and digits, starting with a letter",
        f"`{DEFAULT_TABLE_NAME}`",
    ),
    "PHOTOS_PER_USER_LIMIT": (
        "photos added by POST that one user may have (exact under concurrency)",
        str(DEFAULT_PHOTOS_PER_USER_LIMIT),
    ),
    "PHOTOS_CONTAINER_NAME": (
        "the blob container of the photos' bytes: 3-63 lower-case letters, digits and single "
        "hyphens",
        f"`{DEFAULT_CONTAINER_NAME}`",
    ),
    "DIRECTORY": (
        "where `/users/{upn}` finds the user's object id: `tokens` (the UPN / object id pairs of "
        "validated delegated tokens the service has seen, kept in the table) or `graph` "
        "(Microsoft Graph with the app's managed identity, which needs the `User.Read.All` "
        "application permission; then the tokens seen)",
        f"`{DEFAULT_DIRECTORY}`",
    ),
    "DIRECTORY_GRAPH_URL": (
        "with `DIRECTORY=graph`: Microsoft Graph's base URL (a national cloud's, or a test "
        "double's); `https://` only, `http://` on loopback",
        f"`{DEFAULT_DIRECTORY_GRAPH_URL}`",
    ),
    "AUTH_AUDIENCES": ("the accepted `aud` values, comma-separated", "required"),
    "AUTH_TENANT_ID": (
        "an Entra ID tenant (a GUID): its v1 and v2 issuers, keys from its JWKS, `tid` must "
        "match; not together with `AUTH_ISSUER` / `AUTH_JWKS_URI`",
        "— (then both of those are required)",
    ),
    "AUTH_ISSUER": ("the one accepted `iss` of any other issuer", "—"),
    "AUTH_JWKS_URI": (
        "that issuer's keys: an `https://` URL, a loopback `http://` URL or a file path",
        "—",
    ),
    "AUTH_CLOCK_SKEW_SECONDS": (
        "leeway, in seconds, on `exp` and `nbf`",
        str(DEFAULT_CLOCK_SKEW_SECONDS),
    ),
    "PUBLIC_BASE_URL": (
        "the base URL clients use when a gateway stands in front (an absolute `https://` or "
        "`http://` URL, no query or fragment): it replaces scheme, host and route prefix in "
        "`@odata.context`, `Location` and `@odata.nextLink`; the request's `v1.0` / `beta` "
        "segment is appended to it",
        "— (URLs follow the request)",
    ),
}
"""Every setting ``shared.config`` reads: its meaning and its default."""


def expected_files() -> dict[Path, str]:
    """Every generated page and its text."""
    pages: dict[str, Callable[[], str]] = {
        "routes.md": routes_page,
        "permissions.md": permissions_page,
        "errors.md": lambda: errors_page(ERROR_CASES, error_classes()),
        "limits.md": limits_page,
        "settings.md": lambda: settings_page(SETTINGS),
    }
    return {REFERENCE / name: build() for name, build in pages.items()}


def stale_pages(expected: Mapping[Path, str]) -> list[str]:
    """A line for each page in ``docs/reference/`` that the generator does not make."""
    return [
        f"{path.name} in docs/reference/ is not generated any more: remove it"
        for path in sorted(REFERENCE.glob("*.md"))
        if path not in expected
    ]


def main(argv: Sequence[str] | None = None) -> int:
    return generator_main(
        argv,
        prog="python -m devtools.docs",
        description=__doc__,
        root=ROOT,
        expected=expected_files,
        stale=stale_pages,
    )


if __name__ == "__main__":
    sys.exit(main())
