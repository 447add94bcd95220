"""Azurite and the dev host for the end-to-end benchmarks: free ports, throw-away data.

``running_stack`` starts an in-memory Azurite (tables and blobs), a dev issuer, and the dev host
configured for both; ``table_endpoint`` / ``jwks_uri`` let a benchmark put a counting proxy or
a JWKS server in between. ``tokens_for_users`` mints one token per user, as real callers have.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devtools.azurite import AzuriteProcess, connection_string, start_azurite
from devtools.host_process import DevHostProcess, start_dev_host_process
from devtools.token import (
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    DevIssuer,
    TokenRequest,
    ensure_dev_issuer,
    mint,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
BODY = b'{"@odata.type": "#microsoft.graph.profilePhoto", "height": 6, "width": 5}'
HOST_TABLE = "HostPhotos"


@dataclass(frozen=True)
class Storage:
    """The benchmark's Azurite and its dev issuer."""

    azurite: AzuriteProcess
    issuer: DevIssuer
    scratch: Path

    @property
    def connection_string(self) -> str:
        return self.azurite.connection_string

    @property
    def pid(self) -> int:
        if self.azurite.pid is None:
            raise RuntimeError("Azurite is not running")
        return self.azurite.pid


@contextmanager
def running_storage() -> Iterator[Storage]:
    with tempfile.TemporaryDirectory(prefix="graph-photos-bench-") as scratch:
        issuer = ensure_dev_issuer(Path(scratch) / "issuer")
        with start_azurite(
            location=Path(scratch) / "azurite", in_memory=True, blob_port=0
        ) as azurite:
            yield Storage(azurite, issuer, Path(scratch))


def host_environment(
    storage: Storage, *, table_port: int | None = None, jwks_uri: str | None = None
) -> dict[str, str]:
    """The dev host's whole environment: this Azurite (or a proxy on ``table_port``), the dev
    issuer (or ``jwks_uri``), no proxy variables of this shell."""
    azurite = storage.azurite
    if azurite.blob_port is None:
        raise RuntimeError("the benchmark's Azurite serves blobs too")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy") and not key.startswith(("AUTH_", "PHOTOS_"))
    }
    env.update(
        PHOTOS_STORAGE=connection_string(table_port or azurite.port, blob_port=azurite.blob_port),
        PHOTOS_TABLE_NAME=HOST_TABLE,
        AUTH_AUDIENCES=DEFAULT_AUDIENCE,
        AUTH_ISSUER=DEFAULT_ISSUER,
        AUTH_JWKS_URI=jwks_uri or str(storage.issuer.jwks_path),
    )
    return env


@contextmanager
def running_host(env: Mapping[str, str]) -> Iterator[DevHostProcess]:
    with start_dev_host_process(REPO_ROOT, env=env) as host:
        yield host


def tokens_for_users(issuer: DevIssuer, users: int) -> list[str]:
    """One delegated token per user (a new object id and UPN each), valid for the run.

    A process keeps the UPN / object id pair of the first token it sees for each user (one
    sighting read, and an insert for a new UPN): a warm-up that sends every token once leaves
    the measured requests in the steady state."""
    return [
        mint(
            issuer,
            TokenRequest(
                oid=str(uuid.uuid4()), upn=f"user{number}@bench.example", lifetime_minutes=60
            ),
        )
        for number in range(users)
    ]


def post_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
