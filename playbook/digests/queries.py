"""What one person's digest reads: each a fixed number of statements, whatever the
size of the site, and each bounded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from playbook.extensions import db
from playbook.models import (
    Comment,
    CommentStatus,
    Component,
    DigestMode,
    DigestSubscription,
    Item,
    Membership,
    Play,
    Playbook,
    Resource,
    Revision,
    User,
)
from playbook.permissions import Action, can, comment_audience, comment_visible_clause
from playbook.playbooks import schedule

LATEST_CHANGES = 3  # summaries shown per playbook, newest first
MAX_PLAYBOOKS = 20
MAX_COMMENTS = 20
MAX_ITEMS = 20
MAX_LIBRARY = 10
DUE_SOON_DAYS = 7


@dataclass
class Change:
    summary: str
    who: str
    at: datetime


@dataclass
class PlaybookChanges:
    playbook_id: int
    title: str
    count: int
    latest: list[Change] = field(default_factory=list)


def due_user_ids(week: str, limit: int) -> list[int]:
    """Active people whose digest is on and who have not had this week's yet, by id."""
    return list(
        db.session.scalars(
            select(User.id)
            .outerjoin(DigestSubscription, DigestSubscription.user_id == User.id)
            .where(
                User.is_active_account.is_(True),
                or_(DigestSubscription.mode.is_(None), DigestSubscription.mode != DigestMode.OFF),
                or_(DigestSubscription.last_week.is_(None), DigestSubscription.last_week != week),
            )
            .order_by(User.id)
            .limit(limit)
        )
    )


def _member_of(user_id: int):
    return select(Membership.playbook_id).where(Membership.user_id == user_id)


def playbook_changes(user_id: int, since: datetime, until: datetime) -> list[PlaybookChanges]:
    """Per live playbook the person is a member of, the changes others saved in the
    period: how many, and the latest few with who saved them. Two statements."""
    others = or_(Revision.actor_id.is_(None), Revision.actor_id != user_id)
    period = (
        Revision.playbook_id.in_(_member_of(user_id)),
        Revision.created_at > since,
        Revision.created_at <= until,
        others,
    )
    counts = db.session.execute(
        select(Playbook.id, Playbook.title, func.count(Revision.id))
        .join(Revision, Revision.playbook_id == Playbook.id)
        .where(Playbook.deleted_at.is_(None), *period)
        .group_by(Playbook.id, Playbook.title)
        .order_by(Playbook.title, Playbook.id)
        .limit(MAX_PLAYBOOKS)
    ).all()
    if not counts:
        return []
    changes = {pid: PlaybookChanges(pid, title, count) for pid, title, count in counts}
    rank = (
        func.row_number()
        .over(partition_by=Revision.playbook_id, order_by=Revision.number.desc())
        .label("rank")
    )
    ranked = (
        select(Revision.playbook_id, Revision.summary, Revision.actor_id, Revision.created_at, rank)
        .where(Revision.playbook_id.in_(list(changes)), *period)
        .subquery()
    )
    rows = db.session.execute(
        select(ranked.c.playbook_id, ranked.c.summary, User.display_name, ranked.c.created_at)
        .outerjoin(User, User.id == ranked.c.actor_id)
        .where(ranked.c.rank <= LATEST_CHANGES)
        .order_by(ranked.c.playbook_id, ranked.c.rank)
    ).all()
    for playbook_id, summary, who, at in rows:
        changes[playbook_id].latest.append(Change(summary, who or "Someone", at))
    return list(changes.values())


def unseen_comments(user: User, since: datetime, until: datetime) -> list[Comment]:
    """Comments others posted in the period in threads on the person's playbooks, and
    replies to the person's own comments anywhere, that the person may read: published
    (never pending, hidden or rejected), not deleted, where they may still read the
    thread. Newest first. One statement, plus the loads of what they hang on."""
    own = select(Comment.id).where(Comment.author_id == user.id).scalar_subquery()
    candidates = db.session.scalars(
        select(Comment)
        .where(
            Comment.created_at > since,
            Comment.created_at <= until,
            Comment.author_id != user.id,
            Comment.deleted_at.is_(None),
            Comment.status == CommentStatus.PUBLISHED,
            comment_visible_clause(comment_audience(user), user.id),
            or_(Comment.playbook_id.in_(_member_of(user.id)), Comment.parent_id.in_(own)),
        )
        .options(
            joinedload(Comment.author),
            joinedload(Comment.play),
            joinedload(Comment.resource),
            joinedload(Comment.component).joinedload(Component.framework),
            joinedload(Comment.playbook).selectinload(Playbook.memberships),
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(MAX_COMMENTS * 2)
    ).all()
    # The same rule the thread's page applies (the library entry retired, the person
    # no longer in the team: not shown).
    return [c for c in candidates if can(user, Action.COMMENT_VIEW, c)][:MAX_COMMENTS]


def items_due(
    user_id: int, on: date
) -> tuple[list[tuple[Item, Playbook]], list[tuple[Item, Playbook]]]:
    """(overdue, due within DUE_SOON_DAYS) of the items assigned to the person, as
    schedule.py defines them. One statement."""
    until = on + timedelta(days=DUE_SOON_DAYS)
    rows = db.session.execute(
        schedule.assigned_items_statement(user_id, on)
        .where(or_(schedule.overdue_clause(on), schedule.due_within_clause(on, until)))
        # What display_title reads, loaded with the items rather than one by one.
        .options(joinedload(Item.play), joinedload(Item.resource), joinedload(Item.component))
        .limit(MAX_ITEMS)
    ).all()
    overdue = [(item, pb) for item, pb in rows if schedule.is_overdue(item, on)]
    soon = [(item, pb) for item, pb in rows if not schedule.is_overdue(item, on)]
    return overdue, soon


def new_plays(since: datetime, until: datetime) -> list[Play]:
    """Plays added to the library in the period and not retired (Play.is_retired)."""
    return list(
        db.session.scalars(
            select(Play)
            .where(Play.created_at > since, Play.created_at <= until, Play.retired_at.is_(None))
            .order_by(Play.created_at.desc(), Play.id.desc())
            .limit(MAX_LIBRARY)
        )
    )


def new_resources(since: datetime, until: datetime) -> list[Resource]:
    """Resources added to the library in the period and not retired (Resource.is_retired)."""
    return list(
        db.session.scalars(
            select(Resource)
            .where(
                Resource.created_at > since,
                Resource.created_at <= until,
                Resource.retired_at.is_(None),
            )
            .order_by(Resource.created_at.desc(), Resource.id.desc())
            .limit(MAX_LIBRARY)
        )
    )
