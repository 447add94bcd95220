"""Signing keys for access tokens: a JWK Set fetched once, cached per process, refreshed.

``KeySource`` is the small interface ``TokenValidator`` needs: the verification key for a
``kid``. ``JwksKeySource`` is the real one (an ``https://`` URL, a loopback ``http://`` URL or
a file path); ``StaticKeySource`` holds a JWK Set in memory (tests, benchmarks).

Errors a key source raises::

    SigningKeyError
    ├── UnknownSigningKey        no usable key has the token's kid (the token is refused: 401)
    └── SigningKeysUnavailable   no keys could ever be loaded (the service cannot judge: 503)

How ``JwksKeySource`` caches:

* keys are fetched on first need; every request waits on at most one fetch;
* concurrent requests share the one in-flight fetch (an ``asyncio.Task``);
* keys older than ``refresh_interval`` are refreshed in the background while the cached
  keys keep answering;
* a ``kid`` not in the cache triggers a refresh, but fetches start at most once per
  ``min_refetch_interval`` (a flood of made-up kids costs one fetch per window);
* a failed fetch keeps the last good keys and is logged; fetches time out after
  ``fetch_timeout`` seconds;
* a refresh keeps the very ``PyJWK`` object of every key it finds unchanged (same ``kid``,
  algorithm and public key), so what was validated with it (``TokenValidator``'s cache of
  validated tokens) stays valid; a removed or replaced key is a new object or none.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import urlsplit, urlunsplit
from urllib.request import url2pathname

import aiohttp
import jwt
from cryptography.hazmat.primitives import serialization

from shared.config import is_loopback_host

logger = logging.getLogger(__name__)

ALLOWED_ALGORITHMS: Final[tuple[str, ...]] = ("RS256",)
"""Signature algorithms accepted for access tokens (what Entra ID signs with)."""

DEFAULT_REFRESH_INTERVAL: Final = 3600.0
DEFAULT_MIN_REFETCH_INTERVAL: Final = 60.0
DEFAULT_FETCH_TIMEOUT: Final = 5.0
MAX_JWKS_BYTES: Final = 1024 * 1024

_KEY_TYPE_FOR: Final[Mapping[str, str]] = {"RS256": "RSA"}


class SigningKeyError(Exception):
    """A verification key could not be provided for a token."""


class UnknownSigningKey(SigningKeyError):
    """No usable signing key has the token's ``kid``."""

    def __init__(self) -> None:
        super().__init__("no usable signing key has the token's key id")


class SigningKeysUnavailable(SigningKeyError):
    """No signing keys could ever be loaded; ``retry_after`` is when the next fetch may start."""

    def __init__(self, reason: str, *, retry_after: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class JwksError(Exception):
    """A JWK Set document could not be fetched or holds no usable signing key."""


class KeySource(Protocol):
    async def signing_key(self, kid: str) -> jwt.PyJWK:
        """The verification key for ``kid``; raise a ``SigningKeyError`` when there is none."""
        ...


def _is_signing_key(entry: Mapping[str, Any]) -> bool:
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid:
        return False
    if entry.get("use", "sig") != "sig":
        return False
    key_ops = entry.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return False
    alg = entry.get("alg")
    if alg is None:
        return entry.get("kty") in _KEY_TYPE_FOR.values()
    return alg in ALLOWED_ALGORITHMS and entry.get("kty") == _KEY_TYPE_FOR[alg]


def parse_jwks(document: object) -> dict[str, jwt.PyJWK]:
    """The usable signing keys of a JWK Set, by ``kid``.

    Keys that are not signing keys for an allowed algorithm (``use: enc``, other key types,
    other ``alg`` values, no ``kid``, too short, unparsable) are skipped; the rest still count.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksError("the document is not a JWK Set (no 'keys' list)")
    entries = [e for e in document["keys"] if isinstance(e, dict) and _is_signing_key(e)]
    if not entries:
        return {}
    try:
        key_set = jwt.PyJWKSet(entries)
    except jwt.PyJWKSetError:
        return {}
    keys: dict[str, jwt.PyJWK] = {}
    for key in key_set:
        if key.algorithm_name not in ALLOWED_ALGORITHMS or key.key_id is None:
            continue
        if key.Algorithm.check_key_length(key.key) is not None:
            continue
        keys.setdefault(key.key_id, key)
    return keys


class StaticKeySource:
    """A fixed JWK Set held in memory."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = parse_jwks(dict(jwks))

    async def signing_key(self, kid: str) -> jwt.PyJWK:
        try:
            return self._keys[kid]
        except KeyError:
            raise UnknownSigningKey() from None


def _location(uri: str) -> str | Path:
    """The URL for http(s), the path for a file; refuse http:// beyond loopback."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "https":
        return uri
    if scheme == "http":
        if not is_loopback_host(parts.hostname):
            raise ValueError("a JWKS URI may use http:// only on loopback; use https://")
        return uri
    if scheme == "file":
        return Path(url2pathname(parts.path)).absolute()
    if "://" in uri:
        raise ValueError("a JWKS URI must be https://, loopback http:// or a file path")
    return Path(uri).expanduser().absolute()


def _display(uri: str) -> str:
    """The URI without user info, query or fragment, for log lines."""
    parts = urlsplit(uri)
    if parts.scheme.lower() not in ("http", "https"):
        return uri
    netloc = parts.hostname or ""
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _read_file(path: Path) -> bytes:
    with path.open("rb") as file:
        data = file.read(MAX_JWKS_BYTES + 1)
    if len(data) > MAX_JWKS_BYTES:
        raise JwksError(f"the JWK Set is larger than {MAX_JWKS_BYTES} bytes")
    return data


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, JwksError):
        return str(error)
    if isinstance(error, json.JSONDecodeError):
        return "the response is not JSON"
    return f"{type(error).__name__}: {error}"


class JwksKeySource:
    """Signing keys from a JWKS URI (https, loopback http, or a file path), cached per process."""

    def __init__(
        self,
        uri: str,
        *,
        refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
        min_refetch_interval: float = DEFAULT_MIN_REFETCH_INTERVAL,
        fetch_timeout: float = DEFAULT_FETCH_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._location = _location(uri)
        self._display_uri = _display(uri)
        self._refresh_interval = refresh_interval
        self._min_refetch_interval = min_refetch_interval
        self._fetch_timeout = fetch_timeout
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._loaded_at = 0.0
        self._attempted_at: float | None = None
        self._last_failure = "no fetch has been attempted"
        self._fetch: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None

    async def signing_key(self, kid: str) -> jwt.PyJWK:
        if self._keys is None:
            if not self._fetch_running():
                if not self._may_fetch():
                    raise self._unavailable()
                self._start_fetch()
            await self._join_fetch()
            if self._keys is None:
                raise self._unavailable()
            return self._lookup(kid)

        key = self._keys.get(kid)
        if key is not None:
            stale = self._clock() - self._loaded_at >= self._refresh_interval
            if stale and not self._fetch_running() and self._may_fetch():
                self._start_fetch()  # in the background; the cached key answers now
            return key

        if not self._fetch_running():
            if not self._may_fetch():
                raise UnknownSigningKey()
            self._start_fetch()
        await self._join_fetch()
        return self._lookup(kid)

    async def aclose(self) -> None:
        """Cancel an in-flight fetch and close the HTTP session."""
        fetch, self._fetch = self._fetch, None
        if fetch is not None and not fetch.done() and fetch.get_loop() is _running_loop():
            fetch.cancel()
            await asyncio.wait([fetch])
        session, self._session = self._session, None
        if session is not None and self._session_loop is _running_loop():
            await session.close()
        self._session_loop = None

    def _lookup(self, kid: str) -> jwt.PyJWK:
        key = (self._keys or {}).get(kid)
        if key is None:
            raise UnknownSigningKey()
        return key

    def _unavailable(self) -> SigningKeysUnavailable:
        waited = 0.0 if self._attempted_at is None else self._clock() - self._attempted_at
        retry_after = max(1, math.ceil(self._min_refetch_interval - waited))
        return SigningKeysUnavailable(
            f"no signing keys could be loaded from {self._display_uri}: {self._last_failure}",
            retry_after=retry_after,
        )

    def _may_fetch(self) -> bool:
        if self._attempted_at is None:
            return True
        return self._clock() - self._attempted_at >= self._min_refetch_interval

    def _fetch_running(self) -> bool:
        fetch = self._fetch
        return fetch is not None and not fetch.done() and fetch.get_loop() is _running_loop()

    def _start_fetch(self) -> None:
        self._attempted_at = self._clock()
        self._fetch = asyncio.get_running_loop().create_task(self._refresh())

    async def _join_fetch(self) -> None:
        if self._fetch is not None:
            # shielded: a caller that goes away does not cancel the fetch the others share
            await asyncio.shield(self._fetch)

    async def _refresh(self) -> None:
        try:
            async with asyncio.timeout(self._fetch_timeout):
                data = await self._download()
            keys = parse_jwks(json.loads(data))
            if not keys:
                raise JwksError("the JWK Set has no usable RS256 signing key")
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError, JwksError) as error:
            self._record_failure(_describe(error))
            return
        except Exception as error:  # a background task must not die unobserved
            logger.exception("Unexpected error loading signing keys from %s", self._display_uri)
            self._record_failure(f"unexpected {type(error).__name__}")
            return
        self._keys = _keep_unchanged(self._keys or {}, keys)
        self._loaded_at = self._clock()
        self._last_failure = "none"
        logger.info("Loaded %s signing keys from %s", len(keys), self._display_uri)

    def _record_failure(self, reason: str) -> None:
        self._last_failure = reason
        if self._keys is None:
            logger.error(
                "No signing keys loaded from %s: %s; tokens get 503 until keys load",
                self._display_uri,
                reason,
            )
        else:
            logger.warning(
                "Could not refresh signing keys from %s: %s; keeping the %s keys loaded before",
                self._display_uri,
                reason,
                len(self._keys),
            )

    async def _download(self) -> bytes:
        if isinstance(self._location, Path):
            return await asyncio.to_thread(_read_file, self._location)
        session = self._client()
        async with session.get(
            self._location, allow_redirects=False, headers={"Accept": "application/json"}
        ) as response:
            if response.status != 200:
                raise JwksError(f"HTTP {response.status}")
            if (response.content_length or 0) > MAX_JWKS_BYTES:
                raise JwksError(f"the JWK Set is larger than {MAX_JWKS_BYTES} bytes")
            # Read to the end, however the body is split into chunks, but never past the cap.
            body = bytearray()
            async for chunk in response.content.iter_chunked(64 * 1024):
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise JwksError(f"the JWK Set is larger than {MAX_JWKS_BYTES} bytes")
        return bytes(body)

    def _client(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            # a session belongs to the loop it was made in; a new loop needs a new session
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._fetch_timeout),
                raise_for_status=False,
            )
            self._session_loop = loop
        return self._session


def _public_bytes(key: jwt.PyJWK) -> bytes:
    public_key = key.key
    return bytes(
        public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _keep_unchanged(
    old: Mapping[str, jwt.PyJWK], new: dict[str, jwt.PyJWK]
) -> dict[str, jwt.PyJWK]:
    """``new``, with the objects of ``old`` where a ``kid`` still has the same key."""
    kept = dict(new)
    for kid, key in new.items():
        before = old.get(kid)
        if (
            before is not None
            and before.algorithm_name == key.algorithm_name
            and _public_bytes(before) == _public_bytes(key)
        ):
            kept[kid] = before
    return kept


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
