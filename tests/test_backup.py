"""flask backup and flask restore: a consistent copy of a database being written,
an exact restore, and refusals that change nothing."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing

import pytest
from flask_migrate import stamp
from sqlalchemy import select

from playbook import create_app
from playbook.extensions import db as _db
from playbook.library.seed import seed_library
from playbook.models import Item, Playbook, User
from playbook.playbooks import services
from tests import factories


@pytest.fixture
def file_app(tmp_path):
    """The app on a SQLite file of its own (a backup needs a file), at the newest
    migration, holding the starter library, two people and two playbooks."""
    path = tmp_path / "live.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        _db.create_all()
        stamp()
        seed_library()
        owner = factories.make_user(display_name="Dana Lead")
        teammate = factories.make_user(display_name="Sam Teammate")
        factories.make_playbook(owner, items=6, members=(teammate,))
        factories.make_playbook(teammate, items=3)
        _db.session.remove()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def live_path(file_app):
    return _db.engine.url.database


@pytest.fixture
def cli(file_app):
    return file_app.test_cli_runner()


def dump(path) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: what 'the same data' means."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in names
        }


def _without_generation(rows: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    return {name: table for name, table in rows.items() if name != "site_state"}


def scalar(path, sql: str):
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        return connection.execute(sql).fetchone()[0]


# --- backup -------------------------------------------------------------------------


def _write_playbooks(
    app, owner_id: int, stop: threading.Event, committed: list[int], errors: list
) -> None:
    """Another connection writing in a loop: each playbook (its row, four sections, the
    owner's membership and the first revision) is one transaction."""
    try:
        with app.app_context():
            owner = _db.session.get(User, owner_id)
            while not stop.is_set():
                services.create_playbook(
                    owner, title=f"Written during the backup {len(committed)}", scope="school"
                )
                committed.append(_db.session.scalar(select(_db.func.count()).select_from(Playbook)))
            _db.session.remove()
    except Exception as error:  # reported by the test, not lost in the thread
        errors.append(error)


def test_backup_of_a_database_being_written_is_one_consistent_moment(
    file_app, cli, live_path, tmp_path
):
    owner_id = _db.session.scalar(select(User.id).order_by(User.id))
    stop, committed, errors = threading.Event(), [], []
    writer = threading.Thread(
        target=_write_playbooks, args=(file_app, owner_id, stop, committed, errors)
    )
    writer.start()
    copies = []
    try:
        deadline = time.monotonic() + 10
        while len(committed) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(committed) >= 3, errors
        for n in range(5):
            before = len(committed)
            result = cli.invoke(args=["backup", str(tmp_path / f"copy-{n}.sqlite")])
            copies.append((tmp_path / f"copy-{n}.sqlite", before, len(committed), result))
            time.sleep(0.05)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not writer.is_alive() and not errors, errors
    assert any(after > before for _, before, after, _ in copies), (
        "the writer must write during a backup"
    )
    for path, before, after, result in copies:
        assert result.exit_code == 0, result.output
        assert "Backed up" in result.output and str(path) in result.output
        assert scalar(path, "PRAGMA integrity_check") == "ok"
        assert scalar(path, "PRAGMA journal_mode") == "delete", (
            "a backup is one self-contained file"
        )
        # The copy holds exactly the playbooks committed at one moment during the call
        # (the writer notes each count just after its commit, hence the one-step margin)...
        playbooks = scalar(path, "SELECT count(*) FROM playbook")
        assert playbooks in committed
        assert committed[before - 1] <= playbooks <= committed[min(after, len(committed) - 1)]
        # ...and each of them whole: no playbook without its sections, membership or revision.
        assert (
            scalar(
                path,
                "SELECT count(*) FROM playbook WHERE (SELECT count(*) FROM section "
                "WHERE section.playbook_id = playbook.id) < 4",
            )
            == 0
        )
        assert scalar(path, "SELECT count(*) FROM revision") >= playbooks
        for table in ("membership", "revision"):
            assert (
                scalar(
                    path,
                    f"SELECT count(*) FROM playbook WHERE NOT EXISTS (SELECT 1 FROM {table} "
                    f"WHERE {table}.playbook_id = playbook.id)",
                )
                == 0
            )
        assert (
            scalar(
                path,
                "SELECT count(*) FROM section WHERE playbook_id NOT IN (SELECT id FROM playbook)",
            )
            == 0
        )
    assert not list(tmp_path.glob("*.partial"))


def test_backup_refuses_to_overwrite_a_file(cli, tmp_path):
    existing = tmp_path / "keep-me.sqlite"
    existing.write_bytes(b"precious")
    result = cli.invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert existing.read_bytes() == b"precious"


def test_backup_refuses_a_missing_folder(cli, tmp_path):
    result = cli.invoke(args=["backup", str(tmp_path / "no-such-folder" / "copy.sqlite")])
    assert result.exit_code != 0 and "does not exist" in result.output


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_postgresql_is_refused_with_a_pointer_to_its_own_tools(command, tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://playbook@127.0.0.1:9/playbook"}
    )
    target = tmp_path / "copy.sqlite"
    args = [command, str(target)] + (["--yes"] if command == "restore" else [])
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    assert (
        "not SQLite" in result.output
        and ("pg_dump" if command == "backup" else "pg_restore") in result.output
    )
    assert not target.exists()


# --- restore ------------------------------------------------------------------------


def _change_everything_a_little(owner_email: str) -> None:
    owner = _db.session.scalar(select(User).where(User.email == owner_email))
    factories.make_user(display_name="Joined after the backup")
    playbook_id = _db.session.scalar(select(Playbook.id).order_by(Playbook.id))
    playbook = services.load_playbook_for_change(playbook_id)
    item = playbook.sections[0].items[0]
    services.update_item(
        owner,
        playbook,
        item,
        base_version=playbook.version,
        title="Changed after the backup",
        notes="new notes",
        status="adopted",
    )
    second = _db.session.scalar(select(Playbook).order_by(Playbook.id.desc()))
    _db.session.delete(second)
    _db.session.commit()
    _db.session.remove()


def test_restore_brings_back_every_row_exactly(file_app, cli, live_path, tmp_path):
    backup_path = tmp_path / "nightly.sqlite"
    assert cli.invoke(args=["backup", str(backup_path)]).exit_code == 0
    at_backup = dump(live_path)
    assert at_backup["item"] and at_backup["search_document"], "the test needs real data"
    owner_email = _db.session.scalar(select(User.email).order_by(User.id))
    _change_everything_a_little(owner_email)
    changed = dump(live_path)
    assert changed != at_backup

    result = cli.invoke(args=["restore", str(backup_path), "--yes"])

    assert result.exit_code == 0, result.output
    # Every row as it was, but the content generation, which the restore sets anew
    # (test_restore_sets_a_new_content_generation).
    assert (
        _without_generation(dump(live_path))
        == _without_generation(at_backup)
        == _without_generation(dump(backup_path))
    )
    assert scalar(live_path, "PRAGMA integrity_check") == "ok"
    assert scalar(live_path, "PRAGMA journal_mode") == "wal", (
        "the live database keeps its write-ahead log"
    )
    kept = list(tmp_path.glob("live-before-restore-*.sqlite"))
    assert len(kept) == 1 and str(kept[0]) in result.output
    assert dump(kept[0]) == changed, "the data replaced by the restore is kept"
    # The app itself reads the restored data, with the connections it opens afterwards.
    with file_app.app_context():
        titles = [i.title for i in _db.session.scalars(select(Item).order_by(Item.id))]
        assert "Changed after the backup" not in titles
        assert _db.session.scalar(select(_db.func.count()).select_from(Playbook)) == 2
        factories.make_user(display_name="Writes after the restore work")


def test_restore_asks_before_replacing_the_data(cli, live_path, tmp_path):
    backup_path = tmp_path / "nightly.sqlite"
    assert cli.invoke(args=["backup", str(backup_path)]).exit_code == 0
    before = dump(live_path)
    result = cli.invoke(args=["restore", str(backup_path)], input="n\n")
    assert (
        result.exit_code != 0 and "Replace all data" in result.output and "Aborted" in result.output
    )
    assert dump(live_path) == before
    assert not list(tmp_path.glob("live-before-restore-*"))


def _other_schema(path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        connection.execute("INSERT INTO invoices (total) VALUES (12.5)")
        connection.commit()


def _older_version(path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '988528116c73'")
        connection.commit()


def _lacking_tables(path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("DROP TABLE revision")
        connection.commit()


def _damaged(path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(2 * page, len(data) - page, 3 * page):
        data[start : start + 200] = b"\xa5" * 200
    path.write_bytes(bytes(data))


BAD_FILES = {
    "missing": (None, "There is no file"),
    "text": (lambda p: p.write_text("title,notes\nnot,a database\n"), "is not a SQLite database"),
    "empty": (lambda p: p.write_bytes(b""), "is not a SQLite database"),
    "other schema": (_other_schema, "is not a Playbook database (it has no alembic_version table)"),
    "older version": (
        _older_version,
        "has database version 988528116c73, but this version of Playbook expects",
    ),
    "lacking tables": (_lacking_tables, "lacks the tables revision"),
    "damaged": (_damaged, "damaged"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_restore_refuses_a_bad_file_and_changes_nothing(case, cli, live_path, tmp_path):
    make, message = BAD_FILES[case]
    path = tmp_path / "bad.sqlite"
    if case in ("older version", "lacking tables", "damaged"):
        assert cli.invoke(args=["backup", str(path)]).exit_code == 0
    if make is not None:
        make(path)
    before = dump(live_path)

    result = cli.invoke(args=["restore", str(path), "--yes"])

    assert result.exit_code != 0
    if case == "damaged":
        assert "is damaged" in result.output or "cannot be read" in result.output, result.output
    else:
        assert message in result.output, result.output
    assert dump(live_path) == before
    assert not list(tmp_path.glob("live-before-restore-*")), (
        "a refused restore makes no copies either"
    )


def test_restore_refuses_the_live_database_itself(cli, live_path):
    before = dump(live_path)
    result = cli.invoke(args=["restore", live_path, "--yes"])
    assert result.exit_code != 0 and "is the database itself" in result.output
    assert dump(live_path) == before


def test_restore_sets_a_new_content_generation(file_app, cli, live_path, tmp_path):
    """A worker may hold pages stored under the generation the backup also holds
    (taken just before them); after a restore none of them may be sent again."""
    copy = tmp_path / "copy.sqlite"
    assert cli.invoke(args=["backup", str(copy)]).exit_code == 0
    in_backup = scalar(copy, "SELECT content_generation FROM site_state")
    result = cli.invoke(args=["restore", str(copy), "--yes"])
    assert result.exit_code == 0, result.output
    assert scalar(live_path, "SELECT content_generation FROM site_state") != in_backup
