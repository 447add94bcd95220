"""TokenValidator with an in-memory JWK Set: each check, and the message that names it."""

from __future__ import annotations

import logging
import time

import jwt
import pytest

from shared.auth.signing_keys import SigningKeysUnavailable, StaticKeySource
from shared.auth.tokens import Principal, TokenValidator
from shared.config import AuthSettings
from shared.graph.errors import InvalidAuthenticationToken, ServiceUnavailable
from tests import tokens
from tests.tokens import bearer


def _validator(settings: AuthSettings | None = None) -> TokenValidator:
    return TokenValidator(settings or tokens.tenant_settings(), StaticKeySource(tokens.jwks()))


async def _rejected(
    authorization: str | None, validator: TokenValidator | None = None
) -> InvalidAuthenticationToken:
    with pytest.raises(InvalidAuthenticationToken) as caught:
        await (validator or _validator()).validate(authorization)
    error = caught.value
    parts = (authorization or "").split(None, 1)
    if len(parts) == 2:
        token = parts[1]
        assert token not in error.message
        assert token not in error.headers["WWW-Authenticate"]
    return error


async def test_valid_delegated_token() -> None:
    issued_at = int(time.time()) - 60
    principal = await _validator().validate(bearer(tokens.build_access_token(iat=issued_at)))
    assert principal == Principal(
        object_id=tokens.USER_OID,
        tenant_id=tokens.TENANT_ID,
        upn=tokens.USER_UPN,
        scopes=frozenset({"User.ReadWrite", "ProfilePhoto.ReadWrite.All"}),
        roles=frozenset(),
        app_only=False,
        app_id=tokens.APP_ID,
        issued_at=float(issued_at),
    )


async def test_valid_app_only_token() -> None:
    principal = await _validator().validate(bearer(tokens.build_app_only_token()))
    assert principal.app_only
    assert principal.roles == frozenset(tokens.APP_ROLES)
    assert principal.scopes == frozenset()
    assert principal.upn is None


async def test_roles_without_scp_is_app_only_without_idtyp() -> None:
    token = tokens.build_app_only_token(idtyp=None, oid=None)
    principal = await _validator().validate(bearer(token))
    assert principal.app_only
    assert principal.object_id is None


async def test_idtyp_user_with_scp_is_delegated() -> None:
    token = tokens.build_access_token(idtyp="user", roles=["Some.Role"])
    principal = await _validator().validate(bearer(token))
    assert not principal.app_only


async def test_v1_issuer_form() -> None:
    principal = await _validator().validate(bearer(tokens.build_v1_access_token()))
    assert principal.upn == tokens.USER_UPN
    assert principal.app_id == tokens.APP_ID


async def test_v2_issuer_form() -> None:
    token = tokens.build_access_token(iss=tokens.ISSUER_V2, aud=tokens.CLIENT_ID_AUDIENCE)
    assert (await _validator().validate(bearer(token))).object_id == tokens.USER_OID


async def test_upn_wins_over_preferred_username() -> None:
    token = tokens.build_access_token(upn="upn@contoso.example")
    assert (await _validator().validate(bearer(token))).upn == "upn@contoso.example"


async def test_audience_list_with_one_accepted_value() -> None:
    token = tokens.build_access_token(aud=["api://other", tokens.AUDIENCE])
    assert (await _validator().validate(bearer(token))).object_id == tokens.USER_OID


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer", "bEaReR"])
async def test_bearer_scheme_is_case_insensitive(scheme: str) -> None:
    principal = await _validator().validate(f"{scheme} {tokens.build_access_token()}")
    assert principal.object_id == tokens.USER_OID


@pytest.mark.parametrize("authorization", [None, "", "   ", "Bearer", "Bearer   ", "bearer\t"])
async def test_missing_or_empty_token(authorization: str | None) -> None:
    error = await _rejected(authorization)
    assert error.message == "Access token is empty."
    assert error.token_presented is False
    assert "error=" not in error.headers["WWW-Authenticate"]


async def test_basic_scheme_is_refused() -> None:
    error = await _rejected("Basic dXNlcjpwYXNzd29yZA==")
    assert error.status == 401
    assert "Bearer scheme" in error.message


async def test_token_without_scheme_is_refused() -> None:
    error = await _rejected(tokens.build_access_token())
    assert "Bearer scheme" in error.message


@pytest.mark.parametrize(
    "garbage", ["garbage", "a.b.c", "...", "eyJhbGciOiJSUzI1NiJ9.e30", "x" * 20000, "Bearer x.y.z"]
)
async def test_garbage(garbage: str) -> None:
    error = await _rejected(f"Bearer {garbage}")
    assert error.token_presented is True
    assert "malformed" in error.message or "too large" in error.message


async def test_expired() -> None:
    error = await _rejected(bearer(tokens.build_access_token_expired()))
    assert error.message == "Access token has expired."
    assert 'error="invalid_token"' in error.headers["WWW-Authenticate"]


async def test_expired_within_skew_is_accepted() -> None:
    token = tokens.build_access_token_expired(seconds_ago=100)
    assert (await _validator().validate(bearer(token))).object_id == tokens.USER_OID


async def test_expired_beyond_skew() -> None:
    error = await _rejected(bearer(tokens.build_access_token_expired(seconds_ago=400)))
    assert error.message == "Access token has expired."


async def test_skew_comes_from_settings() -> None:
    strict = _validator(tokens.tenant_settings(clock_skew_seconds=0))
    error = await _rejected(bearer(tokens.build_access_token_expired(seconds_ago=100)), strict)
    assert error.message == "Access token has expired."


async def test_nbf_in_the_future() -> None:
    error = await _rejected(bearer(tokens.build_access_token_not_yet_valid()))
    assert error.message.startswith("Access token is not yet valid")


async def test_nbf_in_the_future_within_skew_is_accepted() -> None:
    token = tokens.build_access_token_not_yet_valid(seconds_ahead=100)
    assert (await _validator().validate(bearer(token))).object_id == tokens.USER_OID


async def test_iat_in_the_future() -> None:
    error = await _rejected(bearer(tokens.build_access_token(iat=int(time.time()) + 3600)))
    assert error.message.startswith("Access token is not yet valid")


async def test_wrong_audience() -> None:
    error = await _rejected(bearer(tokens.build_wrong_audience_token()))
    assert error.message == "Access token has the wrong audience (aud)."


async def test_wrong_issuer() -> None:
    error = await _rejected(bearer(tokens.build_wrong_issuer_token()))
    assert error.message == "Access token has the wrong issuer (iss)."


async def test_other_tenants_issuer() -> None:
    token = tokens.build_access_token(
        iss=f"https://login.microsoftonline.com/{tokens.OTHER_TENANT_ID}/v2.0",
        tid=tokens.OTHER_TENANT_ID,
    )
    assert (await _rejected(bearer(token))).message == "Access token has the wrong issuer (iss)."


async def test_wrong_tenant() -> None:
    error = await _rejected(bearer(tokens.build_wrong_tenant_token()))
    assert error.message == "Access token is from the wrong tenant (tid)."


async def test_tenant_comparison_ignores_case() -> None:
    token = tokens.build_access_token(tid=tokens.TENANT_ID.upper())
    assert (await _validator().validate(bearer(token))).object_id == tokens.USER_OID


@pytest.mark.parametrize("claim", ["exp", "iat", "aud", "iss", "tid"])
async def test_missing_required_claim(claim: str) -> None:
    error = await _rejected(bearer(tokens.build_access_token(**{claim: None})))
    assert error.message == f"Access token is missing the '{claim}' claim."


async def test_delegated_token_needs_oid() -> None:
    error = await _rejected(bearer(tokens.build_access_token(oid=None)))
    assert error.message == "Access token is missing the 'oid' claim."


async def test_app_only_token_without_oid_is_accepted() -> None:
    token = tokens.build_app_only_token(oid=None)
    assert (await _validator().validate(bearer(token))).app_only


@pytest.mark.parametrize(
    ("claim", "value"), [("scp", ["User.Read"]), ("roles", "Role"), ("oid", 5)]
)
async def test_claim_of_the_wrong_type(claim: str, value: object) -> None:
    token = tokens.encode(tokens.delegated_claims(**{claim: value}))
    error = await _rejected(bearer(token))
    assert error.message == f"Access token has an invalid '{claim}' claim."


async def test_custom_issuer_mode() -> None:
    validator = _validator(tokens.issuer_settings())
    token = tokens.build_access_token(iss=tokens.CUSTOM_ISSUER, tid=None)
    assert (await validator.validate(bearer(token))).tenant_id is None


async def test_custom_issuer_mode_refuses_entra_issuer() -> None:
    error = await _rejected(
        bearer(tokens.build_access_token()), _validator(tokens.issuer_settings())
    )
    assert error.message == "Access token has the wrong issuer (iss)."


async def test_alg_none() -> None:
    error = await _rejected(bearer(tokens.build_alg_none_token()))
    assert error.message == "Access token uses an unsupported signing algorithm; RS256 is required."


async def test_hs256_signed_with_the_public_key() -> None:
    error = await _rejected(bearer(tokens.build_hs256_public_key_token()))
    assert "unsupported signing algorithm" in error.message


async def test_other_rsa_algorithm_is_refused() -> None:
    key = tokens.signing_key()
    token = jwt.encode(
        tokens.delegated_claims(), key.private_key, algorithm="RS384", headers={"kid": key.kid}
    )
    assert "unsupported signing algorithm" in (await _rejected(bearer(token))).message


async def test_tampered_payload() -> None:
    error = await _rejected(bearer(tokens.build_tampered_token()))
    assert error.message == "Access token signature is invalid."


async def test_right_kid_wrong_key() -> None:
    error = await _rejected(bearer(tokens.build_evil_access_token()))
    assert error.message == "Access token signature is invalid."


async def test_unknown_kid() -> None:
    error = await _rejected(bearer(tokens.build_random_kid_token()))
    assert error.message == "Access token is signed with an unknown key."


async def test_no_kid() -> None:
    key = tokens.signing_key()
    token = jwt.encode(tokens.delegated_claims(), key.private_key, algorithm="RS256")
    assert (
        await _rejected(bearer(token))
    ).message == "Access token has no key id (kid) in its header."


class _NoKeys:
    """A key source whose keys never loaded."""

    async def signing_key(self, kid: str) -> jwt.PyJWK:
        raise SigningKeysUnavailable(
            "no signing keys could be loaded from x: HTTP 500", retry_after=42
        )


async def test_no_keys_is_service_unavailable(caplog: pytest.LogCaptureFixture) -> None:
    token = tokens.build_access_token()
    validator = TokenValidator(tokens.tenant_settings(), _NoKeys())
    with caplog.at_level(logging.WARNING), pytest.raises(ServiceUnavailable) as caught:
        await validator.validate(bearer(token))
    assert caught.value.headers["Retry-After"] == "42"
    assert "HTTP 500" in caplog.text
    assert token not in caplog.text
    assert token not in caught.value.message
