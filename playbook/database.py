"""Engine-level settings: SQLite pragmas for a safe embedded database; PostgreSQL's
planner settings, read-only transactions that keep prepared statements and a pool
check that costs no round trip while the pool is busy; counting statements."""

from __future__ import annotations

import select
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from playbook.extensions import db


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _postgres_settings(dbapi_connection, connection_record) -> None:
    """The app's queries are short: PostgreSQL's JIT compiler, which starts on a high
    cost estimate, spends tens of milliseconds compiling a query that runs in a few.
    The app's data is read from memory (or SSD), not from spinning disks: at the
    default random_page_cost (4) the planner reads all of a table rather than follow
    an index to a tenth of its rows (a library search read every stored vector instead
    of asking the GIN index which match)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        cursor.execute("SET random_page_cost = 1.1")
    dbapi_connection.commit()  # a SET inside a transaction that rolls back would not stay


# DBAPI connections whose open transaction sent something other than a SELECT. (What
# a SELECT can change, a sequence's setval or a transaction's advisory lock, a
# rollback does not undo either.)
_WROTE: weakref.WeakSet = weakref.WeakSet()


def _note_writes(conn, cursor, statement: str, parameters, context, executemany) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        _WROTE.add(cursor.connection)


def _written(conn) -> None:
    """A transaction committed: what it wrote is done, the next one starts clean."""
    _WROTE.discard(conn.connection.dbapi_connection)


def _end_reads_with_commit(rollback: Callable[[Any], None]) -> Callable[[Any], None]:
    """The dialect's rollback, but a transaction that only sent SELECTs ends with a
    COMMIT (which for it does exactly what a ROLLBACK does). psycopg forgets the
    statements it has prepared at every ROLLBACK, and every request's session ends
    with one: so it never prepared any (it does on a statement's fifth use), and
    PostgreSQL planned every statement of every page again, which took longer than
    running most of them. A transaction that wrote anything, failed, or sent anything
    but a SELECT is rolled back as before."""
    from psycopg.pq import TransactionStatus

    def end(dbapi_connection) -> None:
        driver = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
        wrote = driver in _WROTE
        _WROTE.discard(driver)
        if not wrote and driver.info.transaction_status == TransactionStatus.INTRANS:
            driver.commit()
        else:
            rollback(dbapi_connection)

    return end


# A pooled PostgreSQL connection idle longer than this is asked to answer (a round
# trip) before it is handed out again; one given back more recently is only looked at.
PING_AFTER_IDLE_SECONDS = 10.0

# When each pooled PostgreSQL connection was last given back to the pool.
_RETURNED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _returned(dbapi_connection, connection_record) -> None:
    if dbapi_connection is not None:  # None: the connection was thrown away
        _RETURNED[dbapi_connection] = time.monotonic()


def ping(dbapi_connection) -> bool:
    """A round trip: raises the driver's error when the connection is dead. The
    SELECT begins a transaction, which is ended so that the connection is handed out
    idle, as the pool gave it back (a visitor's page fingerprint turns on autocommit,
    which a connection in a transaction refuses)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    dbapi_connection.commit()  # a COMMIT, unlike a ROLLBACK, keeps prepared statements
    return True


def _still_open(dbapi_connection) -> bool:
    """The pool's check before it hands out a PostgreSQL connection (its pre-ping), in
    place of a round trip every time: with every request checking a connection out,
    that was a quarter of a cached page's round trips. A connection the server closed
    (a restart, pg_terminate_backend, a cut line) has something to read while idle,
    its farewell or the end of the stream, which shows without a round trip; one
    idle for longer than PING_AFTER_IDLE_SECONDS is asked to answer as well, for a
    server gone without a word. False: the pool replaces it, and every pooled
    connection older than it, before the request sees any."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return False
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    if poller.poll(0):
        return False
    returned = _RETURNED.get(dbapi_connection)
    if returned is None or time.monotonic() - returned > PING_AFTER_IDLE_SECONDS:
        return ping(dbapi_connection)
    return True


def configure_engine_events(app: Flask) -> None:
    """Turn on foreign keys, WAL and a busy timeout for every SQLite connection; turn
    off JIT compilation for every PostgreSQL one, price its random reads as cached
    ones, end its read-only transactions so that prepared statements stay and check
    it before use without a round trip while it was recently used; record
    which cached visitors' pages a committed transaction retires (playbook.pagecache)."""
    from playbook import pagecache

    with app.app_context():
        engine: Engine = db.engine
        pagecache.track_writes(engine)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        elif engine.dialect.name == "postgresql":
            event.listen(engine, "connect", _postgres_settings)
            if engine.dialect.driver == "psycopg" and not event.contains(
                engine, "before_cursor_execute", _note_writes
            ):
                event.listen(engine, "before_cursor_execute", _note_writes)
                event.listen(engine, "commit", _written)
                dialect: Any = engine.dialect
                dialect.do_rollback = _end_reads_with_commit(dialect.do_rollback)
                dialect.do_ping = _still_open
                event.listen(engine, "checkin", _returned)


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


@contextmanager
def count_statements(engine: Engine | None = None) -> Iterator[list[str]]:
    """Collect the SQL of every statement the engine sends while the block runs (the
    query-budget tests and the benchmark count with it)."""
    engine = engine or db.engine
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
