"""CORS as the Functions platform does it, for the dev host: a pure policy over header values.

``Host.CORS`` in ``local.settings.json`` (or ``--cors``) lists the allowed origins, comma
separated (``*`` allows any); ``Host.CORSCredentials`` adds ``Access-Control-Allow-Credentials``.
For an allowed ``Origin`` the host answers preflights itself (``preflight_headers``) and adds
``Access-Control-Allow-Origin`` (the origin, echoed), ``Vary: Origin`` and
``Access-Control-Expose-Headers`` to every response (``response_headers``), overriding whatever
CORS headers the function set, as platform CORS does. A request from any other origin gets no
CORS headers, and its preflight goes on to the functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

EXPOSED_HEADERS = ("request-id", "client-request-id", "ETag", "Location", "Retry-After")
PREFLIGHT_MAX_AGE_SECONDS = 3600


class CorsSettingsError(ValueError):
    """``Host.CORS`` or ``Host.CORSCredentials`` has the wrong type; the message names it."""


@dataclass(frozen=True)
class CorsPolicy:
    origins: frozenset[str] = frozenset()  # lower-case; "*" allows any origin
    credentials: bool = False

    @classmethod
    def parse(cls, origins: str, *, credentials: bool = False) -> CorsPolicy:
        """From ``Host.CORS``'s comma-separated list (blanks and trailing slashes ignored)."""
        listed = (origin.strip().rstrip("/").lower() for origin in origins.split(","))
        return cls(frozenset(origin for origin in listed if origin), credentials)

    @classmethod
    def from_host_settings(cls, host: Mapping[str, object]) -> CorsPolicy:
        """From the ``Host`` object of ``local.settings.json``, read as ``func start`` reads it."""
        origins = host.get("CORS", "")
        credentials = host.get("CORSCredentials", False)
        if not isinstance(origins, str):
            raise CorsSettingsError("Host.CORS must be a string of comma-separated origins")
        if isinstance(credentials, str) and credentials.strip().lower() in ("true", "false"):
            credentials = credentials.strip().lower() == "true"
        if not isinstance(credentials, bool):
            raise CorsSettingsError("Host.CORSCredentials must be true or false")
        return cls.parse(origins, credentials=credentials)

    def allows(self, origin: str | None) -> bool:
        return self._allowed(origin) is not None

    def _allowed(self, origin: str | None) -> str | None:
        if not origin or not self.origins:
            return None
        if "*" in self.origins or origin.rstrip("/").lower() in self.origins:
            return origin
        return None

    def response_headers(self, origin: str | None) -> dict[str, str]:
        """The headers to set on a response to ``origin``; empty when it is not allowed."""
        allowed = self._allowed(origin)
        if allowed is None:
            return {}
        headers = {
            "Access-Control-Allow-Origin": allowed,
            "Access-Control-Expose-Headers": ", ".join(EXPOSED_HEADERS),
        }
        if self.credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers

    def preflight_headers(
        self,
        method: str,
        origin: str | None,
        request_method: str | None,
        request_headers: str | None,
    ) -> dict[str, str] | None:
        """The ``204`` headers when the host answers this preflight itself, else ``None``."""
        allowed = self._allowed(origin)
        if method != "OPTIONS" or not request_method or allowed is None:
            return None
        headers = {
            "Access-Control-Allow-Origin": allowed,
            "Access-Control-Allow-Methods": request_method.strip(),
            "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS),
        }
        if request_headers and request_headers.strip():
            headers["Access-Control-Allow-Headers"] = request_headers.strip()
        if self.credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers


def add_vary_origin(vary: str | None) -> str:
    """``Vary`` with ``Origin`` in it once."""
    if not vary:
        return "Origin"
    names = [name.strip().lower() for name in vary.split(",")]
    return vary if "origin" in names or "*" in names else f"{vary}, Origin"
