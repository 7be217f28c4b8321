"""Fixtures for tests against a real server: a database of the test's own, a gunicorn
factory, and people who can sign in. Every test here is marked `faults`.

A load test needs little more than these, for example many people commenting at once:

    server = start_server(workers=4)
    browsers = [signed_in(server.url, email) for email in people(server, 20)]
    # each browser in its own thread: browser.submit(page_path, action, body="...")
    with server.app_context():  # then count what arrived
        ...
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import factories
from tests.faults.server import Database, LiveServer, flask_command

FAULTS_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if FAULTS_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.faults)


@pytest.fixture
def server_database(tmp_path):
    """A fresh database set up by `flask setup` (migrations and the starter library):
    a SQLite file, or a PostgreSQL database created for this test and dropped after."""
    database = Database.create(tmp_path)
    try:
        flask_command(database, "setup")
        yield database
    finally:
        database.drop()


@pytest.fixture
def start_server(server_database, tmp_path):
    """Call it to start gunicorn over the test's database: start_server(workers=2,
    database_url=None). Every server started is stopped at the end of the test."""
    started: list[LiveServer] = []

    def _start(workers: int = 2, database_url: str | None = None, **options) -> LiveServer:
        server = LiveServer(
            server_database, tmp_path, workers=workers, database_url=database_url, **options
        )
        started.append(server)
        return server.start()

    yield _start
    for server in started:
        server.stop()
        server.close_app()


@pytest.fixture
def people():
    """people(server, n, **user fields) -> n accounts (e-mail addresses) made directly in
    the server's database; they sign in with factories.PASSWORD."""

    def _people(server: LiveServer, count: int, **fields) -> list[str]:
        with server.app_context():
            return [factories.make_user(**fields).email for _ in range(count)]

    return _people
