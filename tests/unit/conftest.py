"""Unit tests run without a network: any attempt to connect, bind or resolve fails loudly."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest


class NetworkUseInUnitTest(RuntimeError):
    """A unit test tried to use the network; it belongs in tests/integration or tests/e2e."""


def _refuse(*_args: Any, **_kwargs: Any) -> Any:
    raise NetworkUseInUnitTest("unit tests may not use the network")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse)
    monkeypatch.setattr(socket.socket, "bind", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)
    yield
