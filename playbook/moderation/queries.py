"""What the moderation queue shows: tabs, filters, counts. Comments on playbooks
that are not public never appear here (moderators cannot read those)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from flask import current_app, g, has_request_context, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Row, bindparam, func, or_, select, union
from sqlalchemy.orm import aliased

from playbook import pagecache
from playbook.extensions import db
from playbook.models import (
    Comment,
    CommentStatus,
    Component,
    Flag,
    ModerationAction,
    Play,
    Playbook,
    ReasonTemplate,
    Resource,
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


def _open_to_moderators():
    """Not deleted, and not in a team's own conversation (moderators cannot read it)."""
    return (Comment.deleted_at.is_(None), Comment.open_to_moderators_clause())


def _open_flags():
    """The comments with an open flag (ix_flag_open)."""
    return select(Flag.comment_id).where(Flag.resolved_at.is_(None))


def _flagged_clause():
    """Hidden comments, and published ones with an open flag: both found through
    ix_comment_status_id (the second looked up by id from the open flags), never by
    walking every published comment or reading the comments' table."""
    flagged = aliased(Comment)
    return Comment.id.in_(
        union(
            select(flagged.id).where(flagged.status == CommentStatus.HIDDEN),
            select(flagged.id).where(
                flagged.status == CommentStatus.PUBLISHED, flagged.id.in_(_open_flags())
            ),
        )
    )


def _pending_comments():
    return select(Comment).where(Comment.status == CommentStatus.PENDING, *_open_to_moderators())


def _flagged_comments():
    """Hidden comments, and published ones with an open flag."""
    return select(Comment).where(_flagged_clause(), *_open_to_moderators())


def _pending_submissions():
    return select(Submission).where(Submission.status == SubmissionStatus.PENDING)


def _count_comments(status: CommentStatus):
    """How many comments of `status` the queue shows, read from a status index alone
    (both hold deleted_at and playbook_id)."""
    return (
        select(func.count())
        .select_from(Comment)
        .where(Comment.status == status, *_open_to_moderators())
        .scalar_subquery()
    )


def _count_flagged_published():
    """Published comments with an open flag: the open flags (ix_flag_open), each
    comment looked up by status and id in ix_comment_status_id, never in the table."""
    return (
        select(func.count())
        .select_from(Comment)
        .where(
            Comment.status == CommentStatus.PUBLISHED,
            Comment.id.in_(_open_flags()),
            *_open_to_moderators(),
        )
        .scalar_subquery()
    )


@cache
def _counts_statement():
    """The counts' one statement, built once (it depends on nothing but the schema).
    The flagged tab is counted as its two disjoint parts: hidden comments, and
    published ones with an open flag (the rows of _flagged_comments(), more cheaply)."""
    return select(
        _count_comments(CommentStatus.PENDING),
        _count_comments(CommentStatus.HIDDEN),
        _count_flagged_published(),
        select(func.count()).select_from(_pending_submissions().subquery()).scalar_subquery(),
    )


def counts() -> dict[str, int]:
    """Items waiting in each tab, in one statement (for the tabs and the navigation).
    Within a request the numbers are counted once: the queue page and the navigation
    badge ask for the same ones (every decision answers with a redirect)."""
    # The request's environ is this request's own (g may outlive it in tests).
    current = request.environ if has_request_context() else None
    cached = g.get("moderation_counts") if current is not None else None
    if cached is not None and cached[0] is current:
        return dict(cached[1])

    # Kept in this worker while the queue's fingerprint holds: the statement reads
    # thousands of index entries, and every moderator page shows the total.
    cache = current_app.extensions.get("page_cache")
    fingerprint = queue_fingerprint() if cache is not None else None
    kept = cache.get(COUNTS_KEY, fingerprint) if cache and fingerprint is not None else None
    if kept is not None:
        result = json.loads(kept.body)
    else:
        pending, hidden, flagged_published, suggestions = db.session.execute(
            _counts_statement()
        ).one()
        flagged = hidden + flagged_published
        result = {
            "pending": pending,
            "flagged": flagged,
            "suggestions": suggestions,
            "total": pending + flagged + suggestions,
        }
        if cache and fingerprint is not None:
            cache.put(COUNTS_KEY, fingerprint, json.dumps(result).encode(), "application/json")
    if current is not None:
        g.moderation_counts = (current, result)
    return dict(result)


COUNTS_KEY = "moderation-counts"


def queue_fingerprint() -> pagecache.Fingerprint:
    """What the queue's counts and its kept page body are checked against: every write
    that changes what the pending, flagged or suggestion tabs show records the
    moderation scope (playbook.pagecache), and library titles name comments' targets.
    One statement, read once per request (like counts())."""
    current = request.environ if has_request_context() else None
    kept = g.get("moderation_fingerprint") if current is not None else None
    if kept is not None and kept[0] is current:
        return kept[1]
    fingerprint = pagecache.fingerprint({pagecache.ALL, pagecache.LIBRARY, pagecache.MODERATION})
    if current is not None:
        g.moderation_fingerprint = (current, fingerprint)
    return fingerprint


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


class RowsPagination(Pagination):
    """A page of plain rows rather than ORM objects (Flask-SQLAlchemy's own keeps only
    each row's first column): `page_rows(limit, offset)` gives the page's statement.
    Its total is given when the caller already knows it (a tab's count), and counted
    from `count_select` otherwise."""

    def _query_items(self) -> list[Any]:
        query = self._query_args["page_rows"](self.per_page, self._query_offset)
        return list(db.session.execute(query).all())

    def _query_count(self) -> int:
        total: int | None = self._query_args["total"]
        if total is None:
            counted = self._query_args["count_select"].subquery()
            total = db.session.execute(select(func.count()).select_from(counted)).scalar_one()
        return total


@cache
def _comment_rows():
    """What a comment row shows: the comment, its author and the title of what it
    hangs on (a component's is its name), as plain rows. The comment is an alias, so
    the tab's own query (on Comment) stays a subquery of its own; so is the target
    playbook, as open_to_moderators_clause() correlates on Playbook."""
    shown, target_playbook = aliased(Comment), aliased(Playbook)
    title = func.coalesce(Play.title, Resource.title, Component.name, target_playbook.title)
    rows = (
        select(
            shown.id,
            shown.created_at,
            shown.status,
            shown.target_kind,
            shown.body_html,
            User.display_name.label("author_name"),
            User.email.label("author_email"),
            title.label("target_title"),
        )
        .join(User, User.id == shown.author_id)
        .outerjoin(Play, Play.id == shown.play_id)
        .outerjoin(Resource, Resource.id == shown.resource_id)
        .outerjoin(Component, Component.id == shown.component_id)
        .outerjoin(target_playbook, target_playbook.id == shown.playbook_id)
        .order_by(shown.created_at, shown.id)
    )
    return shown, rows


def _comment_page(base, limit: int, offset: int):
    """One statement in two steps: the page's ids from the tab's query (its indexes
    only, sorted before anything is joined), then what those few rows show."""
    shown, rows = _comment_rows()
    ids = (
        base.with_only_columns(Comment.id)
        .order_by(Comment.created_at, Comment.id)
        .limit(limit)
        .offset(offset)
    )
    return rows.where(shown.id.in_(ids))


def _submission_rows(base):
    """What a suggestion row shows, with its author, as plain rows."""
    return (
        base.with_only_columns(
            Submission.id,
            Submission.updated_at,
            Submission.title,
            Submission.resource_type,
            Submission.organization,
            Submission.url,
            Submission.description,
            Submission.why_use_it,
            Submission.times_submitted,
            User.display_name.label("author_name"),
            User.email.label("author_email"),
        )
        .join(User, User.id == Submission.author_id)
        .order_by(Submission.updated_at, Submission.id)
    )


def _tab_queries(tab: str, filters: QueueFilters):
    """A comment or suggestion tab's query (what its count counts) and the function
    that gives one page of its rows."""
    if tab == "suggestions":
        base = _filter(_pending_submissions(), Submission, filters)
        rows = _submission_rows(base)
        return base, lambda limit, offset: rows.limit(limit).offset(offset)
    model_query = _flagged_comments() if tab == "flagged" else _pending_comments()
    base = _filter(model_query, Comment, filters)
    return base, lambda limit, offset: _comment_page(base, limit, offset)


@cache
def _unfiltered_tab_queries(tab: str):
    """_tab_queries() without filters, built once per tab (a filter may depend on the
    time, so filtered queries are built for each request)."""
    return _tab_queries(tab, QueueFilters())


def queue_page(tab: str, filters: QueueFilters, page: int, per_page: int) -> Pagination:
    """One page of a comment or suggestion tab, oldest first, as plain rows; unfiltered,
    its total is the tab's count."""
    unfiltered = filters == QueueFilters()
    base, page_rows = _unfiltered_tab_queries(tab) if unfiltered else _tab_queries(tab, filters)
    return RowsPagination(
        page=page,
        per_page=per_page,
        max_per_page=None,
        error_out=False,
        page_rows=page_rows,
        count_select=base,
        total=counts()[tab] if unfiltered else None,
    )


@cache
def _flags_statement():
    """Open flags of some comments with who raised them, as plain rows (built once)."""
    return (
        select(Flag.comment_id, Flag.reason, Flag.note, User.display_name.label("user_name"))
        .join(User, User.id == Flag.user_id)
        .where(
            Flag.comment_id.in_(bindparam("comment_ids", expanding=True)),
            Flag.resolved_at.is_(None),
        )
        .order_by(Flag.id)
    )


def flags_for(comment_ids: list[int]) -> dict[int, list[Row]]:
    """Open flags of the listed comments (reason, note, user_name), oldest first."""
    if not comment_ids:
        return {}
    result: dict[int, list[Row]] = {}
    for flag in db.session.execute(_flags_statement(), {"comment_ids": comment_ids}):
        result.setdefault(flag.comment_id, []).append(flag)
    return result


@cache
def _decided_rows():
    """The log, newest first, with the names of each decision's moderator and author
    and whether it is still the latest word on its subject (the newest decision on it,
    found through ix_moderation_action_subject)."""
    moderator, author, later = aliased(User), aliased(User), aliased(ModerationAction)
    newest = (
        select(func.max(later.id))
        .where(
            later.subject_kind == ModerationAction.subject_kind,
            later.subject_id == ModerationAction.subject_id,
        )
        .scalar_subquery()
    )
    return (
        select(
            ModerationAction,
            moderator.display_name,
            author.display_name,
            (newest == ModerationAction.id).label("is_latest"),
        )
        .outerjoin(moderator, moderator.id == ModerationAction.moderator_id)
        .outerjoin(author, author.id == ModerationAction.author_id)
        .order_by(ModerationAction.id.desc())
    )


def decided_page(
    filters: QueueFilters, page: int, per_page: int
) -> tuple[Pagination, dict[int, str]]:
    """One page of the log, newest first, and the names of the moderators and authors
    in it (by user id; a deleted user has none). Each decision's is_latest is set, for
    the undo rule."""
    rows, logged = _decided_rows(), select(ModerationAction.id)
    if filters.age in AGES:
        older = ModerationAction.created_at <= utcnow() - AGES[filters.age]
        rows, logged = rows.where(older), logged.where(older)
    pagination = RowsPagination(
        page=page,
        per_page=per_page,
        max_per_page=None,
        error_out=False,
        page_rows=lambda limit, offset: rows.limit(limit).offset(offset),
        count_select=logged,
        total=None,
    )
    names: dict[int, str] = {}
    actions = []
    for action, moderator_name, author_name, is_latest in pagination.items:
        action.is_latest = bool(is_latest)
        for user_id, name in (
            (action.moderator_id, moderator_name),
            (action.author_id, author_name),
        ):
            if name is not None:
                names[user_id] = name
        actions.append(action)
    pagination.items = actions
    return pagination, names


def reason_templates() -> list[ReasonTemplate]:
    return list(db.session.scalars(select(ReasonTemplate).order_by(ReasonTemplate.title)))
