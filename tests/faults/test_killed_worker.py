"""A gunicorn worker killed with SIGKILL in the middle of importing a large playbook
(hundreds of rows in one transaction) leaves all of it or nothing: never a playbook
without its sections, a section without its items, or rows pointing nowhere."""

from __future__ import annotations

import http.client
import json
import random
import sqlite3
import threading
import time

import psycopg
from sqlalchemy import func, select, text

from playbook.extensions import db
from playbook.models import (
    Component,
    Framework,
    Item,
    Membership,
    Play,
    Playbook,
    Resource,
    Revision,
    Section,
)
from playbook.playbooks import document
from tests.faults.browser import signed_in

SECTIONS, ITEMS_PER_SECTION = 4, 100
ROUNDS = 6  # half killed while the import's transaction is seen open, half at a random moment
PROBE_EVERY_SECONDS = 0.005
ORPHANS = {
    "sections without a playbook": "SELECT count(*) FROM section WHERE playbook_id NOT IN (SELECT id FROM playbook)",
    "items without a section": "SELECT count(*) FROM item WHERE section_id NOT IN (SELECT id FROM section)",
    "items in another playbook than their section": "SELECT count(*) FROM item JOIN section "
    "ON section.id = item.section_id "
    "WHERE section.playbook_id <> item.playbook_id",
    "revisions without a playbook": "SELECT count(*) FROM revision WHERE playbook_id NOT IN (SELECT id FROM playbook)",
    "memberships without a playbook": "SELECT count(*) FROM membership "
    "WHERE playbook_id NOT IN (SELECT id FROM playbook)",
}


def _big_document(title: str) -> bytes:
    """An export of a team playbook with SECTIONS x ITEMS_PER_SECTION items that point
    at the starter library (or are notes), each with a paragraph of Markdown notes."""
    framework = db.session.scalar(select(Framework).order_by(Framework.id))
    pools = {
        "play": list(db.session.scalars(select(Play).order_by(Play.id))),
        "resource": list(db.session.scalars(select(Resource).order_by(Resource.id))),
        "component": list(
            db.session.scalars(select(Component).where(Component.framework_id == framework.id))
        ),
    }
    sections = []
    for s in range(SECTIONS):
        items = []
        for i in range(ITEMS_PER_SECTION):
            kind = ("play", "resource", "component", "note")[i % 4]
            notes = (
                f"**Step {i}** of section {s}: "
                + "what our team will try, and how we will know it works. " * 8
            )
            item = {
                "kind": kind,
                "title": f"Note {s}.{i}" if kind == "note" else "",
                "notes": notes,
                "status": "planned",
                "target_date": None,
                "element": None,
                "ref": None,
            }
            if kind != "note":
                target = pools[kind][i % len(pools[kind])]
                item["ref"] = {
                    "slug": target.slug,
                    "title": getattr(target, "title", None) or target.name,
                }
            items.append(item)
        sections.append({"title": f"Section {s}", "items": items})
    doc = {
        "format": document.FORMAT,
        "title": title,
        "scope": "district",
        "organization": "Fault District",
        "vision": "Every learner, every day.",
        "framework": {"slug": framework.slug, "name": framework.name},
        "sections": sections,
    }
    return json.dumps(doc).encode()


class WriteProbe:
    """Tells whether some connection holds an open write transaction on the database:
    for SQLite, whether the write lock is taken; for PostgreSQL, whether a backend of
    the database has written in its open transaction."""

    def __init__(self, database):
        self.database = database
        if database.is_sqlite:
            self.connection = sqlite3.connect(database.path, timeout=0, isolation_level=None)
        else:
            url = database.url.replace("postgresql+psycopg://", "postgresql://")
            self.connection = psycopg.connect(url, autocommit=True)

    def writing(self) -> bool:
        if not self.database.is_sqlite:
            return (
                self.connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                ).fetchone()[0]
                > 0
            )
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        self.connection.execute("ROLLBACK")
        return False

    def writers(self) -> list[int]:
        """PostgreSQL: the transaction ids (with their epoch) that backends of the
        database hold open now; SQLite: [0] while the write lock is taken."""
        if self.database.is_sqlite:
            return [0] if self.writing() else []
        return [
            xid
            for (xid,) in self.connection.execute(
                "SELECT ((pg_current_xact_id()::text::bigint >> 32) << 32) "
                "| backend_xid::text::bigint FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_xid IS NOT NULL"
            ).fetchall()
        ]

    def committed(self, writers: list[int]) -> bool:
        """Whether one of these transactions committed after all: the kill may come
        after the COMMIT was sent, between the look and the kill. (SQLite: no way
        to tell, and its lock is given up only at the end of the commit.)"""
        if self.database.is_sqlite:
            return False
        return any(
            self.connection.execute("SELECT pg_xact_status(%s::text::xid8)", (xid,)).fetchone()[0]
            == "committed"
            for xid in writers
        )

    def wait_for_write(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.writing():
                return True
            time.sleep(PROBE_EVERY_SECONDS)
        return False

    def close(self) -> None:
        self.connection.close()


class Upload(threading.Thread):
    def __init__(self, browser, fields: dict, body: bytes):
        super().__init__(name="upload")
        self.browser, self.fields, self.body = browser, fields, body
        self.status: int | str | None = None

    def run(self) -> None:
        try:
            response = self.browser.post(
                "/playbooks/import",
                self.fields,
                files={"file": ("playbook.json", self.body, "application/json")},
            )
            self.status = response.status
        except (OSError, http.client.HTTPException) as error:  # the worker died under the request
            self.status = type(error).__name__


def _import(browser, body: bytes) -> Upload:
    page = browser.get("/playbooks/import")
    assert page.status == 200, page.status
    upload = Upload(browser, browser.form(page, "/playbooks/import"), body)
    upload.start()
    return upload


def _playbook_shape(title: str) -> list[dict]:
    """For every playbook with this title: its sections' item counts, revisions, members."""
    shapes = []
    for playbook in db.session.scalars(select(Playbook).where(Playbook.title == title)):
        revisions = list(
            db.session.scalars(select(Revision).where(Revision.playbook_id == playbook.id))
        )
        shapes.append(
            {
                "sections": [
                    db.session.scalar(
                        select(func.count()).select_from(Item).where(Item.section_id == s.id)
                    )
                    for s in db.session.scalars(
                        select(Section)
                        .where(Section.playbook_id == playbook.id)
                        .order_by(Section.position)
                    )
                ],
                "items": db.session.scalar(
                    select(func.count()).select_from(Item).where(Item.playbook_id == playbook.id)
                ),
                "revisions": len(revisions),
                "snapshot items": [
                    len(s["items"]) for r in revisions for s in r.snapshot["sections"]
                ],
                "members": db.session.scalar(
                    select(func.count())
                    .select_from(Membership)
                    .where(Membership.playbook_id == playbook.id)
                ),
            }
        )
    return shapes


WHOLE = {
    "sections": [ITEMS_PER_SECTION] * SECTIONS,
    "items": SECTIONS * ITEMS_PER_SECTION,
    "revisions": 1,
    "snapshot items": [ITEMS_PER_SECTION] * SECTIONS,
    "members": 1,
}


def test_worker_killed_mid_import_leaves_all_or_nothing(start_server, people):
    server = start_server(workers=1, timeout=60)
    (owner,) = people(server, 1)
    with server.app_context():
        bodies = {k: _big_document(f"Big import {k}") for k in range(ROUNDS + 2)}
    browser = signed_in(server.url, owner)
    probe = WriteProbe(server.database)
    rng = random.Random(6)
    try:
        # A full import first: how long one takes here, and that it works at all.
        started = time.monotonic()
        calibration = _import(browser, bodies[ROUNDS])
        assert probe.wait_for_write(30), "the import never started writing"
        write_started = time.monotonic()
        calibration.join(timeout=60)
        duration, writing = time.monotonic() - started, time.monotonic() - write_started
        assert calibration.status == 302, calibration.status

        outcomes = []
        for k in range(ROUNDS):
            (worker,) = server.worker_pids()
            upload = _import(browser, bodies[k])
            if k % 2 == 0:  # killed while the transaction is open
                assert probe.wait_for_write(duration + 10), "the import never started writing"
                time.sleep(rng.uniform(0, writing * 0.5))
            else:  # killed at any moment of the request
                time.sleep(rng.uniform(0, duration))
            writers = probe.writers()
            server.kill_worker(worker)
            upload.join(timeout=60)
            assert not upload.is_alive()
            server.wait_until_up()
            assert server.worker_pids() != [worker]
            # PostgreSQL ends the dead worker's transaction once it sees the socket closed.
            deadline = time.monotonic() + 10
            while probe.writing() and time.monotonic() < deadline:
                time.sleep(PROBE_EVERY_SECONDS)
            # killed with a transaction open: seen writing, and it did not commit after all
            mid_write = bool(writers) and not probe.committed(writers)
            outcomes.append((k, mid_write, upload.status))
    finally:
        probe.close()

    assert any(mid_write for _, mid_write, _ in outcomes), outcomes
    with server.app_context():
        for k, mid_write, status in outcomes:
            shape = _playbook_shape(f"Big import {k}")
            assert shape in ([], [WHOLE]), (k, mid_write, status, shape)
            if mid_write:
                assert shape == [], (
                    f"round {k}: killed with its transaction open, yet something was committed"
                )
            if status == 302:
                assert shape == [WHOLE], f"round {k}: answered as imported, yet not whole"
        assert _playbook_shape(f"Big import {ROUNDS}") == [WHOLE]
        for name, sql in ORPHANS.items():
            assert db.session.scalar(text(sql)) == 0, name
        if server.database.is_sqlite:
            assert db.session.scalar(text("PRAGMA integrity_check")) == "ok"
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []

    # The new worker carries on: the next import is whole.
    last = _import(browser, bodies[ROUNDS + 1])
    last.join(timeout=60)
    assert last.status == 302, last.status
    with server.app_context():
        assert _playbook_shape(f"Big import {ROUNDS + 1}") == [WHOLE]
