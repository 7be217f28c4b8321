"""Reading comments: a page of a thread in one statement, and a member's own contributions."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased, contains_eager, selectinload

from playbook.extensions import db
from playbook.models import Comment, Submission, TargetKind, User
from playbook.permissions import Actor, CommentAudience, comment_audience, comment_visible_clause


@dataclass
class Thread:
    kind: TargetKind
    target_id: int
    page: int
    has_next: bool
    comments: list[Comment] = field(default_factory=list)
    replies: dict[int, list[Comment]] = field(default_factory=dict)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def is_empty(self) -> bool:
        return not self.comments

    @property
    def all_comments(self) -> list[Comment]:
        """The comments of this page and their replies."""
        return [*self.comments, *(r for replies in self.replies.values() for r in replies)]


def _visible_to(viewer: Actor, model: type[Comment] = Comment) -> ColumnElement[bool]:
    """The comments `viewer` may see (permissions.comment_is_visible, in SQL)."""
    audience = comment_audience(viewer)
    return comment_visible_clause(audience, viewer.id, model)


def _keeps_place(viewer):
    """A deleted comment takes a place on a page only as the placeholder of replies
    the viewer can see; otherwise a page (or the last one) could come out empty."""
    reply = aliased(Comment)
    return or_(
        Comment.deleted_at.is_(None),
        exists().where(
            reply.parent_id == Comment.id, reply.deleted_at.is_(None), _visible_to(viewer, reply)
        ),
    )


def page_of(comment: Comment, viewer: Actor, per_page: int | None = None) -> int:
    """The page of its thread on which `viewer` finds the comment (a reply is on
    its parent's page), counted as load_thread pages the thread, in one statement."""
    per_page = per_page or current_app.config["PLAYBOOK_COMMENTS_PER_PAGE"]
    top = comment.parent if comment.parent is not None else comment
    earlier = or_(
        Comment.created_at < top.created_at,
        and_(Comment.created_at == top.created_at, Comment.id < top.id),
    )
    before = (
        db.session.scalar(
            select(func.count())
            .select_from(Comment)
            .where(
                getattr(Comment, top.target_kind.column) == top.target_id,
                Comment.parent_id.is_(None),
                _visible_to(viewer),
                _keeps_place(viewer),
                earlier,
            )
        )
        or 0
    )
    return before // per_page + 1


def _visible_for(audience: CommentAudience, model: type[Comment] = Comment) -> ColumnElement[bool]:
    """_visible_to with the viewer's id as the bound parameter viewer_id."""
    return comment_visible_clause(audience, bindparam("viewer_id", type_=Integer), model)


@cache
def _thread_statement(kind: TargetKind, audience: CommentAudience):
    """The statement behind load_thread for one kind of target and one audience,
    built once per process (building it costs more than running it); the target,
    viewer, limit and offset are bound parameters."""
    target_column = getattr(Comment, kind.column)
    visible = _visible_for(audience)
    reply = aliased(Comment)
    keeps_place = or_(
        Comment.deleted_at.is_(None),
        exists().where(
            reply.parent_id == Comment.id, reply.deleted_at.is_(None), _visible_for(audience, reply)
        ),
    )
    top = (
        select(Comment.id)
        .where(
            target_column == bindparam("target_id"),
            Comment.parent_id.is_(None),
            visible,
            keeps_place,
        )
        .order_by(Comment.created_at, Comment.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .scalar_subquery()
    )
    return (
        select(Comment)
        .join(Comment.author)
        .options(contains_eager(Comment.author))
        .where(
            target_column == bindparam("target_id"),
            visible,
            or_(Comment.id.in_(top), Comment.parent_id.in_(top)),
        )
        .order_by(Comment.created_at, Comment.id)
    )


def load_thread(
    kind: TargetKind, target_id: int, viewer, page: int = 1, per_page: int | None = None
) -> Thread:
    """One page of top-level comments (oldest first) with all their replies and
    authors, in a single statement. Deleted comments stay only as placeholders for
    replies someone can still see."""
    per_page = per_page or current_app.config["PLAYBOOK_COMMENTS_PER_PAGE"]
    page = max(1, page)
    audience = comment_audience(viewer)
    params = {"target_id": target_id, "limit": per_page + 1, "offset": (page - 1) * per_page}
    if audience is CommentAudience.MEMBER:
        params["viewer_id"] = viewer.id
    rows = db.session.scalars(_thread_statement(kind, audience), params).unique().all()
    tops = [c for c in rows if c.parent_id is None]
    thread = Thread(kind, target_id, page, has_next=len(tops) > per_page)
    tops = tops[:per_page]
    kept = {c.id for c in tops}
    for comment in rows:
        if comment.parent_id in kept and not comment.is_deleted:
            thread.replies.setdefault(comment.parent_id, []).append(comment)
    thread.comments = [c for c in tops if not c.is_deleted or thread.replies.get(c.id)]
    return thread


@dataclass
class Contribution:
    kind: str  # "comment" or "suggestion"
    item: Comment | Submission


def my_contributions(
    user: User, page: int = 1, per_page: int = 30
) -> tuple[list[Contribution], bool]:
    """The member's comments and suggestions, newest first, in every state; and
    whether there is a next page. Two statements whatever the numbers."""
    page = max(1, page)
    comments = select(
        Comment.id.label("id"), literal("comment").label("kind"), Comment.created_at.label("at")
    ).where(Comment.author_id == user.id, Comment.deleted_at.is_(None))
    submissions = select(
        Submission.id.label("id"),
        literal("suggestion").label("kind"),
        Submission.updated_at.label("at"),
    ).where(Submission.author_id == user.id)
    both = union_all(comments, submissions).subquery()
    keys = db.session.execute(
        select(both.c.id, both.c.kind)
        .order_by(both.c.at.desc(), both.c.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    has_next = len(keys) > per_page
    keys = keys[:per_page]
    comment_ids = [i for i, k in keys if k == "comment"]
    submission_ids = [i for i, k in keys if k == "suggestion"]
    loaded: dict[tuple[str, int], Comment | Submission] = {}
    if comment_ids:
        targets = [selectinload(getattr(Comment, kind.value)) for kind in TargetKind]
        loaded.update(
            (("comment", c.id), c)
            for c in db.session.scalars(
                select(Comment).options(*targets).where(Comment.id.in_(comment_ids))
            )
        )
    if submission_ids:
        loaded.update(
            (("suggestion", s.id), s)
            for s in db.session.scalars(select(Submission).where(Submission.id.in_(submission_ids)))
        )
    return [Contribution(k, loaded[(k, i)]) for i, k in keys if (k, i) in loaded], has_next
