"""What My work shows: a page of the person's items, in a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from playbook.extensions import db
from playbook.models import Item, Playbook, Section, User
from playbook.playbooks import schedule


@dataclass(frozen=True)
class Row:
    """One item on My work, with what the page says of its date."""

    item: Item
    playbook: Playbook
    section: Section
    overdue: bool
    days: int | None  # target date minus today (negative when past), None without a date


def my_items(
    user: User, on: date, page: int = 1, per_page: int = 50
) -> tuple[Pagination, list[Row]]:
    """A page of the items assigned to `user` (schedule.assigned_items_statement's
    people, playbooks and order), with their sections, playbooks and teams (for the
    edit rule) and what they point at (for their titles), and the total: the same
    statements whatever the number of items (tests/test_work.py counts them)."""
    statement = (
        schedule.assigned_items_statement(user.id, on)
        .with_only_columns(Item)
        .options(
            selectinload(Item.section)
            .selectinload(Section.playbook)
            .selectinload(Playbook.memberships),
            selectinload(Item.play),
            selectinload(Item.resource),
            selectinload(Item.component),
        )
    )
    items = db.paginate(statement, page=page, per_page=per_page, error_out=False)
    rows = [
        Row(
            item=item,
            playbook=item.section.playbook,
            section=item.section,
            overdue=schedule.is_overdue(item, on),
            days=(item.target_date - on).days if item.target_date else None,
        )
        for item in items.items
    ]
    return items, rows
