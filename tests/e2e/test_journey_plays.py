"""Journey of issue #13, in Chromium against a real server that sends mail to a local
SMTP server: a team of three edits one playbook at the same time, meets a conflict
only where two of them changed the same twist, sees a teammate's save on an open
page; the owner finds her items in My work, gets a reminder mail before a target
date and subscribes a calendar to her items; the team runs a huddle from its agenda
and records it; the weekly digest arrives and its unsubscribe link works.

Screenshots for the record go to /tmp/shots/journey_*.png."""

from __future__ import annotations

import re
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import icalendar
from playwright.sync_api import Page, expect

from tests.e2e import pages

PLAYS = "Our plays"
NOTICE_MS = 15_000
SHOTS = Path("/tmp/shots")


def _shot(page: Page, name: str, *, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"journey_{name}.png"), full_page=full_page)


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, f"no text part in {message['Subject']!r}"
    return part.get_content()


def _html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, f"no HTML part in {message['Subject']!r}"
    return part.get_content()


def _mail_to(smtp, email: str, subject: str | re.Pattern) -> list[EmailMessage]:
    return [
        message
        for message, recipients in zip(smtp.messages, smtp.recipients, strict=True)
        if email in recipients
        and (
            subject.search(message["Subject"])
            if isinstance(subject, re.Pattern)
            else subject in message["Subject"]
        )
    ]


def _deliver(server, *commands: str) -> None:
    """Run the periodic work the job queue would do (`commands`), then send the mail."""
    for command in commands:
        server.flask(command)
    printed = server.flask("deliver-mail")
    assert "0 still waiting" in printed, printed


def _team(mailing_context, title: str):
    """Ana registers and starts a playbook with three plays in it; she invites Ben and
    Cleo as editors, and they accept from their notifications."""
    people = []
    for name in ("Ana Ortiz", "Ben Lee", "Cleo Park"):
        page = mailing_context().new_page()
        people.append((page, pages.register(page, pages.new_person(name))))
    (ana_page, ana), (ben_page, ben), (cleo_page, cleo) = people
    playbook = pages.create_playbook(
        ana_page, title, organization="Riverside Unified", framework=False
    )
    plays = ["Student-led conferences", "Advisory circles", "Flexible Fridays"]
    for play in plays:
        pages.add_note(ana_page, playbook, PLAYS, play, "A play the team agreed to try.")
        expect(pages.item_row(ana_page, play)).to_have_count(1)
    for person in (ben, cleo):
        pages.invite(ana_page, playbook, person.email, "Editor")
    pages.accept_invitation(ben_page, ana.name, title)
    pages.accept_invitation(cleo_page, ana.name, title)
    return people, playbook, plays


def _three_edit_at_once(people, playbook: int, plays: list[str]) -> list[str]:
    """Step 1: the three open the editors of three different items, then each saves:
    no conflict page, each told next to the item, each twist on the page afterwards."""
    twists = [
        "Ana: every student leads one conference per term.",
        "Ben: circles meet on Tuesdays, ten students each.",
        "Cleo: start with grade 7 on alternate Fridays.",
    ]
    for (page, _), play in zip(people, plays, strict=True):
        pages.open_item_editor(page, playbook, play)
    for (page, _), play, twist in zip(people, plays, twists, strict=True):
        pages.save_item(page, twist=twist)
        expect(pages.conflict_heading(page)).to_have_count(0)
        expect(pages.saved_notice(page, play)).to_contain_text(re.compile("Saved|Merged"))
        expect(pages.item_row(page, play)).to_contain_text(twist)
    # The later two saves were based on an older version: merged, and told with whose.
    (_, ana), (ben_page, ben), (cleo_page, _) = people
    expect(pages.saved_notice(ben_page, plays[1])).to_contain_text(f"Merged with {ana.name}’s")
    expect(pages.saved_notice(cleo_page, plays[2])).to_contain_text(
        re.compile(f"Merged with {ana.name}’s change .* and {ben.name}’s change")
    )
    ana_page = people[0][0]
    pages.open_detail(ana_page, playbook)
    for play, twist in zip(plays, twists, strict=True):
        expect(pages.item_row(ana_page, play)).to_contain_text(twist)
    return twists


def _same_twist_and_live_notice(people, playbook: int, play: str) -> None:
    """Steps 2 and 3: Cleo has the playbook page open while Ana and Ben both change
    the same twist. Ana's save lands and shows on Cleo's page as a notice, without a
    reload; Ben's gives the conflict page with both texts, and saving again keeps his."""
    (ana_page, ana), (ben_page, _), (cleo_page, _) = people
    pages.open_detail(cleo_page, playbook)
    cleo_page.evaluate("window.stillTheSamePage = true")
    pages.open_item_editor(ana_page, playbook, play)
    pages.open_item_editor(ben_page, playbook, play)
    anas_words = "Ana: circles start after the winter break."
    bens_words = "Ben: circles start in the first week of school."
    pages.save_item(ana_page, twist=anas_words)
    expect(pages.conflict_heading(ana_page)).to_have_count(0)
    pages.save_item(ben_page, twist=bens_words)
    expect(pages.conflict_heading(ben_page)).to_be_visible()
    expect(ben_page.locator("p.notice")).to_contain_text("not saved")
    changes = ben_page.locator("section").filter(
        has=ben_page.get_by_role("heading", name="What changed since you opened it")
    )
    expect(changes).to_contain_text(ana.name)
    expect(changes.locator("details")).to_contain_text(anas_words)
    yours = ben_page.locator("section").filter(
        has=ben_page.get_by_role("heading", name="Your unsaved change")
    )
    expect(yours.get_by_label("Our twist")).to_have_value(bens_words)

    notice = cleo_page.locator("[data-live-notice]")
    expect(notice).to_contain_text(ana.name, timeout=NOTICE_MS)
    assert cleo_page.evaluate("window.stillTheSamePage === true"), "the page was reloaded"
    notice.get_by_role("link", name="Show").click()
    expect(pages.item_row(cleo_page, play)).to_contain_text(anas_words)

    ben_page.get_by_role("button", name="Save item").click()
    expect(pages.item_row(ben_page, play)).to_contain_text(bens_words)


def _my_work(page: Page, ana, playbook: int, plays: list[str], today: date) -> None:
    """Step 4: Ana makes herself the owner of two plays, one overdue and one due in
    three days; My work lists the overdue one first and changes a status in place."""
    overdue, due = plays[0], plays[1]
    pages.open_item_editor(page, playbook, overdue)
    pages.save_item(page, owner=ana.name, target_date=(today - timedelta(days=2)).isoformat())
    expect(pages.saved_notice(page, overdue)).to_contain_text("Saved")
    pages.open_item_editor(page, playbook, due)
    pages.save_item(page, owner=ana.name, target_date=(today + timedelta(days=3)).isoformat())
    expect(pages.item_row(page, due)).to_contain_text(ana.name)

    pages.open_detail(page, playbook)
    pages.open_menu(pages.item_row(page, due))
    _shot(page, "playbook_menu_desktop")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My work").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    titles = page.locator(".work-item .item-title")
    expect(titles).to_have_text([overdue, due])
    first, second = page.locator(".work-item").nth(0), page.locator(".work-item").nth(1)
    expect(first).to_contain_text("Overdue by 2 days")
    expect(second).to_contain_text("Due in 3 days")
    page.get_by_label(f"Status of {due}").select_option(label="Piloting")
    page.get_by_role("button", name=f"Save the status of {due}").click()
    expect(page.locator(".flashes")).to_be_visible()
    expect(page.get_by_label(f"Status of {due}")).to_have_value("piloting")
    _shot(page, "my_work")
    pages.open_detail(page, playbook)
    expect(pages.item_row(page, due).locator(".status")).to_have_text("Piloting")


def _reminder(page: Page, server, ana, playbook: int, title: str, due: str) -> None:
    """Step 5: the hourly reminders run; the mail reaches the SMTP server and its link
    opens the playbook at the item."""
    _deliver(server, "send-reminders")
    mails = _mail_to(server.smtp, ana.email, due)
    assert len(mails) == 1, [m["Subject"] for m in server.smtp.messages]
    body = _text(mails[0])
    assert f"“{due}” in “{title}” is due in 3 days" in body, body
    link = re.search(r"Open it: (\S+)", body)
    assert link and link.group(1).startswith(server.url + "/"), body
    target = parse_qs(urlsplit(link.group(1)).query).get("next", [link.group(1)])[0]
    assert target.startswith(f"/playbooks/{playbook}"), link.group(1)
    page.goto(link.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert urlsplit(page.url).path == f"/playbooks/{playbook}", page.url
    expect(pages.item_row(page, due)).to_be_visible()
    # Sent once: a second run finds nothing new for this item.
    _deliver(server, "send-reminders")
    assert len(_mail_to(server.smtp, ana.email, due)) == 1


def _calendar(page: Page, due: str, target: date) -> None:
    """Step 6: Ana gets her calendar address and a calendar program (no cookies)
    reads it: the dated play is an all-day event on its target date."""
    page.goto("/accounts/profile")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Calendar").click()
    page.get_by_role("button", name="Get my calendar address").click()
    address = page.get_by_label("Calendar address").input_value()
    assert address.startswith("http://127.0.0.1:"), address
    request = urllib.request.Request(address, headers={"User-Agent": "CalendarProgram/1.0"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers.get_content_type() == "text/calendar"
        calendar = icalendar.Calendar.from_ical(response.read())
    events = [e for e in calendar.walk("VEVENT") if due in str(e.get("summary"))]
    assert len(events) == 1, [str(e.get("summary")) for e in calendar.walk("VEVENT")]
    start = events[0].decoded("dtstart")
    assert start == target and not isinstance(start, datetime), start


def _huddle(people, playbook: int, title: str, plays: list[str], today: date) -> str:
    """Step 7: the team opens the huddle page from the playbook, reads the agenda
    (the play due soon, the changes so far), prints it, and records the huddle with
    a status change; it shows in the history, the print view and the playbook."""
    (ana_page, ana), (ben_page, ben), (cleo_page, cleo) = people
    overdue, due, changed = plays
    page = ben_page
    pages.open_detail(page, playbook)
    page.get_by_role("link", name="Huddle", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Team huddle")
    due_part = page.locator("section.agenda-part").filter(has=page.locator("#due-heading"))
    expect(due_part).to_contain_text(due)
    overdue_part = page.locator("section.agenda-part").filter(has=page.locator("#overdue-heading"))
    expect(overdue_part).to_contain_text(overdue)
    changes = page.locator("section.agenda-part").filter(has=page.locator("#changed-heading"))
    for person in (ben, cleo):
        expect(changes).to_contain_text(person.name)
    _shot(page, "huddle")

    page.get_by_role("link", name="Printable agenda").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Huddle agenda: {title}")
    expect(page.locator("body")).to_contain_text(due)
    expect(page.locator("body")).to_contain_text(overdue)
    expect(page.locator("main a[href*='#item-']")).to_have_count(0)  # paper: no links

    page = ana_page  # Ana takes the notes
    pages.open_detail(page, playbook)
    page.get_by_role("link", name="Huddle", exact=True).click()
    decisions = "Keep circles weekly; Cleo reports on Fridays in January."
    next_steps = "Ben drafts the circle prompts by Friday."
    form = page.locator("form.huddle-form")
    form.get_by_label("Date", exact=True).fill(today.isoformat())
    for person in (ana, ben, cleo):
        form.get_by_label(person.name, exact=True).check()
    form.get_by_label("Decisions").fill(decisions)
    form.get_by_label("Next steps").fill(next_steps)
    form.get_by_label("Item 1", exact=True).select_option(label=f"{changed} (Idea)")
    form.get_by_label("New status 1", exact=True).select_option(label="Planned")
    form.get_by_role("button", name="Record the huddle").click()
    expect(page.locator(".flashes")).to_contain_text("Recorded the huddle of")
    record = page.locator("#past-huddles article.huddle-record").first
    expect(record).to_contain_text(decisions)
    expect(record).to_contain_text("1 status change")
    for person in (ana, ben, cleo):
        expect(record).to_contain_text(person.name)

    page = cleo_page  # Cleo finds it in the history, the playbook and its print view
    pages.open_detail(page, playbook)
    page.get_by_role("link", name="History", exact=True).click()
    expect(page.locator("body")).to_contain_text(re.compile(r"Huddle on .*: 1 status change"))
    pages.open_detail(page, playbook)
    expect(pages.item_row(page, changed).locator(".status")).to_have_text("Planned")
    page.get_by_role("link", name="Print view").click()
    expect(page.locator("body")).to_contain_text(decisions)
    expect(page.locator("body")).to_contain_text(next_steps)
    return decisions


def _digest(mailing_context, server, people, title: str, plays: list[str], today: date) -> None:
    """Step 8: the weekly digests go out; Ana's names her teammates' changes and her
    play due soon, in text and HTML; its unsubscribe link, opened without signing in,
    turns the digest off, as her e-mail choices then show."""
    (ana_page, ana), (_, ben), (_, cleo) = people
    overdue, due, target = plays[0], plays[1], today + timedelta(days=3)
    _deliver(server, "send-digests")
    mails = _mail_to(server.smtp, ana.email, "Your week in Playbook")
    assert len(mails) == 1, [m["Subject"] for m in server.smtp.messages]
    text, html = _text(mails[0]), _html(mails[0])
    changes = text.split("CHANGES IN YOUR PLAYBOOKS", 1)[1].split("YOUR OVERDUE ITEMS", 1)[0]
    assert re.search(rf"{re.escape(title)}: \d+ changes by your team", changes), text
    assert f"({ben.name})" in changes and f"({cleo.name})" in changes, text
    assert f"({ana.name})" not in changes, "her own changes are not news to her"
    overdue_part, due_part = text.split("YOUR OVERDUE ITEMS", 1)[1].split(
        "YOUR ITEMS DUE IN THE NEXT 7 DAYS", 1
    )
    assert f"- {overdue} ({title}), due {(today - timedelta(days=2)).isoformat()}" in overdue_part
    due_line = f"{due}</a> ({title}), due {target.isoformat()}"
    assert f"- {due} ({title}), due {target.isoformat()}" in due_part.split("\n\n", 1)[0], text
    assert "Your items due in the next 7 days" in html and due_line in html, html
    assert f"<small>({ben.name})</small>" in html and f"<small>({cleo.name})</small>" in html
    link = re.search(r"Stop the weekly digest: (\S+)", text)
    assert link and link.group(1).startswith(f"{server.url}/digest/unsubscribe/"), text
    assert link.group(1) in html
    assert mails[0]["List-Unsubscribe"], "no List-Unsubscribe header"

    stranger = mailing_context().new_page()
    stranger.goto(link.group(1))
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Weekly digest")
    stranger.get_by_role("button", name="Stop the weekly digest").click()
    expect(stranger.locator("body")).to_contain_text("The weekly digest is off for this account")

    ana_page.goto("/notifications/settings")
    expect(ana_page.get_by_label("No weekly digest")).to_be_checked()
    # Queued once: running the job again (another worker, a restart) sends nothing.
    _deliver(server, "send-digests")
    assert len(_mail_to(server.smtp, ana.email, "Your week in Playbook")) == 1


def test_a_team_runs_its_plays_together(mailing_server, mailing_context):
    started = time.monotonic()
    title = f"Riverside advisory plan {pages.new_person('x').email.split('@')[0]}"
    today = datetime.now(UTC).date()  # the server's PLAYBOOK_TIMEZONE is UTC
    people, playbook, plays = _team(mailing_context, title)
    (ana_page, ana), _, _ = people

    _three_edit_at_once(people, playbook, plays)
    _same_twist_and_live_notice(people, playbook, plays[1])
    _my_work(ana_page, ana, playbook, plays, today)
    _reminder(ana_page, mailing_server, ana, playbook, title, plays[1])
    _calendar(ana_page, plays[1], today + timedelta(days=3))
    _huddle(people, playbook, title, plays, today)
    _digest(mailing_context, mailing_server, people, title, plays, today)

    phone = mailing_context(viewport={"width": 390, "height": 844}).new_page()
    pages.sign_in(phone, ana.email, ana.password)
    pages.open_detail(phone, playbook)
    row = pages.item_row(phone, plays[1])
    row.scroll_into_view_if_needed()
    pages.open_menu(row)
    expect(row.get_by_role("link", name=re.compile("^Edit"))).to_be_in_viewport()
    _shot(phone, "playbook_menu_phone", full_page=False)
    phone.get_by_role("button", name="Menu").click()
    phone.get_by_role("link", name="My work").click()
    expect(phone.locator(".work-item")).to_have_count(2)
    _shot(phone, "my_work_phone", full_page=False)
    assert time.monotonic() - started < 180, "the journey took longer than 3 minutes"
