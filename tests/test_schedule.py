"""The one definition of open, overdue and due soon, in Python and in SQL, and the
statement of a person's assigned items that My work, reminders and the digest share."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from playbook.extensions import db
from playbook.models import Item, ItemStatus, Membership, utcnow
from playbook.playbooks import schedule
from tests import factories

TODAY = date(2026, 12, 7)


def _item(owner, playbook_id, title, status=ItemStatus.PLANNED, target=None):
    item = factories.add_note(owner, playbook_id, title=title)
    item = db.session.get(Item, item.id)
    item.status = status
    item.target_date = target
    item.owner_id = owner.id
    db.session.commit()
    return item


@pytest.mark.parametrize(
    ("status", "offset", "overdue", "due_soon"),
    [
        (ItemStatus.PLANNED, -1, True, False),
        (ItemStatus.PILOTING, 0, False, True),
        (ItemStatus.IDEA, 14, False, True),
        (ItemStatus.IDEA, 15, False, False),
        (ItemStatus.ADOPTED, -3, False, False),
        (ItemStatus.RETIRED, 2, False, False),
        (ItemStatus.PLANNED, None, False, False),
    ],
)
def test_python_and_sql_forms_of_overdue_and_due_soon_agree(app, status, offset, overdue, due_soon):
    owner = factories.make_user()
    playbook = factories.make_playbook(owner)
    target = None if offset is None else TODAY + timedelta(days=offset)
    item = _item(owner, playbook.id, "Item", status, target)
    until = TODAY + timedelta(days=14)
    assert schedule.is_overdue(item, TODAY) is overdue
    assert schedule.is_due_within(item, TODAY, until) is due_soon
    in_sql = db.session.scalars(select(Item.id).where(schedule.overdue_clause(TODAY))).all()
    assert (item.id in in_sql) is overdue
    in_sql = db.session.scalars(
        select(Item.id).where(schedule.due_within_clause(TODAY, until))
    ).all()
    assert (item.id in in_sql) is due_soon


def test_assigned_items_come_overdue_first_then_by_date_and_undated_last(app):
    owner = factories.make_user()
    playbook = factories.make_playbook(owner)
    later = _item(owner, playbook.id, "Later", target=TODAY + timedelta(days=9))
    undated = _item(owner, playbook.id, "Undated")
    overdue = _item(owner, playbook.id, "Overdue", target=TODAY - timedelta(days=1))
    soon = _item(owner, playbook.id, "Soon", target=TODAY + timedelta(days=1))
    done = _item(owner, playbook.id, "Done", ItemStatus.ADOPTED, TODAY - timedelta(days=5))
    rows = db.session.execute(schedule.assigned_items_statement(owner.id, TODAY)).all()
    assert [item.id for item, _ in rows] == [overdue.id, done.id, soon.id, later.id, undated.id]


def test_assigned_items_leave_out_binned_playbooks_and_teams_the_person_left(app):
    owner = factories.make_user()
    helper = factories.make_user()
    kept = factories.make_playbook(owner, members=(helper,))
    left = factories.make_playbook(owner, members=(helper,))
    binned = factories.make_playbook(owner, members=(helper,))
    for playbook in (kept, left, binned):
        _item(helper, playbook.id, f"In {playbook.title}")
    db.session.execute(
        Membership.__table__.delete().where(
            Membership.playbook_id == left.id, Membership.user_id == helper.id
        )
    )
    factories.reload(binned.id).deleted_at = utcnow()
    db.session.commit()
    rows = db.session.execute(schedule.assigned_items_statement(helper.id, TODAY)).all()
    assert [playbook.id for _, playbook in rows] == [kept.id]


def test_today_follows_the_site_time_zone(app):
    app.config["PLAYBOOK_TIMEZONE"] = "Pacific/Kiritimati"  # UTC+14
    ahead = schedule.today()
    app.config["PLAYBOOK_TIMEZONE"] = "Pacific/Pago_Pago"  # UTC-11
    behind = schedule.today()
    assert (ahead - behind).days in (1, 2)
