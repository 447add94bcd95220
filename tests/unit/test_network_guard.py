import socket

import pytest

from tests.unit.conftest import NetworkUseInUnitTest


def test_connect_is_refused_in_unit_tests() -> None:
    with pytest.raises(NetworkUseInUnitTest):
        socket.create_connection(("127.0.0.1", 9))


def test_getaddrinfo_is_refused_in_unit_tests() -> None:
    with pytest.raises(NetworkUseInUnitTest):
        socket.getaddrinfo("localhost", 80)
