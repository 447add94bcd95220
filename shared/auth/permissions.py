"""Who may do what: the target user of a request and the permission check.

The sets below are the permission table; ``docs/reference/permissions.md`` is generated from
them (``python -m devtools.docs``).

Pure functions over a validated ``Principal``; no I/O. A token is *app-only* when ``idtyp``
is ``app``, or it has no ``idtyp``, has ``roles`` and no ``scp``; otherwise it is *delegated*
(``Principal.app_only``, decided by ``shared.auth.tokens``). Delegated tokens are judged by
their scopes only (their roles grant nothing), app-only tokens by their roles.

User names are compared and partitioned by one rule, ``user_key``: ASCII letters lower-cased,
nothing else changed. UPNs are ASCII (Entra's rule), so that is case-insensitive for every
valid UPN, and it never folds a non-ASCII character onto an ASCII one (``str.lower`` turns
the Kelvin sign U+212A into ``k``, ``casefold`` turns ``ß`` into ``ss``), which would let a
look-alike name reach someone else's partition or count as the caller's own.

A path user is ``me``, the caller's own object id or UPN, another object id (a GUID), or
another UPN (``shared.auth.user_names``); anything else is ``400``. Another user's UPN is an
``UpnRef``: ``shared.auth.directory`` resolves it to the object id, the partition, before
storage is touched (one user, one partition).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from shared.auth.user_names import is_object_id, is_upn
from shared.graph.errors import AuthorizationRequestDenied, BadRequest, InvalidAuthenticationToken

if TYPE_CHECKING:
    from shared.auth.tokens import Principal

Action = Literal["add", "read"]

_ADD_OWN: Final = frozenset({"ProfilePhoto.ReadWrite.All", "User.ReadWrite", "User.ReadWrite.All"})
_ADD_OTHER: Final = frozenset({"ProfilePhoto.ReadWrite.All", "User.ReadWrite.All"})
_ADD_APP: Final = frozenset({"ProfilePhoto.ReadWrite.All", "User.ReadWrite.All"})

DELEGATED_OWN: Final[dict[Action, frozenset[str]]] = {
    "add": _ADD_OWN,
    "read": _ADD_OWN
    | {"User.Read", "User.ReadBasic.All", "User.Read.All", "ProfilePhoto.Read.All"},
}
"""Scopes that let a delegated caller act on their own photos."""

DELEGATED_OTHER: Final[dict[Action, frozenset[str]]] = {
    "add": _ADD_OTHER,
    "read": _ADD_OTHER | {"User.ReadBasic.All", "User.Read.All", "ProfilePhoto.Read.All"},
}
"""Scopes that let a delegated caller act on another user's photos."""

APP_ONLY: Final[dict[Action, frozenset[str]]] = {
    "add": _ADD_APP,
    "read": _ADD_APP | {"User.Read.All", "ProfilePhoto.Read.All"},
}
"""Application roles that let an app-only caller act on any user's photos."""

ME_WITH_APP_ONLY = "/me request is only valid with delegated authentication flow."
NOT_A_USER = "The user in the request path is neither an object id nor a userPrincipalName."

_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def user_key(name: str) -> str:
    """How a user name (object id or UPN) is compared and partitioned: ASCII-lower-cased."""
    if name.isascii():  # the usual case: in ASCII text, str.lower changes A-Z only
        return name.lower()
    return name.translate(_ASCII_LOWER)


@dataclass(frozen=True)
class UserRef:
    """The user a request is about.

    ``key`` is the storage partition user (object id or UPN, ``user_key``); ``name`` is how
    the user appears in URLs and ``@odata.context`` (the caller's oid for ``/me`` and for
    their own oid / UPN, else the path value as given).
    """

    key: str
    name: str
    is_self: bool


@dataclass(frozen=True)
class UpnRef:
    """Another user, named by userPrincipalName (``upn``, as given): not yet a partition."""

    upn: str

    @property
    def key(self) -> str:
        """How the UPN is compared and cached (``user_key``); never a partition."""
        return user_key(self.upn)


def resolve_user(principal: Principal, path_user: str | None) -> UserRef | UpnRef:
    """The target of ``/me`` (``path_user`` None) or ``/users/{path_user}``.

    A delegated caller's own object id, or their UPN / preferred_username (ASCII
    case-insensitive, ``user_key``), names the same user as ``/me``; a name with any
    non-ASCII character is never the caller's own. Another object id is its own partition
    (lower-cased); another UPN is an ``UpnRef`` to resolve; anything else is ``BadRequest``.
    """
    if path_user is None:
        if principal.app_only:
            raise BadRequest(ME_WITH_APP_ONLY)
        return _self_ref(principal)
    if not path_user.strip():
        # shared.graph.urls answers 404 for a blank user first; this keeps any other caller from
        # naming a blank user, whose photos would share one empty-ish storage partition.
        raise BadRequest("The user in the request path is empty.")
    if not principal.app_only and _is_own(principal, path_user):
        return _self_ref(principal)
    if is_object_id(path_user):
        return UserRef(key=user_key(path_user), name=path_user, is_self=False)
    if is_upn(path_user):
        return UpnRef(path_user)
    raise BadRequest(NOT_A_USER)


def authorize(principal: Principal, target: UserRef | UpnRef, action: Action) -> None:
    """Raise ``AuthorizationRequestDenied`` unless the token grants ``action`` on ``target``."""
    if principal.app_only:
        granted, needed = principal.roles, APP_ONLY[action]
    elif isinstance(target, UserRef) and target.is_self:
        granted, needed = principal.scopes, DELEGATED_OWN[action]
    else:
        granted, needed = principal.scopes, DELEGATED_OTHER[action]
    if granted.isdisjoint(needed):
        raise AuthorizationRequestDenied()


def _self_ref(principal: Principal) -> UserRef:
    if not principal.object_id:
        # TokenValidator requires oid on delegated tokens; a Principal built elsewhere may not
        raise InvalidAuthenticationToken(
            "Access token is missing the 'oid' claim.", token_presented=True
        )
    return UserRef(key=user_key(principal.object_id), name=principal.object_id, is_self=True)


def _is_own(principal: Principal, path_user: str) -> bool:
    if not path_user.isascii():
        return False
    wanted = user_key(path_user)
    for name in (principal.object_id, principal.upn):  # a loop: no generator per request
        if name is not None and name.isascii() and user_key(name) == wanted:
            return True
    return False
