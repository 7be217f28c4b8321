"""Calendar feeds as iCalendar documents (RFC 5545), built with the icalendar package.

Items are all-day events on their target date; huddles are timed events in their own
time zone (with its VTIMEZONE), or all-day when no time was given. Every event keeps
one UID for the life of its row (item-<id>@<host>, huddle-<id>@<host>), and its
SEQUENCE, LAST-MODIFIED and DTSTAMP follow the row's last change, so a calendar
program that sees a moved date updates the same event instead of adding another.
Summaries and descriptions are plain text (titles and the Markdown the team typed),
never HTML."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import url_for
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only

from playbook.extensions import db
from playbook.models import Huddle, Item, Play, Playbook, Resource, User
from playbook.playbooks import schedule

PRODID = "-//Playbook//Playbook calendar//EN"
# SEQUENCE counts seconds from here to the row's last change: it grows with every
# change (a moved date included) and needs no column of its own.
SEQUENCE_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def _item_options():
    """What an item's title needs (display_title), loaded with it."""
    return (
        joinedload(Item.play).load_only(Play.title),
        joinedload(Item.resource).load_only(Resource.title),
        joinedload(Item.component),
        joinedload(Item.owner).load_only(User.display_name),
    )


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _stamp(event: Event, changed: datetime) -> None:
    changed = changed.astimezone(UTC).replace(microsecond=0)
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    event.add("sequence", max(0, int((changed - SEQUENCE_EPOCH).total_seconds())))


def _item_event(item: Item, playbook: Playbook, host: str, with_playbook: bool) -> Event:
    assert item.target_date is not None
    event = Event()
    event.add("uid", f"item-{item.id}@{host}")
    title = item.display_title
    event.add("summary", f"{title} · {playbook.title}" if with_playbook else title)
    event.add("dtstart", item.target_date)  # a date: VALUE=DATE, an all-day event
    event.add("dtend", item.target_date + timedelta(days=1))
    details = [f"Status: {item.status.label}"]
    if item.owner is not None:
        details.append(f"Owner: {item.owner.display_name}")
    details.append(f"Playbook: {playbook.title}")
    event.add("description", "\n".join(details))
    event.add(
        "url",
        url_for(
            "playbooks.detail", playbook_id=playbook.id, _anchor=f"item-{item.id}", _external=True
        ),
    )
    event.add("transp", "TRANSPARENT")  # a due date does not make anyone busy
    _stamp(event, item.updated_at)
    return event


def _huddle_event(huddle: Huddle, playbook: Playbook, host: str) -> Event:
    event = Event()
    event.add("uid", f"huddle-{huddle.id}@{host}")
    event.add("summary", f"Team huddle · {playbook.title}")
    if huddle.starts_at is None:
        event.add("dtstart", huddle.held_on)
        event.add("dtend", huddle.held_on + timedelta(days=1))
    else:
        start = datetime.combine(huddle.held_on, huddle.starts_at, ZoneInfo(huddle.time_zone))
        event.add("dtstart", start)  # with TZID; its VTIMEZONE is added to the calendar
        event.add("dtend", start + timedelta(minutes=huddle.minutes or 60))
    parts = []
    if huddle.is_recorded:
        if huddle.decisions.strip():
            parts.append("Decisions:\n" + huddle.decisions.strip())
        if huddle.next_steps.strip():
            parts.append("Next steps:\n" + huddle.next_steps.strip())
    link = url_for("playbooks.huddle", playbook_id=playbook.id, _external=True)
    parts.append(("Agenda: " if not huddle.is_recorded else "Notes: ") + link)
    event.add("description", "\n\n".join(parts))
    event.add("url", link)
    _stamp(event, huddle.updated_at)
    return event


def _finish(calendar: Calendar, days: list[date] | None = None) -> bytes:
    """The calendar with a VTIMEZONE for every zone its events name (from zoneinfo),
    covering a year either side of its timed events rather than decades."""
    if days:
        calendar.add_missing_timezones(
            first_date=min(days) - timedelta(days=366), last_date=max(days) + timedelta(days=366)
        )
    return calendar.to_ical()


def person_calendar(user: User, host: str) -> bytes:
    """Every dated item assigned to the person in the live playbooks they are a
    member of (schedule.assigned_items_statement): one statement."""
    statement = (
        schedule.assigned_items_statement(user.id, schedule.today())
        .where(Item.target_date.is_not(None))
        .options(*_item_options(), load_only(Playbook.id, Playbook.title))
    )
    calendar = _calendar(f"My playbook items ({user.display_name})")
    for item, playbook in db.session.execute(statement).unique():
        calendar.add_component(_item_event(item, playbook, host, with_playbook=True))
    return _finish(calendar)


def _huddles(playbook_id: int) -> Iterable[Huddle]:
    return db.session.scalars(
        select(Huddle).where(Huddle.playbook_id == playbook_id).order_by(Huddle.held_on, Huddle.id)
    )


def playbook_calendar(playbook: Playbook, host: str) -> bytes:
    """Every dated item of the playbook and every huddle, planned or recorded: two
    statements."""
    calendar = _calendar(playbook.title)
    items = db.session.scalars(
        schedule.dated_items_statement(playbook.id).options(*_item_options())
    ).unique()
    for item in items:
        calendar.add_component(_item_event(item, playbook, host, with_playbook=False))
    timed = []
    for huddle in _huddles(playbook.id):
        calendar.add_component(_huddle_event(huddle, playbook, host))
        if huddle.starts_at is not None:
            timed.append(huddle.held_on)
    return _finish(calendar, timed)
