"""Tokens sent every way a client might send one never reach the dev host's output.

``tests.leaks`` is the rule; the e2e fixtures check every host's output when it stops and every
response as it arrives. Here tokens go in the places a log line is most likely to pick up:
the Authorization header (valid, expired, tampered), the query string, another header and the
body; after them the host's output so far holds none, nor any other minted token.

Not the path: the dev host's access line shows the path as sent, as the Functions host's own
request telemetry records the URL; a client that puts a token in a path publishes it anyway.
"""

from __future__ import annotations

import pytest

from devtools.azurite import ACCOUNT_KEY
from tests import tokens
from tests.e2e.conftest import Service, assert_host_log_clean, send
from tests.leaks import FRAGMENT, leaks_in_lines, secrets_in


def _tokens() -> list[str]:
    return [
        tokens.build_access_token(),
        tokens.build_access_token_expired(),
        tokens.build_tampered_token(),
        tokens.build_evil_access_token(),
        tokens.build_alg_none_token(),
        tokens.build_wrong_audience_token(),
    ]


def test_the_rule_finds_fragments_of_tokens_and_the_account_key() -> None:
    token = tokens.build_access_token()
    assert secrets_in(f"request failed near {token[40 : 40 + FRAGMENT]}")
    assert not secrets_in(f"request failed near {token[40 : 40 + FRAGMENT - 1]}")
    assert secrets_in(f"key={ACCOUNT_KEY[5:30]}")
    assert secrets_in("Authorization: Bearer abcdefghijklmnop")
    assert leaks_in_lines(["fine", token]) == ["line 1: a secret's fragment at offset 0"]
    assert not secrets_in("request 1f0e… failed: InvalidAuthenticationToken")


@pytest.mark.parametrize("token", _tokens(), ids=range(6))
def test_a_token_anywhere_in_a_request_stays_out_of_the_log(service: Service, token: str) -> None:
    url = f"{service.base_url}/me/photos"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    replies = [
        send(url, method="GET", headers=headers),
        send(f"{url}?access_token={token}&$skiptoken={token}", method="GET", headers=headers),
        send(url, method="GET", headers={"X-Token": token, "Authorization": token}),
        send(url, body=f'{{"height": 6, "width": 5, "id": "{token}", "t": 1}}', headers=headers),
        send(url, body="{", headers={**headers, "Idempotency-Key": token}),
    ]

    assert all(reply.status < 500 for reply in replies)
    service.host.wait_for_stderr("\u0000never", timeout=0.3)  # let the last lines arrive
    assert_host_log_clean(service.host)
