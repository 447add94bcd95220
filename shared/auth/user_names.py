"""How a user is named in a path: an object id (a GUID) or a userPrincipalName (Entra's rules).

Pure functions, no I/O. An object id is a GUID in its 8-4-4-4-12 hex form (either case; it is
stored lower-cased). A UPN follows Entra's user name policy:

- ASCII only: letters, digits and ``' . - _ ! # ^ ~`` before the ``@`` (so a guest's
  ``alice_fabrikam.com#EXT#@contoso.onmicrosoft.com`` is one), exactly one ``@``;
- no ``.`` immediately before the ``@``;
- at most 64 characters before the ``@``, 48 after it, 113 in all;
- the domain: dot-separated labels of letters, digits and inner hyphens.

Anything else in the ``{user}`` segment is neither, and ``shared.auth.permissions`` refuses it
with ``400``.
"""

from __future__ import annotations

import re
from typing import Final

MAX_UPN_LENGTH: Final = 113
MAX_UPN_LOCAL_LENGTH: Final = 64
MAX_UPN_DOMAIN_LENGTH: Final = 48

_GUID: Final = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_LOCAL: Final = re.compile(r"[A-Za-z0-9'.\-_!#^~]+")
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def is_object_id(name: str) -> bool:
    """Whether ``name`` is an object id: a GUID, 8-4-4-4-12 hex digits."""
    return _GUID.fullmatch(name) is not None


def is_upn(name: str) -> bool:
    """Whether ``name`` is a userPrincipalName by Entra's rules (above)."""
    if len(name) > MAX_UPN_LENGTH or name.count("@") != 1:
        return False
    local, domain = name.split("@")
    return (
        0 < len(local) <= MAX_UPN_LOCAL_LENGTH
        and 0 < len(domain) <= MAX_UPN_DOMAIN_LENGTH
        and not local.endswith(".")
        and _LOCAL.fullmatch(local) is not None
        and _DOMAIN.fullmatch(domain) is not None
    )
