"""The photo's bytes while storage fails, and under concurrent writers: real Azurite (tables and
blobs), the dev host's storage traffic through loopback proxies that cut requests or lose
answers on purpose (``tests.tcp_proxy``).

What must hold (docs/http-api.md, "Consistency"): a failed or interrupted PUT is a 503 with
Retry-After or succeeds whole; either way a reader then sees one photo whole (the old one,
or the new one), every size from the same upload; two concurrent PUTs end with one of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from devtools.azurite import AzuriteProcess, connection_string, start_azurite
from shared.media import render_sizes
from tests.e2e.conftest import Reply, Service, running_service
from tests.e2e.photo_media import PhotoCaller, jpeg
from tests.tcp_proxy import (
    Fault,
    RequestHead,
    TcpProxy,
    ThreadedTcpProxy,
    is_batch,
    is_blob_upload,
)

pytestmark = pytest.mark.azurite


@pytest.fixture(scope="module")
def own_azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzuriteProcess]:
    azurite = start_azurite(location=tmp_path_factory.mktemp("e2e-photo-faults"), blob_port=0)
    try:
        yield azurite
    finally:
        azurite.stop()


@pytest.fixture(scope="module")
def table_proxy(own_azurite: AzuriteProcess) -> Iterator[TcpProxy]:
    with ThreadedTcpProxy(own_azurite.port) as running:
        yield running


@pytest.fixture(scope="module")
def blob_proxy(own_azurite: AzuriteProcess) -> Iterator[TcpProxy]:
    assert own_azurite.blob_port is not None
    with ThreadedTcpProxy(own_azurite.blob_port) as running:
        yield running


@pytest.fixture(scope="module")
def proxied(
    own_azurite: AzuriteProcess, table_proxy: TcpProxy, blob_proxy: TcpProxy, jwks_url: str
) -> Iterator[Service]:
    """A dev host whose tables and blobs go through the proxies; tests read Azurite directly."""
    storage = connection_string(
        table_proxy.port, blob_port=blob_proxy.port, queue_port=own_azurite.queue_port
    )
    with running_service(
        storage, jwks_url, read_with=own_azurite.connection_string, table_prefix="faults"
    ) as service:
        yield service


@pytest.fixture
def caller(proxied: Service, table_proxy: TcpProxy, blob_proxy: TcpProxy) -> Iterator[PhotoCaller]:
    yield PhotoCaller(proxied.base_url, proxied.connection_string, proxied.table_name)
    table_proxy.clear()
    blob_proxy.clear()


def _whole(caller: PhotoCaller, source: bytes) -> None:
    """The user's photo is ``source``'s upload, every size of it and nothing else."""
    expected = {size.id: size.jpeg for size in render_sizes(source)}
    assert caller.sizes() == expected
    assert caller.call("GET", "me/photo/$value").body == expected[max(expected, key=_side)]
    assert caller.stored() == (len(expected), len(expected))  # one row and one blob a size


def _side(size_id: str) -> int:
    return int(size_id.split("x", 1)[0])


def _unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply.body
    assert reply.json()["error"]["code"] == "ServiceUnavailable"
    assert int(reply.headers["retry-after"]) >= 1


def test_an_upload_cut_off_in_the_middle_is_503_and_the_old_photo_stays(
    caller: PhotoCaller, blob_proxy: TcpProxy
) -> None:
    old = jpeg(500, 500, seed=1)
    assert caller.put(old).status == 200
    etags = caller.etags()

    blob_proxy.fail(Fault.CUT, when=is_blob_upload, times=1000)
    reply = caller.put(jpeg(700, 700, seed=2))
    blob_proxy.clear()

    _unavailable(reply)
    assert any(fault is Fault.CUT for fault, _head in blob_proxy.faulted)
    assert caller.etags() == etags
    _whole(caller, old)


def test_one_upload_cut_off_is_retried_and_the_new_photo_is_whole(
    caller: PhotoCaller, blob_proxy: TcpProxy
) -> None:
    assert caller.put(jpeg(300, 300, seed=3)).status == 200
    new = jpeg(400, 400, seed=4)

    blob_proxy.fail(Fault.CUT, when=is_blob_upload, times=1)
    reply = caller.put(new)

    assert reply.status == 200, reply.body
    _whole(caller, new)


@pytest.mark.parametrize(
    ("storage", "request_kind", "fault"),
    [
        ("blob_proxy", is_blob_upload, Fault.DROP),
        ("blob_proxy", is_blob_upload, Fault.BUSY),
        ("table_proxy", is_batch, Fault.DROP),
        ("table_proxy", is_batch, Fault.BUSY),
        ("table_proxy", is_batch, Fault.GARBLE),
    ],
    ids=["blob-drop", "blob-busy", "switch-drop", "switch-busy", "switch-garble"],
)
def test_a_lost_answer_is_still_one_whole_photo(
    caller: PhotoCaller,
    request: pytest.FixtureRequest,
    storage: str,
    request_kind: Callable[[RequestHead], bool],
    fault: Fault,
) -> None:
    """Storage did what was asked (stored a blob, switched the rows); its answer was lost."""
    proxy: TcpProxy = request.getfixturevalue(storage)
    assert caller.put(jpeg(300, 300, seed=5)).status == 200
    new = jpeg(400, 400, seed=6)

    proxy.fail(fault, when=request_kind, times=1)
    reply = caller.put(new)

    assert proxy.faulted and proxy.faulted[-1][0] is fault
    assert reply.status == 200, reply.body
    _whole(caller, new)


def test_a_stale_if_match_uploads_nothing(caller: PhotoCaller, blob_proxy: TcpProxy) -> None:
    etag = caller.put(jpeg(100, 100, seed=9)).headers["etag"]
    assert caller.put(jpeg(100, 100, seed=10)).status == 200
    uploads = sum(1 for head in blob_proxy.requests if is_blob_upload(head))

    reply = caller.put(jpeg(100, 100, seed=11), headers={"If-Match": etag})

    assert reply.status == 412
    assert sum(1 for head in blob_proxy.requests if is_blob_upload(head)) == uploads


@pytest.fixture(scope="module")
def direct(own_azurite: AzuriteProcess, jwks_url: str) -> Iterator[Service]:
    with running_service(
        own_azurite.connection_string, jwks_url, table_prefix="concurrent"
    ) as service:
        yield service


@pytest.mark.parametrize("round", range(4))
def test_two_concurrent_puts_end_with_one_of_them_whole(direct: Service, round: int) -> None:
    caller = PhotoCaller(direct.base_url, direct.connection_string, direct.table_name)
    assert caller.put(jpeg(200, 200, seed=round)).status == 200  # an old photo to replace
    sources = [jpeg(300, 300, seed=100 + round), jpeg(700, 700, seed=200 + round)]
    start = threading.Barrier(len(sources))
    replies: list[Reply | None] = [None] * len(sources)

    def put(index: int) -> None:
        start.wait()
        replies[index] = caller.put(sources[index])

    threads = [threading.Thread(target=put, args=(i,)) for i in range(len(sources))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [reply.status if reply else None for reply in replies] == [200, 200]
    current = caller.call("HEAD", "me/photo/$value").headers["etag"]
    [winner] = [
        s for s, r in zip(sources, replies, strict=True) if r and r.headers["etag"] == current
    ]
    _whole(caller, winner)
