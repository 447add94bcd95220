"""What the load and fault-under-load e2e tests share: users calling the dev host over one
aiohttp session, every answer recorded with its start and end times, bounded drivers.

A connection the client could not use (refused, reset, timed out) is recorded as status 0, so a
test asserts on it like on any status instead of losing it in an exception.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import aiohttp

from tests.tokens import build_access_token

SEED = {"height": 6, "width": 5}
CLIENT_TIMEOUT = 60.0
"""Seconds for one request, longer than any the service may take (its store deadline is 20)."""


@dataclass(frozen=True)
class Outcome:
    """One request and its answer (status 0: no answer)."""

    method: str
    path: str
    started: float
    ended: float
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    def json(self) -> Any:
        return json.loads(self.body)


def open_session() -> aiohttp.ClientSession:
    """One session for a whole test: pooled connections, no limit of its own on them."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0),
        timeout=aiohttp.ClientTimeout(total=CLIENT_TIMEOUT),
    )


@dataclass
class User:
    """A delegated user of their own, calling ``base_url`` with ``session``."""

    session: aiohttp.ClientSession
    base_url: str
    oid: str = field(default_factory=lambda: str(uuid4()))
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.token = self.new_token()

    def new_token(self, **claims: Any) -> str:
        """A token for this user never seen by the service (its own ``uti``)."""
        upn = f"user-{self.oid}@contoso.example"
        return build_access_token(oid=self.oid, preferred_username=upn, **claims)

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> Outcome:
        sent = {"Authorization": f"Bearer {token or self.token}", **(headers or {})}
        started = time.monotonic()
        try:
            async with self.session.request(
                method, f"{self.base_url}/{path}", data=body, headers=sent
            ) as response:
                payload = await response.read()
                status, answer = (
                    response.status,
                    {k.lower(): v for k, v in response.headers.items()},
                )
        except (aiohttp.ClientError, TimeoutError):
            status, answer, payload = 0, {}, b""
        outcome = Outcome(method, path, started, time.monotonic(), status, answer, payload)
        self.outcomes.append(outcome)
        return outcome

    async def post(
        self, photo: Mapping[str, Any] = SEED, *, token: str | None = None, **headers: str
    ) -> Outcome:
        sent = {"Content-Type": "application/json", **headers}
        body = json.dumps(photo).encode()
        return await self.call("POST", "me/photos", body=body, headers=sent, token=token)


async def bounded(
    count: int, concurrency: int, job: Callable[[int], Awaitable[object]], *, time_cap: float
) -> None:
    """``job(0)`` … ``job(count - 1)`` on ``concurrency`` workers; ``TimeoutError`` past
    ``time_cap`` seconds."""
    jobs = iter(range(count))

    async def worker() -> None:
        for index in jobs:  # one shared iterator: each index goes to one worker
            await job(index)

    async with asyncio.timeout(time_cap):
        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def repeat_until(
    stop: asyncio.Event, job: Callable[[], Awaitable[object]], *, most: int
) -> None:
    """Call ``job`` until ``stop`` is set, at most ``most`` times (a bound if stop never comes)."""
    for _ in range(most):
        if stop.is_set():
            return
        await job()


def unavailable_problems(outcome: Outcome) -> list[str]:
    """What is wrong with ``outcome`` as the documented 503 (empty: nothing)."""
    if outcome.status != 503:
        return [f"status {outcome.status}"]
    problems = []
    if outcome.json()["error"]["code"] != "ServiceUnavailable":
        problems.append(f"code {outcome.json()['error']['code']}")
    retry_after = outcome.headers.get("retry-after", "")
    if not (retry_after.isdigit() and int(retry_after) >= 1):
        problems.append(f"Retry-After {retry_after!r}")
    return problems


def median_ms(outcomes: list[Outcome]) -> float:
    return statistics.median(o.seconds for o in outcomes) * 1000
