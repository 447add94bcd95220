"""JwksKeySource against a JWK Set served over real HTTP on loopback, fetches counted."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web

from shared.auth.signing_keys import (
    MAX_JWKS_BYTES,
    JwksKeySource,
    SigningKeysUnavailable,
    UnknownSigningKey,
)
from shared.auth.tokens import TokenValidator
from shared.graph.errors import InvalidAuthenticationToken, ServiceUnavailable
from tests import tokens
from tests.tokens import FakeClock, JwksServer, bearer

WINDOW = 60.0
REFRESH = 3600.0


@pytest.fixture
async def server() -> AsyncIterator[JwksServer]:
    async with JwksServer() as served:
        yield served


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make_source(clock: FakeClock) -> AsyncIterator[Callable[..., JwksKeySource]]:
    made: list[JwksKeySource] = []

    def make(uri: str, **options: float) -> JwksKeySource:
        options = {"refresh_interval": REFRESH, "min_refetch_interval": WINDOW, **options}
        source = JwksKeySource(uri, clock=clock, **options)
        made.append(source)
        return source

    yield make
    for source in made:
        await source.aclose()


async def _flood(validator: TokenValidator, count: int) -> list[BaseException | object]:
    calls = [validator.validate(bearer(tokens.build_random_kid_token())) for _ in range(count)]
    return await asyncio.gather(*calls, return_exceptions=True)


async def test_keys_are_fetched_on_first_need_and_cached(
    server: JwksServer, make_source: Callable[..., JwksKeySource]
) -> None:
    source = make_source(server.url)
    assert server.requests == 0
    validator = TokenValidator(tokens.tenant_settings(), source)
    for _ in range(20):
        await validator.validate(bearer(tokens.build_access_token()))
    assert server.requests == 1


async def test_concurrent_first_requests_share_one_fetch(
    server: JwksServer, make_source: Callable[..., JwksKeySource]
) -> None:
    server.delay = 0.1
    validator = TokenValidator(tokens.tenant_settings(), make_source(server.url))
    token = bearer(tokens.build_access_token())
    principals = await asyncio.gather(*(validator.validate(token) for _ in range(50)))
    assert {p.object_id for p in principals} == {tokens.USER_OID}
    assert server.requests == 1


async def test_flood_of_random_kids_costs_one_fetch_per_window(
    server: JwksServer, make_source: Callable[..., JwksKeySource], clock: FakeClock
) -> None:
    validator = TokenValidator(tokens.tenant_settings(), make_source(server.url))
    await validator.validate(bearer(tokens.build_access_token()))
    assert server.requests == 1

    # same window as the first fetch: no fetch at all
    results = await _flood(validator, 200)
    assert server.requests == 1

    # a new window: 200 concurrent then 200 sequential random kids cost exactly one fetch
    clock.advance(WINDOW)
    server.delay = 0.05
    results += await _flood(validator, 200)
    for _ in range(200):
        with pytest.raises(InvalidAuthenticationToken):
            await validator.validate(bearer(tokens.build_random_kid_token()))
    assert server.requests == 2

    clock.advance(WINDOW)
    results += await _flood(validator, 200)
    assert server.requests == 3

    assert len(results) == 600
    for result in results:
        assert isinstance(result, InvalidAuthenticationToken)
        assert result.message == "Access token is signed with an unknown key."
    # the real key still works throughout
    await validator.validate(bearer(tokens.build_access_token()))
    assert server.requests == 3


async def test_rotated_key_is_accepted_after_one_refresh(
    server: JwksServer, make_source: Callable[..., JwksKeySource], clock: FakeClock
) -> None:
    validator = TokenValidator(tokens.tenant_settings(), make_source(server.url))
    await validator.validate(bearer(tokens.build_access_token()))
    server.rotate(tokens.signing_key(), tokens.rotated_key())
    clock.advance(WINDOW)
    principal = await validator.validate(bearer(tokens.build_rotated_key_token()))
    assert principal.object_id == tokens.USER_OID
    assert server.requests == 2


async def test_rotated_key_within_the_window_waits_for_the_next_one(
    server: JwksServer, make_source: Callable[..., JwksKeySource], clock: FakeClock
) -> None:
    validator = TokenValidator(tokens.tenant_settings(), make_source(server.url))
    await validator.validate(bearer(tokens.build_access_token()))
    server.rotate(tokens.rotated_key())
    clock.advance(WINDOW / 2)
    with pytest.raises(InvalidAuthenticationToken, match="unknown key"):
        await validator.validate(bearer(tokens.build_rotated_key_token()))
    assert server.requests == 1
    clock.advance(WINDOW / 2)
    await validator.validate(bearer(tokens.build_rotated_key_token()))
    assert server.requests == 2


async def test_periodic_refresh_happens_in_the_background(
    server: JwksServer, make_source: Callable[..., JwksKeySource], clock: FakeClock
) -> None:
    source = make_source(server.url)
    await source.signing_key(tokens.signing_key().kid)
    server.rotate(tokens.rotated_key())
    server.delay = 0.2
    clock.advance(REFRESH)
    started = time.perf_counter()
    await source.signing_key(tokens.signing_key().kid)  # cached key answers at once
    assert time.perf_counter() - started < 0.1
    await source.signing_key(tokens.rotated_key().kid)  # joins the running refresh
    assert server.requests == 2
    with pytest.raises(UnknownSigningKey):
        await source.signing_key(tokens.signing_key().kid)


async def test_endpoint_down_with_cached_keys_still_validates(
    server: JwksServer,
    make_source: Callable[..., JwksKeySource],
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    validator = TokenValidator(tokens.tenant_settings(), make_source(server.url))
    token = bearer(tokens.build_access_token())
    await validator.validate(token)
    server.down = True
    clock.advance(REFRESH)
    with caplog.at_level(logging.WARNING):
        await validator.validate(token)  # starts a refresh that fails
        with pytest.raises(InvalidAuthenticationToken, match="unknown key"):
            await validator.validate(bearer(tokens.build_random_kid_token()))  # joins it
    assert server.requests == 2
    assert "HTTP 503" in caplog.text
    assert "keeping the 1 keys loaded before" in caplog.text
    clock.advance(WINDOW)
    assert (await validator.validate(token)).object_id == tokens.USER_OID


async def test_endpoint_down_without_keys_is_503(
    server: JwksServer,
    make_source: Callable[..., JwksKeySource],
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.down = True
    validator = TokenValidator(tokens.tenant_settings(), make_source(server.url))
    token = bearer(tokens.build_access_token())
    with caplog.at_level(logging.ERROR), pytest.raises(ServiceUnavailable) as caught:
        await validator.validate(token)
    assert caught.value.status == 503
    assert caught.value.headers["Retry-After"] == str(int(WINDOW))
    assert "HTTP 503" in caplog.text
    assert token.split()[1] not in caplog.text
    for _ in range(10):  # throttled: no fetch per request while down
        with pytest.raises(ServiceUnavailable):
            await validator.validate(token)
    assert server.requests == 1
    server.down = False
    clock.advance(WINDOW)
    assert (await validator.validate(token)).object_id == tokens.USER_OID
    assert server.requests == 2


async def test_connection_refused_is_503(make_source: Callable[..., JwksKeySource]) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    source = make_source(f"http://127.0.0.1:{port}/keys")
    with pytest.raises(SigningKeysUnavailable, match="Connect"):
        await source.signing_key("any")


async def test_fetch_times_out(
    server: JwksServer, make_source: Callable[..., JwksKeySource]
) -> None:
    server.delay = 5
    source = make_source(server.url, fetch_timeout=0.2)
    started = time.perf_counter()
    with pytest.raises(SigningKeysUnavailable, match="timed out"):
        await source.signing_key(tokens.signing_key().kid)
    assert time.perf_counter() - started < 2


async def test_enc_keys_are_skipped(
    server: JwksServer, make_source: Callable[..., JwksKeySource]
) -> None:
    server.document = {
        "keys": [tokens.rotated_key().public_jwk(use="enc"), tokens.signing_key().public_jwk()]
    }
    validator = TokenValidator(tokens.tenant_settings(), make_source(server.url))
    assert (await validator.validate(bearer(tokens.build_access_token()))).object_id
    with pytest.raises(InvalidAuthenticationToken, match="unknown key"):
        await validator.validate(bearer(tokens.build_rotated_key_token()))


async def test_non_json_response_is_503(
    server: JwksServer, make_source: Callable[..., JwksKeySource]
) -> None:
    server.raw_body = b"<html>oops</html>"
    with pytest.raises(SigningKeysUnavailable, match="not JSON"):
        await make_source(server.url).signing_key("any")


async def test_aclose_is_idempotent(
    server: JwksServer, make_source: Callable[..., JwksKeySource]
) -> None:
    source = make_source(server.url)
    await source.signing_key(tokens.signing_key().kid)
    await source.aclose()
    await source.aclose()


class _ChunkedJwks:
    """A JWK Set sent in small pieces with pauses between them (no Content-Length)."""

    def __init__(self, body: bytes, piece: int = 4096) -> None:
        self.body = body
        self.piece = piece
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(self.body), self.piece):
            await response.write(self.body[start : start + self.piece])
            await asyncio.sleep(0.01)
        await response.write_eof()
        return response

    async def __aenter__(self) -> _ChunkedJwks:
        app = web.Application()
        app.router.add_get("/keys", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/keys"
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def _large_jwks() -> bytes:
    """The signing key among many others, with certificate chains: ~40 KB, like Entra's."""
    document = tokens.jwks(tokens.rotated_key(), tokens.signing_key())
    filler = [
        {**tokens.evil_key().public_jwk(), "kid": f"other-{n}", "x5c": ["A" * 2000]}
        for n in range(16)
    ]
    document["keys"] = filler + document["keys"]
    return json.dumps(document).encode()


async def test_a_jwks_sent_in_many_chunks_is_read_to_the_end(
    make_source: Callable[..., JwksKeySource],
) -> None:
    body = _large_jwks()
    assert len(body) > 30_000
    async with _ChunkedJwks(body) as served:
        validator = TokenValidator(tokens.tenant_settings(), make_source(served.url))
        principal = await validator.validate(bearer(tokens.build_access_token()))
    assert principal.object_id == tokens.USER_OID


async def test_a_jwks_over_the_size_cap_is_refused_even_without_content_length(
    make_source: Callable[..., JwksKeySource], caplog: pytest.LogCaptureFixture
) -> None:
    body = b'{"keys": [' + b" " * (MAX_JWKS_BYTES + 10) + b"]}"
    async with _ChunkedJwks(body, piece=256 * 1024) as served:
        validator = TokenValidator(tokens.tenant_settings(), make_source(served.url))
        with caplog.at_level(logging.ERROR), pytest.raises(ServiceUnavailable):
            await validator.validate(bearer(tokens.build_access_token()))
    assert "larger than" in caplog.text


async def test_a_refresh_keeps_unchanged_keys_as_the_same_objects(
    server: JwksServer, make_source: Callable[..., JwksKeySource], clock: FakeClock
) -> None:
    server.rotate(tokens.signing_key(), tokens.retired_key())
    source = make_source(server.url)
    kept = await source.signing_key(tokens.signing_key().kid)
    server.document = {
        "keys": [
            tokens.signing_key().public_jwk(),
            {**tokens.evil_key().public_jwk(), "kid": tokens.retired_key().kid},
        ]
    }
    clock.advance(WINDOW)
    with pytest.raises(UnknownSigningKey):
        await source.signing_key("not-published")  # waits for the refresh it starts
    assert server.requests == 2
    assert await source.signing_key(tokens.signing_key().kid) is kept
    replaced = await source.signing_key(tokens.retired_key().kid)
    assert (
        replaced.key.public_numbers() == tokens.evil_key().private_key.public_key().public_numbers()
    )


async def test_a_cached_token_is_refused_once_a_refresh_removes_its_key(
    server: JwksServer, make_source: Callable[..., JwksKeySource], clock: FakeClock
) -> None:
    server.rotate(tokens.signing_key(), tokens.retired_key())
    validator = TokenValidator(tokens.tenant_settings(), make_source(server.url))
    retired = bearer(tokens.build_retired_key_token())
    current = bearer(tokens.build_access_token())
    await validator.validate(retired)
    kept = await validator.validate(current)
    server.rotate(tokens.signing_key())
    clock.advance(WINDOW)
    with pytest.raises(InvalidAuthenticationToken, match="unknown key"):
        await validator.validate(bearer(tokens.build_random_kid_token()))  # the refresh
    assert server.requests == 2
    with pytest.raises(InvalidAuthenticationToken, match="unknown key"):
        await validator.validate(retired)
    assert await validator.validate(current) is kept  # its key did not change
    assert server.requests == 2
