"""The dev host's CORS policy, as the Functions platform applies Host.CORS."""

from __future__ import annotations

import pytest

from devtools.cors import EXPOSED_HEADERS, CorsPolicy, CorsSettingsError, add_vary_origin

_LOCAL = CorsPolicy.parse("http://localhost:8080, http://127.0.0.1:8080/,")


def test_an_allowed_origin_is_echoed_with_the_exposed_headers() -> None:
    headers = _LOCAL.response_headers("http://localhost:8080")
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:8080"
    exposed = [name.strip() for name in headers["Access-Control-Expose-Headers"].split(",")]
    assert exposed == list(EXPOSED_HEADERS)
    assert "Access-Control-Allow-Credentials" not in headers


@pytest.mark.parametrize(
    "origin", ["http://localhost:8081", "https://localhost:8080", "http://evil.example", "", None]
)
def test_other_origins_get_nothing(origin: str | None) -> None:
    assert _LOCAL.response_headers(origin) == {}
    assert _LOCAL.preflight_headers("OPTIONS", origin, "POST", None) is None


def test_origins_compare_case_insensitively_and_ignore_a_trailing_slash() -> None:
    assert _LOCAL.allows("HTTP://127.0.0.1:8080")
    assert _LOCAL.allows("http://localhost:8080/")


def test_star_allows_any_origin_and_echoes_it() -> None:
    policy = CorsPolicy.parse("*")
    assert policy.response_headers("https://a.example")["Access-Control-Allow-Origin"] == (
        "https://a.example"
    )


def test_no_origins_allow_nothing() -> None:
    assert not CorsPolicy.parse("").allows("http://localhost:8080")


def test_credentials_are_allowed_when_configured() -> None:
    policy = CorsPolicy.parse("http://localhost:8080", credentials=True)
    assert policy.response_headers("http://localhost:8080")["Access-Control-Allow-Credentials"] == (
        "true"
    )
    preflight = policy.preflight_headers("OPTIONS", "http://localhost:8080", "PUT", None)
    assert preflight is not None and preflight["Access-Control-Allow-Credentials"] == "true"


def test_a_preflight_echoes_the_requested_method_and_headers() -> None:
    preflight = _LOCAL.preflight_headers(
        "OPTIONS", "http://localhost:8080", "PUT", "authorization, content-type"
    )
    assert preflight is not None
    assert preflight["Access-Control-Allow-Methods"] == "PUT"
    assert preflight["Access-Control-Allow-Headers"] == "authorization, content-type"
    assert int(preflight["Access-Control-Max-Age"]) > 0


@pytest.mark.parametrize(
    ("method", "requested"), [("OPTIONS", None), ("OPTIONS", ""), ("GET", "PUT")]
)
def test_only_options_with_a_requested_method_is_a_preflight(
    method: str, requested: str | None
) -> None:
    assert _LOCAL.preflight_headers(method, "http://localhost:8080", requested, None) is None


def test_host_settings_are_read_as_func_start_reads_them() -> None:
    policy = CorsPolicy.from_host_settings({"CORS": "http://a.example", "CORSCredentials": "true"})
    assert policy == CorsPolicy(frozenset({"http://a.example"}), credentials=True)
    assert CorsPolicy.from_host_settings({"LocalHttpPort": 7071}) == CorsPolicy()


@pytest.mark.parametrize(
    ("settings", "named"),
    [({"CORS": ["http://a"]}, "Host.CORS"), ({"CORSCredentials": "yes"}, "Host.CORSCredentials")],
)
def test_bad_host_settings_name_the_setting(settings: dict[str, object], named: str) -> None:
    with pytest.raises(CorsSettingsError, match=named):
        CorsPolicy.from_host_settings(settings)


@pytest.mark.parametrize(
    ("vary", "expected"),
    [(None, "Origin"), ("Accept", "Accept, Origin"), ("accept, origin", "accept, origin")],
)
def test_vary_gets_origin_once(vary: str | None, expected: str) -> None:
    assert add_vary_origin(vary) == expected
