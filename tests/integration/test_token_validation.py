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
