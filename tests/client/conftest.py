"""Fixtures of the client tests: one real server (see :mod:`clientsite`) and clients of it."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from clientsite import FAST_RETRY, Site, start_site

from modelyard.client import Client


@pytest.fixture(scope="session")
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as listening:
        yield int(listening.getsockname()[1])


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, silent_port: int) -> Iterator[Site]:
    running = start_site(tmp_path_factory.mktemp("client"), silent_port)
    yield running
    running.server.stop()


@pytest.fixture
def client(site: Site) -> Iterator[Client]:
    """A client of the site's server, retrying quickly."""
    with Client(site.url, retry=FAST_RETRY) as made:
        yield made
