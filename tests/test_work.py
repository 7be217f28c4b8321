"""My work (/work/): every item assigned to the signed-in person across their
playbooks, overdue first, then by date, with its status changeable in place through
the playbook's own save path (merge, history, page cache)."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from playbook.database import count_statements
from playbook.extensions import db
from playbook.models import Item, ItemStatus, MemberRole, Membership, Revision
from playbook.playbooks import schedule
from playbook.playbooks import services as playbook_services
from tests import factories
from tests.factories import add_members, add_note, make_playbook, reload
from tests.helpers import check_page, client_for, csrf_token_from, form_posting_to, text_of

WORK_PAGE_STATEMENTS = 7


def own(actor, playbook_id: int, item_id: int, owner, days: int | None, status: str = "planned"):
    """Make `owner` the item's owner, with a target date `days` from today (None: no date)."""
    factories.plan_item(
        actor,
        playbook_id,
        item_id,
        owner=owner,
        target_date=factories.days_from_today(days),
        status=status,
    )


def note(actor, playbook_id: int, title: str, owner, days: int | None, **kw) -> int:
    item_id = add_note(actor, playbook_id, title=title).id
    own(actor, playbook_id, item_id, owner, days, **kw)
    return item_id


def positions(page: str, *titles: str) -> list[int]:
    return [page.index(t) for t in titles]


def status_form(page: str, playbook_id: int, item_id: int) -> dict:
    return form_posting_to(page, f"/work/{playbook_id}/items/{item_id}/status")


def post_status(browser, playbook_id: int, item_id: int, status: str, page: str | None = None):
    """Post the row's form as a browser would (its token and the version the page had)."""
    page = page or check_page(browser.get("/work/"))
    fields = status_form(page, playbook_id, item_id)
    fields["status"] = status
    return browser.post(f"/work/{playbook_id}/items/{item_id}/status", data=fields)


def status_of(item_id: int) -> ItemStatus:
    db.session.expire_all()
    return db.session.get(Item, item_id).status


@pytest.fixture
def team(app, member, other_member):
    """Maria owns a playbook Omar edits."""
    return make_playbook(member, title="Reading plan", members=(other_member,))


# --- the page -------------------------------------------------------------------------


def test_my_work_lists_my_items_overdue_first_then_by_date(app, member, other_member, team):
    second = make_playbook(other_member, title="Math plan", members=(member,))
    play = factories.make_play(title="Morning meetings")
    play_item = factories.add_play(member, team.id, play).id
    own(member, team.id, play_item, member, 5)
    soon = note(member, team.id, "Book list", member, 1)
    late = note(other_member, second.id, "Tutoring rota", member, -3)
    undated = note(member, team.id, "Parent letter", member, None)
    adopted_late = note(member, team.id, "Old habit", member, -10, status="adopted")
    note(member, team.id, "Omar's own task", other_member, -5)
    today = note(member, team.id, "Due now", member, 0)

    page = html_lib.unescape(check_page(client_for(app, member).get("/work/")))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Omar's own task" not in page
    # Overdue first; then by date (an adopted item is never overdue); undated last.
    assert positions(page, "Tutoring rota", "Old habit", "Due now", "Book list") == sorted(
        positions(page, "Tutoring rota", "Old habit", "Due now", "Book list")
    )
    assert positions(page, "Book list", "Morning meetings", "Parent letter") == sorted(
        positions(page, "Book list", "Morning meetings", "Parent letter")
    )
    assert "Overdue by 3 days" in text
    assert "Due in 1 day " in text and "Due in 5 days" in text and "Due today" in text
    assert "No target date" in text
    assert text.count("Overdue by") == 1  # the adopted one is done, not overdue
    # The playbook, the section, and a link to the item's place in the playbook.
    assert "Math plan" in text and "Reading plan" in text
    section_title = reload(team.id).sections[1].title
    assert f"Reading plan › {section_title}" in text
    for playbook_id, item_id in (
        (team.id, play_item),
        (team.id, soon),
        (second.id, late),
        (team.id, undated),
        (team.id, adopted_late),
        (team.id, today),
    ):
        assert f'href="/playbooks/{playbook_id}#item-{item_id}"' in page
    # The anchor is the one the playbook page gives the item.
    assert f'id="item-{play_item}"' in client_for(app, member).get(f"/playbooks/{team.id}").text


def test_items_of_binned_playbooks_and_of_former_teams_are_not_listed(
    app, member, other_member, team
):
    binned = make_playbook(member, title="Thrown away")
    note(member, binned.id, "Binned task", member, 2)
    playbook_services.delete_playbook(member, reload(binned.id))
    elsewhere = make_playbook(other_member, title="Left behind", members=(member,))
    note(other_member, elsewhere.id, "Task of a team I left", member, 2)
    db.session.execute(
        delete(Membership).where(
            Membership.playbook_id == elsewhere.id, Membership.user_id == member.id
        )
    )
    db.session.commit()
    page = check_page(client_for(app, member).get("/work/"))
    assert "Binned task" not in page and "Task of a team I left" not in page


def test_my_work_says_what_to_do_when_nothing_is_assigned(app, member):
    browser = client_for(app, member)
    text = text_of(browser.get("/work/"))
    assert "Nothing is assigned to you yet." in text
    assert 'href="/playbooks/"' in browser.get("/work/").text


def test_the_navigation_links_to_my_work_next_to_the_playbooks(app, member):
    page = client_for(app, member).get("/playbooks/").text
    assert page.index('href="/playbooks/"') < page.index('href="/work/"')


def test_visitors_are_sent_to_sign_in(client, app):
    response = client.get("/work/")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_my_work_is_paginated(app, member, team):
    app.config["PLAYBOOK_WORK_PER_PAGE"] = 2
    for n in range(5):
        note(member, team.id, f"Task number {n}", member, n)
    browser = client_for(app, member)
    first = browser.get("/work/").text
    third = browser.get("/work/?page=3").text
    assert "Task number 0" in first and "Task number 1" in first and "Task number 2" not in first
    assert "Task number 4" in third and "Page 3 of 3" in third
    # A change made on page 3 comes back to page 3.
    last = db.session.scalar(select(Item.id).where(Item.title == "Task number 4"))
    response = post_status(browser, team.id, last, "piloting", page=third)
    assert response.location.endswith(f"/work/?page=3#work-{last}")
    assert status_of(last) is ItemStatus.PILOTING


def test_the_page_sends_the_same_statements_for_few_and_many_items(app, member, other_member):
    small = make_playbook(member, title="Small")
    note(member, small.id, "Only task", member, 1)
    own(member, small.id, factories.add_play(member, small.id, factories.make_play()).id, member, 2)
    browser = client_for(app, member)
    with count_statements() as statements:
        assert browser.get("/work/").status_code == 200
    few = len(statements)

    for n in range(4):
        playbook = make_playbook(other_member, title=f"Big {n}", members=(member,))
        for i in range(12):
            note(other_member, playbook.id, f"Big task {n}.{i}", member, i - 3)
    with count_statements() as statements:
        response = browser.get("/work/")
    assert response.status_code == 200 and "Big task 3.11" in response.text
    assert len(statements) == few, statements
    # The session with the person and the unread count; the page of items, their
    # sections, plays, playbooks and teams (for the edit rule); the total.
    assert few == WORK_PAGE_STATEMENTS


# --- changing the status in place -------------------------------------------------------


def test_changing_the_status_in_place_lands_in_the_history(app, member, team):
    item_id = note(member, team.id, "Book list", member, 4)
    browser = client_for(app, member)
    assert "Planned" in browser.get(f"/playbooks/{team.id}").text
    response = post_status(browser, team.id, item_id, "piloting")
    assert response.status_code == 302
    assert response.location.endswith(f"/work/#work-{item_id}")
    assert "Saved: “Book list” is now Piloting." in html_lib.unescape(
        text_of(browser.get(response.location))
    )
    assert status_of(item_id) is ItemStatus.PILOTING
    latest = factories.latest_revision(team.id)
    assert latest.summary == "Set the status of “Book list” to Piloting"
    assert latest.actor_id == member.id
    # The playbook page (its cached document part) shows the new status.
    playbook_page = browser.get(f"/playbooks/{team.id}").text
    row = playbook_page[playbook_page.index(f'id="item-{item_id}"') :]
    assert 'data-status="piloting"' in row[:300]


def test_a_status_change_merges_with_a_teammates_change_to_another_field(
    app, member, other_member, team
):
    item_id = note(member, team.id, "Book list", member, 4)
    browser = client_for(app, member)
    page = check_page(browser.get("/work/"))
    own(other_member, team.id, item_id, member, 9)  # Omar moves the date meanwhile
    response = post_status(browser, team.id, item_id, "adopted", page=page)
    message = html_lib.unescape(text_of(browser.get(response.location)))
    assert "Saved: “Book list” is now Adopted." in message
    assert "Omar Other" in message
    db.session.expire_all()
    item = db.session.get(Item, item_id)
    assert item.status is ItemStatus.ADOPTED
    assert item.target_date == schedule.today() + timedelta(days=9)


def test_a_teammate_who_changed_the_same_status_meanwhile_wins_with_a_clear_message(
    app, member, other_member, team
):
    item_id = note(member, team.id, "Book list", member, 4)
    browser = client_for(app, member)
    page = check_page(browser.get("/work/"))
    revisions = factories.revision_count(team.id)
    own(other_member, team.id, item_id, member, 4, status="retired")
    response = post_status(browser, team.id, item_id, "adopted", page=page)
    assert response.status_code == 302
    message = html_lib.unescape(text_of(browser.get(response.location)))
    assert "Not saved: a teammate changed the status of “Book list”" in message
    assert "It is now Retired" in message
    assert status_of(item_id) is ItemStatus.RETIRED
    assert factories.revision_count(team.id) == revisions + 1  # Omar's only


def test_an_item_a_teammate_removed_meanwhile_is_reported_not_an_error(
    app, member, other_member, team
):
    item_id = note(member, team.id, "Book list", member, 4)
    browser = client_for(app, member)
    page = check_page(browser.get("/work/"))
    playbook = playbook_services.load_playbook_for_change(team.id)
    item = next(i for s in playbook.sections for i in s.items if i.id == item_id)
    playbook_services.remove_item(other_member, playbook, item, base_version=playbook.version)
    response = post_status(browser, team.id, item_id, "adopted", page=page)
    assert "That item was removed from its playbook meanwhile." in text_of(
        browser.get(response.location)
    )
    assert "Book list" not in browser.get("/work/").text


def test_an_unknown_status_changes_nothing(app, member, team):
    item_id = note(member, team.id, "Book list", member, 4)
    browser = client_for(app, member)
    response = post_status(browser, team.id, item_id, "finished")
    assert "Choose one of the statuses." in text_of(browser.get(response.location))
    assert status_of(item_id) is ItemStatus.PLANNED


def test_a_viewer_assigned_an_item_reads_it_but_gets_no_form_and_cannot_post(
    app, member, make_user, team
):
    viewer = make_user(display_name="Vera Viewer")
    add_members(team.id, viewer, role=MemberRole.VIEWER)
    item_id = note(member, team.id, "Read the report", viewer, 2)
    browser = client_for(app, viewer)
    page = check_page(browser.get("/work/"))
    assert "Read the report" in page and "Planned" in page
    assert f"/work/{team.id}/items/{item_id}/status" not in page
    token = form_posting_to(page, "/auth/logout")["csrf_token"]
    response = browser.post(
        f"/work/{team.id}/items/{item_id}/status",
        data={"csrf_token": token, "version": str(reload(team.id).version), "status": "adopted"},
    )
    assert response.status_code == 403
    assert status_of(item_id) is ItemStatus.PLANNED


def test_a_stranger_cannot_change_an_item_of_a_playbook_they_are_not_in(
    app, member, intruder, team
):
    item_id = note(member, team.id, "Book list", member, 4)
    browser = client_for(app, intruder)
    token = form_posting_to(check_page(browser.get("/work/")), "/auth/logout")["csrf_token"]
    response = browser.post(
        f"/work/{team.id}/items/{item_id}/status",
        data={"csrf_token": token, "version": str(reload(team.id).version), "status": "adopted"},
    )
    assert response.status_code == 404
    assert status_of(item_id) is ItemStatus.PLANNED


def test_an_item_of_another_playbook_is_not_found_through_this_one(app, member, team):
    other = make_playbook(member, title="Other plan")
    item_id = note(member, other.id, "Elsewhere", member, 4)
    browser = client_for(app, member)
    page = check_page(browser.get("/work/"))
    fields = status_form(page, other.id, item_id)
    response = browser.post(f"/work/{team.id}/items/{item_id}/status", data=fields)
    assert response.status_code == 404
    assert status_of(item_id) is ItemStatus.PLANNED


def test_a_status_form_without_its_token_is_refused(app, member, team):
    item_id = note(member, team.id, "Book list", member, 4)
    browser = client_for(app, member)
    response = browser.post(
        f"/work/{team.id}/items/{item_id}/status",
        data={"version": str(reload(team.id).version), "status": "adopted"},
    )
    assert response.status_code == 400
    assert status_of(item_id) is ItemStatus.PLANNED
    assert db.session.scalar(
        select(Revision.summary).where(Revision.playbook_id == team.id).order_by(Revision.id.desc())
    ).startswith("Edited")


# --- who may change a status from My work -------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("owner", 302),
        ("editor", 302),
        ("commenter", 403),
        ("viewer", 403),
        ("stranger", 404),
        ("visitor", "sign in"),
        ("owner, binned", 404),
    ],
)
def test_who_may_change_a_status_from_my_work(app, member, make_user, persona, expected):
    playbook = make_playbook(member, title="Matrix plan")
    people = {"owner": member}
    for role in ("editor", "commenter", "viewer"):
        people[role] = make_user(display_name=f"The {role}")
        add_members(playbook.id, people[role], role=MemberRole(role))
    people["stranger"] = make_user(display_name="A stranger")
    item_id = note(member, playbook.id, "Contested", member, 2)
    version = reload(playbook.id).version
    if persona == "owner, binned":
        playbook_services.delete_playbook(member, reload(playbook.id))
    who = people.get(persona.split(",")[0])
    browser = client_for(app, who) if who else app.test_client()
    token = csrf_token_from(browser.get("/" if who else "/auth/login").text)
    response = browser.post(
        f"/work/{playbook.id}/items/{item_id}/status",
        data={"csrf_token": token, "version": str(version), "status": "piloting"},
    )
    if expected == "sign in":
        assert response.status_code == 302 and "/auth/login" in response.location
    else:
        assert response.status_code == expected
    changed = expected == 302
    assert status_of(item_id) is (ItemStatus.PILOTING if changed else ItemStatus.PLANNED)
