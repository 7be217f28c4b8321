"""PostgreSQL connections (playbook/database.py): the planner settings every
connection gets, and read-only transactions that end so that psycopg keeps the
statements it prepared, while anything written and not committed is still undone."""

from __future__ import annotations

import os
import socket

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from playbook.extensions import db
from playbook.models import SiteState, User
from tests import factories

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
        reason="needs PostgreSQL (TEST_DATABASE_URL)",
    ),
]

GENERATION = "SELECT site_state.content_generation"


def _prepared() -> list[str]:
    return list(db.session.execute(text("SELECT statement FROM pg_prepared_statements")).scalars())


def test_every_connection_turns_jit_off_and_prices_random_reads_as_cached(app):
    assert db.session.execute(text("SHOW jit")).scalar() == "off"
    assert float(db.session.execute(text("SHOW random_page_cost")).scalar()) == 1.1


def test_statements_of_read_only_requests_are_prepared_and_stay(app, client):
    db.session.remove()
    for _ in range(8):  # psycopg prepares a statement at its fifth use on a connection
        assert client.get("/library/search?q=walrus").status_code == 200
    # the visitors' page cache checks the content generation on every request, each
    # request's transaction ended as the session closed
    assert any(GENERATION in statement for statement in _prepared())


def test_a_write_that_was_not_committed_is_rolled_back(app):
    user = factories.make_user()
    user.display_name = "Flushed, never committed"
    db.session.flush()  # an UPDATE sent, never committed
    db.session.remove()
    assert db.session.get(User, user.id).display_name != "Flushed, never committed"

    generation = db.session.scalar(select(SiteState.content_generation))
    db.session.execute(text("SELECT 1"))
    db.session.execute(text("UPDATE site_state SET content_generation = content_generation + 7"))
    db.session.execute(text("SELECT 2"))  # reads after the write do not make it read-only
    db.session.remove()
    assert db.session.scalar(select(SiteState.content_generation)) == generation


def test_an_object_added_but_never_sent_is_not_written(app):
    user = factories.make_user()
    db.session.commit()
    db.session.scalar(select(User).where(User.id == user.id))
    with db.session.no_autoflush:
        user.display_name = "Changed, never flushed"
        db.session.execute(select(User.id))  # only SELECTs went to the database
    db.session.remove()
    assert db.session.get(User, user.id).display_name != "Changed, never flushed"


def test_a_failed_statement_leaves_a_working_connection(app):
    with pytest.raises(Exception, match="no_such_table"):
        db.session.execute(text("SELECT * FROM no_such_table"))
    db.session.remove()
    assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_a_pooled_connection_that_was_cut_is_replaced_without_an_error(app, client):
    """The pool tests a connection before handing it out (pre-ping). When the network
    cut it meanwhile, the request gets a new one: no listener on the engine's errors
    may turn that quiet reconnect into a 500 (a failed pre-ping names no engine)."""
    driver = db.session.connection().connection.dbapi_connection
    pid = driver.info.backend_pid
    db.session.remove()  # the connection goes back to the pool, then the line is cut
    with socket.socket(fileno=os.dup(driver.pgconn.socket)) as line:
        line.shutdown(socket.SHUT_RDWR)
    assert client.get("/library/").status_code == 200
    assert db.session.connection().connection.dbapi_connection.info.backend_pid != pid


def _pooled_backend() -> int:
    """The server process of the connection the next request will get from the pool."""
    pid = db.session.connection().connection.dbapi_connection.info.backend_pid
    db.session.remove()
    return pid


def test_a_connection_the_server_ended_is_replaced_without_an_error(app, client):
    """A restart or pg_terminate_backend ends a pooled connection from the server's
    side: the pool sees it has ended without asking it anything, and the request gets a
    new one rather than an error."""
    pid = _pooled_backend()
    outside = create_engine(db.engine.url, poolclass=NullPool)  # not from the app's pool
    with outside.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    outside.dispose()
    assert client.get("/library/").status_code == 200
    assert _pooled_backend() != pid


def test_a_recently_used_connection_is_handed_out_without_a_round_trip(app, client, monkeypatch):
    from playbook import database

    pings = []
    monkeypatch.setattr(database, "ping", lambda connection: pings.append(1) or True)
    assert client.get("/library/").status_code == 200
    assert client.get("/library/").status_code == 200
    assert pings == []
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert client.get("/library/").status_code == 200
    assert pings  # idle for longer than that: asked to answer first


def test_a_long_idle_connection_that_does_not_answer_is_replaced(app, client, monkeypatch):
    """A server gone without a word leaves nothing to read: the connection idle for
    longer than PING_AFTER_IDLE_SECONDS is asked, fails to answer, and is replaced."""
    from playbook import database

    pid = _pooled_backend()
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    ask = database.ping

    def no_answer(connection):
        if connection.info.backend_pid == pid:
            connection.close()  # as a dead line would: the driver raises
        return ask(connection)

    monkeypatch.setattr(database, "ping", no_answer)
    assert client.get("/library/").status_code == 200
    assert _pooled_backend() != pid


def test_a_visitors_page_from_the_cache_costs_one_statement_outside_a_transaction(app, client):
    """Served from the page cache, a visitor's page reads only its fingerprint, in
    autocommit: one round trip, with no BEGIN before it and no COMMIT after it."""
    from sqlalchemy import event

    assert client.get("/library/").status_code == 200  # stored
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement.split()[1], cursor.connection.autocommit))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get("/library/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert seen == [("site_state.content_generation,", True)]


def test_a_connection_asked_to_answer_is_handed_out_idle(app, client, monkeypatch):
    """The question to a long-idle connection begins a transaction; the pool must hand
    it out idle all the same, or a visitor's cached page, read in autocommit, fails."""
    from psycopg.pq import TransactionStatus

    from playbook import database

    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    for _ in range(3):  # stored, then served from the cache after each question
        assert client.get("/library/").status_code == 200
    with db.engine.connect() as connection:
        status = connection.connection.dbapi_connection.info.transaction_status
    assert status == TransactionStatus.IDLE
