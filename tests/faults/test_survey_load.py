"""Two hundred students sending their survey answers at once, through the real pages
of a gunicorn server with four workers (at most 32 connections at a time), lose no
response and leave no partial one; and a code sent from two devices at the same
moment is accepted exactly once. On SQLite, or on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from playbook.extensions import db
from playbook.models import Instrument, ResponseCode, SurveyAnswer, SurveyAudience, SurveyResponse
from playbook.rounds import codes
from tests.factories import make_playbook, make_round, make_user
from tests.faults.browser import Browser, Response
from tests.helpers import csrf_token_from

RESPONDENTS = 200
CONNECTIONS = 32
TWICE = 5  # codes each sent by two devices at the same moment
DEADLINE_SECONDS = 60


def _round(server) -> tuple[dict[str, list[str]], list[int], dict[str, int]]:
    """A round of the starter grades 6–12 instrument: a class of RESPONDENTS codes and
    a group of TWICE codes. Returns the codes per group, the item ids, the group ids."""
    with server.app_context():
        instrument = db.session.scalars(
            select(Instrument)
            .where(Instrument.audience == SurveyAudience.STUDENTS_6_12)
            .order_by(Instrument.id)
        ).first()
        assert instrument is not None, "the starter library has a grades 6–12 instrument"
        survey_round = make_round(
            make_playbook(make_user()),
            [instrument],
            groups=(
                ("Grade 7, all rooms", SurveyAudience.STUDENTS_6_12, RESPONDENTS),
                ("Grade 8, room 2", SurveyAudience.STUDENTS_6_12, TWICE),
            ),
        )
        printed: dict[str, list[str]] = {}
        groups: dict[str, int] = {}
        for name, group, count in (
            ("class", survey_round.groups[0], RESPONDENTS),
            ("twice", survey_round.groups[1], TWICE),
        ):
            printed[name] = [codes.new_code() for _ in range(count)]
            groups[name] = group.id
            db.session.add_all(
                ResponseCode(code_hash=codes.hash_code(code), group_id=group.id)
                for code in printed[name]
            )
        db.session.commit()
        return printed, [item.id for item in instrument.items], groups


def _ready(server_url: str, code: str, item_ids: list[int], n: int) -> tuple[Browser, dict]:
    """A browser that opened the code page and typed its code: what its final submit
    sends (every answer, as if it had gone through each page)."""
    browser = Browser(server_url)
    page = browser.get("/respond/")
    assert page.status == 200, (page.status, page.text[:300])
    token = csrf_token_from(page.text)
    opened = browser.post("/respond/", {"csrf_token": token, "code": code, "lang": "en"})
    assert opened.status == 200 and "Part 1 of" in opened.text, (opened.status, opened.text[:300])
    fields = {"csrf_token": token, "code": code, "lang": "es" if n % 3 == 0 else "en"}
    fields |= {f"a-{item_id}": str((item_id + n) % 6) for item_id in item_ids}
    return browser, fields | {"go": "submit", "step": "99"}


def _submit(browser: Browser, fields: dict) -> Response:
    return browser.post("/respond/survey", fields)


def _respondent(server_url: str, code: str, item_ids: list[int], n: int) -> Response:
    browser, fields = _ready(server_url, code, item_ids, n)
    return _submit(browser, fields)


def test_two_hundred_respondents_at_once_lose_nothing_and_a_code_counts_once(
    start_server, monkeypatch
):
    # Every request comes from 127.0.0.1, like a school whose devices share one
    # address: such a site raises the wrong-code limit (each request holds an attempt
    # while its code is checked).
    monkeypatch.setenv("PLAYBOOK_SURVEY_CODE_ATTEMPTS", "1000")
    server = start_server(workers=4)
    printed, item_ids, groups = _round(server)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        results = list(
            pool.map(
                lambda n: _respondent(server.url, printed["class"][n], item_ids, n),
                range(RESPONDENTS),
            )
        )
    load_seconds = time.monotonic() - started
    statuses = sorted({r.status for r in results})
    assert statuses == [302], [(r.status, r.text[:200]) for r in results if r.status != 302][:3]

    # Each twice-sent code: two devices ready, then both submit at the same moment.
    pairs = [[_ready(server.url, code, item_ids, n) for n in range(2)] for code in printed["twice"]]
    together = threading.Barrier(2 * TWICE)
    race: list[int] = []

    def send(browser: Browser, fields: dict) -> None:
        together.wait(timeout=30)
        race.append(_submit(browser, fields).status)

    threads = [threading.Thread(target=send, args=ready) for pair in pairs for ready in pair]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE_SECONDS)
    assert sorted(race) == [302] * TWICE + [422] * TWICE, race
    total_seconds = time.monotonic() - started

    with server.app_context():
        per_group = dict(
            db.session.execute(
                select(SurveyResponse.group_id, func.count()).group_by(SurveyResponse.group_id)
            ).all()
        )
        answers = db.session.scalar(select(func.count()).select_from(SurveyAnswer))
        partial = db.session.execute(
            select(SurveyAnswer.response_id)
            .group_by(SurveyAnswer.response_id)
            .having(func.count() != len(item_ids))
        ).all()
        unused = db.session.scalar(select(func.count()).where(ResponseCode.used.is_(False)))
    assert per_group == {groups["class"]: RESPONDENTS, groups["twice"]: TWICE}
    assert answers == (RESPONDENTS + TWICE) * len(item_ids)
    assert partial == [] and unused == 0

    submit_times = sorted(r.seconds for r in results)
    print(
        f"\nsurvey load ({'SQLite' if server.database.is_sqlite else 'PostgreSQL'}, 4 workers, "
        f"{CONNECTIONS} connections): {RESPONDENTS} respondents × 3 requests in "
        f"{load_seconds:.1f}s; final submit median {statistics.median(submit_times) * 1000:.0f} ms, "
        f"p95 {submit_times[int(0.95 * len(submit_times))] * 1000:.0f} ms, "
        f"max {submit_times[-1] * 1000:.0f} ms; {len(item_ids)} answers each, "
        f"{answers} answers stored; {TWICE} codes sent twice at once: accepted "
        f"{race.count(302)}, refused {race.count(422)}; whole test {total_seconds:.1f}s"
    )
    assert total_seconds < DEADLINE_SECONDS
