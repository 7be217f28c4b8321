"""flask backup and flask restore next to a running server: the backup taken while
people save is one consistent moment, and after a restore the same workers serve the
restored data and keep saving on top of it."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing

import pytest
from sqlalchemy import select

from playbook.extensions import db
from playbook.models import Playbook, User
from tests.factories import make_playbook
from tests.faults.browser import signed_in
from tests.faults.server import flask_command, on_postgres

MAX_SAVES = 500  # a bound; the backup takes a second or two


def _read(path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        return connection.execute(sql).fetchall()


@pytest.mark.skipif(
    on_postgres(), reason="backup and restore are for SQLite; PostgreSQL has pg_dump"
)
def test_backup_while_saving_and_restore_under_a_running_server(start_server, people, tmp_path):
    server = start_server(workers=2)
    (owner,) = people(server, 1)
    with server.app_context():
        playbook = make_playbook(
            db.session.scalar(select(User).where(User.email == owner)), items=1
        )
        playbook_id, item_id = playbook.id, playbook.sections[0].items[0].id
    page, edit = f"/playbooks/{playbook_id}", f"/playbooks/{playbook_id}/items/{item_id}/edit"
    browser = signed_in(server.url, owner)
    saved: list[str] = []
    stop, errors = threading.Event(), []

    def keep_saving():
        try:
            for n in range(MAX_SAVES):
                if stop.is_set():
                    return
                response = browser.submit(edit, notes=f"save number {n}")
                assert response.status == 302, response.status
                saved.append(f"save number {n}")
        except BaseException as error:  # reported by the test
            errors.append(error)

    writer = threading.Thread(target=keep_saving)
    writer.start()
    try:
        deadline = time.monotonic() + 30
        while len(saved) < 2 and not errors and time.monotonic() < deadline:
            time.sleep(0.05)
        saved_before = len(saved)
        backup = tmp_path / "while-saving.sqlite"
        output = flask_command(server.database, "backup", str(backup))
        saved_during = len(saved) - saved_before
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not writer.is_alive() and not errors, errors
    assert "Backed up" in output and saved_before >= 2
    assert saved_during > 0, "the backup must be taken while people save"

    # One consistent moment: the item holds one of the saved texts, and the playbook's
    # version is the number of its newest revision.
    ((version,),) = _read(backup, f"SELECT version FROM playbook WHERE id = {playbook_id}")
    ((newest,),) = _read(
        backup, f"SELECT max(number) FROM revision WHERE playbook_id = {playbook_id}"
    )
    ((notes,),) = _read(backup, f"SELECT notes FROM item WHERE id = {item_id}")
    assert _read(backup, "PRAGMA integrity_check") == [("ok",)]
    assert version == newest and notes in saved
    assert browser.submit(edit, notes="saved after the backup").status == 302

    output = flask_command(server.database, "restore", str(backup), "--yes")

    # The same workers, without a restart, serve the restored data and save on top of it.
    assert "Restored" in output
    restored = browser.get(page)
    assert (
        restored.status == 200
        and notes in restored.text
        and "saved after the backup" not in restored.text
    )
    assert browser.submit(edit, notes="saved after the restore").status == 302
    with server.app_context():
        assert db.session.get(Playbook, playbook_id).version == version + 1
