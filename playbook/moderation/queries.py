"""What the moderation queue shows: tabs, filters, counts. Comments on playbooks
that are not public never appear here (moderators cannot read those)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import g, has_request_context, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, or_, select, union
from sqlalchemy.orm import aliased, selectinload

from playbook.extensions import db
from playbook.models import (
    Comment,
    CommentStatus,
    Flag,
    ModerationAction,
    ReasonTemplate,
    Submission,
    SubmissionStatus,
    TargetKind,
    User,
    utcnow,
)

TABS = ("pending", "flagged", "suggestions", "decided")
AGES = {
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}


@dataclass(frozen=True)
class QueueFilters:
    kind: str = ""  # a TargetKind value (comments) or ""
    age: str = ""  # a key of AGES: only items older than that
    author: str = ""  # part of the author's name or e-mail


def _hidden_or_openly_flagged():
    """Hidden comments and comments with an open flag, found from the status index and
    the (small) flag table rather than by checking every published comment for a flag."""
    return Comment.id.in_(
        union(
            select(Comment.id).where(Comment.status == CommentStatus.HIDDEN),
            select(Flag.comment_id).where(Flag.resolved_at.is_(None)),
        )
    )


def _pending_comments():
    return select(Comment).where(
        Comment.status == CommentStatus.PENDING,
        Comment.deleted_at.is_(None),
        Comment.open_to_moderators_clause(),
    )


def _flagged_comments():
    """Hidden comments, and published ones with an open flag."""
    return select(Comment).where(
        Comment.deleted_at.is_(None),
        Comment.open_to_moderators_clause(),
        Comment.status.in_([CommentStatus.HIDDEN, CommentStatus.PUBLISHED]),
        _hidden_or_openly_flagged(),
    )


def _pending_submissions():
    return select(Submission).where(Submission.status == SubmissionStatus.PENDING)


def counts() -> dict[str, int]:
    """Items waiting in each tab, in one statement (for the tabs and the navigation).
    Within a request the numbers are counted once: the queue page and the navigation
    badge ask for the same ones (every decision answers with a redirect)."""
    # The request's environ is this request's own (g may outlive it in tests).
    current = request.environ if has_request_context() else None
    cached = g.get("moderation_counts") if current is not None else None
    if cached is not None and cached[0] is current:
        return dict(cached[1])

    def count(query):
        return select(func.count()).select_from(query.subquery()).scalar_subquery()

    row = db.session.execute(
        select(
            count(_pending_comments()), count(_flagged_comments()), count(_pending_submissions())
        )
    ).one()
    result = {"pending": row[0], "flagged": row[1], "suggestions": row[2], "total": sum(row)}
    if current is not None:
        g.moderation_counts = (current, result)
    return dict(result)


def _waiting_since(model):
    """A revised suggestion waits from when it was sent again, not first sent."""
    return Submission.updated_at if model is Submission else model.created_at


def _filter(query, model, filters: QueueFilters):
    if filters.kind and model is Comment and filters.kind in {k.value for k in TargetKind}:
        query = query.where(Comment.target_kind == TargetKind(filters.kind))
    if filters.age in AGES:
        query = query.where(_waiting_since(model) <= utcnow() - AGES[filters.age])
    if filters.author:
        pattern = filters.author.strip().lower()
        author = aliased(User)
        query = query.join(author, author.id == model.author_id).where(
            or_(
                func.lower(author.display_name).contains(pattern, autoescape=True),
                func.lower(author.email).contains(pattern, autoescape=True),
            )
        )
    return query


def queue_page(tab: str, filters: QueueFilters, page: int, per_page: int) -> Pagination:
    """One page of a tab, oldest first (the decided tab: newest first)."""
    if tab == "decided":
        query = select(ModerationAction).order_by(ModerationAction.id.desc())
        if filters.age in AGES:
            query = query.where(ModerationAction.created_at <= utcnow() - AGES[filters.age])
        return db.paginate(query, page=page, per_page=per_page, error_out=False)
    if tab == "suggestions":
        query = _filter(_pending_submissions(), Submission, filters).options(
            selectinload(Submission.author)
        )
        return db.paginate(
            query.order_by(Submission.updated_at, Submission.id),
            page=page,
            per_page=per_page,
            error_out=False,
        )
    base = _flagged_comments() if tab == "flagged" else _pending_comments()
    targets = [selectinload(getattr(Comment, kind.value)) for kind in TargetKind]
    query = _filter(base, Comment, filters).options(selectinload(Comment.author), *targets)
    return db.paginate(
        query.order_by(Comment.created_at, Comment.id),
        page=page,
        per_page=per_page,
        error_out=False,
    )


def flags_for(comment_ids: list[int]) -> dict[int, list[Flag]]:
    """Open flags of the listed comments, with who raised them."""
    if not comment_ids:
        return {}
    result: dict[int, list[Flag]] = {}
    for flag in db.session.scalars(
        select(Flag)
        .options(selectinload(Flag.user))
        .where(Flag.comment_id.in_(comment_ids), Flag.resolved_at.is_(None))
        .order_by(Flag.id)
    ):
        result.setdefault(flag.comment_id, []).append(flag)
    return result


def decided_details(actions: list[ModerationAction]) -> tuple[dict[int, str], set[int]]:
    """Names of the moderators and authors in a page of the log, and which of its
    decisions are still the latest word on their subject (each action's is_latest is
    set to match, for the undo rule)."""
    ids = {a.moderator_id for a in actions} | {a.author_id for a in actions}
    names = (
        dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    subjects = {(a.subject_kind, a.subject_id) for a in actions}
    latest: set[int] = set()
    if subjects:
        newest = (
            select(func.max(ModerationAction.id))
            .where(
                or_(
                    *[
                        (ModerationAction.subject_kind == k) & (ModerationAction.subject_id == i)
                        for k, i in subjects
                    ]
                )
            )
            .group_by(ModerationAction.subject_kind, ModerationAction.subject_id)
        )
        latest = set(db.session.scalars(newest))
    for action in actions:
        action.is_latest = action.id in latest
    return names, latest


def reason_templates() -> list[ReasonTemplate]:
    return list(db.session.scalars(select(ReasonTemplate).order_by(ReasonTemplate.title)))
