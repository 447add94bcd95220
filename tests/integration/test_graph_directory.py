"""``GraphDirectory`` over real HTTP against a Graph double on loopback (``tests.graph_double``).

The directory gets its token from a credential passed in (``GraphTokens``), never from
``DefaultAzureCredential``; the double answers with Graph's own shapes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.auth.graph_directory import GRAPH_SCOPE, GraphDirectory
from shared.graph.errors import InternalServerError, ServiceUnavailable
from tests.graph_double import GraphTokens, GraphUsers, serve_graph

ALICE = "alice@contoso.example"
ALICE_OID = "0F8FAD5B-D9CB-469F-A165-70867728950E"
GUEST = "bob_fabrikam.example#EXT#@contoso.onmicrosoft.com"
GUEST_OID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def graph() -> AsyncIterator[GraphUsers]:
    users = GraphUsers(users={ALICE: ALICE_OID, GUEST.lower(): GUEST_OID})
    runner = await serve_graph(users)
    try:
        yield users
    finally:
        await runner.cleanup()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def directory(graph: GraphUsers, clock: Clock) -> AsyncIterator[GraphDirectory]:
    credential = GraphTokens()
    directory = GraphDirectory(graph.base_url, credential, clock=clock)
    try:
        yield directory
    finally:
        await directory.aclose()
    assert credential.scopes and set(credential.scopes) == {(GRAPH_SCOPE,)}
    assert not credential.closed  # passed in: the caller's to close


async def test_a_known_upn_is_its_object_id_lower_cased(
    graph: GraphUsers, directory: GraphDirectory
) -> None:
    assert await directory.object_id("Alice@Contoso.Example") == ALICE_OID.lower()
    assert graph.queries == ["$select=id"]


async def test_a_guests_upn_reaches_graph_encoded(
    graph: GraphUsers, directory: GraphDirectory
) -> None:
    assert await directory.object_id(GUEST) == GUEST_OID
    assert graph.asked == {GUEST.lower(): 1}


async def test_answers_are_cached_until_their_time_to_live_is_over(
    graph: GraphUsers, directory: GraphDirectory, clock: Clock
) -> None:
    for _ in range(3):
        assert await directory.object_id(ALICE) == ALICE_OID.lower()
    assert await directory.object_id(ALICE.upper()) == ALICE_OID.lower()
    assert graph.asked[ALICE] == 1

    clock.now += 3601
    assert await directory.object_id(ALICE) == ALICE_OID.lower()
    assert graph.asked[ALICE] == 2


async def test_an_unknown_upn_is_none_and_cached_for_a_shorter_while(
    graph: GraphUsers, directory: GraphDirectory, clock: Clock
) -> None:
    assert await directory.object_id("nobody@contoso.example") is None
    assert await directory.object_id("nobody@contoso.example") is None
    assert graph.asked["nobody@contoso.example"] == 1

    graph.users["nobody@contoso.example"] = ALICE_OID  # created meanwhile
    clock.now += 61
    assert await directory.object_id("nobody@contoso.example") == ALICE_OID.lower()
    assert graph.asked["nobody@contoso.example"] == 2


async def test_throttling_is_503_with_graphs_retry_after_and_graph_is_left_alone_meanwhile(
    graph: GraphUsers, directory: GraphDirectory, clock: Clock
) -> None:
    graph.throttle = 17

    with pytest.raises(ServiceUnavailable) as caught:
        await directory.object_id(ALICE)
    assert caught.value.headers["Retry-After"] == "17"

    clock.now += 10
    with pytest.raises(ServiceUnavailable) as again:
        await directory.object_id("carol@contoso.example")
    assert int(again.value.headers["Retry-After"]) <= 8
    assert sum(graph.asked.values()) == 1

    graph.throttle = None
    clock.now += 8
    assert await directory.object_id(ALICE) == ALICE_OID.lower()


async def test_a_server_error_without_retry_after_is_503_with_a_default(
    graph: GraphUsers, directory: GraphDirectory
) -> None:
    graph.status = 503
    with pytest.raises(ServiceUnavailable) as caught:
        await directory.object_id(ALICE)
    assert caught.value.headers["Retry-After"] == "5"


@pytest.mark.parametrize("status", [401, 403])
async def test_graph_refusing_the_services_identity_is_500_and_logged(
    graph: GraphUsers, directory: GraphDirectory, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    graph.status = status
    with pytest.raises(InternalServerError):
        await directory.object_id(ALICE)
    assert "User.Read.All" in caplog.text
    assert "graph-token-for-tests" not in caplog.text


async def test_an_unreachable_graph_is_503(clock: Clock) -> None:
    graph = GraphUsers()
    runner = await serve_graph(graph)
    await runner.cleanup()  # nothing listens there now
    directory = GraphDirectory(graph.base_url, GraphTokens(), clock=clock)
    try:
        with pytest.raises(ServiceUnavailable):
            await directory.object_id(ALICE)
    finally:
        await directory.aclose()


async def test_a_slow_graph_is_503_within_the_deadline(graph: GraphUsers, clock: Clock) -> None:
    graph.delay = 5.0
    directory = GraphDirectory(graph.base_url, GraphTokens(), clock=clock, deadline=0.3)
    try:
        with pytest.raises(ServiceUnavailable):
            await directory.object_id(ALICE)
    finally:
        await directory.aclose()


async def test_a_credential_the_directory_owns_is_closed_with_it(graph: GraphUsers) -> None:
    credential = GraphTokens()
    directory = GraphDirectory(graph.base_url, credential, close_credential=True)
    assert await directory.object_id(ALICE) == ALICE_OID.lower()
    await directory.aclose()
    assert credential.closed
