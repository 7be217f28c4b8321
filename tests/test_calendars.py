"""Calendar feeds at secret addresses, read back with the icalendar package: a person's
items and a playbook's dated items and huddles, all-day dates, stable UIDs whose
SEQUENCE and LAST-MODIFIED move with the item, time zones, regenerated and revoked
addresses, removed members and binned playbooks."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select, update

from playbook.extensions import db
from playbook.models import CalendarFeed, Item, MemberRole, Membership, User, utcnow
from playbook.playbooks import huddles, schedule, services, sharing
from playbook.tokens import hash_token
from tests import factories
from tests.helpers import client_for, token_of

_ADDRESS = re.compile(r'id="new-address"[^>]*value="([^"]+)"')


def _new_address(client, url: str, page: str = "/calendars/") -> str:
    """Ask for a new address as a browser would, and read it from the page shown once."""
    response = client.post(url, data={"csrf_token": token_of(client, page)})
    assert response.status_code == 302, response.status_code
    shown = client.get(response.location).get_data(as_text=True)
    match = _ADDRESS.search(shown)
    assert match, "the new address is not shown"
    address = html_lib.unescape(match.group(1))
    assert address.startswith("http://localhost/calendars/") and address.endswith(".ics")
    # Shown once only: for safety only its hash is kept.
    assert not _ADDRESS.search(client.get("/calendars/").get_data(as_text=True))
    return address.removeprefix("http://localhost")


def _fetch(app, path: str, expected: int = 200):
    """The feed as a calendar program gets it: no cookie, no session."""
    response = app.test_client().get(path)
    assert response.status_code == expected, response.status_code
    return response


def _events(response) -> dict[str, object]:
    calendar = Calendar.from_ical(response.get_data())
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _dated(owner, playbook_id, title, day, assignee=None):
    return factories.add_dated_note(
        owner, playbook_id, title, owner=assignee or owner, target_date=day
    )


def _move(actor, playbook_id, item_id, day):
    item = db.session.get(Item, item_id)
    owner = db.session.get(User, item.owner_id) if item.owner_id else None
    factories.plan_item(
        actor, playbook_id, item_id, owner=owner, target_date=day, status=item.status.value
    )


@pytest.fixture
def team(app):
    owner = factories.make_user(display_name="Olga Owner")
    teacher = factories.make_user(display_name="Tom Teacher")
    playbook = factories.make_playbook(owner, title="Reading plan")
    factories.add_members(playbook.id, teacher)
    return owner, teacher, playbook.id


# --- a person's feed -------------------------------------------------------------------


def test_persons_feed_lists_their_dated_items_as_all_day_events(app, team):
    owner, teacher, pid = team
    letter = _dated(owner, pid, "Parent <b>letter</b>", date(2027, 3, 15), assignee=teacher)
    _dated(owner, pid, "Someone else's", date(2027, 3, 16))
    factories.add_note(owner, pid, title="Undated")
    other = factories.make_playbook(teacher, title="Math plan")
    corner = _dated(teacher, other.id, "Math corner", date(2027, 4, 1))
    client = client_for(app, teacher)

    response = _fetch(app, _new_address(client, "/calendars/mine/new"))

    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    events = _events(response)
    assert set(events) == {f"item-{letter}@localhost", f"item-{corner}@localhost"}
    event = events[f"item-{letter}@localhost"]
    assert event["DTSTART"].params.get("VALUE") == "DATE"
    assert event.decoded("DTSTART") == date(2027, 3, 15)
    assert event.decoded("DTEND") == date(2027, 3, 16)
    # Plain text: the title as typed, nothing made into HTML.
    assert str(event["SUMMARY"]) == "Parent <b>letter</b> · Reading plan"
    assert f"/playbooks/{pid}#item-{letter}" in str(event["URL"])


def test_an_item_whose_date_moved_keeps_its_uid_with_a_newer_sequence(app, team):
    owner, teacher, pid = team
    item_id = _dated(owner, pid, "Parent letter", date(2027, 3, 15), assignee=teacher)
    # Its last change an hour ago, so the move is visibly later.
    db.session.execute(
        update(Item).where(Item.id == item_id).values(updated_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    path = _new_address(client_for(app, teacher), "/calendars/mine/new")
    before = _events(_fetch(app, path))[f"item-{item_id}@localhost"]

    _move(owner, pid, item_id, date(2027, 3, 22))

    after = _events(_fetch(app, path))[f"item-{item_id}@localhost"]
    assert after.decoded("DTSTART") == date(2027, 3, 22)
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED")
    assert after.decoded("DTSTAMP") > before.decoded("DTSTAMP")


def test_a_new_address_makes_the_old_one_404(app, team):
    owner, teacher, pid = team
    _dated(owner, pid, "Parent letter", date(2027, 3, 15), assignee=teacher)
    client = client_for(app, teacher)
    old = _new_address(client, "/calendars/mine/new")
    new = _new_address(client, "/calendars/mine/new")
    assert old != new
    assert "Parent letter" not in _fetch(app, old, 404).get_data(as_text=True)
    assert "Parent letter" in _fetch(app, new).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CalendarFeed)) == 1
    stored = db.session.scalar(select(CalendarFeed.token_hash))
    assert stored == hash_token(new.removeprefix("/calendars/").removesuffix(".ics"))


def test_a_removed_member_no_longer_gets_that_playbooks_items(app, team):
    owner, teacher, pid = team
    _dated(owner, pid, "Parent letter", date(2027, 3, 15), assignee=teacher)
    client = client_for(app, teacher)
    mine = _new_address(client, "/calendars/mine/new")
    theirs = _new_address(client, f"/calendars/playbooks/{pid}/new", f"/playbooks/{pid}/huddle")
    assert "Parent letter" in _fetch(app, theirs).get_data(as_text=True)

    playbook = factories.reload(pid)
    membership = next(m for m in playbook.memberships if m.user_id == teacher.id)
    sharing.remove_member(owner, playbook, membership)

    assert _events(_fetch(app, mine)) == {}
    assert "Parent letter" not in _fetch(app, theirs, 404).get_data(as_text=True)
    assert "Reading plan" not in client.get("/calendars/").get_data(as_text=True)


def test_no_item_of_a_binned_playbook_is_listed(app, team):
    owner, teacher, pid = team
    _dated(owner, pid, "Parent letter", date(2027, 3, 15), assignee=teacher)
    mine = _new_address(client_for(app, teacher), "/calendars/mine/new")
    theirs = _new_address(
        client_for(app, owner), f"/calendars/playbooks/{pid}/new", f"/playbooks/{pid}/huddle"
    )

    services.delete_playbook(owner, factories.reload(pid))

    assert _events(_fetch(app, mine)) == {}
    _fetch(app, theirs, 404)


# --- a playbook's feed -------------------------------------------------------------------


def test_playbook_feed_has_dated_items_and_huddles_in_their_time_zone(app, team):
    owner, teacher, pid = team
    letter = _dated(owner, pid, "Parent letter", date(2027, 1, 20), assignee=teacher)
    factories.add_note(owner, pid, title="Undated")
    planned = huddles.plan_huddle(
        owner,
        factories.reload(pid),
        held_on=date(2027, 1, 12),
        starts_at=time(15, 30),
        time_zone="America/Chicago",
        minutes=45,
    )
    playbook = services.load_playbook_for_change(pid)
    recorded = huddles.record_huddle(
        owner,
        playbook,
        base_version=playbook.version,
        held_on=date(2026, 12, 7),
        starts_at=None,
        time_zone="UTC",
        decisions="We keep the *reading block*.",
    )
    path = _new_address(
        client_for(app, teacher), f"/calendars/playbooks/{pid}/new", f"/playbooks/{pid}/huddle"
    )

    response = _fetch(app, path)

    calendar = Calendar.from_ical(response.get_data())
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {
        f"item-{letter}@localhost",
        f"huddle-{planned.id}@localhost",
        f"huddle-{recorded.id}@localhost",
    }
    assert events[f"item-{letter}@localhost"].decoded("DTSTART") == date(2027, 1, 20)
    huddle = events[f"huddle-{planned.id}@localhost"]
    assert huddle["DTSTART"].params["TZID"] == "America/Chicago"
    start = huddle.decoded("DTSTART")
    assert start == datetime(2027, 1, 12, 15, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert start.utcoffset() == timedelta(hours=-6)
    assert huddle.decoded("DTEND") - start == timedelta(minutes=45)
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert zones == {"America/Chicago"}
    assert str(events[f"huddle-{planned.id}@localhost"]["SUMMARY"]) == "Team huddle · Reading plan"
    notes = str(events[f"huddle-{recorded.id}@localhost"]["DESCRIPTION"])
    assert "We keep the *reading block*." in notes and "<" not in notes
    assert events[f"huddle-{recorded.id}@localhost"].decoded("DTSTART") == date(2026, 12, 7)


def test_a_moved_huddle_is_the_same_event(app, team):
    owner, _, pid = team
    path = _new_address(
        client_for(app, owner), f"/calendars/playbooks/{pid}/new", f"/playbooks/{pid}/huddle"
    )
    planned = huddles.plan_huddle(
        owner,
        factories.reload(pid),
        held_on=schedule.today() + timedelta(days=7),
        starts_at=time(9, 0),
        time_zone="America/Chicago",
    )
    uid = f"huddle-{planned.id}@localhost"
    before = _events(_fetch(app, path))[uid]
    db.session.execute(update(type(planned)).values(updated_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    before = _events(_fetch(app, path))[uid]
    huddles.plan_huddle(
        owner,
        factories.reload(pid),
        held_on=schedule.today() + timedelta(days=8),
        starts_at=time(9, 0),
        time_zone="America/Chicago",
    )
    after = _events(_fetch(app, path))
    assert list(after) == [uid]
    assert after[uid].decoded("DTSTART").date() == schedule.today() + timedelta(days=8)
    assert int(after[uid]["SEQUENCE"]) > int(before["SEQUENCE"])


# --- who may -----------------------------------------------------------------------------


def test_a_wrong_token_is_a_404_that_shows_nothing(app, team):
    owner, _, pid = team
    _dated(owner, pid, "Secret plan", date(2027, 3, 15))
    _new_address(
        client_for(app, owner), f"/calendars/playbooks/{pid}/new", f"/playbooks/{pid}/huddle"
    )
    for path in ("/calendars/nope.ics", "/calendars/" + "x" * 200 + ".ics", "/calendars/.ics"):
        response = app.test_client().get(path)
        assert response.status_code == 404
        assert "Secret plan" not in response.get_data(as_text=True)


def test_outsiders_cannot_get_a_playbooks_address(app, team, intruder):
    _owner, _, pid = team
    client = client_for(app, intruder)
    token = token_of(client, "/calendars/")
    response = client.post(f"/calendars/playbooks/{pid}/new", data={"csrf_token": token})
    assert response.status_code == 404
    visitor = app.test_client().post(f"/calendars/playbooks/{pid}/new")
    assert visitor.status_code in (302, 400)
    assert db.session.scalar(select(func.count()).select_from(CalendarFeed)) == 0


def test_a_viewer_gets_the_playbooks_address_too(app, team):
    owner, _, pid = team
    viewer = factories.make_user()
    factories.add_members(pid, viewer, role=MemberRole.VIEWER)
    _dated(owner, pid, "Parent letter", date(2027, 3, 15))
    path = _new_address(
        client_for(app, viewer), f"/calendars/playbooks/{pid}/new", f"/playbooks/{pid}/huddle"
    )
    assert "Parent letter" in _fetch(app, path).get_data(as_text=True)
    # Lowered or not, still a member; taken off the team, the address stops.
    db.session.execute(
        update(Membership).where(Membership.user_id == viewer.id).values(role=MemberRole.COMMENTER)
    )
    db.session.commit()
    _fetch(app, path)
    db.session.execute(Membership.__table__.delete().where(Membership.user_id == viewer.id))
    db.session.commit()
    _fetch(app, path, 404)


def test_the_calendar_page_shows_when_the_address_was_made(app, team):
    _owner, teacher, pid = team
    client = client_for(app, teacher)
    page = client.get("/calendars/").get_data(as_text=True)
    assert "Get my calendar address" in page
    _new_address(client, "/calendars/mine/new")
    _new_address(client, f"/calendars/playbooks/{pid}/new", f"/playbooks/{pid}/huddle")
    page = client.get("/calendars/").get_data(as_text=True)
    assert "Make a new address" in page and "Reading plan" in page
    huddle_page = client.get(f"/playbooks/{pid}/huddle").get_data(as_text=True)
    assert "Make a new calendar address" in huddle_page


def test_a_switched_off_account_has_no_feed(app, team):
    owner, teacher, pid = team
    _dated(owner, pid, "Parent letter", date(2027, 3, 15), assignee=teacher)
    path = _new_address(client_for(app, teacher), "/calendars/mine/new")
    teacher.is_active_account = False
    db.session.commit()
    assert "Parent letter" not in _fetch(app, path, 404).get_data(as_text=True)
