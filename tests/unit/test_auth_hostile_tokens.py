"""Hostile and broken tokens (issue 13): every forged kind is a 401 that names the check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import pytest

from shared.auth.compact_jws import MalformedToken, split_token
from shared.auth.permissions import authorize, resolve_user
from shared.auth.signing_keys import StaticKeySource
from shared.auth.tokens import TokenValidator
from shared.graph.errors import AuthorizationRequestDenied, InvalidAuthenticationToken
from tests import tokens
from tests.tokens import bearer

MALFORMED = "Access token is malformed: it is not a signed JWT."
UNSUPPORTED_ALG = "Access token uses an unsupported signing algorithm; RS256 is required."
BAD_SIGNATURE = "Access token signature is invalid."


def _validator() -> TokenValidator:
    return TokenValidator(tokens.tenant_settings(), StaticKeySource(tokens.jwks()))


async def _rejected(authorization: str) -> InvalidAuthenticationToken:
    with pytest.raises(InvalidAuthenticationToken) as caught:
        await _validator().validate(authorization)
    error = caught.value
    assert error.status == 401
    assert error.token_presented is True
    assert 'error="invalid_token"' in error.headers["WWW-Authenticate"]
    token = authorization.split(None, 1)[-1]
    assert token not in error.message
    assert token not in error.headers["WWW-Authenticate"]
    return error


@pytest.mark.parametrize("name", sorted(tokens.FORGED_TOKENS))
async def test_every_forged_kind_is_401(name: str) -> None:
    await _rejected(bearer(tokens.FORGED_TOKENS[name]()))


@pytest.mark.parametrize(
    "build",
    [
        tokens.build_surrogate_escape_token,
        tokens.build_latin1_token,
        tokens.build_line_separator_token,
    ],
)
async def test_non_ascii_in_the_token_is_malformed(build: Callable[[], str]) -> None:
    assert (await _rejected(bearer(build()))).message == MALFORMED


@pytest.mark.parametrize("separator", ["\u2028", "\u00a0", "\u3000", "\udcff"])
async def test_non_ascii_between_scheme_and_token_is_malformed(separator: str) -> None:
    error = await _rejected(f"Bearer{separator}{tokens.build_access_token()}")
    assert error.message == MALFORMED


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (tokens.build_string_exp_token, "Access token has an invalid 'exp' claim."),
        (tokens.build_string_nbf_token, "Access token has an invalid 'nbf' claim."),
        (tokens.build_boolean_iat_token, "Access token has an invalid 'iat' claim."),
        (tokens.build_nan_exp_token, MALFORMED),
        (tokens.build_infinite_exp_token, "Access token has an invalid 'exp' claim."),
    ],
)
async def test_time_claims_must_be_numeric_dates(build: Callable[[], str], message: str) -> None:
    assert (await _rejected(bearer(build()))).message == message


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
async def test_boolean_time_claims_are_refused(claim: str) -> None:
    raw = tokens.sign_raw(
        b'{"alg":"RS256","kid":"test-key-1"}',
        tokens.delegated_claims_json(**{claim: "true"}),
    )
    error = await _rejected(bearer(raw))
    assert error.message == f"Access token has an invalid '{claim}' claim."


async def test_fractional_numeric_dates_are_accepted() -> None:
    now = tokens.delegated_claims()["iat"] + 60
    token = tokens.build_access_token(exp=now + 3600.5, iat=now - 0.25, nbf=now - 0.25)
    assert (await _validator().validate(bearer(token))).object_id == tokens.USER_OID


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (tokens.build_duplicate_header_key_token, MALFORMED),
        (tokens.build_duplicate_claim_token, MALFORMED),
        (tokens.build_padded_segments_token, MALFORMED),
        (tokens.build_non_base64url_token, MALFORMED),
        (tokens.build_junk_character_token, MALFORMED),
        (tokens.build_extra_segment_token, MALFORMED),
        (tokens.build_missing_signature_segment_token, MALFORMED),
        (tokens.build_array_payload_token, MALFORMED),
        (tokens.build_deeply_nested_payload_token, MALFORMED),
        (tokens.build_oversized_token, "Access token is too large."),
        (tokens.build_empty_signature_token, BAD_SIGNATURE),
    ],
)
async def test_malformed_forms(build: Callable[[], str], message: str) -> None:
    assert (await _rejected(bearer(build()))).message == message


@pytest.mark.parametrize(
    "build",
    [
        tokens.build_alg_none_token,
        tokens.build_hs256_public_key_token,
        tokens.build_hs256_public_jwk_token,
        tokens.build_rs384_token,
        tokens.build_ps256_token,
        tokens.build_es256_token,
    ],
)
async def test_algorithm_confusion(build: Callable[[], str]) -> None:
    assert (await _rejected(bearer(build()))).message == UNSUPPORTED_ALG


@pytest.mark.parametrize(
    "build",
    [
        tokens.build_jku_header_token,
        tokens.build_x5u_header_token,
        tokens.build_embedded_jwk_token,
        tokens.build_embedded_x5c_token,
    ],
)
async def test_keys_named_or_embedded_in_the_header_are_ignored(build: Callable[[], str]) -> None:
    assert (await _rejected(bearer(build()))).message == BAD_SIGNATURE


@pytest.mark.parametrize("build", [tokens.build_unknown_crit_token, tokens.build_b64_false_token])
async def test_critical_extensions_are_refused(build: Callable[[], str]) -> None:
    error = await _rejected(bearer(build()))
    assert error.message == (
        "Access token has critical header parameters (crit) this service does not support."
    )


async def test_b64_false_without_crit_is_malformed() -> None:
    token = tokens.sign_raw(
        b'{"alg":"RS256","kid":"test-key-1","b64":false}', tokens.delegated_claims_json()
    )
    assert (await _rejected(bearer(token))).message == MALFORMED


async def test_nested_jwt() -> None:
    error = await _rejected(bearer(tokens.build_nested_jwt_token()))
    assert error.message == "Access token is a nested JWT (cty), which is not accepted."


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (tokens.build_path_kid_token, "Access token is signed with an unknown key."),
        (tokens.build_nul_kid_token, "Access token has an invalid key id (kid) in its header."),
        (tokens.build_long_kid_token, "Access token has an invalid key id (kid) in its header."),
        (
            tokens.build_non_string_kid_token,
            "Access token has an invalid key id (kid) in its header.",
        ),
    ],
)
async def test_hostile_key_ids(build: Callable[[], str], message: str) -> None:
    assert (await _rejected(bearer(build()))).message == message


@pytest.mark.parametrize(
    ("build", "claim"),
    [
        (tokens.build_numeric_audience_token, "aud"),
        (tokens.build_list_scp_token, "scp"),
        (tokens.build_integer_oid_token, "oid"),
        (tokens.build_object_tid_token, "tid"),
        (tokens.build_string_roles_token, "roles"),
    ],
)
async def test_mistyped_claims(build: Callable[[], str], claim: str) -> None:
    error = await _rejected(bearer(build()))
    assert error.message == f"Access token has an invalid '{claim}' claim."


async def test_another_tenants_token() -> None:
    error = await _rejected(bearer(tokens.build_other_tenant_token()))
    assert error.message == "Access token has the wrong issuer (iss)."


async def test_removed_key() -> None:
    error = await _rejected(bearer(tokens.build_retired_key_token()))
    assert error.message == "Access token is signed with an unknown key."


# idtyp: "user" with roles and no scp is delegated; its roles grant nothing (DESIGN.md).

WRITE_ROLES = ("ProfilePhoto.ReadWrite.All", "User.ReadWrite.All")


async def test_idtyp_user_with_roles_and_no_scp_is_delegated() -> None:
    token = tokens.build_access_token(idtyp="user", scp=None, roles=list(WRITE_ROLES))
    principal = await _validator().validate(bearer(token))
    assert not principal.app_only
    assert principal.scopes == frozenset()


@pytest.mark.parametrize("action", ["add", "read"])
@pytest.mark.parametrize("path_user", [None, tokens.USER_OID, "PattiF@contoso.example"])
async def test_idtyp_user_roles_grant_nothing(
    action: Literal["add", "read"], path_user: str | None
) -> None:
    token = tokens.build_access_token(idtyp="user", scp=None, roles=list(WRITE_ROLES))
    principal = await _validator().validate(bearer(token))
    with pytest.raises(AuthorizationRequestDenied):
        authorize(principal, resolve_user(principal, path_user), action)


async def test_idtyp_user_without_oid_is_refused() -> None:
    token = tokens.build_access_token(idtyp="user", scp=None, roles=list(WRITE_ROLES), oid=None)
    error = await _rejected(bearer(token))
    assert error.message == "Access token is missing the 'oid' claim."


async def test_idtyp_app_is_app_only_even_with_scp() -> None:
    token = tokens.build_app_only_token(scp="User.Read")
    assert (await _validator().validate(bearer(token))).app_only


async def test_no_idtyp_with_roles_and_scp_is_delegated() -> None:
    token = tokens.build_access_token(roles=list(WRITE_ROLES))
    assert not (await _validator().validate(bearer(token))).app_only


async def test_non_string_idtyp_is_refused() -> None:
    error = await _rejected(bearer(tokens.build_app_only_token(idtyp=["app"])))
    assert error.message == "Access token has an invalid 'idtyp' claim."


def test_a_kept_header_is_judged_by_each_allow_list_and_read_only() -> None:
    """Checked headers are kept per segment and allow-list: another list judges afresh."""
    token = tokens.build_access_token()
    for _ in range(2):
        assert split_token(token, frozenset({"RS256"})).header["alg"] == "RS256"
        with pytest.raises(MalformedToken) as refused:
            split_token(token, frozenset({"ES256"}))
        assert refused.value.message == UNSUPPORTED_ALG
    header = split_token(token, frozenset({"RS256"})).header
    with pytest.raises(TypeError):
        header["alg"] = "none"  # type: ignore[index]
