"""The validated-token cache: hits, expiry by the injected clock, keys that change, bounds."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from shared.auth.signing_keys import KeySource, UnknownSigningKey, parse_jwks
from shared.auth.tokens import TokenValidator
from shared.graph.errors import InvalidAuthenticationToken
from tests import tokens
from tests.tokens import FakeClock, bearer

LEEWAY = 300


class _MutableKeys:
    """A key source whose JWK Set a test changes (as a JWKS refresh would)."""

    def __init__(self, *keys: tokens.TestKey) -> None:
        self.keys = parse_jwks(tokens.jwks(*keys))

    def publish(self, *keys: tokens.TestKey) -> None:
        self.keys = parse_jwks(tokens.jwks(*keys))

    async def signing_key(self, kid: str) -> jwt.PyJWK:
        try:
            return self.keys[kid]
        except KeyError:
            raise UnknownSigningKey() from None


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=float(int(time.time())))


def _token(clock: FakeClock, *, lifetime: int = 3600, **claims: Any) -> str:
    now = int(clock.now)
    return bearer(
        tokens.build_access_token(iat=now - 60, nbf=now - 60, exp=now + lifetime, **claims)
    )


def _validator(
    clock: FakeClock, keys: KeySource | None = None, *, cache_size: int = 10_000
) -> TokenValidator:
    source = keys if keys is not None else _MutableKeys(tokens.signing_key())
    return TokenValidator(tokens.tenant_settings(), source, clock=clock, cache_size=cache_size)


async def test_a_repeated_token_is_answered_from_the_cache(clock: FakeClock) -> None:
    validator, token = _validator(clock), _token(clock)
    first = await validator.validate(token)
    assert await validator.validate(token) is first
    assert await validator.validate(token.replace("Bearer", "bearer")) is first


async def test_a_cached_token_expires_with_its_exp_plus_the_leeway(clock: FakeClock) -> None:
    validator, token = _validator(clock), _token(clock, lifetime=60)
    first = await validator.validate(token)
    clock.advance(60 + LEEWAY - 1)
    assert await validator.validate(token) is first
    clock.advance(1)
    with pytest.raises(InvalidAuthenticationToken, match="expired"):
        await validator.validate(token)


async def test_the_clock_decides_exp_without_a_cache_too(clock: FakeClock) -> None:
    token = _token(clock, lifetime=60)
    clock.advance(60 + LEEWAY)
    with pytest.raises(InvalidAuthenticationToken, match="expired"):
        await _validator(clock, cache_size=0).validate(token)


async def test_a_clock_stepping_back_before_nbf_refuses_the_cached_token(
    clock: FakeClock,
) -> None:
    validator, token = _validator(clock), _token(clock)
    await validator.validate(token)
    clock.advance(-(60 + LEEWAY + 1))
    with pytest.raises(InvalidAuthenticationToken, match="not yet valid"):
        await validator.validate(token)


async def test_a_removed_key_ends_its_cached_tokens(clock: FakeClock) -> None:
    keys = _MutableKeys(tokens.signing_key(), tokens.retired_key())
    validator = _validator(clock, keys)
    token = bearer(tokens.build_retired_key_token())
    await validator.validate(token)
    keys.publish(tokens.signing_key())
    with pytest.raises(InvalidAuthenticationToken, match="unknown key"):
        await validator.validate(token)


async def test_a_replaced_key_under_the_same_kid_ends_its_cached_tokens(
    clock: FakeClock,
) -> None:
    keys = _MutableKeys(tokens.signing_key())
    validator, token = _validator(clock, keys), _token(clock)
    await validator.validate(token)
    keys.publish(tokens.evil_key())  # the same kid, another key
    with pytest.raises(InvalidAuthenticationToken, match="signature is invalid"):
        await validator.validate(token)


async def test_the_same_key_republished_keeps_nothing_stale(clock: FakeClock) -> None:
    keys = _MutableKeys(tokens.signing_key())
    validator, token = _validator(clock, keys), _token(clock)
    first = await validator.validate(token)
    keys.publish(tokens.signing_key())  # new objects, same key: validated again, accepted
    again = await validator.validate(token)
    assert again == first
    assert again is not first


async def test_refused_tokens_are_not_cached(clock: FakeClock) -> None:
    keys = _MutableKeys(tokens.signing_key())
    validator = _validator(clock, keys)
    token = bearer(tokens.build_rotated_key_token())
    with pytest.raises(InvalidAuthenticationToken, match="unknown key"):
        await validator.validate(token)
    keys.publish(tokens.signing_key(), tokens.rotated_key())
    assert (await validator.validate(token)).object_id == tokens.USER_OID


async def test_the_cache_is_bounded_least_recently_used_first(clock: FakeClock) -> None:
    validator = _validator(clock, cache_size=2)
    first, second, third = (_token(clock) for _ in range(3))
    kept = await validator.validate(first)
    dropped = await validator.validate(second)
    assert await validator.validate(first) is kept  # first is now the most recent
    await validator.validate(third)  # evicts second
    assert await validator.validate(first) is kept
    assert await validator.validate(second) is not dropped


async def test_cache_size_zero_turns_the_cache_off(clock: FakeClock) -> None:
    validator, token = _validator(clock, cache_size=0), _token(clock)
    assert await validator.validate(token) is not await validator.validate(token)


async def test_a_principal_that_fails_after_the_signature_is_not_cached(
    clock: FakeClock,
) -> None:
    validator, token = _validator(clock), _token(clock, oid=None)
    for _ in range(2):
        with pytest.raises(InvalidAuthenticationToken, match="'oid'"):
            await validator.validate(token)
