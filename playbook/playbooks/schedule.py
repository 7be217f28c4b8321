"""When an item is due: the one place for "open", "overdue" and "due soon", and the
statements of dated items that My work, reminders, the huddle agenda, calendar feeds
and the digest share.

Dates are calendar days in the site's time zone (`PLAYBOOK_TIMEZONE`, default UTC): a
target date is a day, not an instant, so "today" is the only thing that needs a zone.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, case, select

from playbook.models import Item, ItemStatus, Membership, Playbook

# Statuses that still call for work: an adopted or retired item is never overdue.
OPEN_STATUSES = (ItemStatus.IDEA, ItemStatus.PLANNED, ItemStatus.PILOTING)


def site_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("PLAYBOOK_TIMEZONE") or "UTC")


def today() -> date:
    """Today's date in the site's time zone."""
    return datetime.now(site_zone()).date()


def is_open(item: Item) -> bool:
    return item.status in OPEN_STATUSES


def is_overdue(item: Item, on: date) -> bool:
    """Open, with a target date before `on`."""
    return is_open(item) and item.target_date is not None and item.target_date < on


def is_due_within(item: Item, on: date, until: date) -> bool:
    """Open, with a target date from `on` to `until`, both included."""
    return is_open(item) and item.target_date is not None and on <= item.target_date <= until


def open_clause() -> ColumnElement[bool]:
    """is_open in SQL."""
    return Item.status.in_(OPEN_STATUSES)


def overdue_clause(on: date) -> ColumnElement[bool]:
    """is_overdue in SQL."""
    return and_(open_clause(), Item.target_date.is_not(None), Item.target_date < on)


def due_within_clause(on: date, until: date) -> ColumnElement[bool]:
    """is_due_within in SQL."""
    return and_(open_clause(), Item.target_date.is_not(None), Item.target_date.between(on, until))


def assigned_items_statement(user_id: int, on: date) -> Select[Item, Playbook]:
    """Every item assigned to the person in the live playbooks they are still a member
    of, with its playbook: overdue first, then by target date (undated last), then by
    playbook and title. Whoever is no longer in the team no longer sees its items."""
    member_of = select(Membership.playbook_id).where(Membership.user_id == user_id)
    return (
        select(Item, Playbook)
        .join(Playbook, Playbook.id == Item.playbook_id)
        .where(
            Item.owner_id == user_id,
            Playbook.deleted_at.is_(None),
            Playbook.id.in_(member_of),
        )
        .order_by(
            case((overdue_clause(on), 0), else_=1),
            Item.target_date.is_(None),
            Item.target_date,
            Playbook.title,
            Item.title,
            Item.id,
        )
    )


def dated_items_statement(playbook_id: int) -> Select[Item]:
    """A playbook's items that have a target date, by date."""
    return (
        select(Item)
        .where(Item.playbook_id == playbook_id, Item.target_date.is_not(None))
        .order_by(Item.target_date, Item.id)
    )
