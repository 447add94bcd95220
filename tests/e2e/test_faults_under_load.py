"""Dependencies failing while the service is under steady load: real Azurite (tables and blobs)
stopped and restarted, the key endpoint (a JWKS on loopback) answering 500, hanging or
closing, storage stopped while ~1 MiB photos are being uploaded.

What must hold (docs/http-api.md, DESIGN.md): while a dependency is down, the only failures are
the documented ``503 ServiceUnavailable`` with an integer ``Retry-After`` (storage), or none at
all (the key endpoint: the keys loaded before keep validating tokens; a token signed by a key
never loaded is a ``401``, and the endpoint is asked at most once per throttle window); the
service recovers without a restart; every acknowledged photo (``201``, ``200``) is there and
whole at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import uuid4

import aiohttp
import pytest
from PIL import Image

from devtools.azurite import AzuriteProcess, start_azurite
from shared.auth.signing_keys import DEFAULT_FETCH_TIMEOUT, DEFAULT_MIN_REFETCH_INTERVAL
from shared.media import render_sizes
from shared.storage.entities import entity_key
from tests.e2e.conftest import Service, running_service, send
from tests.e2e.load_driver import Outcome, User, open_session, repeat_until, unavailable_problems
from tests.e2e.photo_media import PhotoCaller, jpeg
from tests.tokens import build_access_token, jwks, rotated_key

pytestmark = [pytest.mark.azurite, pytest.mark.load]

logger = logging.getLogger(__name__)

POSTERS = 8
READERS = 2
MOST = 100_000
"""Requests per worker at most: a bound should ``stop`` never be set."""
RECOVERY = 5.0
"""Seconds after storage is back by which every request succeeds again."""


class _KeysHandler(BaseHTTPRequestHandler):
    server: FailingJwks

    def do_GET(self) -> None:
        keys = self.server
        keys.requests += 1
        if keys.mode == "close":
            self.close_connection = True  # no answer at all
            return
        if keys.mode == "hang":
            keys.released.wait(DEFAULT_FETCH_TIMEOUT * 3)
        status, body = (500, b"down") if keys.mode == "error" else (200, keys.document)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class FailingJwks(ThreadingHTTPServer):
    """The test issuer's JWKS on loopback; ``mode`` ``"ok"``, ``"error"`` (500), ``"hang"``
    (no answer until ``released``) or ``"close"`` (the connection closed unanswered)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _KeysHandler)
        self.document = json.dumps(jwks()).encode()
        self.mode = "ok"
        self.requests = 0
        self.released = threading.Event()
        self.url = f"http://127.0.0.1:{self.server_address[1]}/discovery/v2.0/keys"


@pytest.fixture(scope="module")
def keys() -> Iterator[FailingJwks]:
    server = FailingJwks()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def own_azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzuriteProcess]:
    azurite = start_azurite(location=tmp_path_factory.mktemp("e2e-faults-load"), blob_port=0)
    try:
        yield azurite
    finally:
        azurite.stop()


@pytest.fixture(autouse=True)
def _dependencies_up(own_azurite: AzuriteProcess, keys: FailingJwks) -> None:
    own_azurite.start()  # a failed test may have left them down
    keys.mode = "ok"
    keys.released.clear()


@contextlib.contextmanager
def _service(azurite: AzuriteProcess, keys: FailingJwks) -> Iterator[Service]:
    with running_service(
        azurite.connection_string,
        keys.url,
        table_prefix="faultload",
        settings={"PHOTOS_PER_USER_LIMIT": "10000"},  # posters never meet the limit
    ) as service:
        yield service


@pytest.fixture(scope="module")
def service(own_azurite: AzuriteProcess, keys: FailingJwks) -> Iterator[Service]:
    with _service(own_azurite, keys) as running:
        yield running


KEY_FAILURES = ("error", "hang", "close")


@dataclass(frozen=True)
class PrimedHost:
    service: Service
    refetch_at: float
    """When the host's key cache may fetch again (``time.monotonic()``): it loaded the keys
    once, and fetches at most once per ``DEFAULT_MIN_REFETCH_INTERVAL``."""


@pytest.fixture(scope="module", autouse=True)
def primed_hosts(own_azurite: AzuriteProcess, keys: FailingJwks) -> Iterator[dict[str, PrimedHost]]:
    """A host per key endpoint failure, keys loaded when the module starts: by the time the key
    tests run (last), their throttle window has mostly passed, so a failure can be met."""
    with contextlib.ExitStack() as stack:
        hosts = {}
        for mode in KEY_FAILURES:
            service = stack.enter_context(_service(own_azurite, keys))
            oid = str(uuid4())
            user = _caller(service, oid, build_access_token(oid=oid))
            assert user.call("GET", "me/photos").status == 200  # the keys are loaded
            hosts[mode] = PrimedHost(service, time.monotonic() + DEFAULT_MIN_REFETCH_INTERVAL)
        yield hosts


async def _under_load(
    session: aiohttp.ClientSession,
    service: Service,
    during: Callable[[], Awaitable[None]],
    *,
    fresh_tokens: bool = False,
) -> tuple[list[User], list[User]]:
    """``POSTERS`` users adding photos and ``READERS`` users reading theirs, all the while
    ``during()`` runs; ``fresh_tokens``: every other request with a token never sent before."""
    posters = [User(session, service.base_url) for _ in range(POSTERS)]
    readers = [User(session, service.base_url) for _ in range(READERS)]
    for user in readers:
        assert (await user.post()).status == 201
    stop = asyncio.Event()

    def post(user: User) -> Callable[[], Awaitable[Outcome]]:
        sent = iter(range(MOST))

        async def one() -> Outcome:
            index = next(sent)
            token = user.new_token() if fresh_tokens and index % 2 else None
            return await user.post({"height": 1 + index, "width": 5}, token=token)

        return one

    def read(user: User) -> Callable[[], Awaitable[None]]:
        async def one() -> None:
            listing = await user.call("GET", "me/photos?$top=5")
            if listing.status == 200:
                await user.call("GET", f"me/photos/{listing.json()['value'][0]['id']}")

        return one

    workers = [repeat_until(stop, post(user), most=MOST) for user in posters]
    workers += [repeat_until(stop, read(user), most=MOST) for user in readers]
    running = [asyncio.create_task(worker) for worker in workers]
    try:
        await during()
    finally:
        stop.set()
        await asyncio.gather(*running)
    return posters, readers


def _acknowledged_photos_are_stored(service: Service, posters: list[User]) -> None:
    """Every 201 is a stored photo row and a listed photo, with what was posted; a photo stored
    beyond those is at most one per POST whose answer was a 503."""
    for user in posters:
        posted = {o.json()["id"]: o.json() for o in user.outcomes if o.status == 201}
        unanswered = sum(1 for o in user.outcomes if o.method == "POST" and o.status == 503)
        listed = {photo["id"]: photo for photo in _listing(service, user)}
        assert posted.keys() <= listed.keys()
        assert len(listed) - len(posted) <= unanswered
        for photo_id, photo in posted.items():
            assert listed[photo_id] == {k: v for k, v in photo.items() if k != "@odata.context"}
        with service.table() as table:
            rows = table.query_entities(
                "PartitionKey eq @p", parameters={"p": entity_key(user.oid, "user")}
            )
            stored = {
                row["PhotoId"]: (row["Height"], row["Width"]) for row in rows if "PhotoId" in row
            }
        assert stored.keys() == listed.keys()
        assert all(stored[i] == (p["height"], p["width"]) for i, p in posted.items())


def _listing(service: Service, user: User) -> list[dict[str, Any]]:
    """The user's whole ``/me/photos``, page after page."""
    photos: list[dict[str, Any]] = []
    url: str | None = f"{service.base_url}/me/photos?$top=999"
    while url is not None:
        reply = send(url, method="GET", headers={"Authorization": f"Bearer {user.token}"})
        assert reply.status == 200, reply.body
        photos += reply.json()["value"]
        url = reply.json().get("@odata.nextLink")
    return photos


def _caller(service: Service, oid: str, token: str) -> PhotoCaller:
    """The user ``oid``, calling with blocking requests (outside the load)."""
    caller = PhotoCaller(service.base_url, service.connection_string, service.table_name, oid)
    caller.token = token
    return caller


def _all_outcomes(*groups: list[User]) -> list[Outcome]:
    return [outcome for users in groups for user in users for outcome in user.outcomes]


async def test_storage_stopped_and_restarted_under_load(
    service: Service, own_azurite: AzuriteProcess
) -> None:
    marks: dict[str, float] = {}

    async def outage() -> None:
        await asyncio.sleep(2)
        marks["stopping"] = time.monotonic()
        await asyncio.to_thread(own_azurite.stop)
        await asyncio.sleep(2)
        marks["starting"] = time.monotonic()
        await asyncio.to_thread(own_azurite.start)
        marks["started"] = time.monotonic()
        await asyncio.sleep(RECOVERY + 3)  # the load goes on: recovery, then steady again

    async with open_session() as session:
        posters, readers = await _under_load(session, service, outage)

    outcomes = _all_outcomes(posters, readers)
    statuses = Counter(o.status for o in outcomes)
    unavailable = [o for o in outcomes if o.status == 503]
    logger.info(
        "storage outage under load: %d requests %s; 503s from %.2f s to %.2f s after the "
        "stop began; Azurite stop %.2f s, start %.2f s",
        len(outcomes),
        dict(statuses),
        min(o.ended for o in unavailable) - marks["stopping"],
        max(o.ended for o in unavailable) - marks["stopping"],
        marks["starting"] - marks["stopping"] - 2,
        marks["started"] - marks["starting"],
    )
    assert set(statuses) <= {200, 201, 503}, statuses
    assert unavailable, "the outage was not seen"
    assert [p for o in unavailable for p in unavailable_problems(o)] == []
    # 503s only while storage was down (or for requests begun before it was back)
    assert all(marks["stopping"] <= o.ended for o in unavailable)
    assert all(o.started <= marks["started"] + RECOVERY for o in unavailable)
    after = [o for o in outcomes if o.started > marks["started"] + RECOVERY]
    assert {o.status for o in after} == {200, 201}  # recovered, without a restart
    _acknowledged_photos_are_stored(service, posters)
    assert not any("Traceback" in line for line in service.host.stderr_lines())


UPLOADERS = 3
UPLOAD_SIDE = 1120
"""Pixels a side of the uploads: a JPEG of about 1 MiB."""


async def test_storage_stopped_in_the_middle_of_photo_uploads(
    service: Service, own_azurite: AzuriteProcess
) -> None:
    sources = [
        [jpeg(UPLOAD_SIDE, UPLOAD_SIDE, seed=10 * u + n) for n in range(4)]
        for u in range(UPLOADERS)
    ]
    marks: dict[str, float] = {}

    async with open_session() as session:
        uploaders = [User(session, service.base_url) for _ in range(UPLOADERS)]
        sent: list[list[bytes]] = [[] for _ in uploaders]

        def upload(index: int) -> Callable[[], Awaitable[Outcome]]:
            async def one() -> Outcome:
                source = sources[index][len(sent[index]) % len(sources[index])]
                sent[index].append(source)
                return await uploaders[index].call(
                    "PUT", "me/photo/$value", body=source, headers={"Content-Type": "image/jpeg"}
                )

            return one

        async def outage() -> None:
            stop = asyncio.Event()
            running = [
                asyncio.create_task(repeat_until(stop, upload(i), most=MOST))
                for i in range(UPLOADERS)
            ]
            await asyncio.sleep(2.5)
            marks["stopping"] = time.monotonic()
            await asyncio.to_thread(own_azurite.stop)
            marks["stopped"] = time.monotonic()
            await asyncio.sleep(1.5)
            await asyncio.to_thread(own_azurite.start)
            marks["started"] = time.monotonic()
            await asyncio.sleep(RECOVERY + 6)  # uploads take seconds: some start after recovery
            stop.set()
            await asyncio.gather(*running)

        posters, _ = await _under_load(session, service, outage)

    puts = [o for user in uploaders for o in user.outcomes]
    statuses = Counter(o.status for o in puts)
    cut = [o for o in puts if o.started < marks["stopping"] < o.ended]
    logger.info(
        "storage stopped during uploads of %d-byte JPEGs: %d PUTs %s, %d in flight at the stop",
        len(sources[0][0]),
        len(puts),
        dict(statuses),
        len(cut),
    )
    assert cut, "no upload was in flight when storage stopped"
    assert set(statuses) <= {200, 503}, statuses
    unavailable = [o for o in puts if o.status == 503]
    assert [p for o in unavailable for p in unavailable_problems(o)] == []
    assert all(o.started <= marks["started"] + RECOVERY for o in unavailable)
    assert {o.status for o in puts if o.started > marks["started"] + RECOVERY} == {200}
    for user, uploads in zip(uploaders, sent, strict=True):
        await asyncio.to_thread(_photo_is_one_whole_upload, service, user, uploads)
    _acknowledged_photos_are_stored(service, posters)
    assert not any("Traceback" in line for line in service.host.stderr_lines())


def _photo_is_one_whole_upload(service: Service, user: User, uploads: list[bytes]) -> None:
    """The user's photo is one upload, every size of it, its bytes decode: the last upload
    answered 200, or one sent after it whose answer was lost (a 503 that did succeed)."""
    last = max(i for i, o in enumerate(user.outcomes) if o.status == 200)
    caller = _caller(service, user.oid, user.token)
    current = caller.call("HEAD", "me/photo/$value").headers["etag"]
    candidates = uploads[last:]
    if current == user.outcomes[last].headers["etag"]:
        candidates = [uploads[last]]
    sizes = caller.sizes()
    expected = [
        rendered
        for rendered in ({s.id: s.jpeg for s in render_sizes(c)} for c in candidates)
        if rendered == sizes
    ]
    assert expected, "the photo is none of the uploads, whole"
    rows, blobs = caller.stored()
    # One row a size; an upload the outage interrupted may leave orphan blobs (documented in
    # shared/storage/media_rows.py: they cost storage, never a reader).
    assert (rows, blobs >= rows) == (len(sizes), True)
    for data in sizes.values():
        with Image.open(io.BytesIO(data)) as image:
            image.load()


@pytest.mark.parametrize("mode", KEY_FAILURES)
async def test_the_key_endpoint_failing_under_load_keeps_the_loaded_keys(
    primed_hosts: dict[str, PrimedHost], keys: FailingJwks, mode: str
) -> None:
    host = primed_hosts[mode]
    rotated: list[Outcome] = []
    fetches_while_down: list[int] = []

    async with open_session() as session:
        stranger = User(session, host.service.base_url)

        async def failure() -> None:
            await asyncio.sleep(max(1.5, host.refetch_at - time.monotonic() + 0.5))
            fetched = keys.requests
            keys.mode = mode
            # Tokens signed by a key the service never loaded, again and again: one refetch.
            for _ in range(20):
                rotated.append(await stranger.post(token=stranger.new_token(key=rotated_key())))
            await asyncio.sleep(1.0)
            fetches_while_down.append(keys.requests - fetched)
            keys.mode = "ok"
            keys.released.set()
            await asyncio.sleep(1.0)

        posters, readers = await _under_load(session, host.service, failure, fresh_tokens=True)

    outcomes = _all_outcomes(posters, readers)
    statuses = Counter(o.status for o in outcomes)
    logger.info(
        "key endpoint %s under load: %d requests %s (half with new tokens), slowest %.2f s; "
        "%d tokens of an unknown key: %s, slowest %.2f s; %d key fetches while down",
        mode,
        len(outcomes),
        dict(statuses),
        max(o.seconds for o in outcomes),
        len(rotated),
        dict(Counter(o.status for o in rotated)),
        max(o.seconds for o in rotated),
        fetches_while_down[0],
    )
    assert set(statuses) == {200, 201}, statuses
    assert {o.status for o in rotated} == {401}
    assert {o.json()["error"]["code"] for o in rotated} == {"InvalidAuthenticationToken"}
    # One refetch for the whole flood of unknown kids: one request, or two when the endpoint
    # closes the connection (aiohttp sends an idempotent request once more, RFC 9112 9.3.1).
    assert 1 <= fetches_while_down[0] <= (2 if mode == "close" else 1)
    _acknowledged_photos_are_stored(host.service, posters)
    assert not any("Traceback" in line for line in host.service.host.stderr_lines())
