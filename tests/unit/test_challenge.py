"""401s carry ``WWW-Authenticate: Bearer`` with ``authorization_uri`` (from the settings) and,
where a token was presented, ``error="invalid_token"``, as Graph's do."""

from __future__ import annotations

import pytest

from shared.auth.signing_keys import StaticKeySource
from shared.auth.tokens import TokenValidator
from shared.config import load_settings
from shared.graph.errors import InvalidAuthenticationToken
from tests import tokens
from tests.unit.app_harness import Harness, graph_error, json_body

TENANT_MODE = {"AUTH_AUDIENCES": tokens.AUDIENCE, "AUTH_TENANT_ID": tokens.TENANT_ID.upper()}
ISSUER_MODE = {
    "AUTH_AUDIENCES": tokens.AUDIENCE,
    "AUTH_ISSUER": tokens.CUSTOM_ISSUER,
    "AUTH_JWKS_URI": "jwks.json",
}


def test_tenant_mode_names_the_tenants_authorize_endpoint() -> None:
    assert load_settings(TENANT_MODE).auth.authorization_uri == (
        f"https://login.microsoftonline.com/{tokens.TENANT_ID}/oauth2/v2.0/authorize"
    )


def test_a_custom_issuer_names_none() -> None:
    assert load_settings(ISSUER_MODE).auth.authorization_uri is None


async def _challenge(environ: dict[str, str], authorization: str | None) -> str:
    validator = TokenValidator(load_settings(environ).auth, StaticKeySource(tokens.jwks()))
    with pytest.raises(InvalidAuthenticationToken) as caught:
        await validator.validate(authorization)
    return caught.value.headers["WWW-Authenticate"]


async def test_no_token_is_challenged_with_the_authorization_uri_and_no_error() -> None:
    challenge = await _challenge(TENANT_MODE, None)

    assert challenge == (
        f'Bearer realm="graph-photos", authorization_uri="{tokens.AUTHORIZATION_URI}"'
    )


@pytest.mark.parametrize(
    "token",
    [tokens.build_access_token_expired(), tokens.build_evil_access_token(), "not.a.jwt"],
)
async def test_a_bad_token_adds_invalid_token(token: str) -> None:
    challenge = await _challenge(TENANT_MODE, tokens.bearer(token))

    assert challenge.startswith(
        f'Bearer realm="graph-photos", authorization_uri="{tokens.AUTHORIZATION_URI}", '
        'error="invalid_token", error_description="Access token '
    )
    assert token not in challenge


async def test_a_custom_issuers_challenge_has_no_authorization_uri() -> None:
    challenge = await _challenge(ISSUER_MODE, tokens.bearer("not.a.jwt"))

    assert "authorization_uri" not in challenge
    assert 'error="invalid_token"' in challenge


@pytest.mark.parametrize("path", ["me/photos", "v1.0/me/photo/$value"])
async def test_the_app_answers_401_with_the_challenge(path: str) -> None:
    response = await Harness().send("GET", path)

    graph_error(response, 401, "InvalidAuthenticationToken")
    assert f'authorization_uri="{tokens.AUTHORIZATION_URI}"' in response.headers["WWW-Authenticate"]


async def test_a_batch_item_without_a_token_carries_the_challenge_in_its_headers() -> None:
    item = {"id": "1", "method": "GET", "url": "/me/photos"}
    response = await Harness().send("POST", "$batch", body={"requests": [item]})

    (answer,) = json_body(response)["responses"]
    assert answer["status"] == 401
    assert "authorization_uri=" in answer["headers"]["WWW-Authenticate"]
