"""The database goes away under a running server (SQLite locked by another process,
or the network to PostgreSQL cut mid-load): requests that need it get a clear 503
"try again" page within a bounded time, nothing is half-written, and once the
database is back the same workers serve again, without a restart."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from playbook.extensions import db
from playbook.models import Item, LoginSession, Playbook, Revision, User
from tests.factories import PASSWORD, make_playbook
from tests.faults.browser import Browser, Response, signed_in
from tests.faults.proxy import TcpProxy
from tests.faults.server import on_postgres

BUSY_TIMEOUT_SECONDS = 5  # playbook/database.py
ANSWER_WITHIN_SECONDS = BUSY_TIMEOUT_SECONDS + 5


def _setup(server, people, items: int = 2):
    owner, newcomer = people(server, 2)
    with server.app_context():
        user = db.session.scalar(select(User).where(User.email == owner))
        playbook = make_playbook(user, items=items)
        item_ids = [item.id for section in playbook.sections for item in section.items]
        return owner, newcomer, playbook.id, item_ids


def _state(server, playbook_id: int) -> dict:
    """What a refused write must leave alone."""
    with server.app_context():
        playbook = db.session.get(Playbook, playbook_id)
        return {
            "version": playbook.version,
            "revisions": db.session.scalar(
                select(func.count())
                .select_from(Revision)
                .where(Revision.playbook_id == playbook_id)
            ),
            "notes": sorted(
                db.session.scalars(select(Item.notes).where(Item.playbook_id == playbook_id))
            ),
            "sessions": db.session.scalar(select(func.count()).select_from(LoginSession)),
        }


def assert_unavailable_page(response) -> None:
    assert response.status == 503, (response.path, response.status, response.text[:300])
    assert "Temporarily unavailable" in response.text and "try again" in response.text
    assert response.headers.get("retry-after", "").isdigit(), response.headers
    assert response.seconds < ANSWER_WITHIN_SECONDS, f"{response.path} took {response.seconds:.1f}s"


@pytest.mark.skipif(on_postgres(), reason="SQLite locking; the PostgreSQL twin cuts the connection")
def test_locked_sqlite_gives_503_to_writes_then_recovers(start_server, people):
    server = start_server(workers=2)
    owner, newcomer, playbook_id, items = _setup(server, people)
    page, edit = f"/playbooks/{playbook_id}", f"/playbooks/{playbook_id}/items/{items[0]}/edit"
    browser = signed_in(server.url, owner)
    assert browser.submit(edit, notes="saved before the lock").status == 302
    before, workers = _state(server, playbook_id), server.worker_pids()

    with closing(sqlite3.connect(server.database.path, isolation_level=None, timeout=10)) as locker:
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        locked_at = time.monotonic()
        with ThreadPoolExecutor(3) as pool:
            write = pool.submit(browser.submit, edit, notes="written while locked")
            sign_in = pool.submit(
                Browser(server.url).submit, "/auth/login", email=newcomer, password=PASSWORD
            )
            read = pool.submit(browser.get, page)
            write, sign_in, read = write.result(30), sign_in.result(30), read.result(30)
        held = time.monotonic() - locked_at
        locker.execute("ROLLBACK")

    assert held > BUSY_TIMEOUT_SECONDS, "the lock must outlast the busy timeout"
    assert_unavailable_page(write)
    assert_unavailable_page(sign_in)
    # In WAL mode readers never wait for a writer: pages that only read keep working.
    assert read.status == 200 and "saved before the lock" in read.text
    assert _state(server, playbook_id) == before, "a refused write left something behind"

    # Released: the same workers write again, no restart.
    assert browser.submit(edit, notes="saved after the lock").status == 302
    assert Browser(server.url).sign_in(newcomer, PASSWORD)
    after = browser.get(page)
    assert (
        after.status == 200
        and "saved after the lock" in after.text
        and "written while locked" not in after.text
    )
    state = _state(server, playbook_id)
    assert (state["version"], state["revisions"]) == (
        before["version"] + 1,
        before["revisions"] + 1,
    )
    assert server.worker_pids() == workers, "the workers recovered by themselves, without a restart"


@dataclass(frozen=True)
class Answer:
    kind: str  # read or write
    text: str | None  # what a write sent
    start: float
    end: float
    response: Response


class Loader(threading.Thread):
    """One signed-in person working in a loop: open their item's form, save a new text;
    when the form does not open, press Save again on the one still on screen. Every
    answer is recorded with its start and end time."""

    def __init__(self, n: int, browser: Browser, edit_path: str, stop: threading.Event):
        super().__init__(name=f"loader-{n}")
        self.n, self.browser, self.edit_path, self.stop = n, browser, edit_path, stop
        self.answers: list[Answer] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        form = None
        try:
            for attempt in range(10_000):
                if self.stop.is_set():
                    return
                start = time.monotonic()
                page = self.browser.get(self.edit_path)
                self.answers.append(Answer("read", None, start, time.monotonic(), page))
                if page.status == 200:
                    form = self.browser.form(page, self.edit_path)
                elif form is None:
                    continue
                text = f"loader-{self.n} text {attempt}"
                start = time.monotonic()
                saved = self.browser.post(self.edit_path, {**form, "notes": text})
                self.answers.append(Answer("write", text, start, time.monotonic(), saved))
                if saved.status != 302:
                    time.sleep(0.05)
        except BaseException as error:  # reported by the test
            self.error = error


def _history(server, playbook_id: int, base_version: int, prefix: str) -> list[str]:
    """The item's notes starting with `prefix` in each revision after `base_version`, repeats removed."""
    seen: list[str] = []
    with server.app_context():
        for snapshot in db.session.scalars(
            select(Revision.snapshot)
            .where(Revision.playbook_id == playbook_id, Revision.number > base_version)
            .order_by(Revision.number)
        ):
            notes = [
                i["notes"]
                for s in snapshot["sections"]
                for i in s["items"]
                if i["notes"].startswith(prefix)
            ]
            if notes and (not seen or seen[-1] != notes[0]):
                seen.append(notes[0])
    return seen


@pytest.mark.skipif(
    not on_postgres(), reason="needs PostgreSQL (TEST_DATABASE_URL); the SQLite twin locks the file"
)
def test_cut_postgresql_connection_gives_503_then_recovers(start_server, server_database, people):
    target = make_url(server_database.url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    try:
        through_proxy = target.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False
        )
        server = start_server(workers=2, database_url=through_proxy)
        owner, _, playbook_id, items = _setup(server, people, items=3)
        with server.app_context():
            base_version = db.session.get(Playbook, playbook_id).version
        workers = server.worker_pids()
        stop = threading.Event()
        loaders = [
            Loader(
                n,
                signed_in(server.url, owner),
                f"/playbooks/{playbook_id}/items/{items[n]}/edit",
                stop,
            )
            for n in range(3)
        ]
        for loader in loaders:
            loader.start()
        time.sleep(1.5)
        cut_at = time.monotonic()
        proxy.cut()
        time.sleep(2.5)
        restored_at = time.monotonic()
        proxy.restore()
        time.sleep(3)
        stop.set()
        for loader in loaders:
            loader.join(timeout=ANSWER_WITHIN_SECONDS + 20)
    finally:
        proxy.close()

    assert not [t.name for t in loaders if t.is_alive() or t.error], [t.error for t in loaders]
    answers = [a for loader in loaders for a in loader.answers]
    assert {a.response.status for a in answers} <= {200, 302, 409, 503}, server.log_tail()
    during = [a for a in answers if a.start > cut_at + 0.2 and a.end < restored_at]
    after = [a for a in answers if a.start > restored_at + 1.0]
    assert {a.kind for a in during} == {"read", "write"} and len(after) >= 3, (during, len(after))
    for answer in during:
        assert_unavailable_page(answer.response)
    assert all(a.response.status in (200, 302, 409) for a in after), [
        (a.kind, a.response.status) for a in after
    ]
    assert any(a.kind == "write" and a.response.status == 302 for a in after), (
        "no write succeeded after the restore"
    )
    assert server.worker_pids() == workers, "the workers recovered by themselves, without a restart"

    # All or nothing: every saved text is in the history in order, nothing else is,
    # except a write whose commit reached the database just as the cut lost its answer.
    total = 0
    for loader in loaders:
        saved = [a.text for a in loader.answers if a.kind == "write" and a.response.status == 302]
        refused = {a.text for a in loader.answers if a.kind == "write" and a.response.status == 503}
        history = _history(server, playbook_id, base_version, f"loader-{loader.n} ")
        assert [t for t in history if t in saved] == saved
        assert set(history) <= set(saved) | refused
        total += len(history)
    with server.app_context():
        playbook = db.session.get(Playbook, playbook_id)
        assert playbook.version == base_version + total
        assert (
            db.session.scalar(
                select(func.max(Revision.number)).where(Revision.playbook_id == playbook_id)
            )
            == playbook.version
        )
