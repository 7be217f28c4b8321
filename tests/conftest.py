"""Fixtures: the app on a fresh database, a client, the CLI runner, personas, login."""

from __future__ import annotations

import os

import pytest
from flask.testing import FlaskClient

from playbook import create_app
from playbook.auth import sessions
from playbook.extensions import db as _db
from playbook.library.seed import seed_library
from playbook.models import SiteRole
from tests import factories


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "timing: compares response times of requests (tests/test_jobs_timing.py); "
        'deselect with -m "not timing"',
    )


class FreshContextClient(FlaskClient):
    """Runs every request in its own app context, as a real server does, so `g`, the
    loaded user and the database session never leak from the test into a request or
    from one request into the next. Objects the test holds must be refreshed to see
    what a request changed."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app():
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database_url()})
    app.test_client_class = FreshContextClient
    with app.app_context():
        on_postgres = _db.engine.dialect.name == "postgresql"
        if on_postgres:
            _empty_postgres()
        else:
            _db.drop_all()
            _db.create_all()
        yield app
        _db.session.remove()
        if not on_postgres:
            _db.drop_all()
        _db.engine.dispose()


_schema_built = False


def _empty_postgres() -> None:
    """An empty database with the schema, as drop_all() and create_all() leave it, but
    without building the schema again for every test (most of a PostgreSQL pass's
    time): when every table is there, empty them all at once, restart their ids and
    put back the row create_all() inserts; otherwise (the run's first test, which
    never trusts a schema an older checkout may have left, or a test that dropped or
    migrated the schema) build it afresh."""
    global _schema_built
    tables = _db.metadata.sorted_tables
    with _db.engine.begin() as connection:
        present = set(
            connection.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).scalars()
        )
    if not _schema_built or present != {t.name for t in tables}:
        _schema_built = True
        _db.drop_all()
        with _db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        _db.create_all()
        return
    # DELETE, not TRUNCATE: a test leaves a few rows in a few tables, and TRUNCATE's
    # fixed cost per table (new files for each) made emptying them a third of a second,
    # most of a PostgreSQL test's time. Children before parents; ids restart at 1. A
    # table whose trigger refuses deletes (the append-only moderation log) is truncated.
    with _db.engine.begin() as connection:
        guarded = set(
            connection.exec_driver_sql(
                "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"
            ).scalars()
        )
        sequences = connection.exec_driver_sql(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
        ).scalars()
        connection.exec_driver_sql(
            "".join(
                f'TRUNCATE "{t.name}" CASCADE;'
                if t.name in guarded or f'"{t.name}"' in guarded
                else f'DELETE FROM "{t.name}";'
                for t in reversed(tables)
            )
            + "".join(f'ALTER SEQUENCE "{name}" RESTART;' for name in sequences)
            + "INSERT INTO site_state (id, content_generation) VALUES (1, 0);"
        )


def _database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def library(app):
    """The starter library, as a fresh install has it."""
    return seed_library()


@pytest.fixture
def make_user(app):
    return factories.make_user


@pytest.fixture
def member(app):
    return factories.make_user(display_name="Maria Member")


@pytest.fixture
def other_member(app):
    return factories.make_user(display_name="Omar Other")


@pytest.fixture
def moderator(app):
    return factories.make_user(SiteRole.MODERATOR, display_name="Mona Moderator")


@pytest.fixture
def admin(app):
    return factories.make_user(SiteRole.ADMIN, display_name="Ada Admin")


@pytest.fixture
def intruder(app):
    """A signed-in member who tries what they may not."""
    return factories.make_user(display_name="Fred Intruder")


@pytest.fixture
def login(client):
    """Sign `user` in on the test client by opening a real server-side session."""

    def _login(user):
        token = sessions.open_session(user)
        _db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
        return user

    return _login
