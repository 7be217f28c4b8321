"""Reminders of items due soon and overdue, for their owners, in the app and by e-mail.

`send_due_reminders` is run by a periodic job (playbook/tasks.py). An item's owner is
reminded `User.reminder_days` days before its target date (or later, as long as the
date has not passed, should the job have missed its day) and once it is overdue (the
day after the date, or up to PLAYBOOK_REMINDER_CATCH_UP_DAYS later).

Each reminder goes out once: a row in `sent_reminder`, unique per item, kind and
target date, is written in the same transaction as the notification and its
e-mail, so a rerun, a second worker at the same moment or a worker that died before
committing never sends it twice. An item whose date moves gets a reminder for its
new date. Only open items of live playbooks whose owner is still in the team are
reminded; whoever turned a kind of e-mail off still sees it in the app (notify())."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, url_for
from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError

from playbook.extensions import db
from playbook.models import (
    Item,
    Membership,
    NotificationKind,
    Playbook,
    SentReminder,
    User,
)
from playbook.models.user import REMINDER_DAYS_MAX, REMINDER_DAYS_MIN
from playbook.notifications import services as notifications
from playbook.playbooks import schedule
from playbook.urls import site_links

BATCH = 200


@dataclass(frozen=True)
class Due:
    """A reminder to send: of `kind`, for the item's current target date."""

    kind: NotificationKind
    item_id: int
    target_date: date
    owner_id: int
    playbook_id: int
    playbook_title: str


def send_due_reminders(on: date | None = None) -> int:
    """Send every reminder due on `on` (today in the site's zone) that was not sent
    yet, each in a transaction of its own; returns how many this call sent."""
    on = on or schedule.today()
    sent = 0
    with site_links():  # also from `flask send-reminders`, where no request is
        while batch := due_reminders(on):
            done = sum(send_reminder(due, on) for due in batch)
            sent += done
            if not done:  # all taken by another run meanwhile; it sends the rest
                break
    return sent


def due_reminders(on: date, limit: int = BATCH) -> list[Due]:
    """Up to `limit` reminders of each kind due on `on` and not sent yet."""
    catch_up = timedelta(days=current_app.config["PLAYBOOK_REMINDER_CATCH_UP_DAYS"])
    found = []
    for kind, when in (
        (
            NotificationKind.ITEM_OVERDUE,
            and_(schedule.overdue_clause(on), Item.target_date >= on - catch_up),
        ),
        (NotificationKind.ITEM_DUE_SOON, _due_soon_clause(on)),
    ):
        rows = db.session.execute(_due_statement(kind, when).limit(limit)).all()
        found += [Due(kind, *row) for row in rows]
    db.session.rollback()  # end the read: each reminder commits on its own
    return found


def _due_soon_clause(on: date) -> ColumnElement[bool]:
    """schedule.due_within_clause up to each owner's own number of days (one date per
    possible number, so the same SQL works on every database)."""
    return and_(
        schedule.due_within_clause(on, on + timedelta(days=REMINDER_DAYS_MAX)),
        or_(
            *(
                and_(User.reminder_days == days, Item.target_date <= on + timedelta(days=days))
                for days in range(REMINDER_DAYS_MIN, REMINDER_DAYS_MAX + 1)
            )
        ),
    )


def _due_statement(kind: NotificationKind, when: ColumnElement[bool]) -> Select:
    """Items `when` picks whose reminder of this kind for this date was not sent: open
    (the clauses say so), in a live playbook, owned by an active member of its team."""
    still_member = exists().where(
        Membership.playbook_id == Item.playbook_id, Membership.user_id == Item.owner_id
    )
    sent = exists().where(
        SentReminder.item_id == Item.id,
        SentReminder.kind == kind,
        SentReminder.target_date == Item.target_date,
    )
    return (
        select(Item.id, Item.target_date, Item.owner_id, Playbook.id, Playbook.title)
        .join(Playbook, Playbook.id == Item.playbook_id)
        .join(User, User.id == Item.owner_id)
        .where(
            when,
            Playbook.deleted_at.is_(None),
            User.is_active_account.is_(True),
            still_member,
            ~sent,
        )
        .order_by(Item.id)
    )


def send_reminder(due: Due, on: date) -> bool:
    """Record and send one reminder, in one transaction; False when another run
    recorded it first, or the item changed since it was found (removed, done, given
    to someone else or moved to another date: the next run decides afresh)."""
    item, owner = db.session.get(Item, due.item_id), db.session.get(User, due.owner_id)
    if (
        item is None
        or owner is None
        or item.owner_id != owner.id
        or item.target_date != due.target_date
        or not schedule.is_open(item)
    ):
        db.session.rollback()
        return False
    db.session.add(
        SentReminder(
            item_id=due.item_id, kind=due.kind, target_date=due.target_date, user_id=owner.id
        )
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    message = _message(due.kind, item.display_title, due.playbook_title, due.target_date, on)
    notifications.notify(
        owner,
        due.kind,
        message,
        link=url_for(
            "playbooks.detail",
            playbook_id=due.playbook_id,
            _anchor=f"item-{due.item_id}",
            _external=False,  # a path on this site, as notifications keep them
        ),
        playbook_id=due.playbook_id,
        email_subject=message[:120],
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _message(kind: NotificationKind, title: str, playbook: str, target: date, on: date) -> str:
    when = f"{target:%A %-d %B %Y}"
    if kind is NotificationKind.ITEM_OVERDUE:
        return f"“{title}” in “{playbook}” is overdue: its target date was {when}."
    days = (target - on).days
    due = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
    return f"“{title}” in “{playbook}” is due {due} ({when})."
