"""One user, one partition: how ``/users/{user}`` becomes a partition, through the operations.

The order: the caller's own token; then the directory (``Harness.graph``, Graph's role); then
the UPN / object id pairs of validated tokens seen (``Harness.seen``). Unknown UPNs are 404
``Request_ResourceNotFound``; a ``{user}`` that is neither a GUID nor a UPN is 400; neither
reaches storage.
"""

from __future__ import annotations

import time

import pytest

from devtools.memory_sightings import MemoryDirectory, MemorySightings
from shared.auth.directory import StoredSighting, TokenSeenDirectory
from shared.auth.tokens import Principal
from shared.graph.errors import ServiceUnavailable
from tests import tokens
from tests.unit.app_harness import Harness, graph_error, json_body
from tests.unit.test_media_operations import OCTETS, jpeg

ALICE = "alice@contoso.example"
ALICE_OID = "0f8fad5b-d9cb-469f-a165-70867728950e"
MALLORY_OID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def _alice(*, oid: str = ALICE_OID, age: int = 60, **claims: object) -> str:
    """Alice's delegated token (issued ``age`` seconds ago)."""
    now = int(time.time())
    claims = {"preferred_username": ALICE, **claims}
    return tokens.build_access_token(oid=oid, iat=now - age, nbf=now - age, **claims)


def _admin() -> str:
    return tokens.build_app_only_token()


async def _set_photo_for(harness: Harness, user: str, size: int = 120) -> int:
    response = await harness.send(
        "PUT", f"users/{user}/photo/$value", token=_admin(), body=jpeg(size, size), headers=OCTETS
    )
    return response.status_code


async def test_a_photo_set_by_upn_is_the_one_the_user_sees_at_me_when_the_directory_knows() -> None:
    harness = Harness(graph=MemoryDirectory({ALICE: ALICE_OID}))

    assert await _set_photo_for(harness, "Alice@Contoso.Example") == 200

    mine = await harness.send("GET", "me/photo", token=_alice())
    assert json_body(mine)["id"] == "120x120"
    listed = json_body(await harness.send("GET", "me/photos", token=_alice()))
    assert [photo["id"] for photo in listed["value"]] == ["48x48", "64x64", "96x96", "120x120"]


async def test_with_tokens_only_a_upn_is_known_once_its_token_was_seen() -> None:
    harness = Harness()

    before = await harness.send(
        "PUT", f"users/{ALICE}/photo/$value", token=_admin(), body=jpeg(60, 60), headers=OCTETS
    )
    error = graph_error(before, 404, "Request_ResourceNotFound")
    assert ALICE in error["message"]
    assert harness.store.calls == {}

    assert (await harness.send("GET", "me/photos", token=_alice())).status_code == 200
    assert await _set_photo_for(harness, ALICE) == 200

    assert json_body(await harness.send("GET", "me/photo", token=_alice()))["id"] == "120x120"


async def test_the_callers_own_upn_needs_no_directory() -> None:
    harness = Harness(graph=MemoryDirectory({ALICE: MALLORY_OID}))

    response = await harness.send("GET", "users/ALICE@contoso.example/photos", token=_alice())

    assert response.status_code == 200
    assert harness.graph.asked == {}


async def test_the_directory_comes_before_the_tokens_seen() -> None:
    harness = Harness(graph=MemoryDirectory({ALICE: ALICE_OID}))
    await harness.send("GET", "me/photos", token=_alice(oid=MALLORY_OID))  # an older sighting

    assert await _set_photo_for(harness, ALICE) == 200

    assert (await harness.store.get_profile(ALICE_OID)) is not None
    assert (await harness.store.get_profile(MALLORY_OID)) is None


async def test_a_upn_the_directory_does_not_know_falls_back_to_the_tokens_seen() -> None:
    harness = Harness()
    await harness.send("GET", "me/photos", token=_alice())

    assert await _set_photo_for(harness, ALICE) == 200

    assert harness.graph.asked == {ALICE: 1}
    assert (await harness.store.get_profile(ALICE_OID)) is not None


async def test_a_reassigned_upn_follows_the_newer_token() -> None:
    harness = Harness()
    await harness.send("GET", "me/photos", token=_alice(oid=MALLORY_OID, age=600))
    await harness.send("GET", "me/photos", token=_alice(oid=ALICE_OID, age=60))

    assert await _set_photo_for(harness, ALICE) == 200

    assert (await harness.store.get_profile(ALICE_OID)) is not None
    assert (await harness.store.get_profile(MALLORY_OID)) is None


async def test_an_older_token_does_not_take_a_upn_back() -> None:
    sightings = MemorySightings()
    await TokenSeenDirectory(sightings).remember(_principal(ALICE_OID, issued_at=2000.0))

    another_instance = TokenSeenDirectory(sightings)
    await another_instance.remember(_principal(MALLORY_OID, issued_at=1000.0))

    assert await another_instance.object_id(ALICE) == ALICE_OID
    assert await TokenSeenDirectory(sightings).object_id(ALICE.upper()) == ALICE_OID


async def test_a_pair_is_written_once_per_process_not_per_request() -> None:
    harness = Harness()

    for _ in range(3):
        assert (await harness.send("GET", "me/photos", token=_alice())).status_code == 200

    assert harness.sightings.calls == {"read_sighting": 1, "write_sighting": 1}


async def test_app_only_tokens_and_tokens_without_a_upn_are_not_sightings() -> None:
    harness = Harness()

    await harness.send("GET", f"users/{ALICE_OID}/photos", token=_admin())
    await harness.send("GET", "me/photos", token=_alice(preferred_username=None))

    assert harness.sightings.calls == {}


async def test_an_object_id_in_any_case_is_one_partition() -> None:
    harness = Harness()

    assert await _set_photo_for(harness, ALICE_OID.upper()) == 200

    assert json_body(await harness.send("GET", "me/photo", token=_alice()))["id"] == "120x120"
    assert harness.graph.asked == {}


@pytest.mark.parametrize(
    "user",
    [
        "alice",
        "alice@contoso.example@x.example",
        "alice%2Fbob@contoso.example",
        "al%C3%AFce@contoso.example",
        "0f8fad5b-d9cb-469f-a165-70867728950",
        "a" * 65 + "@contoso.example",
    ],
)
async def test_neither_a_guid_nor_a_upn_is_400_before_storage_or_directory(user: str) -> None:
    harness = Harness()

    response = await harness.send("GET", f"users/{user}/photos", token=_admin())

    graph_error(response, 400, "BadRequest")
    assert harness.store.calls == {}
    assert harness.graph.asked == {}


async def test_a_caller_without_the_permission_learns_nothing_of_the_directory() -> None:
    harness = Harness(graph=MemoryDirectory({"bob@contoso.example": MALLORY_OID}))

    response = await harness.send(
        "GET", "users/bob@contoso.example/photos", token=_alice(scp="User.Read")
    )

    graph_error(response, 403, "Authorization_RequestDenied")
    assert harness.graph.asked == {}


def _principal(object_id: str, *, issued_at: float) -> Principal:
    return Principal(
        object_id=object_id,
        tenant_id=tokens.TENANT_ID,
        upn=ALICE,
        scopes=frozenset({"User.Read"}),
        roles=frozenset(),
        app_only=False,
        app_id=tokens.APP_ID,
        issued_at=issued_at,
    )


class _SightingsDownOnce(MemorySightings):
    """Storage that cannot answer the first read."""

    async def read_sighting(self, upn_key: str) -> StoredSighting | None:
        if not self.calls:
            self.calls["refused"] += 1
            raise ServiceUnavailable("storage is down")
        return await super().read_sighting(upn_key)


async def test_a_token_whose_pair_could_not_be_stored_is_tried_again() -> None:
    sightings = _SightingsDownOnce()
    seen = TokenSeenDirectory(sightings)
    alice = _principal(ALICE_OID, issued_at=time.time())

    await seen.remember(alice)
    await seen.remember(alice)
    await seen.remember(alice)

    assert sightings.calls == {"refused": 1, "read_sighting": 1, "write_sighting": 1}
    assert await seen.object_id(ALICE) == ALICE_OID


async def test_a_repeated_older_token_does_not_take_a_reassigned_upn_back() -> None:
    sightings = MemorySightings()
    seen = TokenSeenDirectory(sightings)
    old = _principal(ALICE_OID, issued_at=time.time() - 60)
    new = _principal(MALLORY_OID, issued_at=time.time())

    for principal in (old, new, old, new, old):
        await seen.remember(principal)

    assert sightings.calls == {"read_sighting": 2, "write_sighting": 2}  # once per pair
    assert await seen.object_id(ALICE) == MALLORY_OID
    assert await TokenSeenDirectory(sightings).object_id(ALICE) == MALLORY_OID
