"""Load through the dev host, real Azurite: many POSTs at once, one idempotency key sent many
times at once, and a user flooding the service at the photo limit while another user reads.

What must hold (DESIGN.md "Limits and hostile input"; docs/http-api.md): no 5xx; every 201 is
exactly one stored photo row with a unique id; concurrent repeats of one ``Idempotency-Key``
store one photo and all get it (``201``, same id); beyond ``PHOTOS_PER_USER_LIMIT`` a user gets
``403 QuotaLimitReached``, and flooding that answer does not slow another user down (its
median latency within 2x of the idle median).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from shared.storage.entities import COUNTER_ROW, entity_key
from tests.conftest import AzuriteEndpoint
from tests.e2e.conftest import Service, running_service
from tests.e2e.load_driver import Outcome, User, bounded, median_ms, open_session, repeat_until

pytestmark = [pytest.mark.azurite, pytest.mark.load]

logger = logging.getLogger(__name__)

POSTS = 2000
CONCURRENCY = 64
USERS = 20
LIMIT = 120
"""``PHOTOS_PER_USER_LIMIT`` of this module's host: above the 100 photos each load user adds."""
TIME_CAP = 180.0


@pytest.fixture(scope="module")
def load_service(azurite: AzuriteEndpoint, jwks_url: str) -> Iterator[Service]:
    with running_service(
        azurite.connection_string,
        jwks_url,
        table_prefix="load",
        settings={"PHOTOS_PER_USER_LIMIT": str(LIMIT)},
    ) as service:
        yield service


def _stored(service: Service, users: list[User]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The photo rows of ``users`` (bookkeeping rows left out) and each one's counter row
    (``%!count``) by partition: one query per user, never the whole table."""
    rows: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    with service.table() as table:
        for user in users:
            partition = entity_key(user.oid, "user")
            for row in table.query_entities("PartitionKey eq @p", parameters={"p": partition}):
                if "PhotoId" in row:
                    rows.append(dict(row))
                elif row["RowKey"] == COUNTER_ROW:
                    counts[partition] = int(row["Count"])
    return rows, counts


async def test_2000_posts_at_concurrency_64_are_2000_photos(load_service: Service) -> None:
    async with open_session() as session:
        users = [User(session, load_service.base_url) for _ in range(USERS)]

        async def post(index: int) -> None:
            await users[index % USERS].post({"height": 1 + index, "width": 5})

        started = time.monotonic()
        await bounded(POSTS, CONCURRENCY, post, time_cap=TIME_CAP)
        elapsed = time.monotonic() - started

    outcomes = [outcome for user in users for outcome in user.outcomes]
    statuses = Counter(outcome.status for outcome in outcomes)
    logger.info(
        "load: %d POSTs at concurrency %d over %d users in %.1f s (%.0f/s): %s; median %.0f ms",
        len(outcomes),
        CONCURRENCY,
        USERS,
        elapsed,
        len(outcomes) / elapsed,
        dict(statuses),
        median_ms(outcomes),
    )
    assert statuses == {201: POSTS}
    answered = {outcome.json()["id"]: outcome.json() for outcome in outcomes}
    assert len(answered) == POSTS  # every id unique
    rows, counts = _stored(load_service, users)
    assert len(rows) == POSTS
    assert {str(row["PhotoId"]): (row["Height"], row["Width"]) for row in rows} == {
        photo_id: (photo["height"], photo["width"]) for photo_id, photo in answered.items()
    }
    per_user = {entity_key(user.oid, "user"): POSTS // USERS for user in users}
    assert Counter(str(row["PartitionKey"]) for row in rows) == per_user
    assert counts == per_user


async def test_one_idempotency_key_sent_16_times_at_once_is_one_photo(
    load_service: Service,
) -> None:
    keys = [str(uuid4()) for _ in range(4)]
    async with open_session() as session:
        user = User(session, load_service.base_url)
        clients = [user.new_token() for _ in range(16)]  # 16 clients of one user

        async def post(key: str, token: str) -> Outcome:
            return await user.call(
                "POST",
                "me/photos",
                body=b'{"height": 6, "width": 5}',
                headers={"Content-Type": "application/json", "Idempotency-Key": key},
                token=token,
            )

        replies = await asyncio.gather(*(post(key, token) for key in keys for token in clients))

    by_key: dict[str, set[tuple[int, str, str]]] = {}
    for key, reply in zip([k for k in keys for _ in clients], replies, strict=True):
        by_key.setdefault(key, set()).add(
            (reply.status, reply.json().get("id", ""), reply.headers.get("location", ""))
        )
    assert all(len(answers) == 1 for answers in by_key.values()), by_key
    assert {status for answers in by_key.values() for status, _, _ in answers} == {201}
    ids = {photo_id for answers in by_key.values() for _, photo_id, _ in answers}
    assert len(ids) == len(keys)
    rows, counts = _stored(load_service, [user])
    assert sorted(str(row["PhotoId"]) for row in rows) == sorted(ids)
    assert counts == {entity_key(user.oid, "user"): len(keys)}


ROUNDS = 6
SAMPLES = 15
"""Samples of the other user's latency per round, idle and under the flood alike."""
FLOODERS = 32
FLOOD_RATE = 150
"""POSTs per second the flooders aim for together. A client at the limit retrying 150 times a
second must cost the service so little (a refused add reads storage at most once a second) that
another user does not notice; an unpaced flood would only measure that 2 cores saturate."""


async def test_a_user_at_the_limit_gets_403_and_does_not_slow_another_user(
    load_service: Service,
) -> None:
    async with open_session() as session:
        flooder = User(session, load_service.base_url)
        other = User(session, load_service.base_url)
        await bounded(LIMIT, 16, lambda _: flooder.post(), time_cap=TIME_CAP)
        assert {outcome.status for outcome in flooder.outcomes} == {201}
        flooder.outcomes.clear()
        assert (await other.post()).status == 201

        async def read() -> Outcome:
            reply = await other.call("GET", "me/photos")
            assert reply.status == 200, reply.body
            return reply

        async def paced_post() -> Outcome:
            outcome = await flooder.post()
            await asyncio.sleep(FLOODERS / FLOOD_RATE)
            return outcome

        for _ in range(5):  # warm: connections open, the other user's token validated
            await read()
        idle: list[Outcome] = []
        loaded: list[Outcome] = []
        flood_seconds = 0.0
        for _ in range(ROUNDS):  # interleaved, so drift in the machine's load hits both alike
            idle += [await read() for _ in range(SAMPLES)]
            stop = asyncio.Event()
            flood_started = time.monotonic()
            flood = [
                asyncio.create_task(repeat_until(stop, paced_post, most=10_000))
                for _ in range(FLOODERS)
            ]
            await asyncio.sleep(0.3)  # the flood in full swing
            loaded += [await read() for _ in range(SAMPLES)]
            stop.set()
            await asyncio.gather(*flood)
            flood_seconds += time.monotonic() - flood_started

    refused = flooder.outcomes
    statuses = Counter(outcome.status for outcome in refused)
    idle_ms, loaded_ms = median_ms(idle), median_ms(loaded)
    logger.info(
        "limit flood: %d POSTs from %d clients in %.1f s (%.0f/s): %s; other user's GET "
        "/me/photos median idle %.1f ms, under the flood %.1f ms (ratio %.2f, %d samples each)",
        len(refused),
        FLOODERS,
        flood_seconds,
        len(refused) / flood_seconds,
        dict(statuses),
        idle_ms,
        loaded_ms,
        loaded_ms / idle_ms,
        len(idle),
    )
    assert statuses == {403: len(refused)}
    assert {outcome.json()["error"]["code"] for outcome in refused} == {"QuotaLimitReached"}
    rows, counts = _stored(load_service, [flooder])
    assert (len(rows), counts) == (LIMIT, {entity_key(flooder.oid, "user"): LIMIT})
    assert loaded_ms <= 2 * idle_ms, (idle_ms, loaded_ms)
