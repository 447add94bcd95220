"""What one "Add photos" request costs end to end, against a request that does no work.

    .venv/bin/python -m benchmarks.bench_add_photo [--requests N]

Starts its own Azurite and dev host (free ports, throw-away data) with the dev issuer's keys,
then sends, interleaved on one keep-alive connection each:

- baseline: ``GET /api/openapi.json`` (anonymous, served from memory: the HTTP round trip and
  the host's dispatch, nothing else);
- add: ``POST /api/me/photos`` with the seed body (token validation with cached keys, body
  validation, one Table Storage insert, the 201).

Prints medians in milliseconds and the ratio add / baseline; numbers from this run only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from devtools.azurite import start_azurite
from devtools.host_process import start_dev_host_process
from devtools.token import DEFAULT_AUDIENCE, DEFAULT_ISSUER, TokenRequest, ensure_dev_issuer, mint

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED = json.dumps({"@odata.type": "#microsoft.graph.profilePhoto", "height": 6, "width": 5})


def _timed(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> float:
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    if response.status >= 300:
        raise SystemExit(f"{method} {path} answered {response.status}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        issuer = ensure_dev_issuer(Path(scratch) / "issuer")
        token = mint(issuer, TokenRequest(lifetime_minutes=30))
        with start_azurite(location=Path(scratch) / "azurite", in_memory=True) as azurite:
            env = {
                **os.environ,
                "PHOTOS_STORAGE": azurite.connection_string,
                "PHOTOS_TABLE_NAME": "BenchPhotos",
                "AUTH_AUDIENCES": DEFAULT_AUDIENCE,
                "AUTH_ISSUER": DEFAULT_ISSUER,
                "AUTH_JWKS_URI": str(issuer.jwks_path),
            }
            env.pop("AUTH_TENANT_ID", None)
            with start_dev_host_process(REPO_ROOT, env=env) as host:
                port = int(host.origin.rsplit(":", 1)[1])
                plain = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                adder = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                for _ in range(20):  # warm-up: keys loaded, table created, connections open
                    _timed(plain, "GET", "/api/openapi.json")
                    _timed(adder, "POST", "/api/me/photos", body=SEED, headers=headers)
                baseline, add = [], []
                for _ in range(args.requests):
                    baseline.append(_timed(plain, "GET", "/api/openapi.json"))
                    add.append(_timed(adder, "POST", "/api/me/photos", body=SEED, headers=headers))

    base_ms = statistics.median(baseline) * 1000
    add_ms = statistics.median(add) * 1000
    print(f"requests per side:                              {args.requests}")
    print(f"GET /api/openapi.json (baseline):              {base_ms:7.2f} ms (median)")
    print(f"POST /api/me/photos (validate, insert, 201):   {add_ms:7.2f} ms (median)")
    print(f"ratio add / baseline:                          {add_ms / base_ms:7.2f}x")


if __name__ == "__main__":
    main()
