"""Writes of the team huddle: recording one (its status changes go through the
playbook's one change path, so they are merged, kept in the history and make a
revision) and planning the next.

Services commit; routes never do."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from playbook.extensions import db
from playbook.models import Huddle, HuddleAttendee, Item, ItemStatus, Playbook, User, utcnow
from playbook.permissions import Action, require
from playbook.playbooks import merge
from playbook.playbooks.services import PlaybookError, save_merged
from playbook.sanitize import render_markdown


def huddle_day(day: date) -> str:
    """A huddle's day as the history and the pages name it: 7 Dec 2026."""
    return f"{day.day} {day.strftime('%b %Y')}"


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PlaybookError(f"“{name}” is not a time zone we know.") from None
    return name


def _find_item(playbook: Playbook, item_id: int) -> Item | None:
    return next((i for s in playbook.sections for i in s.items if i.id == item_id), None)


def _planned_on(playbook_id: int, day: date) -> Huddle | None:
    return db.session.scalar(
        select(Huddle)
        .where(
            Huddle.playbook_id == playbook_id,
            Huddle.recorded_at.is_(None),
            Huddle.held_on == day,
        )
        .limit(1)
    )


def _summary(day: date, changes: int) -> str:
    count = {0: "no status changes", 1: "1 status change"}.get(changes, f"{changes} status changes")
    return f"Huddle on {huddle_day(day)}: {count}"


def record_huddle(
    actor: User,
    playbook: Playbook,
    *,
    base_version: int | None,
    held_on: date,
    starts_at: time | None,
    time_zone: str,
    minutes: int | None = None,
    attendee_ids: Iterable[int] = (),
    guests: str = "",
    decisions: str = "",
    next_steps: str = "",
    status_changes: Iterable[tuple[int, str]] = (),
) -> Huddle:
    """Record a huddle of the playbook's team (owners and editors): who came (members
    only), the decisions and next steps (Markdown, sanitized into *_html) and the
    items whose status changed there. Everything is saved with one revision of the
    playbook ("Huddle on 7 Dec 2026: 2 status changes"), merged field by field with
    what teammates saved since `base_version`; a teammate's change to the status of
    the same item is a Conflict (nothing is saved). A planned huddle on the same day
    becomes this record (its calendar event is updated, not duplicated)."""
    require(actor, Action.HUDDLE_RECORD, playbook)
    members = {m.user_id for m in playbook.memberships}
    attendees = sorted(set(attendee_ids))
    if not set(attendees) <= members:
        raise PlaybookError("Only members of the playbook can be ticked as having come.")
    wanted = [(int(item_id), ItemStatus(status).value) for item_id, status in status_changes]
    zone, recorded = _zone(time_zone), []

    def change(playbook: Playbook, base: merge.Base | None) -> str | None:
        changed = 0
        for item_id, status in wanted:
            item = _find_item(playbook, item_id)
            if item is None or (base is not None and item_id not in base.items):
                raise merge.Overlap("an item that was removed")
            written = merge.fields_to_write(
                base.items[item_id] if base else None,
                merge.item_values(item),
                {"status": status},
                f"“{item.display_title}”",
            )
            if "status" in written and item.status.value != status:
                item.status = ItemStatus(status)
                changed += 1
        huddle = _planned_on(playbook.id, held_on) or Huddle(playbook_id=playbook.id)
        huddle.held_on, huddle.starts_at, huddle.time_zone = held_on, starts_at, zone
        huddle.minutes = minutes or huddle.minutes or 60
        huddle.guests = guests.strip()
        huddle.decisions, huddle.decisions_html = decisions, render_markdown(decisions)
        huddle.next_steps, huddle.next_steps_html = next_steps, render_markdown(next_steps)
        huddle.status_changes = changed
        huddle.recorded_at, huddle.recorded_by_id = utcnow(), actor.id
        # The version this save makes (the revision's number): see commit_revision.
        huddle.revision_number = playbook.version + 1
        huddle.attendees = [HuddleAttendee(user_id=user_id) for user_id in attendees]
        db.session.add(huddle)
        recorded.append(huddle)
        return _summary(held_on, changed)

    save_merged(actor, playbook, base_version, change)  # never None: change always saves
    return recorded[-1]


def plan_huddle(
    actor: User,
    playbook: Playbook,
    *,
    held_on: date,
    starts_at: time | None,
    time_zone: str,
    minutes: int | None = None,
) -> Huddle:
    """Plan the team's next huddle (owners and editors), for the calendar. A team has
    one planned huddle at a time: planning again moves it (the same calendar event,
    updated). Planning is not a change to the playbook: no revision."""
    require(actor, Action.HUDDLE_RECORD, playbook)
    huddle = db.session.scalar(
        select(Huddle).where(Huddle.playbook_id == playbook.id, Huddle.recorded_at.is_(None))
    )
    if huddle is None:
        huddle = Huddle(playbook_id=playbook.id)
        db.session.add(huddle)
    huddle.held_on, huddle.starts_at, huddle.time_zone = held_on, starts_at, _zone(time_zone)
    huddle.minutes = minutes or 60
    db.session.commit()
    return huddle


def cancel_planned_huddle(actor: User, playbook: Playbook) -> bool:
    """Drop the team's planned huddle (owners and editors); False when there was none."""
    require(actor, Action.HUDDLE_RECORD, playbook)
    huddle = db.session.scalar(
        select(Huddle).where(Huddle.playbook_id == playbook.id, Huddle.recorded_at.is_(None))
    )
    if huddle is None:
        return False
    db.session.delete(huddle)
    db.session.commit()
    return True
