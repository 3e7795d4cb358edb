"""Shared fixtures: a real HTTP mirror on 127.0.0.1 and a fresh catalogue file."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from mirror.server import MirrorServer, start_in_thread
from mirror.site import Mirror


@pytest.fixture
def make_mirror() -> Iterator[Callable[..., MirrorServer]]:
    """Start mirror servers (day, faults) on free loopback ports; stopped after the test."""
    servers: list[MirrorServer] = []

    def start(day: int = 1, faults: set[str] | None = None, **kwargs) -> MirrorServer:
        server = start_in_thread(Mirror(day=day, faults=faults, **kwargs))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mirror_server(make_mirror) -> MirrorServer:
    return make_mirror()


@pytest.fixture
def db_path(tmp_path) -> str:
    return str(tmp_path / "catalogue.db")


@pytest.fixture(scope="session")
def mirror_history(tmp_path_factory) -> str:
    """ONE catalogue of the mirror's history for the whole session: crawled on day 1, then
    on day 2 (2026 No. 1 and the correction of 2025 No. 61), extracted, timeline built.
    Tests read it (tests/test_questions.py asks the compliance questions of it)."""
    from regwatch.jobs import run_once

    path = str(tmp_path_factory.mktemp("mirror-history") / "catalogue.db")
    server = start_in_thread(Mirror(day=1))
    try:
        run_once(path, mirror=server.url)
        server.mirror.set_day(2)
        run_once(path, mirror=server.url)
    finally:
        server.shutdown()
        server.server_close()
    return path
