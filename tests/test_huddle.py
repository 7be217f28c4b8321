"""The team huddle: the page that prepares it (changes, status changes, due and overdue
items, open comments since the last huddle), its printable agenda, recording a huddle
(through the playbook's change path: merged, one revision, in the history and the
print view), planning the next, who may do what, and a fixed statement count."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from playbook.calendars import services as calendars
from playbook.database import count_statements
from playbook.extensions import db
from playbook.models import (
    CalendarFeed,
    CommentStatus,
    Huddle,
    HuddleAttendee,
    Item,
    ItemStatus,
    MemberRole,
    Visibility,
    utcnow,
)
from playbook.playbooks import huddles, schedule, services
from playbook.playbooks.services import PlaybookError
from tests import factories
from tests.helpers import (
    XSS_MARKDOWN,
    assert_no_live_script,
    client_for,
    field_error,
    form_errors,
    get_page,
    token_of,
)


def _read(response_or_html) -> str:
    """What a reader sees: the text of the page without its tags, spaces folded."""
    html = (
        response_or_html
        if isinstance(response_or_html, str)
        else response_or_html.get_data(as_text=True)
    )
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"\s+", " ", text).replace(" ,", ",").replace(" ;", ";").replace(" .", ".")


def _dated(owner, playbook_id, title, *, status=ItemStatus.PLANNED, days=None):
    """A note owned by `owner`, due `days` from today (None: undated), saved as an edit."""
    return factories.add_dated_note(
        owner,
        playbook_id,
        title,
        target_date=factories.days_from_today(days),
        status=status.value,
    )


def _record(actor, playbook_id, *, changes=(), **fields):
    playbook = services.load_playbook_for_change(playbook_id)
    values = dict(
        base_version=playbook.version,
        held_on=schedule.today(),
        starts_at=None,
        time_zone="UTC",
        status_changes=changes,
    )
    values.update(fields)
    return huddles.record_huddle(actor, playbook, **values)


@pytest.fixture
def team(app):
    owner = factories.make_user(display_name="Olga Owner")
    editor = factories.make_user(display_name="Eddie Editor")
    viewer = factories.make_user(display_name="Vera Viewer")
    playbook = factories.make_playbook(owner, title="Reading plan")
    factories.add_members(playbook.id, editor)
    factories.add_members(playbook.id, viewer, role=MemberRole.VIEWER)
    return owner, editor, viewer, playbook.id


def _form_data(client, playbook_id, **overrides) -> dict:
    url = f"/playbooks/{playbook_id}/huddle"
    page = client.get(url).get_data(as_text=True)
    version = factories.reload(playbook_id).version
    data = {
        "csrf_token": token_of(client, url),
        "version": str(version),
        "held_on": "2026-12-07",
        "starts_at": "15:30",
        "time_zone": "America/Chicago",
        "minutes": "45",
        "guests": "Ms. Diaz (district coach)",
        "decisions": "We **keep** the reading block.",
        "next_steps": "Eddie drafts the letter.",
    }
    assert "Record the huddle" in page
    data.update(overrides)
    return data


# --- the agenda ------------------------------------------------------------------------


def test_member_sees_what_changed_since_the_last_huddle(app, team):
    owner, editor, viewer, pid = team
    overdue = _dated(owner, pid, "Parent letter", days=-3)
    soon = _dated(owner, pid, "Reading corner", days=5)
    _dated(owner, pid, "Far away", days=40)
    _dated(owner, pid, "Done already", status=ItemStatus.ADOPTED, days=-10)
    moving = _dated(owner, pid, "Book club", status=ItemStatus.IDEA, days=None)
    factories.add_comment(owner, factories.reload(pid), "Before the huddle")
    _record(owner, pid)
    db.session.expire_all()
    # After the huddle: an edit by the editor, a status change, comments.
    playbook = services.load_playbook_for_change(pid)
    item = next(i for s in playbook.sections for i in s.items if i.id == moving)
    services.update_item(
        editor,
        playbook,
        item,
        base_version=playbook.version,
        title=item.title,
        notes="",
        status="piloting",
    )
    playbook = factories.reload(pid)
    factories.add_comment(editor, playbook, "Can we move the **book fair**?")
    factories.add_comment(editor, playbook, "A comment waiting", status=CommentStatus.PENDING)

    page = _read(get_page(client_for(app, viewer), "playbooks.huddle", playbook_id=pid))

    assert "What changed since the huddle of" in page
    assert "Edited “Book club” · Eddie Editor" in page
    assert "Book club" in page and "Idea → Piloting" in page
    overdue_part = page.split("Overdue")[1].split("Due by")[0]
    assert "Parent letter" in overdue_part and "Done already" not in overdue_part
    due_part = page.split("Due by")[1].split("Open comments")[0]
    assert "Reading corner" in due_part and "Far away" not in due_part
    comments_part = page.split("Open comments")[1]
    assert "Can we move the **book fair**?" in comments_part
    assert "Before the huddle" not in comments_part
    # The pending comment is its author's and the moderators' only.
    assert "A comment waiting" not in comments_part
    assert "A comment waiting" in _read(
        get_page(client_for(app, editor), "playbooks.huddle", playbook_id=pid)
    )
    assert overdue and soon
    # A viewer reads the agenda but gets no form to record or plan.
    assert "Record the huddle" not in page and "Plan it" not in page


def test_printable_agenda_lists_the_same_parts_without_links(app, team):
    owner, _, _, pid = team
    _dated(owner, pid, "Parent letter", days=-3)
    html = get_page(client_for(app, owner), "playbooks.huddle_agenda", playbook_id=pid).get_data(
        as_text=True
    )
    assert "print_view.css" in html and "Huddle agenda: Reading plan" in html
    assert "Parent letter" in html and "no huddle recorded yet" in html
    assert 'href="/playbooks/' not in html.split("<header")[1]


# --- recording ---------------------------------------------------------------------------


def test_editor_records_a_huddle_and_it_lands_in_history_and_print_view(app, team):
    owner, editor, viewer, pid = team
    item = _dated(owner, pid, "Parent letter", status=ItemStatus.PLANNED, days=3)
    other = _dated(owner, pid, "Reading corner", status=ItemStatus.IDEA, days=9)
    client = client_for(app, editor)
    data = _form_data(
        client,
        pid,
        **{
            "attendees": [str(owner.id), str(editor.id)],
            "changes-0-item_id": str(item),
            "changes-0-status": "adopted",
            "changes-1-item_id": str(other),
            "changes-1-status": "piloting",
            "decisions": XSS_MARKDOWN,
        },
    )
    before = factories.revision_count(pid)

    response = client.post(f"/playbooks/{pid}/huddle", data=data)

    assert response.status_code == 302, _read(response)[:800]
    db.session.expire_all()
    assert db.session.get(Item, item).status is ItemStatus.ADOPTED
    assert db.session.get(Item, other).status is ItemStatus.PILOTING
    assert factories.revision_count(pid) == before + 1
    revision = factories.latest_revision(pid)
    assert revision.summary == "Huddle on 7 Dec 2026: 2 status changes"
    assert revision.actor_id == editor.id
    huddle = db.session.scalar(select(Huddle).where(Huddle.playbook_id == pid))
    assert huddle.revision_number == revision.number and huddle.status_changes == 2
    assert [a.user_id for a in huddle.attendees] == sorted([owner.id, editor.id])
    assert huddle.guests == "Ms. Diaz (district coach)"
    assert huddle.time_zone == "America/Chicago" and huddle.starts_at.strftime("%H:%M") == "15:30"
    assert "<strong>Bold</strong>" in huddle.decisions_html
    assert "<em>" not in huddle.next_steps_html and "Eddie drafts" in huddle.next_steps_html

    history = _read(get_page(client, "playbooks.history_index", playbook_id=pid))
    assert "Huddle on 7 Dec 2026: 2 status changes" in history
    page = get_page(client, "playbooks.huddle", playbook_id=pid).get_data(as_text=True)
    assert_no_live_script(page)
    assert "Olga Owner, Eddie Editor; guests: Ms. Diaz (district coach)" in _read(page)
    # The print view shows it to members, and never to readers of the public playbook.
    printed = get_page(client_for(app, viewer), "playbooks.print_view", playbook_id=pid)
    assert "Team huddles" in _read(printed) and "Eddie drafts the letter" in _read(printed)
    playbook = factories.reload(pid)
    playbook.visibility = Visibility.PUBLIC
    db.session.commit()
    public = get_page(app.test_client(), "playbooks.print_view", playbook_id=pid)
    assert "Team huddles" not in _read(public) and "Eddie drafts" not in _read(public)


def test_a_huddle_without_status_changes_still_makes_one_revision(app, team):
    owner, _, _, pid = team
    before = factories.revision_count(pid)
    huddle = _record(owner, pid, held_on=date(2027, 2, 1))
    assert factories.revision_count(pid) == before + 1
    assert factories.latest_revision(pid).summary == "Huddle on 1 Feb 2027: no status changes"
    assert huddle.status_changes == 0


def test_recording_merges_with_a_teammates_save_of_another_item(app, team):
    owner, editor, _, pid = team
    mine = _dated(owner, pid, "Parent letter", days=3)
    theirs = _dated(owner, pid, "Reading corner", days=9)
    client = client_for(app, editor)
    data = _form_data(
        client, pid, **{"changes-0-item_id": str(mine), "changes-0-status": "adopted"}
    )
    # Meanwhile the owner renames the other item.
    playbook = services.load_playbook_for_change(pid)
    item = next(i for s in playbook.sections for i in s.items if i.id == theirs)
    services.update_item(
        owner,
        playbook,
        item,
        base_version=playbook.version,
        title="Reading nook",
        notes="",
        status=item.status.value,
        owner_id=owner.id,
        target_date=item.target_date,
    )

    response = client.post(f"/playbooks/{pid}/huddle", data=data)

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Item, mine).status is ItemStatus.ADOPTED
    assert db.session.get(Item, theirs).title == "Reading nook"


def test_a_teammates_change_to_the_same_status_is_a_conflict_and_keeps_the_text(app, team):
    owner, editor, _, pid = team
    mine = _dated(owner, pid, "Parent letter", days=3)
    client = client_for(app, editor)
    data = _form_data(
        client,
        pid,
        **{
            "changes-0-item_id": str(mine),
            "changes-0-status": "adopted",
            "decisions": "A decision we must not lose.",
        },
    )
    playbook = services.load_playbook_for_change(pid)
    item = next(i for s in playbook.sections for i in s.items if i.id == mine)
    services.update_item(
        owner,
        playbook,
        item,
        base_version=playbook.version,
        title=item.title,
        notes="",
        status="retired",
        owner_id=owner.id,
    )
    before = factories.revision_count(pid)

    response = client.post(f"/playbooks/{pid}/huddle", data=data)

    assert response.status_code == 409
    assert "A decision we must not lose." in response.get_data(as_text=True)
    assert "the status of “Parent letter”" in _read(response)
    assert factories.revision_count(pid) == before
    assert db.session.scalar(select(func.count()).select_from(Huddle)) == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"changes-0-status": "adopted"}, "changes", "Choose both the item and its new status"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Give a time zone by its name"),
        ({"held_on": "next tuesday"}, "held_on", "Not a valid date value."),
    ],
)
def test_bad_input_is_refused_with_the_text_kept(app, team, overrides, field, message):
    _owner, editor, _, pid = team
    client = client_for(app, editor)
    data = _form_data(client, pid, decisions="Keep this text.", **overrides)
    before = factories.revision_count(pid)

    response = client.post(f"/playbooks/{pid}/huddle", data=data)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in field_error(html, field) or message in html
    assert "Keep this text." in html
    assert factories.revision_count(pid) == before


def test_only_members_can_be_ticked_as_having_come(app, team, intruder):
    owner, _, _, pid = team
    with pytest.raises(PlaybookError):
        _record(owner, pid, attendee_ids=[intruder.id])
    assert db.session.scalar(select(func.count()).select_from(Huddle)) == 0


def test_the_same_item_twice_in_one_huddle_is_refused(app, team):
    owner, editor, _, pid = team
    item = _dated(owner, pid, "Parent letter", days=3)
    client = client_for(app, editor)
    data = _form_data(
        client,
        pid,
        **{
            "changes-0-item_id": str(item),
            "changes-0-status": "adopted",
            "changes-1-item_id": str(item),
            "changes-1-status": "retired",
        },
    )
    response = client.post(f"/playbooks/{pid}/huddle", data=data)
    assert response.status_code == 422
    assert "Each item can change status once per huddle." in response.get_data(as_text=True)
    assert form_errors(response.get_data(as_text=True)) == "Please correct the marked fields below."


# --- planning ------------------------------------------------------------------------------


def test_editor_plans_the_next_huddle_and_recording_that_day_fills_it_in(app, team):
    owner, editor, _, pid = team
    client = client_for(app, editor)
    day = schedule.today() + timedelta(days=7)
    url = f"/playbooks/{pid}/huddle"
    response = client.post(
        f"{url}/plan",
        data={
            "csrf_token": token_of(client, url),
            "held_on": day.isoformat(),
            "starts_at": "15:30",
            "time_zone": "America/Chicago",
            "minutes": "45",
        },
    )
    assert response.status_code == 302
    page = _read(client.get(url))
    assert f"Planned for {huddles.huddle_day(day)} at 15:30 (America/Chicago), 45 minutes" in page
    planned = db.session.scalar(select(Huddle))
    assert planned.recorded_at is None
    # Planning again moves the same huddle (the same calendar event).
    huddles.plan_huddle(
        owner,
        factories.reload(pid),
        held_on=day + timedelta(days=1),
        starts_at=None,
        time_zone="UTC",
    )
    assert db.session.scalar(select(func.count()).select_from(Huddle)) == 1
    recorded = _record(owner, pid, held_on=day + timedelta(days=1))
    assert recorded.id == planned.id and recorded.is_recorded
    assert "No huddle is planned yet." in _read(client.get(url))


def test_the_plan_and_record_forms_label_their_own_fields(app, team):
    """Both forms of the huddle page have a "Date", a "Start time" ...: no id is used
    twice, so each label (and a screen reader, and a click on it) reaches the field
    of its own form; the plan form still posts its fields under their usual names."""
    _, editor, _, pid = team
    html = client_for(app, editor).get(f"/playbooks/{pid}/huddle").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert not {i for i in ids if ids.count(i) > 1 and i != "csrf_token"}
    plan = html[html.index("/huddle/plan") : html.index("</form>", html.index("/huddle/plan"))]
    for name in ("held_on", "starts_at", "time_zone", "minutes"):
        assert f'<label for="plan-{name}">' in plan
        assert re.search(
            rf'id="plan-{name}"[^>]*name="{name}"|name="{name}"[^>]*id="plan-{name}"', plan
        )
    record = html[html.index('class="form huddle-form"') :]
    assert '<label for="held_on">Date</label>' in record and 'id="held_on"' in record


def test_planning_a_huddle_in_an_unknown_time_zone_is_refused(app, team):
    _, editor, _, pid = team
    client = client_for(app, editor)
    url = f"/playbooks/{pid}/huddle"
    response = client.post(
        f"{url}/plan",
        data={"csrf_token": token_of(client, url), "held_on": "2027-01-12", "time_zone": "Nowhere"},
    )
    assert response.status_code == 422
    assert "Give a time zone by its name" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Huddle)) == 0


# --- who may -------------------------------------------------------------------------------


def test_viewer_cannot_record_or_plan(app, team):
    _owner, _, viewer, pid = team
    client = client_for(app, viewer)
    url = f"/playbooks/{pid}/huddle"
    token = token_of(client, url)
    assert client.post(url, data={"csrf_token": token, "held_on": "2026-12-07"}).status_code == 403
    assert client.post(f"{url}/plan", data={"csrf_token": token}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Huddle)) == 0


def test_intruder_gets_404_and_a_visitor_of_a_public_playbook_is_sent_to_sign_in(
    app, team, intruder
):
    owner, _, _, pid = team
    _record(owner, pid, decisions="Secret decision")
    stranger = client_for(app, intruder)
    for path in ("huddle", "huddle/agenda"):
        response = stranger.get(f"/playbooks/{pid}/{path}")
        assert response.status_code == 404
        assert "Secret decision" not in response.get_data(as_text=True)
    playbook = factories.reload(pid)
    playbook.visibility = Visibility.PUBLIC
    db.session.commit()
    assert stranger.get(f"/playbooks/{pid}/huddle").status_code == 403
    visitor = app.test_client().get(f"/playbooks/{pid}/huddle")
    assert visitor.status_code == 302 and "/auth/login" in visitor.location


def test_binned_playbook_has_no_huddle_page(app, team):
    owner, _, _, pid = team
    services.delete_playbook(owner, factories.reload(pid))
    assert client_for(app, owner).get(f"/playbooks/{pid}/huddle").status_code == 404


# --- size ----------------------------------------------------------------------------------


def _grow(owner, editor, pid, n):
    for i in range(n):
        _dated(owner, pid, f"Item {i}", days=(i % 30) - 10)
        factories.add_comment(editor, factories.reload(pid), f"Comment {i}")
        _record(owner, pid, held_on=date(2026, 1, 1) + timedelta(days=i), attendee_ids=[owner.id])


def test_huddle_page_sends_the_same_statements_however_much_there_is(app, client, login):
    app.config["PLAYBOOK_PER_PAGE"] = 3
    counts = []
    for n in (1, 8):
        owner = factories.make_user()
        editor = factories.make_user()
        playbook = factories.make_playbook(owner)
        factories.add_members(playbook.id, editor)
        _grow(owner, editor, playbook.id, n)
        login(owner)
        db.session.expire_all()
        with count_statements() as statements:
            response = client.get(f"/playbooks/{playbook.id}/huddle")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    # Past huddles come a page at a time.
    page = _read(client.get(f"/playbooks/{playbook.id}/huddle?page=2"))
    assert "Page 2 of 3" in page


def test_a_purged_playbook_takes_its_huddles_and_calendar_addresses_with_it(app, team):
    owner, _, _, pid = team
    _record(owner, pid, attendee_ids=[owner.id])
    calendars.new_feed(owner, factories.reload(pid))
    services.delete_playbook(owner, factories.reload(pid))

    assert services.purge_deleted_playbooks(utcnow() + timedelta(days=31)) == 1

    for model in (Huddle, HuddleAttendee, CalendarFeed):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_editor_takes_the_planned_huddle_off_the_calendar(app, team):
    owner, editor, _, pid = team
    huddles.plan_huddle(
        owner,
        factories.reload(pid),
        held_on=schedule.today() + timedelta(days=3),
        starts_at=None,
        time_zone="UTC",
    )
    client = client_for(app, editor)
    url = f"/playbooks/{pid}/huddle"
    response = client.post(f"{url}/plan/cancel", data={"csrf_token": token_of(client, url)})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Huddle)) == 0
    assert "No huddle is planned yet." in _read(client.get(url))
