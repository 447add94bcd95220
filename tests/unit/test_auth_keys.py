"""JWK Set parsing, the in-memory key source, and JwksKeySource over a file (no network)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from shared.auth.signing_keys import (
    JwksError,
    JwksKeySource,
    SigningKeysUnavailable,
    StaticKeySource,
    UnknownSigningKey,
    parse_jwks,
)
from tests import tokens
from tests.tokens import FakeClock


def _write(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document))


def test_parse_keeps_rs256_signing_keys() -> None:
    keys = parse_jwks(tokens.jwks(tokens.signing_key(), tokens.rotated_key()))
    assert sorted(keys) == ["test-key-1", "test-key-2"]
    assert keys["test-key-1"].algorithm_name == "RS256"


def test_parse_accepts_entra_style_keys_without_alg_or_use() -> None:
    jwk = tokens.signing_key().public_jwk()
    del jwk["use"]
    jwk["x5t"] = "thumbprint"
    assert list(parse_jwks({"keys": [jwk]})) == ["test-key-1"]


def test_parse_skips_unusable_keys_without_failing_the_set() -> None:
    good = tokens.signing_key().public_jwk()
    weak_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    weak = RSAAlgorithm.to_jwk(weak_key.public_key(), as_dict=True)
    ec_key = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), as_dict=True)
    document = {
        "keys": [
            tokens.rotated_key().public_jwk(kid="enc", use="enc"),
            tokens.rotated_key().public_jwk(kid="rs384", alg="RS384"),
            tokens.rotated_key().public_jwk(kid="sign-only", key_ops=["sign"]),
            {**tokens.rotated_key().public_jwk(), "kid": None},
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac", "alg": "HS256"},
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac-no-alg"},
            {**ec_key, "kid": "ec"},
            {**weak, "kid": "weak"},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            "not a key",
            good,
        ]
    }
    assert list(parse_jwks(document)) == ["test-key-1"]


def test_parse_only_unusable_keys_is_empty() -> None:
    assert parse_jwks({"keys": [tokens.signing_key().public_jwk(use="enc")]}) == {}


@pytest.mark.parametrize("document", [[], {"keys": "x"}, {}, "keys", None])
def test_parse_refuses_what_is_not_a_jwk_set(document: object) -> None:
    with pytest.raises(JwksError):
        parse_jwks(document)


async def test_static_source_finds_kid() -> None:
    source = StaticKeySource(tokens.jwks())
    assert (await source.signing_key("test-key-1")).key_id == "test-key-1"


async def test_static_source_unknown_kid() -> None:
    with pytest.raises(UnknownSigningKey):
        await StaticKeySource(tokens.jwks()).signing_key("nope")


@pytest.mark.parametrize(
    "uri",
    ["http://login.example.com/keys", "http://10.0.0.1/keys", "ftp://127.0.0.1/keys", "ldap://x/y"],
)
def test_refuses_insecure_or_unknown_uris(uri: str) -> None:
    with pytest.raises(ValueError, match="JWKS URI"):
        JwksKeySource(uri)


async def test_file_source_loads_once_and_caches(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    _write(path, tokens.jwks())
    source = JwksKeySource(str(path), clock=FakeClock())
    assert (await source.signing_key("test-key-1")).key_id == "test-key-1"
    path.unlink()  # cached: the file is not read again
    assert (await source.signing_key("test-key-1")).key_id == "test-key-1"
    await source.aclose()


async def test_file_uri(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    _write(path, tokens.jwks())
    source = JwksKeySource(path.as_uri())
    assert (await source.signing_key("test-key-1")).key_id == "test-key-1"


async def test_unknown_kid_refetches_once_per_window(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    _write(path, tokens.jwks())
    clock = FakeClock()
    source = JwksKeySource(str(path), min_refetch_interval=60, clock=clock)
    await source.signing_key("test-key-1")
    _write(path, tokens.jwks(tokens.signing_key(), tokens.rotated_key()))
    with pytest.raises(UnknownSigningKey):
        await source.signing_key("test-key-2")  # within the window of the first fetch
    clock.advance(60)
    assert (await source.signing_key("test-key-2")).key_id == "test-key-2"


async def test_missing_file_is_unavailable_until_the_window_passes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "jwks.json"
    clock = FakeClock()
    source = JwksKeySource(str(path), min_refetch_interval=30, clock=clock)
    with caplog.at_level(logging.ERROR), pytest.raises(SigningKeysUnavailable) as caught:
        await source.signing_key("test-key-1")
    assert caught.value.retry_after == 30
    assert "FileNotFoundError" in caplog.text
    _write(path, tokens.jwks())
    clock.advance(10)
    with pytest.raises(SigningKeysUnavailable) as caught:
        await source.signing_key("test-key-1")  # throttled: no new attempt yet
    assert caught.value.retry_after == 20
    clock.advance(20)
    assert (await source.signing_key("test-key-1")).key_id == "test-key-1"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JWK Set"),
        (json.dumps({"keys": [tokens.signing_key().public_jwk(use="enc")]}).encode(), "no usable"),
    ],
)
async def test_unusable_documents_are_unavailable(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "jwks.json"
    path.write_bytes(content)
    with pytest.raises(SigningKeysUnavailable, match=reason):
        await JwksKeySource(str(path)).signing_key("test-key-1")


async def test_oversized_document_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_bytes(b" " * (1024 * 1024 + 1))
    with pytest.raises(SigningKeysUnavailable, match="larger than"):
        await JwksKeySource(str(path)).signing_key("test-key-1")


async def test_stale_keys_answer_while_refreshing(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    _write(path, tokens.jwks())
    clock = FakeClock()
    source = JwksKeySource(str(path), refresh_interval=600, min_refetch_interval=60, clock=clock)
    await source.signing_key("test-key-1")
    _write(path, tokens.jwks(tokens.rotated_key()))
    clock.advance(600)
    # stale: the cached key answers at once and a background refresh starts
    assert (await source.signing_key("test-key-1")).key_id == "test-key-1"
    # the rotated kid joins (or finds the result of) that refresh, without a fetch of its own
    assert (await source.signing_key("test-key-2")).key_id == "test-key-2"
    with pytest.raises(UnknownSigningKey):
        await source.signing_key("test-key-1")  # retired by the rotation
    await source.aclose()


async def test_failed_refresh_keeps_last_good_keys(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "jwks.json"
    _write(path, tokens.jwks())
    clock = FakeClock()
    source = JwksKeySource(str(path), min_refetch_interval=60, clock=clock)
    await source.signing_key("test-key-1")
    path.write_text("{ broken")
    clock.advance(60)
    with caplog.at_level(logging.WARNING), pytest.raises(UnknownSigningKey):
        await source.signing_key("unknown")
    assert "keeping the 1 keys loaded before" in caplog.text
    assert (await source.signing_key("test-key-1")).key_id == "test-key-1"
