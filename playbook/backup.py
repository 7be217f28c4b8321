"""Back up and restore the embedded SQLite database while the app keeps running.

Both directions go through SQLite's online backup API, never a file copy: a copy of
the file taken while a worker writes can catch half a transaction (or miss what still
sits in the write-ahead log), while the backup API reads one consistent snapshot.
PostgreSQL has its own tools (pg_dump, pg_restore); these functions refuse it."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import Connection

from playbook import pagecache
from playbook.extensions import db

SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(Exception):
    """The backup or restore was refused or failed; the message says why, in plain words.
    Nothing was changed."""


@dataclass(frozen=True)
class DatabaseReport:
    path: Path
    tables: int
    rows: int
    schema_version: str


def live_database_path() -> Path:
    """The configured SQLite file; BackupError for PostgreSQL or an in-memory database."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"The database is {url.get_backend_name()}, not SQLite: use its own tools instead, "
            "for example `pg_dump --format=custom --file=playbook.dump DATABASE_URL` to back up "
            "and `pg_restore --clean --dbname=DATABASE_URL playbook.dump` to restore."
        )
    if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
        raise BackupError(
            "The database lives in memory only; there is no file to back up or restore."
        )
    return Path(url.database).resolve()


def expected_schema_version() -> str:
    """The newest migration this version of the app knows (the head revision)."""
    config = current_app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    return ",".join(sorted(heads))


def _sqlite_connection(connection: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under SQLAlchemy's (backups are for SQLite only)."""
    raw = connection.connection.driver_connection
    if not isinstance(raw, sqlite3.Connection):
        raise BackupError("Backups work on a SQLite database only.")
    return raw


def _integrity_problems(connection: sqlite3.Connection) -> list[str]:
    rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def _count(connection: sqlite3.Connection) -> tuple[int, int]:
    """(tables, rows) of the app's own tables, for the report."""
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    counts = [
        connection.execute(f"SELECT count(*) FROM {_quoted(name)}").fetchone()[0]  # nosec B608 - _quoted() identifier
        for name in names
    ]
    return len(names), sum(counts)


def _quoted(name: str) -> str:
    """A table name as an SQL identifier. Names come from the file being checked (which
    may be anyone's) and identifiers cannot be bound parameters, so embedded double
    quotes are doubled, as SQL quoting requires."""
    return '"' + name.replace('"', '""') + '"'


def _schema_version(connection: sqlite3.Connection) -> str | None:
    try:
        versions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.DatabaseError:
        return None
    return ",".join(sorted(versions))


def backup_database(destination: str | os.PathLike) -> DatabaseReport:
    """Copy the live SQLite database to `destination`, a new file, as one consistent
    snapshot, while other connections go on reading and writing. The copy is written
    under a temporary name and renamed into place only once it checks out, so a
    failed backup never leaves a half-written file under the requested name.
    Raises BackupError (PostgreSQL, in-memory database, existing destination, ...)."""
    source_path = live_database_path()
    target = Path(destination).resolve()
    if target == source_path:
        raise BackupError(
            "The backup cannot overwrite the database it copies; choose another file name."
        )
    if target.exists():
        raise BackupError(
            f"{target} already exists; choose a new file name (a backup never overwrites a file)."
        )
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with db.engine.connect() as connection, closing(sqlite3.connect(partial)) as copy:
            # pages=-1 copies everything in one step inside one read transaction: in WAL
            # mode writers carry on meanwhile, and the copy is the state of one moment.
            _sqlite_connection(connection).backup(copy, pages=-1)
            # A backup is one self-contained file: no write-ahead log beside it.
            copy.execute("PRAGMA journal_mode=DELETE").fetchall()
            problems = _integrity_problems(copy)
            if problems:
                raise BackupError("The copy failed its integrity check: " + "; ".join(problems[:5]))
            tables, rows = _count(copy)
            version = _schema_version(copy) or ""
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(f"The backup failed: {error}.") from None
    finally:
        partial.unlink(missing_ok=True)
    return DatabaseReport(target, tables, rows, version)


def check_backup(source: str | os.PathLike) -> DatabaseReport:
    """Make sure `source` is an intact SQLite database of this app at the schema version
    this code expects. Opens it read-only; raises BackupError saying what is wrong."""
    path = Path(source).resolve()
    if not path.is_file():
        raise BackupError(f"There is no file at {path}.")
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{path} is not a SQLite database.")
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
            problems = _integrity_problems(connection)
            if problems:
                raise BackupError(f"{path} is damaged: " + "; ".join(problems[:5]))
            version = _schema_version(connection)
            if version is None:
                raise BackupError(
                    f"{path} is not a Playbook database (it has no alembic_version table)."
                )
            expected = expected_schema_version()
            if version != expected:
                raise BackupError(
                    f"{path} has database version {version or 'none'}, but this version of Playbook expects "
                    f"{expected}. Restore it with the release that made it, or into a copy you then upgrade "
                    "with `flask db upgrade`."
                )
            present = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            missing = sorted(set(db.metadata.tables) - present)
            if missing:
                raise BackupError(
                    f"{path} is not a Playbook database: it lacks the tables {', '.join(missing[:5])}."
                )
            tables, rows = _count(connection)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} cannot be read as a SQLite database: {error}.") from None
    return DatabaseReport(path, tables, rows, version)


def restore_database(
    source: str | os.PathLike, keep_current: bool = True
) -> tuple[DatabaseReport, Path | None]:
    """Replace every row of the configured SQLite database with the backup `source`,
    after checking it (check_backup). Unless keep_current is False, the database as it
    was is first backed up beside itself, so a restore can be undone. Uses the backup
    API into the live file, so running workers see the restored data on their next
    request. Returns the report and the path of the kept copy. Raises BackupError,
    having changed nothing, when the file or the configured database is unsuitable."""
    target = live_database_path()
    report = check_backup(source)
    if report.path == target:
        raise BackupError("That file is the database itself; there is nothing to restore.")
    kept = None
    if keep_current:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        kept = backup_database(
            target.with_name(f"{target.stem}-before-restore-{stamp}{target.suffix}")
        ).path
    db.session.remove()
    try:
        with (
            closing(sqlite3.connect(f"{report.path.as_uri()}?mode=ro", uri=True)) as backup,
            db.engine.connect() as connection,
        ):
            backup.backup(_sqlite_connection(connection), pages=-1)
            problems = _integrity_problems(_sqlite_connection(connection))
    except sqlite3.Error as error:
        raise BackupError(f"The restore failed: {error}.") from None
    finally:
        # Connections pooled before the restore may hold pages of the old database.
        db.engine.dispose()
    if problems:
        raise BackupError(
            "The restored database failed its integrity check: " + "; ".join(problems[:5])
        )
    with db.engine.begin() as connection:
        pagecache.new_generation(connection)  # workers' stored pages show the data as it was
    return report, kept
