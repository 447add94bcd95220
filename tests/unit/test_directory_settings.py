"""DIRECTORY and DIRECTORY_GRAPH_URL: read once, checked at start-up, errors naming them."""

from __future__ import annotations

import pytest

from shared.config import ConfigError, DirectorySettings, load_settings

AUTH = {"AUTH_AUDIENCES": "api://x", "AUTH_ISSUER": "https://issuer", "AUTH_JWKS_URI": "k.json"}


def test_the_default_is_the_tokens_seen_and_graphs_public_url() -> None:
    assert load_settings(AUTH).directory == DirectorySettings(
        kind="tokens", graph_url="https://graph.microsoft.com"
    )


@pytest.mark.parametrize("value", ["graph", "Graph", " graph "])
def test_graph_is_any_case(value: str) -> None:
    assert load_settings({**AUTH, "DIRECTORY": value}).directory.kind == "graph"


@pytest.mark.parametrize("value", ["entra", "graph,tokens", "none"])
def test_anything_else_is_a_start_up_error_naming_the_setting(value: str) -> None:
    with pytest.raises(ConfigError, match="DIRECTORY must be 'tokens' or 'graph'"):
        load_settings({**AUTH, "DIRECTORY": value})


@pytest.mark.parametrize(
    "url",
    ["https://graph.microsoft.us/", "http://127.0.0.1:8080", "http://localhost:1/graph"],
)
def test_the_graph_url_is_https_or_loopback_http(url: str) -> None:
    directory = load_settings({**AUTH, "DIRECTORY_GRAPH_URL": url}).directory
    assert directory.graph_url == url.rstrip("/")


@pytest.mark.parametrize(
    "url", ["http://graph.example", "ftp://graph.example", "graph.microsoft.com", "https://[::1"]
)
def test_another_graph_url_is_a_start_up_error_naming_the_setting(url: str) -> None:
    with pytest.raises(ConfigError, match="DIRECTORY_GRAPH_URL must be an https:// URL"):
        load_settings({**AUTH, "DIRECTORY_GRAPH_URL": url})
