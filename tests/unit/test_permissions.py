"""The permission table (docs/reference/permissions.md), cell by cell, and how the target user is resolved."""

from __future__ import annotations

from typing import Literal

import pytest

from shared.auth.permissions import UpnRef, UserRef, authorize, resolve_user, user_key
from shared.auth.tokens import Principal
from shared.graph.errors import AuthorizationRequestDenied, BadRequest

OID = "A6F1BD1E-5C2B-4C47-9D0F-2A4F3F0A9E11"
UPN = "AdeleV@Contoso.example"
OTHER = "PattiF@contoso.example"
OTHER_OID = "0B5E3F7C-1E0A-4A1D-B0B2-6F7B1C2D3E4F"

ALL_PERMISSIONS = (
    "ProfilePhoto.ReadWrite.All",
    "User.ReadWrite",
    "User.ReadWrite.All",
    "User.Read",
    "User.ReadBasic.All",
    "User.Read.All",
    "ProfilePhoto.Read.All",
    "Mail.Read",
    "Directory.Read.All",
)

_ADD_OWN = {"ProfilePhoto.ReadWrite.All", "User.ReadWrite", "User.ReadWrite.All"}
_ADD_OTHER = {"ProfilePhoto.ReadWrite.All", "User.ReadWrite.All"}
_ADD_APP = {"ProfilePhoto.ReadWrite.All", "User.ReadWrite.All"}
TABLE: dict[tuple[str, str], set[str]] = {
    ("add", "own"): _ADD_OWN,
    ("add", "other"): _ADD_OTHER,
    ("add", "app"): _ADD_APP,
    ("read", "own"): _ADD_OWN
    | {"User.Read", "User.ReadBasic.All", "User.Read.All", "ProfilePhoto.Read.All"},
    ("read", "other"): _ADD_OTHER
    | {"User.ReadBasic.All", "User.Read.All", "ProfilePhoto.Read.All"},
    ("read", "app"): _ADD_APP | {"User.Read.All", "ProfilePhoto.Read.All"},
}


def delegated(*scopes: str, upn: str | None = UPN) -> Principal:
    return Principal(
        object_id=OID,
        tenant_id="t",
        upn=upn,
        scopes=frozenset(scopes),
        roles=frozenset(),
        app_only=False,
        app_id="client",
    )


def app_only(*roles: str) -> Principal:
    return Principal(
        object_id="app-sp-oid",
        tenant_id="t",
        upn=None,
        scopes=frozenset(),
        roles=frozenset(roles),
        app_only=True,
        app_id="client",
    )


CELLS = [
    (action, column, permission)
    for action in ("add", "read")
    for column in ("own", "other", "app")
    for permission in ALL_PERMISSIONS
]


@pytest.mark.parametrize(("action", "column", "permission"), CELLS)
def test_permissions_table(action: Literal["add", "read"], column: str, permission: str) -> None:
    path_user: str | None = OTHER
    if column == "app":
        principal = app_only(permission)
    else:
        principal = delegated(permission)
        path_user = None if column == "own" else OTHER
    target = resolve_user(principal, path_user)
    if permission in TABLE[(action, column)]:
        authorize(principal, target, action)
    else:
        with pytest.raises(AuthorizationRequestDenied) as caught:
            authorize(principal, target, action)
        assert caught.value.status == 403
        assert caught.value.message == "Insufficient privileges to complete the operation."


@pytest.mark.parametrize("action", ["add", "read"])
def test_no_permissions_at_all_is_denied(action: Literal["add", "read"]) -> None:
    with pytest.raises(AuthorizationRequestDenied):
        authorize(delegated(), resolve_user(delegated(), None), action)
    with pytest.raises(AuthorizationRequestDenied):
        authorize(app_only(), resolve_user(app_only(), OTHER), action)


def test_app_only_scopes_do_not_count() -> None:
    principal = Principal(
        object_id=None,
        tenant_id=None,
        upn=None,
        scopes=frozenset({"ProfilePhoto.ReadWrite.All"}),
        roles=frozenset(),
        app_only=True,
        app_id=None,
    )
    with pytest.raises(AuthorizationRequestDenied):
        authorize(principal, resolve_user(principal, OTHER), "add")


def test_delegated_roles_do_not_count() -> None:
    principal = Principal(
        object_id=OID,
        tenant_id=None,
        upn=None,
        scopes=frozenset(),
        roles=frozenset({"ProfilePhoto.ReadWrite.All"}),
        app_only=False,
        app_id=None,
    )
    with pytest.raises(AuthorizationRequestDenied):
        authorize(principal, resolve_user(principal, None), "add")


def test_me_is_the_callers_object_id() -> None:
    assert resolve_user(delegated(), None) == UserRef(key=OID.lower(), name=OID, is_self=True)


@pytest.mark.parametrize("path_user", [OID, OID.lower(), UPN, UPN.upper(), UPN.lower()])
def test_own_object_id_or_upn_is_me(path_user: str) -> None:
    assert resolve_user(delegated(), path_user) == UserRef(key=OID.lower(), name=OID, is_self=True)


def test_own_upn_with_user_readwrite_may_add() -> None:
    principal = delegated("User.ReadWrite")
    authorize(principal, resolve_user(principal, UPN.lower()), "add")


def test_another_users_upn_is_left_to_the_directory() -> None:
    assert resolve_user(delegated(), OTHER) == UpnRef(OTHER)


def test_another_users_object_id_is_its_partition_lower_cased() -> None:
    assert resolve_user(delegated(), OTHER_OID) == UserRef(
        key=OTHER_OID.lower(), name=OTHER_OID, is_self=False
    )


def test_guest_upn_is_kept_as_given() -> None:
    guest = "adele_contoso.example#EXT#@fabrikam.onmicrosoft.com"
    assert resolve_user(delegated(), guest) == UpnRef(guest)


@pytest.mark.parametrize(
    "path_user",
    [
        "app-sp-oid",  # neither a GUID nor a UPN
        "a6f1bd1e-5c2b-4c47-9d0f-2a4f3f0a9e1",  # a GUID one digit short
        "{a6f1bd1e-5c2b-4c47-9d0f-2a4f3f0a9e11}",
        "alice@contoso.example@other.example",
        "alice.@contoso.example",
        "alice@-contoso.example",
        "alice@contoso..example",
        "alice smith@contoso.example",
        "alice&bob@contoso.example",
        "alice+tag@contoso.example",
        "al\u00efce@contoso.example",
        "alice@contoso.example\n",
        "a" * 65 + "@contoso.example",
        "alice@" + "d" * 45 + ".com",
    ],
)
def test_neither_an_object_id_nor_a_upn_is_bad_request(path_user: str) -> None:
    with pytest.raises(BadRequest) as caught:
        resolve_user(app_only("ProfilePhoto.ReadWrite.All"), path_user)
    assert "neither an object id nor a userPrincipalName" in caught.value.message


@pytest.mark.parametrize(
    "path_user",
    [
        "alice@contoso.example",
        "o'brien@contoso.example",
        "a.b-c_d!e#f^g~h@contoso.example",
        "bob_fabrikam.com#EXT#@contoso.onmicrosoft.com",
        "a" * 64 + "@" + "d" * 44 + ".com",
    ],
)
def test_upns_by_entras_rules_are_upns(path_user: str) -> None:
    assert resolve_user(app_only("ProfilePhoto.ReadWrite.All"), path_user) == UpnRef(path_user)


def test_another_user_with_user_readwrite_is_denied() -> None:
    principal = delegated("User.ReadWrite")
    with pytest.raises(AuthorizationRequestDenied):
        authorize(principal, resolve_user(principal, OTHER), "add")


def test_me_with_app_only_token_is_bad_request() -> None:
    with pytest.raises(BadRequest) as caught:
        resolve_user(app_only("ProfilePhoto.ReadWrite.All"), None)
    assert caught.value.message == "/me request is only valid with delegated authentication flow."


def test_app_only_never_counts_as_self() -> None:
    principal = app_only("ProfilePhoto.ReadWrite.All")
    target = resolve_user(principal, "5B0E3F7C-1E0A-4A1D-B0B2-6F7B1C2D3E4F")
    assert isinstance(target, UserRef)
    assert target.is_self is False


def test_empty_path_user_is_bad_request() -> None:
    with pytest.raises(BadRequest):
        resolve_user(delegated(), " ")


# One rule for "own" and for partitions: ASCII letters lower-cased, nothing else folded.


@pytest.mark.parametrize(
    ("upn", "look_alike"),
    [
        ("kelvin@contoso.example", "\u212aELVIN@contoso.example"),  # KELVIN SIGN: lower() -> k
        ("strasse@contoso.example", "STRA\u00dfE@contoso.example"),  # ß: casefold() -> ss
        ("fine@contoso.example", "\ufb01ne@contoso.example"),  # LIGATURE FI: casefold() -> fi
    ],
)
def test_a_non_ascii_look_alike_is_not_own(upn: str, look_alike: str) -> None:
    # Not a UPN at all (UPNs are ASCII): never the caller's own, never anyone's partition.
    with pytest.raises(BadRequest):
        resolve_user(delegated("User.ReadWrite", upn=upn), look_alike)


@pytest.mark.parametrize("path_user", [UPN, UPN.upper(), OID, OID.lower()])
def test_own_and_partition_agree(path_user: str) -> None:
    own = resolve_user(delegated(), path_user)
    as_other = resolve_user(delegated(upn=None), path_user) if "@" in path_user else own
    assert isinstance(own, UserRef)
    assert own.is_self
    assert own.key == user_key(OID)
    assert as_other.key == user_key(path_user) == path_user.lower()


def test_user_key_lowers_ascii_only() -> None:
    assert user_key("AdeleV@Contoso.Example") == "adelev@contoso.example"
    assert user_key("\u212a\u00c9\u00df") == "\u212a\u00c9\u00df"


def _ascii_lowered(name: str) -> str:
    return "".join(chr(ord(char) + 32) if "A" <= char <= "Z" else char for char in name)


def test_user_key_lowers_exactly_a_to_z_in_ascii_and_other_text() -> None:
    """Its ASCII fast path (``str.lower``) follows the rule as the general path does."""
    ascii_text = "".join(map(chr, range(128)))
    others = ["\u212aelvin", "\u0130stanbul", "ALICE\u00df@X", "\u00c9\u01c5", "\U0001d400Z"]
    for name in [ascii_text, *ascii_text, *others]:
        assert user_key(name) == _ascii_lowered(name)
