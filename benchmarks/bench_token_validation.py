"""What ``TokenValidator.validate`` costs over the RSA verify it cannot avoid, keys cached.

    .venv/bin/python -m benchmarks.bench_token_validation [--rounds N] [--forged-rounds N]

Three comparisons, each side timed one call at a time, the sides alternating in chunks so
drift (other load on the machine, frequency changes) hits both alike:

* **first sight**: ``validate`` of tokens the validator has not seen (distinct signed tokens,
  a new validator per pass) against the floor, a bare ``cryptography`` RSA verify of the same
  token's signing input;
* **repeat**: ``validate`` of one token over and over (what a client sends for an hour)
  against the same floor;
* **forged**: ``validate`` of each forged kind in ``tests.tokens.FORGED_TOKENS`` against a
  valid first-sight token, and what each one came to (``401``, ``503``, ``accepted`` or the
  exception a 500 would come from).

Prints a table (p50 / p99 in microseconds, ratios of p50s) and one JSON line. Numbers are from
this run only; compare ratios, not absolute times, across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from shared.auth.signing_keys import StaticKeySource
from shared.auth.tokens import TokenValidator
from shared.graph.errors import GraphError
from tests import tokens

CHUNKS = 20
DISTINCT_TOKENS = 500


@dataclass(frozen=True)
class Side:
    p50: float
    p99: float


def _side(samples: list[int]) -> Side:
    ordered = sorted(samples)
    return Side(
        p50=statistics.median(ordered) / 1000,
        p99=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1000,
    )


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _floor(token: str, public_key: rsa.RSAPublicKey) -> Callable[[], None]:
    signing_input, _, signature = token.rpartition(".")
    message, raw_signature = signing_input.encode(), _b64decode(signature)

    def verify() -> None:
        public_key.verify(raw_signature, message, padding.PKCS1v15(), hashes.SHA256())

    return verify


async def _time(call: Callable[[], Awaitable[object]], rounds: int, into: list[int]) -> None:
    for _ in range(rounds):
        started = time.perf_counter_ns()
        await call()
        into.append(time.perf_counter_ns() - started)


def _sync(call: Callable[[], object]) -> Callable[[], Awaitable[object]]:
    async def run() -> object:
        return call()

    return run


async def _alternate(
    left: Callable[[], Awaitable[object]],
    right: Callable[[], Awaitable[object]],
    rounds: int,
) -> tuple[Side, Side]:
    await _time(left, max(50, rounds // 20), [])
    await _time(right, max(50, rounds // 20), [])
    left_samples: list[int] = []
    right_samples: list[int] = []
    chunk = max(1, rounds // CHUNKS)
    for _ in range(CHUNKS):
        await _time(left, chunk, left_samples)
        await _time(right, chunk, right_samples)
    return _side(left_samples), _side(right_samples)


def _validator() -> TokenValidator:
    return TokenValidator(tokens.tenant_settings(), StaticKeySource(tokens.jwks()))


class _FirstSight:
    """Validates distinct tokens, each once per validator; the floor verifies the same ones."""

    def __init__(self, signed: Sequence[str], public_key: rsa.RSAPublicKey) -> None:
        self._headers = [tokens.bearer(token) for token in signed]
        self._floors = [_floor(token, public_key) for token in signed]
        self._validator = _validator()
        self._next_validate = 0
        self._next_floor = 0

    async def validate(self) -> object:
        if self._next_validate == len(self._headers):
            self._next_validate, self._validator = 0, _validator()
        header = self._headers[self._next_validate]
        self._next_validate += 1
        return await self._validator.validate(header)

    async def floor(self) -> object:
        verify = self._floors[self._next_floor % len(self._floors)]
        self._next_floor += 1
        return verify()


async def _outcome(validator: TokenValidator, header: str) -> str:
    try:
        await validator.validate(header)
    except GraphError as error:
        return str(error.status)
    except Exception as error:  # what the app would turn into a 500
        return f"500 ({type(error).__name__})"
    return "accepted"


def _forged_call(validator: TokenValidator, header: str) -> Callable[[], Awaitable[object]]:
    async def call() -> object:
        try:
            return await validator.validate(header)
        except Exception as error:  # timed either way: 401s and (before the fixes) 500s
            return error

    return call


async def run(rounds: int, forged_rounds: int) -> dict[str, Any]:
    public_key = tokens.signing_key().private_key.public_key()
    signed = [tokens.build_access_token() for _ in range(DISTINCT_TOKENS)]

    first = _FirstSight(signed, public_key)
    floor_first, first_sight = await _alternate(first.floor, first.validate, rounds)

    repeat_header = tokens.bearer(signed[0])
    repeat_validator = _validator()
    floor_repeat, repeat = await _alternate(
        _sync(_floor(signed[0], public_key)),
        lambda: repeat_validator.validate(repeat_header),
        rounds,
    )

    forged: dict[str, dict[str, Any]] = {}
    forged_validator = _validator()
    for name, build in tokens.FORGED_TOKENS.items():
        header = tokens.bearer(build())
        outcome = await _outcome(forged_validator, header)
        valid = _FirstSight(signed[:100], public_key)
        valid_side, forged_side = await _alternate(
            valid.validate, _forged_call(forged_validator, header), forged_rounds
        )
        forged[name] = {
            "outcome": outcome,
            "p50_us": round(forged_side.p50, 1),
            "p99_us": round(forged_side.p99, 1),
            "valid_p50_us": round(valid_side.p50, 1),
            "ratio_to_valid": round(forged_side.p50 / valid_side.p50, 2),
        }
    return {
        "rounds": rounds,
        "forged_rounds": forged_rounds,
        "floor_rsa_verify_p50_us": round(floor_first.p50, 1),
        "first_sight_p50_us": round(first_sight.p50, 1),
        "first_sight_p99_us": round(first_sight.p99, 1),
        "first_sight_ratio": round(first_sight.p50 / floor_first.p50, 2),
        "repeat_floor_p50_us": round(floor_repeat.p50, 1),
        "repeat_p50_us": round(repeat.p50, 1),
        "repeat_p99_us": round(repeat.p99, 1),
        "repeat_ratio": round(repeat.p50 / floor_repeat.p50, 2),
        "forged": forged,
    }


def _print(result: dict[str, Any]) -> None:
    print(f"{'side':34} {'p50 us':>9} {'p99 us':>9} {'x floor':>8}")
    floor = result["floor_rsa_verify_p50_us"]
    print(f"{'RSA verify (floor)':34} {floor:9.1f} {'':>9} {1:8.2f}")
    print(
        f"{'validate, first sight':34} {result['first_sight_p50_us']:9.1f}"
        f" {result['first_sight_p99_us']:9.1f} {result['first_sight_ratio']:8.2f}"
    )
    print(
        f"{'validate, repeat (floor ' + str(result['repeat_floor_p50_us']) + ')':34}"
        f" {result['repeat_p50_us']:9.1f} {result['repeat_p99_us']:9.1f}"
        f" {result['repeat_ratio']:8.2f}"
    )
    print()
    print(f"{'forged kind':24} {'outcome':26} {'p50 us':>9} {'p99 us':>9} {'x valid':>8}")
    for name, row in result["forged"].items():
        print(
            f"{name:24} {row['outcome']:26} {row['p50_us']:9.1f} {row['p99_us']:9.1f}"
            f" {row['ratio_to_valid']:8.2f}"
        )
    print(json.dumps(result, separators=(",", ":")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20_000)
    parser.add_argument("--forged-rounds", type=int, default=2_000)
    args = parser.parse_args()
    _print(asyncio.run(run(max(CHUNKS, args.rounds), max(CHUNKS, args.forged_rounds))))


if __name__ == "__main__":
    main()
