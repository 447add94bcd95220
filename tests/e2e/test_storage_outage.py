"""The running service while its storage fails: real Azurite stopped and started, a real proxy.

These tests stop storage, so they have their own Azurite (on disk: a SIGINT stop keeps its
data) and their own dev hosts: one talks to that Azurite directly, one through a loopback TCP
proxy that loses storage's answers on purpose (``tests.tcp_proxy``). Both keep their photo
store across the outage, as a Functions worker would: recovery needs no restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from uuid import uuid4

import pytest

from devtools.azurite import AzuriteProcess, connection_string, start_azurite
from shared.storage.table_store import STORE_DEADLINE
from tests.e2e.conftest import Reply, Service, running_service, send
from tests.tcp_proxy import Fault, TcpProxy, ThreadedTcpProxy
from tests.tokens import build_access_token

pytestmark = pytest.mark.azurite

logger = logging.getLogger(__name__)

SEED = '{"height": 6, "width": 5}'
WORKERS = 6
OUTAGE_SECONDS = 2.0


@pytest.fixture(scope="module")
def own_azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzuriteProcess]:
    azurite = start_azurite(location=tmp_path_factory.mktemp("e2e-outage-azurite"))
    try:
        yield azurite
    finally:
        azurite.stop()


def _service(storage: str, azurite: AzuriteProcess, jwks_url: str) -> Iterator[Service]:
    """A dev host whose store uses ``storage``; ``Service`` reads Azurite directly."""
    with running_service(
        storage,
        jwks_url,
        read_with=azurite.connection_string,
        table_prefix="outage",
        # One user keeps posting for seconds: at today's speed well past the default 100.
        settings={"PHOTOS_PER_USER_LIMIT": "10000"},
    ) as service:
        yield service


@pytest.fixture(scope="module")
def direct_service(own_azurite: AzuriteProcess, jwks_url: str) -> Iterator[Service]:
    yield from _service(own_azurite.connection_string, own_azurite, jwks_url)


@pytest.fixture(scope="module")
def proxy(own_azurite: AzuriteProcess) -> Iterator[TcpProxy]:
    with ThreadedTcpProxy(own_azurite.port) as running:
        yield running


@pytest.fixture(scope="module")
def proxied_service(
    own_azurite: AzuriteProcess, proxy: TcpProxy, jwks_url: str
) -> Iterator[Service]:
    yield from _service(connection_string(proxy.port), own_azurite, jwks_url)


@pytest.fixture(autouse=True)
def _azurite_running(own_azurite: AzuriteProcess) -> None:
    own_azurite.start()  # a failed test may have left it stopped


def post(service: Service, **headers: str) -> Reply:
    sent = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {build_access_token()}",
        **headers,
    }
    return send(f"{service.base_url}/me/photos", body=SEED, headers=sent)


@dataclass(frozen=True)
class Outcome:
    started: float
    seconds: float
    reply: Reply


def _keep_posting(service: Service, until: threading.Event, into: list[Outcome]) -> None:
    while not until.is_set():
        started = time.monotonic()
        reply = post(service)
        into.append(Outcome(started, time.monotonic() - started, reply))


def test_an_outage_is_503_with_retry_after_and_the_service_recovers_by_itself(
    direct_service: Service, own_azurite: AzuriteProcess
) -> None:
    assert post(direct_service).status == 201  # the table exists; connections are pooled
    outcomes: list[Outcome] = []
    done = threading.Event()
    with ThreadPoolExecutor(WORKERS) as pool:
        workers = [
            pool.submit(_keep_posting, direct_service, done, outcomes) for _ in range(WORKERS)
        ]
        time.sleep(0.5)
        stopping = time.monotonic()
        own_azurite.stop()  # SIGINT, with requests in flight
        time.sleep(OUTAGE_SECONDS)
        starting = time.monotonic()
        own_azurite.start()
        started = time.monotonic()
        deadline = started + 15
        while time.monotonic() < deadline and not any(
            o.started > started and o.reply.status == 201 for o in outcomes
        ):
            time.sleep(0.05)
        time.sleep(0.5)
        done.set()
        for worker in workers:
            worker.result()

    statuses = {o.reply.status for o in outcomes}
    assert statuses == {201, 503}, statuses
    unavailable = [o for o in outcomes if o.reply.status == 503]
    for outcome in unavailable:
        assert outcome.reply.json()["error"]["code"] == "ServiceUnavailable"
        assert outcome.reply.headers["retry-after"].isdigit()
        assert int(outcome.reply.headers["retry-after"]) >= 1
    longest = max(o.seconds for o in outcomes)
    assert longest < STORE_DEADLINE + 5  # never a hang: the store's deadline bounds every call

    recovered = min(
        o.started + o.seconds for o in outcomes if o.started > started and o.reply.status == 201
    )
    logger.info(
        "outage: %d requests, %d answered 503; longest wait %.2f s, 503 waits %.2f-%.2f s; "
        "Azurite stop took %.2f s, start %.2f s; first 201 %.2f s after Azurite was up",
        len(outcomes),
        len(unavailable),
        longest,
        min(o.seconds for o in unavailable),
        max(o.seconds for o in unavailable),
        starting - stopping - OUTAGE_SECONDS,
        started - starting,
        recovered - started,
    )
    assert recovered - started < 5  # the first requests after the restart succeed

    acknowledged = {o.reply.json()["id"] for o in outcomes if o.reply.status == 201}
    stored = {entity["PhotoId"] for entity in direct_service.entities()}
    assert acknowledged <= stored  # every 201 is a photo in storage, across the restart
    assert not any("Traceback" in line for line in direct_service.host.stderr_lines())


@pytest.mark.parametrize("fault", list(Fault))
def test_a_lost_answer_to_the_insert_is_one_photo_and_a_201(
    proxied_service: Service, proxy: TcpProxy, fault: Fault
) -> None:
    proxy.fail(fault)
    reply = post(proxied_service)

    assert reply.status == 201
    assert proxy.faulted[-1][0] is fault
    photo_id = reply.json()["id"]
    [entity] = [e for e in proxied_service.entities() if e["PhotoId"] == photo_id]
    assert entity["RequestId"] == reply.headers["request-id"]


def test_every_answer_lost_is_a_503_and_a_keyed_retry_gets_the_stored_photo(
    proxied_service: Service, proxy: TcpProxy
) -> None:
    before = {e["PhotoId"] for e in proxied_service.entities()}
    key = str(uuid4())
    proxy.fail(Fault.DROP, times=3)
    lost = post(proxied_service, **{"Idempotency-Key": key})
    assert lost.status == 503
    assert lost.headers["retry-after"].isdigit()
    [new] = [e for e in proxied_service.entities() if e["PhotoId"] not in before]

    retried = post(proxied_service, **{"Idempotency-Key": key})
    assert retried.status == 201
    assert retried.json()["id"] == new["PhotoId"]
    assert {e["PhotoId"] for e in proxied_service.entities()} - before == {new["PhotoId"]}
