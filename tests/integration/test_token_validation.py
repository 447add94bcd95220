"""TokenValidator end to end: real RS256 tokens, keys from a JWK Set served over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from shared.auth.signing_keys import JwksKeySource
from shared.auth.tokens import TokenValidator
from shared.graph.errors import InvalidAuthenticationToken
from tests import tokens
from tests.tokens import FakeClock, JwksServer, bearer


@pytest.fixture
async def server() -> AsyncIterator[JwksServer]:
    async with JwksServer() as served:
        yield served


@pytest.fixture
async def validator(server: JwksServer) -> AsyncIterator[TokenValidator]:
    keys = JwksKeySource(server.url, clock=FakeClock())
    yield TokenValidator(tokens.tenant_settings(), keys)
    await keys.aclose()


async def test_valid_delegated_token(validator: TokenValidator) -> None:
    principal = await validator.validate(bearer(tokens.build_access_token()))
    assert principal.object_id == tokens.USER_OID
    assert not principal.app_only


async def test_valid_app_only_token(validator: TokenValidator) -> None:
    principal = await validator.validate(bearer(tokens.build_app_only_token()))
    assert principal.app_only
    assert principal.roles == frozenset(tokens.APP_ROLES)


@pytest.mark.parametrize("build", [tokens.build_access_token, tokens.build_v1_access_token])
async def test_v1_and_v2_issuers(validator: TokenValidator, build: Callable[[], str]) -> None:
    assert (await validator.validate(bearer(build()))).object_id == tokens.USER_OID


async def test_lower_case_bearer(validator: TokenValidator) -> None:
    assert (await validator.validate(f"bearer {tokens.build_access_token()}")).object_id


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (tokens.build_access_token_expired, "Access token has expired."),
        (tokens.build_wrong_audience_token, "Access token has the wrong audience (aud)."),
        (tokens.build_wrong_issuer_token, "Access token has the wrong issuer (iss)."),
        (tokens.build_wrong_tenant_token, "Access token is from the wrong tenant (tid)."),
        (tokens.build_evil_access_token, "Access token signature is invalid."),
        (tokens.build_tampered_token, "Access token signature is invalid."),
    ],
)
async def test_rejected_after_fetching_keys(
    validator: TokenValidator, server: JwksServer, build: Callable[[], str], message: str
) -> None:
    with pytest.raises(InvalidAuthenticationToken) as caught:
        await validator.validate(bearer(build()))
    assert caught.value.message == message
    assert server.requests == 1


@pytest.mark.parametrize(
    "authorization",
    [
        lambda: bearer(tokens.build_alg_none_token()),
        lambda: bearer(tokens.build_hs256_public_key_token()),
        lambda: "Bearer garbage",
        lambda: "Basic dXNlcjpwYXNzd29yZA==",
        lambda: "Bearer ",
        lambda: None,
    ],
    ids=["alg-none", "hs256-public-key", "garbage", "basic", "empty", "missing"],
)
async def test_rejected_without_fetching_keys(
    validator: TokenValidator, server: JwksServer, authorization: Callable[[], str | None]
) -> None:
    with pytest.raises(InvalidAuthenticationToken):
        await validator.validate(authorization())
    assert server.requests == 0


# The forged-token suite (issue 13) against keys served over HTTP, fetches counted.

MALFORMED_KINDS = {
    "alg-none", "hs256-public-pem", "hs256-public-jwk", "rs384", "ps256", "es256",
    "unknown-crit", "b64-false", "nul-kid", "long-kid", "non-string-kid", "nested-jwt",
    "duplicate-header-key", "oversized", "extra-segment", "missing-segment",
    "padded-segments", "non-base64url", "junk-character", "surrogate-escape", "latin-1",
    "line-separator",
}  # fmt: skip
"""Refused from the token alone, before any key is asked for."""


@pytest.mark.parametrize("name", sorted(tokens.FORGED_TOKENS))
async def test_forged_kind_with_keys_loaded_costs_no_fetch(
    validator: TokenValidator, server: JwksServer, name: str
) -> None:
    await validator.validate(bearer(tokens.build_access_token()))
    with pytest.raises(InvalidAuthenticationToken) as caught:
        await validator.validate(bearer(tokens.FORGED_TOKENS[name]()))
    assert caught.value.status == 401
    assert server.requests == 1  # unknown kids within the throttle window fetch nothing


@pytest.mark.parametrize("name", sorted(MALFORMED_KINDS))
async def test_malformed_kind_never_asks_for_keys(
    validator: TokenValidator, server: JwksServer, name: str
) -> None:
    with pytest.raises(InvalidAuthenticationToken):
        await validator.validate(bearer(tokens.FORGED_TOKENS[name]()))
    assert server.requests == 0


async def test_the_whole_suite_costs_at_most_one_fetch(
    validator: TokenValidator, server: JwksServer
) -> None:
    for name, build in tokens.FORGED_TOKENS.items():
        with pytest.raises(InvalidAuthenticationToken):
            await validator.validate(bearer(build()))
        assert server.requests <= 1, name
    assert server.requests == 1


@pytest.mark.parametrize("build", [tokens.build_jku_header_token, tokens.build_x5u_header_token])
async def test_key_urls_in_the_header_are_never_fetched(
    validator: TokenValidator, server: JwksServer, build: Callable[[str], str]
) -> None:
    # the attacker's server publishes the attacker's key under the real kid
    async with JwksServer(tokens.jwks(tokens.evil_key())) as attacker:
        with pytest.raises(InvalidAuthenticationToken) as caught:
            await validator.validate(bearer(build(attacker.url)))
        assert caught.value.message == "Access token signature is invalid."
        assert attacker.requests == 0
    assert server.requests == 1
