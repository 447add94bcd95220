"""What one "Add photos" costs inside the process, against floors measured in the same run.

    .venv/bin/python -m benchmarks.bench_in_process [--requests N]   (N >= 20000, the default)

Four pairs, each side timed call by call and the two sides alternated request by request:

- handler: ``PhotoApp.serve("add_photo", ...)`` over ``MemoryPhotoStore`` with a real RS256
  token (RSA 2048), for a first-seen token (a new user and token every request, ``/me``) and
  for a repeat token (one token adding for a new user every request, ``/users/{id}``: one
  user's photos stop at ``PHOTOS_PER_USER_LIMIT``), against a handler that answers a fixed
  ``201`` to the same request; every handler answer is checked to be the ``201``;
- token validation: ``TokenValidator.validate`` alone, first-seen and repeat, against a bare
  RSA verify (``cryptography``, PKCS#1 v1.5 + SHA-256) of the same token's signature;
- body parsing: ``shared.graph.body.parse_photo`` against ``json.loads`` of the same body.

Prints p50 / p99 in microseconds and the p50 ratio against the floor, then one JSON line.
The first-seen tokens are minted before timing (about 1 ms each).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import azure.functions as func
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from benchmarks._measure import machine, print_json, print_table, ratio, summary_us
from devtools.memory_sightings import MemorySightings
from devtools.memory_store import MemoryPhotoStore
from shared.app import PhotoApp
from shared.auth.directory import TokenSeenDirectory
from shared.auth.signing_keys import StaticKeySource
from shared.auth.tokens import TokenValidator
from shared.config import Settings
from shared.graph.body import parse_photo
from shared.operations import PhotoHandlers
from tests import tokens

ROOT = "http://localhost:7071/api"
BODY = json.dumps({"@odata.type": "#microsoft.graph.profilePhoto", "height": 6, "width": 5})
MIN_REQUESTS = 20_000

Call = Callable[[int], Awaitable[object]]


def _validator() -> TokenValidator:
    return TokenValidator(tokens.tenant_settings(), StaticKeySource(tokens.jwks()))


def _app() -> PhotoApp:
    seen = TokenSeenDirectory(MemorySightings())
    handlers = PhotoHandlers(_validator(), MemoryPhotoStore(), directory=seen, observer=seen)
    return PhotoApp(load=lambda: object.__new__(Settings), factory=lambda _settings: handlers)


def _request(token: str, target: str = "me/photos") -> func.HttpRequest:
    return func.HttpRequest(
        "POST",
        f"{ROOT}/{target}",
        headers={"Authorization": tokens.bearer(token), "Content-Type": "application/json"},
        params={},
        route_params={"target": target},
        body=BODY.encode(),
    )


async def _created(app: PhotoApp, request: func.HttpRequest) -> object:
    response = await app.serve("add_photo", request)
    if response.status_code != 201:
        raise SystemExit(f"add_photo answered {response.status_code}: {response.get_body()!r}")
    return response


def _rsa_verify(token: str) -> Callable[[], None]:
    """A bare RSA verify of ``token``'s signature, its inputs decoded beforehand."""
    signing_input, _, signature_b64 = token.rpartition(".")
    signature = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
    public_key = tokens.signing_key().private_key.public_key()
    data = signing_input.encode("ascii")

    def verify() -> None:
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())

    return verify


async def _pair(side: Call, floor: Call, requests: int) -> tuple[list[int], list[int]]:
    """Time ``side(i)`` and ``floor(i)`` for every i < ``requests``, alternating which goes
    first, after a warm-up on the numbers from ``requests`` on (so a first-seen token is never
    one the warm-up showed the token cache)."""
    ours: list[int] = []
    base: list[int] = []
    for warm in range(requests, requests + _warm_up(requests)):
        await side(warm)
        await floor(warm)
    for number in range(requests):
        order = ((ours, side), (base, floor)) if number % 2 == 0 else ((base, floor), (ours, side))
        for samples, call in order:
            started = time.perf_counter_ns()
            await call(number)
            samples.append(time.perf_counter_ns() - started)
    return ours, base


def _row(name: str, floor_name: str, ours: Sequence[int], base: Sequence[int]) -> dict[str, Any]:
    side, floor = summary_us(ours), summary_us(base)
    return {
        "case": name,
        "floor": floor_name,
        **side,
        "floor_p50_us": floor["p50_us"],
        "floor_p99_us": floor["p99_us"],
        "ratio_p50": ratio(side["p50_us"], floor["p50_us"]),
    }


def _warm_up(requests: int) -> int:
    return min(200, requests)


async def run(requests: int) -> list[dict[str, Any]]:
    warm = _warm_up(requests)
    started = time.perf_counter()
    fresh = [
        tokens.build_access_token(oid=str(uuid.uuid4()), uti=uuid.uuid4().hex)
        for _ in range(requests + warm)
    ]
    print(f"minted {len(fresh)} first-seen tokens in {time.perf_counter() - started:.1f} s")
    repeat = tokens.build_access_token()
    first_seen = fresh  # each token used once per validator: timed ones first, then warm-up

    async def fixed_201(function: str, req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(status_code=201)

    rows: list[dict[str, Any]] = []

    app = _app()
    fresh_requests = [_request(token) for token in first_seen]
    # One token, a new target user each request: one user's photos stop at the per-user limit.
    repeat_requests = [_request(repeat, f"users/{uuid.uuid4()}/photos") for _ in first_seen]

    async def handler_fresh(number: int) -> object:
        return await _created(app, fresh_requests[number])

    async def floor_fresh(number: int) -> object:
        return await fixed_201("add_photo", fresh_requests[number])

    rows.append(
        _row(
            "handler, first-seen token",
            "fixed 201",
            *await _pair(handler_fresh, floor_fresh, requests),
        )
    )

    async def handler_repeat(number: int) -> object:
        return await _created(app, repeat_requests[number])

    async def floor_repeat(number: int) -> object:
        return await fixed_201("add_photo", repeat_requests[number])

    rows.append(
        _row(
            "handler, repeat token",
            "fixed 201",
            *await _pair(handler_repeat, floor_repeat, requests),
        )
    )

    validator = _validator()
    fresh_headers = [tokens.bearer(token) for token in first_seen]
    verifies = [_rsa_verify(token) for token in first_seen]

    async def validate_fresh(number: int) -> object:
        return await validator.validate(fresh_headers[number])

    async def verify_fresh(number: int) -> object:
        verifies[number]()
        return None

    rows.append(
        _row(
            "validate, first-seen token",
            "RSA verify",
            *await _pair(validate_fresh, verify_fresh, requests),
        )
    )

    repeat_header = tokens.bearer(repeat)
    verify_repeat_token = _rsa_verify(repeat)

    async def validate_repeat(_number: int) -> object:
        return await validator.validate(repeat_header)

    async def verify_repeat(_number: int) -> object:
        verify_repeat_token()
        return None

    rows.append(
        _row(
            "validate, repeat token",
            "RSA verify",
            *await _pair(validate_repeat, verify_repeat, requests),
        )
    )

    body = BODY.encode()

    async def parse(_number: int) -> object:
        return parse_photo("application/json", body)

    async def loads(_number: int) -> object:
        return json.loads(body)

    rows.append(_row("body parsing", "json.loads", *await _pair(parse, loads, requests)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=MIN_REQUESTS, help="per side and case")
    args = parser.parse_args()
    requests = max(100, args.requests)
    where = machine()
    rows = asyncio.run(run(requests))
    print(f"{requests} requests per side and case; microseconds; ratio = p50 / floor p50")
    print_table(
        ["case", "p50", "p99", "floor", "floor p50", "floor p99", "ratio"],
        [
            [
                row["case"],
                f"{row['p50_us']:.1f}",
                f"{row['p99_us']:.1f}",
                row["floor"],
                f"{row['floor_p50_us']:.1f}",
                f"{row['floor_p99_us']:.1f}",
                f"{row['ratio_p50']:.2f}x",
            ]
            for row in rows
        ],
    )
    print_json("in_process", requests=requests, machine=where, cases=rows)


if __name__ == "__main__":
    main()
