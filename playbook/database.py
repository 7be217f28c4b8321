"""Engine-level settings: SQLite pragmas for a safe embedded database; PostgreSQL's
planner settings and read-only transactions that keep prepared statements; counting
statements."""

from __future__ import annotations

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


def configure_engine_events(app: Flask) -> None:
    """Turn on foreign keys, WAL and a busy timeout for every SQLite connection; turn
    off JIT compilation for every PostgreSQL one, price its random reads as cached
    ones and end its read-only transactions so that prepared statements stay; record
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
