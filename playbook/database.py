"""Engine-level settings: SQLite pragmas for a safe embedded database; counting statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
    cost estimate, spends tens of milliseconds compiling a query that runs in a few."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()  # a SET inside a transaction that rolls back would not stay


def configure_engine_events(app: Flask) -> None:
    """Turn on foreign keys, WAL and a busy timeout for every SQLite connection; turn
    off JIT compilation for every PostgreSQL one; record which cached visitors' pages
    a committed transaction retires (playbook.pagecache)."""
    from playbook import pagecache

    with app.app_context():
        engine: Engine = db.engine
        pagecache.track_writes(engine)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        elif engine.dialect.name == "postgresql":
            event.listen(engine, "connect", _postgres_settings)


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
