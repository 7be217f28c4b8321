"""Reads of the team huddle: the agenda that prepares the next one (what changed
since the last recorded huddle, items due soon and overdue, status changes, open
comments) and the list of past huddles, each in a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from playbook.extensions import db
from playbook.models import (
    CalendarFeed,
    Comment,
    Huddle,
    HuddleAttendee,
    Item,
    ItemStatus,
    Playbook,
    Revision,
    User,
)
from playbook.permissions import Actor, comment_audience, comment_visible_clause
from playbook.playbooks import schedule

# The agenda's window for "due soon", in days from today (both ends included).
DUE_SOON_DAYS = 14
# At most this many changes and comments are listed; the agenda says how many more.
LISTED = 30


@dataclass(frozen=True)
class StatusChange:
    item: Item
    before: ItemStatus
    after: ItemStatus


@dataclass
class Agenda:
    today: date
    last: Huddle | None
    changes: list[Revision]
    changes_total: int
    status_changes: list[StatusChange]
    overdue: list[Item]
    due_soon: list[Item]
    comments: list[Comment]
    more_comments: bool
    planned: Huddle | None
    feed_created_at: datetime | None
    until: date = field(init=False)

    def __post_init__(self) -> None:
        self.until = self.today + timedelta(days=DUE_SOON_DAYS)


def last_recorded(playbook_id: int) -> Huddle | None:
    """The latest recorded huddle, with the revision it made (one statement)."""
    return db.session.scalar(
        select(Huddle)
        .where(Huddle.playbook_id == playbook_id, Huddle.recorded_at.is_not(None))
        .options(joinedload(Huddle.revision))
        .order_by(Huddle.held_on.desc(), Huddle.recorded_at.desc())
        .limit(1)
    )


def _changes_since(playbook_id: int, number: int | None) -> list[Revision]:
    """The newest LISTED revisions after version `number` (all when None), newest first."""
    query = (
        select(Revision)
        .where(Revision.playbook_id == playbook_id)
        .options(joinedload(Revision.actor).load_only(User.display_name))
        .order_by(Revision.number.desc())
        .limit(LISTED)
    )
    if number is not None:
        query = query.where(Revision.number > number)
    return list(db.session.scalars(query))


def status_changes(snapshot: dict | None, items: list[Item]) -> list[StatusChange]:
    """Items whose status differs from the one `snapshot` (a revision's document, see
    document.snapshot) gave them; items added since are not status changes."""
    if not snapshot:
        return []
    before = {
        entry["id"]: entry["status"]
        for section in snapshot.get("sections", ())
        for entry in section.get("items", ())
        if "id" in entry
    }
    return [
        StatusChange(item, ItemStatus(before[item.id]), item.status)
        for item in items
        if item.id in before and before[item.id] != item.status.value
    ]


def _open_comments(playbook_id: int, viewer: Actor, since: datetime | None) -> list[Comment]:
    """Comments on the playbook the viewer may see (comment_visible_clause), not
    deleted, posted since the last huddle (all when none), newest first: LISTED + 1,
    so the page knows whether there are more."""
    query = (
        select(Comment)
        .where(
            Comment.playbook_id == playbook_id,
            Comment.deleted_at.is_(None),
            comment_visible_clause(comment_audience(viewer), viewer.id),
        )
        .options(joinedload(Comment.author).load_only(User.display_name))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(LISTED + 1)
    )
    if since is not None:
        query = query.where(Comment.created_at > since)
    return list(db.session.scalars(query))


def next_planned(playbook_id: int, today: date) -> Huddle | None:
    return db.session.scalar(
        select(Huddle)
        .where(
            Huddle.playbook_id == playbook_id,
            Huddle.recorded_at.is_(None),
            Huddle.held_on >= today,
        )
        .order_by(Huddle.held_on)
        .limit(1)
    )


def _feed_created_at(user_id: int | None, playbook_id: int) -> datetime | None:
    if user_id is None:
        return None
    return db.session.scalar(
        select(CalendarFeed.created_at)
        .where(CalendarFeed.user_id == user_id, CalendarFeed.playbook_id == playbook_id)
        .order_by(CalendarFeed.created_at.desc())
        .limit(1)
    )


def agenda(playbook: Playbook, items: list[Item], viewer: Actor) -> Agenda:
    """What the next huddle goes through, for `viewer` (a member), on a playbook loaded
    with its items (queries.load_playbook_page): six statements whatever its size."""
    today = schedule.today()
    until = today + timedelta(days=DUE_SOON_DAYS)
    last = last_recorded(playbook.id)
    since_number = last.revision_number if last else None
    comments = _open_comments(playbook.id, viewer, last.recorded_at if last else None)
    dated = sorted((i for i in items if i.target_date), key=lambda i: (i.target_date, i.id))
    return Agenda(
        today=today,
        last=last,
        changes=_changes_since(playbook.id, since_number),
        changes_total=playbook.version - (since_number or 0),
        status_changes=status_changes(
            last.revision.snapshot if last and last.revision else None, items
        ),
        overdue=[i for i in dated if schedule.is_overdue(i, today)],
        due_soon=[i for i in dated if schedule.is_due_within(i, today, until)],
        comments=comments[:LISTED],
        more_comments=len(comments) > LISTED,
        planned=next_planned(playbook.id, today),
        feed_created_at=_feed_created_at(viewer.id, playbook.id),
    )


def past_huddles(playbook_id: int, page: int, per_page: int) -> Pagination:
    """Recorded huddles, newest first, with who came and who recorded them (three
    statements: the page, its total, the attendees)."""
    query = (
        select(Huddle)
        .where(Huddle.playbook_id == playbook_id, Huddle.recorded_at.is_not(None))
        .options(
            joinedload(Huddle.recorded_by).load_only(User.display_name),
            selectinload(Huddle.attendees)
            .joinedload(HuddleAttendee.user)
            .load_only(User.display_name),
        )
        .order_by(Huddle.held_on.desc(), Huddle.recorded_at.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def recent_huddles(playbook_id: int, limit: int = 12) -> list[Huddle]:
    """The latest recorded huddles for the print view (two statements)."""
    return list(past_huddles(playbook_id, 1, limit).items)
