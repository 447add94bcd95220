"""How much one ``TokenValidator.validate`` costs over a bare ``jwt.decode``, keys cached.

    .venv/bin/python -m benchmarks.bench_token_validation [--rounds N]

Both sides verify the same RS256 token (RSA 2048) with the same checks (signature, exp,
nbf, iat, aud, iss); the baseline is handed the public key directly, the validator goes
through the header parsing, the key source (cached) and the claim mapping. Prints the
median of many single calls, in microseconds, and the ratio; numbers from one run only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt

from shared.auth.signing_keys import StaticKeySource
from shared.auth.tokens import TokenValidator
from tests import tokens


def _median_us(samples: list[int]) -> float:
    return statistics.median(samples) / 1000


def _time_sync(call: Callable[[], Any], rounds: int) -> list[int]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - started)
    return samples


async def _time_async(call: Callable[[], Awaitable[Any]], rounds: int) -> list[int]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter_ns()
        await call()
        samples.append(time.perf_counter_ns() - started)
    return samples


async def run(rounds: int) -> tuple[float, float]:
    settings = tokens.tenant_settings()
    token = tokens.build_access_token()
    header = tokens.bearer(token)
    public_key = tokens.signing_key().private_key.public_key()
    validator = TokenValidator(settings, StaticKeySource(tokens.jwks()))

    def baseline() -> dict[str, Any]:
        return jwt.decode(
            token,
            public_key,
            algorithms=["RS256"],
            audience=list(settings.audiences),
            issuer=settings.issuers,
            leeway=settings.clock_skew_seconds,
        )

    async def validate() -> object:
        return await validator.validate(header)

    warm_up = max(100, rounds // 10)
    _time_sync(baseline, warm_up)
    await _time_async(validate, warm_up)
    # interleave the two so drift (thermal, other load) hits both alike
    base_samples: list[int] = []
    validator_samples: list[int] = []
    for _ in range(10):
        base_samples += _time_sync(baseline, rounds // 10)
        validator_samples += await _time_async(validate, rounds // 10)
    return _median_us(base_samples), _median_us(validator_samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5000)
    args = parser.parse_args()
    base, ours = asyncio.run(run(max(10, args.rounds)))
    print(f"jwt.decode with the key given (baseline): {base:8.1f} us  (median)")
    print(f"TokenValidator.validate, key cached:      {ours:8.1f} us  (median)")
    print(f"ratio validate / baseline:                {ours / base:8.2f}x")


if __name__ == "__main__":
    main()
