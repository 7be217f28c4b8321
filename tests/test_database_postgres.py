"""PostgreSQL connections (playbook/database.py): the planner settings every
connection gets, and read-only transactions that end so that psycopg keeps the
statements it prepared, while anything written and not committed is still undone."""

from __future__ import annotations

import os
import socket

import pytest
from sqlalchemy import select, text

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
