"""The playbook page's live notice (playbooks.live): the version and what teammates
saved since the page's version, who else of the team has it open, an ETag and 304,
who may ask and what each learns, and what a poll costs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from playbook.database import count_statements
from playbook.extensions import db
from playbook.models import MemberRole, Membership, PlaybookPresence, utcnow
from playbook.models.site import PageInvalidation
from playbook.playbooks import services, sharing
from tests import factories
from tests.helpers import client_for, page_version


@pytest.fixture
def team(app):
    """A private playbook owned by Ana Ortiz, with Ben Lee and Cy Diaz as editors."""
    ana = factories.make_user(display_name="Ana Ortiz")
    ben = factories.make_user(display_name="Ben Lee")
    cy = factories.make_user(display_name="Cy Diaz")
    playbook = factories.make_playbook(ana, title="Team plan", members=(ben, cy))
    return playbook.id, {"ana": ana, "ben": ben, "cy": cy}


def _live_url(playbook_id: int, since: int | None) -> str:
    return f"/playbooks/{playbook_id}/live" + ("" if since is None else f"?since={since}")


def _poll(client, playbook_id: int, since: int | None, **headers):
    return client.get(_live_url(playbook_id, since), headers=headers)


def _news(client, playbook_id: int, since: int | None) -> dict:
    response = _poll(client, playbook_id, since)
    assert response.status_code == 200, response.status_code
    return response.get_json()


def _version(playbook_id: int) -> int:
    return factories.reload(playbook_id).version


def _presence_rows(playbook_id: int) -> list[int]:
    db.session.expire_all()
    return sorted(
        db.session.scalars(
            select(PlaybookPresence.user_id).where(PlaybookPresence.playbook_id == playbook_id)
        )
    )


def _make_public(playbook_id: int, owner) -> None:
    sharing.set_visibility(owner, factories.reload(playbook_id), "public")


# --- the version, the ETag and the headers -------------------------------------------------


def test_poll_answers_the_version_with_an_etag_and_304_while_nothing_changed(app, team):
    pid, people = team
    ben = client_for(app, people["ben"])
    version = page_version(ben.get(f"/playbooks/{pid}").get_data(as_text=True))
    first = _poll(ben, pid, version)
    assert first.status_code == 200
    assert first.get_json() == {
        "version": version,
        "changes": 0,
        "notice": None,
        "summaries": [],
        "here": None,
    }
    etag = first.headers["ETag"]
    again = _poll(ben, pid, version, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    factories.add_note(people["ana"], pid, title="Ana's note")
    changed = _poll(ben, pid, version, **{"If-None-Match": etag})
    assert changed.status_code == 200, "a teammate's save must change the ETag"
    assert changed.get_json()["version"] == version + 1
    assert changed.headers["ETag"] != etag


def test_poll_answer_is_private_and_must_be_revalidated(app, team):
    pid, people = team
    _make_public(pid, people["ana"])
    for client in (client_for(app, people["ben"]), app.test_client()):
        response = _poll(client, pid, 1)
        assert response.status_code == 200
        cache_control = response.headers["Cache-Control"]
        assert "private" in cache_control and "no-cache" in cache_control
        assert "public" not in cache_control
        assert "Cookie" in response.headers["Vary"]
        assert response.mimetype == "application/json"
    assert "Set-Cookie" not in _poll(app.test_client(), pid, 1).headers, "a visitor gets no session"


def test_page_tells_its_script_where_to_ask_and_how_often(app, team):
    pid, people = team
    app.config["PLAYBOOK_LIVE_POLL_SECONDS"] = 3
    html = client_for(app, people["ben"]).get(f"/playbooks/{pid}").get_data(as_text=True)
    assert f'data-live-url="/playbooks/{pid}/live"' in html
    assert 'data-live-interval="3"' in html
    assert 'aria-live="polite" data-live-notice' in html
    assert "data-live-presence" in html
    assert '<script src="/static/js/live.js" defer></script>' in html


def test_a_nonsense_or_missing_version_is_taken_as_the_current_one(app, team):
    pid, people = team
    ben = client_for(app, people["ben"])
    factories.add_note(people["ana"], pid)
    for since in (None, "abc", "-3", "999"):
        url = f"/playbooks/{pid}/live" + ("" if since is None else f"?since={since}")
        news = ben.get(url).get_json()
        assert news["changes"] == 0 and news["notice"] is None, since


# --- what changed, and by whom -------------------------------------------------------------


def test_a_teammates_saves_show_with_their_name_and_count(app, team):
    pid, people = team
    ben = client_for(app, people["ben"])
    version = _version(pid)
    factories.add_note(people["ana"], pid, title="Family nights")
    factories.add_note(people["ana"], pid, title="Reading buddies")
    news = _news(ben, pid, version)
    assert news["version"] == version + 2
    assert news["changes"] == 2
    assert news["notice"] == "Ana Ortiz made 2 changes"
    assert len(news["summaries"]) == 2
    assert "Reading buddies" in news["summaries"][0], "newest first"
    assert "Family nights" in news["summaries"][1]


def test_own_saves_are_not_reported_as_someone_elses(app, team):
    pid, people = team
    ben = client_for(app, people["ben"])
    version = _version(pid)
    factories.add_note(people["ben"], pid, title="Ben's own note")
    news = _news(ben, pid, version)
    assert news["version"] == version + 1
    assert news["changes"] == 0 and news["notice"] is None and news["summaries"] == []
    factories.add_note(people["cy"], pid, title="Cy's note")
    factories.add_note(people["ben"], pid, title="Another of Ben's")
    news = _news(ben, pid, version)
    assert news["changes"] == 1
    assert news["notice"] == "Cy Diaz made a change"
    assert all("Ben" not in summary for summary in news["summaries"])


def test_several_teammates_are_named_newest_first(app, team):
    pid, people = team
    version = _version(pid)
    factories.add_note(people["ana"], pid)
    factories.add_note(people["cy"], pid)
    factories.add_note(people["ana"], pid)
    news = _news(client_for(app, people["ben"]), pid, version)
    assert news["notice"] == "Ana Ortiz and Cy Diaz made 3 changes"


# --- who is here ---------------------------------------------------------------------------


def test_presence_names_other_members_seen_recently_but_not_oneself(app, team):
    pid, people = team
    ana, ben, cy = (client_for(app, people[name]) for name in ("ana", "ben", "cy"))
    version = _version(pid)
    assert _news(ana, pid, version)["here"] is None, "nobody else is here yet"
    _news(cy, pid, version)
    assert _news(ben, pid, version)["here"] == "Also here: Ana Ortiz and Cy Diaz"
    assert _news(ana, pid, version)["here"] == "Also here: Ben Lee and Cy Diaz"
    assert _presence_rows(pid) == sorted(p.id for p in people.values())


def test_presence_forgets_members_not_seen_lately_and_former_members(app, team):
    pid, people = team
    ana, ben, cy = (client_for(app, people[name]) for name in ("ana", "ben", "cy"))
    for client in (ana, ben, cy):
        _news(client, pid, 1)
    stale = utcnow() - timedelta(seconds=app.config["PLAYBOOK_PRESENCE_SECONDS"] + 5)
    db.session.execute(
        update(PlaybookPresence)
        .where(PlaybookPresence.user_id == people["ana"].id)
        .values(seen_at=stale)
    )
    db.session.execute(delete(Membership).where(Membership.user_id == people["cy"].id))
    db.session.commit()
    assert _news(ben, pid, 1)["here"] is None
    _news(ana, pid, 1)  # back: the same row, seen again
    assert _news(ben, pid, 1)["here"] == "Also here: Ana Ortiz"
    assert _presence_rows(pid).count(people["ana"].id) == 1


def test_polling_again_moves_the_same_row_on(app, team):
    pid, people = team
    ben = client_for(app, people["ben"])
    _news(ben, pid, 1)
    db.session.expire_all()
    first = db.session.scalar(select(PlaybookPresence.seen_at))
    _news(ben, pid, 1)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PlaybookPresence)) == 1
    assert db.session.scalar(select(PlaybookPresence.seen_at)) >= first


# --- who may ask, and what they learn ------------------------------------------------------


def test_strangers_and_visitors_get_404_for_a_private_playbook(app, team):
    pid, people = team
    _news(client_for(app, people["ben"]), pid, 1)
    intruder = client_for(app, factories.make_user(display_name="Fred Intruder"))
    for client in (intruder, app.test_client()):
        response = _poll(client, pid, 1)
        assert response.status_code == 404
        assert "Ben Lee" not in response.get_data(as_text=True)
    assert _presence_rows(pid) == [people["ben"].id]


def test_a_binned_playbook_answers_404_even_to_its_team(app, team):
    pid, people = team
    services.delete_playbook(people["ana"], factories.reload(pid))
    assert _poll(client_for(app, people["ana"]), pid, 1).status_code == 404
    assert _poll(client_for(app, people["ana"]), pid + 1000, 1).status_code == 404


def test_readers_of_a_public_playbook_learn_it_changed_but_not_who_is_there(app, team):
    pid, people = team
    _make_public(pid, people["ana"])
    version = _version(pid)
    ana = client_for(app, people["ana"])
    _news(ana, pid, version)
    factories.add_note(people["ana"], pid, title="Secret-ish working title")
    stranger = factories.make_user(display_name="Sam Stranger")
    for client in (app.test_client(), client_for(app, stranger)):
        response = _poll(client, pid, version)
        assert response.status_code == 200
        news = response.get_json()
        assert news["here"] is None
        assert news["changes"] == 1
        assert news["notice"] == "This playbook has changed since you opened it"
        assert news["summaries"] == []
        body = response.get_data(as_text=True)
        assert "Ana" not in body and "Secret-ish" not in body
    assert _presence_rows(pid) == [people["ana"].id], "only members are recorded"
    # The same page, as the stranger and a visitor get it, has no place for presence.
    for client in (app.test_client(), client_for(app, stranger)):
        html = client.get(f"/playbooks/{pid}").get_data(as_text=True)
        assert "data-live-notice" in html and "data-live-presence" not in html


def test_a_viewer_member_is_counted_and_sees_who_is_there(app, team):
    pid, people = team
    viewer = factories.make_user(display_name="Vera Viewer")
    factories.add_members(pid, viewer, role=MemberRole.VIEWER)
    _news(client_for(app, people["ben"]), pid, 1)
    news = _news(client_for(app, viewer), pid, 1)
    assert news["here"] == "Also here: Ben Lee"
    assert viewer.id in _presence_rows(pid)


# --- cost, and the page cache --------------------------------------------------------------


def _statements(client, url: str) -> int:
    with count_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(statements)


def test_a_poll_sends_the_same_few_statements_for_a_small_or_large_team_and_history(app):
    owner = factories.make_user(display_name="Olga Owner")
    big_team = [factories.make_user() for _ in range(8)]
    small = factories.make_playbook(owner, 1, members=(big_team[0],))
    large = factories.make_playbook(owner, 12, members=tuple(big_team))
    for member in big_team:
        _news(client_for(app, member), large.id, 1)
    client = client_for(app, owner)
    quiet = [_statements(client, _live_url(p.id, _version(p.id))) for p in (small, large)]
    # Signing in (1), the head with the others here (1), the presence upsert (1).
    assert quiet == [3, 3]
    for member in big_team:
        factories.add_note(member, large.id)
    factories.add_note(big_team[0], small.id)
    # ... and once the version moved, the newest revisions since (1).
    changed = [_statements(client, _live_url(p.id, 1)) for p in (small, large)]
    assert changed == [4, 4]
    visitor = app.test_client()
    _make_public(small.id, owner)
    assert _statements(visitor, _live_url(small.id, _version(small.id))) == 1


def test_polls_retire_no_cached_page(app, team):
    pid, people = team
    _make_public(pid, people["ana"])
    before = db.session.scalar(select(func.count()).select_from(PageInvalidation))
    for name in ("ana", "ben", "cy"):
        _news(client_for(app, people[name]), pid, 1)
    db.session.expire_all()
    after = db.session.scalar(select(func.count()).select_from(PageInvalidation))
    assert after == before


def test_a_visitors_cached_page_carries_no_presence_and_stays_current(app, team):
    pid, people = team
    _make_public(pid, people["ana"])
    _news(client_for(app, people["ben"]), pid, 1)
    visitor = app.test_client()
    first = visitor.get(f"/playbooks/{pid}").get_data(as_text=True)
    assert "Ben Lee" not in first and "data-live-presence" not in first
    factories.add_note(people["ana"], pid, title="A brand new note")
    second = visitor.get(f"/playbooks/{pid}").get_data(as_text=True)
    assert "A brand new note" in second
    assert page_version(second) == page_version(first) + 1
