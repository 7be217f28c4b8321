"""Sixteen people editing different items of one playbook at the same moment, through
the real forms of a gunicorn server with four workers, meet no conflict and lose no
update: each save made on an older version is merged, and every save becomes exactly
one revision."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from playbook.extensions import db
from playbook.models import Playbook, Revision, User
from tests.factories import make_playbook, revision_count
from tests.faults.browser import signed_in

EDITORS = 16
SAVES_EACH = 2
DEADLINE_SECONDS = 90
MAX_ATTEMPTS = 200  # per editor: a bound, far above what fair interleaving needs


def _tag(n: int) -> str:
    return f"editor-{n:02d}"


class Editor(threading.Thread):
    """One person: signs in, waits for everyone, then saves their item's notes
    SAVES_EACH times, reloading and trying again after each conflict (409)."""

    def __init__(
        self,
        n: int,
        server_url: str,
        email: str,
        path: str,
        start: threading.Barrier,
        deadline: float,
    ):
        super().__init__(name=_tag(n))
        self.n, self.server_url, self.email, self.path = n, server_url, email, path
        self.start_together, self.deadline = start, deadline
        self.saves: list[str] = []
        self.conflicts = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            browser = signed_in(self.server_url, self.email)
            self.start_together.wait(timeout=60)
            for attempt in range(MAX_ATTEMPTS):
                if len(self.saves) == SAVES_EACH:
                    return
                assert time.monotonic() < self.deadline, (
                    f"{self.name} ran out of time after {attempt} attempts"
                )
                text = f"{_tag(self.n)} save {len(self.saves)}: our twist, take {attempt}"
                response = browser.submit(self.path, notes=text)
                if response.status == 302:
                    self.saves.append(text)
                elif response.status == 409:
                    assert "Someone changed this playbook meanwhile" in response.text
                    self.conflicts += 1
                else:
                    raise AssertionError(
                        f"{self.name}: unexpected {response.status}: {response.text[:300]}"
                    )
            raise AssertionError(
                f"{self.name} made only {len(self.saves)} saves in {MAX_ATTEMPTS} attempts"
            )
        except BaseException as error:  # reported by the test
            self.error = error
            self.start_together.abort()


def _notes_history(playbook_id: int, base: int) -> dict[int, list[str]]:
    """For each editor, their item's notes in each revision after `base`, repeats removed."""
    history: dict[int, list[str]] = {n: [] for n in range(EDITORS)}
    revisions = db.session.scalars(
        select(Revision)
        .where(Revision.playbook_id == playbook_id, Revision.number > base)
        .order_by(Revision.number)
    )
    for revision in revisions:
        notes = [
            item["notes"] for section in revision.snapshot["sections"] for item in section["items"]
        ]
        for n in range(EDITORS):
            mine = [text for text in notes if text.startswith(_tag(n) + " ")]
            assert len(mine) <= 1
            if mine and (not history[n] or history[n][-1] != mine[0]):
                history[n].append(mine[0])
    return history


def test_sixteen_concurrent_editors_lose_no_update(start_server, people):
    server = start_server(workers=4)
    emails = people(server, EDITORS + 1)
    with server.app_context():
        users = list(
            db.session.scalars(select(User).where(User.email.in_(emails)).order_by(User.id))
        )
        playbook = make_playbook(users[0], items=EDITORS, members=tuple(users[1:]))
        playbook_id = playbook.id
        items = [item.id for section in playbook.sections for item in section.items]
        base_revisions, base_version = revision_count(playbook_id), playbook.version
    deadline = time.monotonic() + DEADLINE_SECONDS
    start = threading.Barrier(EDITORS, timeout=60)
    editors = [
        Editor(
            n,
            server.url,
            emails[n + 1],
            f"/playbooks/{playbook_id}/items/{items[n]}/edit",
            start,
            deadline,
        )
        for n in range(EDITORS)
    ]
    for editor in editors:
        editor.start()
    for editor in editors:
        editor.join(timeout=max(1.0, deadline - time.monotonic() + 30))

    assert not [e.name for e in editors if e.is_alive()], "editors still running"
    errors = [f"{e.name}: {e.error!r}" for e in editors if e.error is not None]
    assert not errors, "\n".join(errors) + "\n" + server.log_tail()
    saves = sum(len(e.saves) for e in editors)
    assert saves == EDITORS * SAVES_EACH
    assert sum(e.conflicts for e in editors) == 0, "different items were reported as a conflict"

    with server.app_context():
        playbook = db.session.get(Playbook, playbook_id)
        notes = {item.id: item.notes for section in playbook.sections for item in section.items}
        assert [notes[items[e.n]] for e in editors] == [e.saves[-1] for e in editors]
        assert revision_count(playbook_id) == base_revisions + saves
        assert playbook.version == base_version + saves
        history = _notes_history(playbook_id, base_version)
        assert [history[e.n] for e in editors] == [e.saves for e in editors], (
            "a save was lost or reordered"
        )
    page = signed_in(server.url, emails[0]).get(f"/playbooks/{playbook_id}")
    assert page.status == 200
    for editor in editors:
        assert editor.saves[-1].split(":")[0] in page.text
