"""Posting, editing, deleting and flagging comments. Services check, write and
commit; routes never do."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from flask import current_app, url_for
from sqlalchemy import CursorResult, exists, func, select, update

from playbook import sanitize, throttle
from playbook.extensions import db
from playbook.models import (
    Comment,
    CommentStatus,
    Decision,
    Flag,
    FlagReason,
    ModerationAction,
    NotificationKind,
    Playbook,
    TargetKind,
    User,
    utcnow,
)
from playbook.models.comment import CommentTarget
from playbook.notifications.services import notify
from playbook.permissions import Action, require
from playbook.throttle import Limit

BODY_MAX = 5000


class CommentError(Exception):
    """A comment cannot be saved as asked; the message says why, for the person."""


class TooSoon(CommentError):
    """A per-member limit is reached; nothing was saved."""


# --- trust ------------------------------------------------------------------


def approved_contributions(user: User) -> int:
    """How many of the person's comments and suggestions moderators approved (and
    did not take back)."""
    later = ModerationAction.__table__.alias("later")
    undone = exists().where(later.c.undoes_id == ModerationAction.id)
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ModerationAction)
            .where(
                ModerationAction.author_id == user.id,
                ModerationAction.decision == Decision.APPROVE,
                ~undone,
            )
        )
        or 0
    )


def is_trusted(user: User) -> bool:
    """Moderators, and members with enough approved contributions, publish at once;
    a member whose post was marked as spam never does until a moderator lifts it."""
    if user.is_moderator:
        return True
    if user.posts_held:
        return False
    needed: int = current_app.config["PLAYBOOK_TRUST_AFTER_APPROVALS"]
    return approved_contributions(user) >= needed


def _initial_status(author: User, target: CommentTarget | None) -> CommentStatus:
    """Team conversation on a playbook that is not public is the team's own and is
    never queued (moderators cannot read it); everything public follows the trust rule."""
    if isinstance(target, Playbook) and target.keeps_comments_in_team:
        return CommentStatus.PUBLISHED
    return CommentStatus.PUBLISHED if is_trusted(author) else CommentStatus.PENDING


# --- limits -----------------------------------------------------------------


def _comment_limits(author: User, trusted: bool) -> list[Limit]:
    config = current_app.config
    key = f"user:{author.id}"
    gap = config[
        "PLAYBOOK_COMMENT_GAP_SECONDS_TRUSTED" if trusted else "PLAYBOOK_COMMENT_GAP_SECONDS_NEW"
    ]
    limits = []
    if gap:
        limits.append(Limit("comment", key, 1, timedelta(seconds=gap)))
    if config["PLAYBOOK_COMMENTS_PER_HOUR"]:
        limits.append(
            Limit("comment", key, config["PLAYBOOK_COMMENTS_PER_HOUR"], timedelta(hours=1))
        )
    return limits


def check_limits(limits: list[Limit], what: str) -> None:
    """Refuse politely when a limit is reached; record the attempt otherwise."""
    wait = throttle.retry_after(limits)
    if wait is not None:
        raise TooSoon(
            f"You are {what} faster than we allow. Please wait {_describe(wait)} and try again; "
            "your text is still here."
        )
    # One attempt is one row per scope and key, however many limits (a gap and an
    # hourly cap) read it; a row per limit would count every comment twice.
    throttle.record_attempts(list({(limit.scope, limit.key): limit for limit in limits}.values()))


def _describe(wait: timedelta) -> str:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minutes"


def _refuse_repeat(author: User, body: str) -> None:
    minutes = current_app.config["PLAYBOOK_REPEAT_TEXT_MINUTES"]
    if not minutes:
        return
    since = utcnow() - timedelta(minutes=minutes)
    repeated = db.session.scalar(
        select(Comment.id)
        .where(
            Comment.author_id == author.id,
            Comment.body == body,
            Comment.created_at > since,
            Comment.deleted_at.is_(None),
        )
        .limit(1)
    )
    if repeated is not None:
        raise CommentError(
            f"You posted this same text in the last {minutes} minutes. "
            "Please change it if you meant to post it again."
        )


# --- posting ----------------------------------------------------------------


def _clean_body(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise CommentError("Write something before posting.")
    if len(body) > BODY_MAX:
        raise CommentError(f"A comment can be at most {BODY_MAX} characters.")
    return body


def target_page(comment: Comment, page: int = 1) -> str:
    """Where a comment is shown: its target's page (at page `page` of the thread),
    at the comment. Links kept for later (notifications) use the comment's permalink,
    comments.detail, which finds the page when it is followed."""
    endpoints = {
        TargetKind.PLAY: ("library.play_detail", "play_id"),
        TargetKind.RESOURCE: ("library.resource_detail", "resource_id"),
        TargetKind.COMPONENT: ("library.component_detail", "component_id"),
        TargetKind.PLAYBOOK: ("playbooks.detail", "playbook_id"),
    }
    endpoint, arg = endpoints[comment.target_kind]
    values: dict[str, Any] = {arg: comment.target_id, "comments": page if page > 1 else None}
    return url_for(endpoint, _anchor=f"comment-{comment.id}", **values)


def post_comment(
    author: User, kind: TargetKind, target: CommentTarget, body: str, parent: Comment | None = None
) -> Comment:
    """Post a comment (or a reply to a top-level comment) on `target`. New members'
    comments wait for a moderator; the status of the returned comment says which."""
    require(author, Action.COMMENT_POST, target)
    body = _clean_body(body)
    if parent is not None:
        if (
            parent.target_kind is not kind
            or parent.target_id != target.id
            or parent.parent_id is not None
        ):
            raise CommentError("You can only reply to a comment in this thread.")
        require(author, Action.COMMENT_VIEW, parent)
        if parent.is_deleted:
            raise CommentError("That comment was deleted, so it cannot take replies.")
    status = _initial_status(author, target)
    if not author.is_moderator:
        _refuse_repeat(author, body)
        check_limits(_comment_limits(author, status is CommentStatus.PUBLISHED), "posting")
    comment = Comment(
        author_id=author.id,
        target_kind=kind,
        parent_id=parent.id if parent else None,
        body=body,
        body_html=sanitize.render_markdown(body),
        status=status,
        **{kind.column: target.id},
    )
    db.session.add(comment)
    db.session.flush()
    if status is CommentStatus.PUBLISHED:
        announce_reply(comment, parent)
    db.session.commit()
    return comment


def announce_reply(comment: Comment, parent: Comment | None) -> None:
    """Tell the parent's author about a published reply (never about their own, and
    never while the reply still waits for a moderator)."""
    if parent is None or parent.author_id == comment.author_id or parent.is_deleted:
        return
    notify(
        parent.author,
        NotificationKind.REPLY,
        f"{comment.author.display_name} replied to your comment.",
        link=url_for("comments.detail", comment_id=comment.id),
        playbook_id=comment.playbook_id,
    )


def edit_comment(author: User, comment: Comment, body: str) -> Comment:
    """Change one's own comment. A member who would be held now goes back to the
    queue, so an approved comment cannot be turned into something else."""
    require(author, Action.COMMENT_EDIT, comment)
    body = _clean_body(body)
    if body == comment.body:
        return comment
    comment.body, comment.body_html, comment.edited_at = (
        body,
        sanitize.render_markdown(body),
        utcnow(),
    )
    if (
        comment.status is CommentStatus.PUBLISHED
        and _initial_status(author, comment.target) is CommentStatus.PENDING
    ):
        comment.status = CommentStatus.PENDING
    db.session.commit()
    return comment


def delete_comment(author: User, comment: Comment) -> None:
    """Delete one's own comment. Its text goes; a comment with replies leaves a
    placeholder so the replies keep their place."""
    require(author, Action.COMMENT_DELETE, comment)
    comment.deleted_at = utcnow()
    comment.body, comment.body_html = "", ""
    db.session.commit()


# --- flags ------------------------------------------------------------------


def flag_comment(user: User, comment: Comment, reason: FlagReason, note: str = "") -> bool:
    """Record the member's flag (once per member). True when this flag hid the
    comment because enough distinct members flagged it."""
    require(user, Action.COMMENT_FLAG, comment)
    already = db.session.scalar(
        select(Flag.id).where(Flag.comment_id == comment.id, Flag.user_id == user.id)
    )
    if already is not None:
        raise CommentError("You already flagged this comment; a moderator will look at it.")
    limit = current_app.config["PLAYBOOK_FLAGS_PER_HOUR"]
    if limit and not user.is_moderator:
        check_limits([Limit("flag", f"user:{user.id}", limit, timedelta(hours=1))], "flagging")
    db.session.add(
        Flag(
            comment_id=comment.id,
            user_id=user.id,
            reason=FlagReason(reason),
            note=(note or "")[:500],
        )
    )
    db.session.flush()
    open_flags = (
        db.session.scalar(
            select(func.count(func.distinct(Flag.user_id))).where(
                Flag.comment_id == comment.id, Flag.resolved_at.is_(None)
            )
        )
        or 0
    )
    hidden = False
    if open_flags >= current_app.config["PLAYBOOK_FLAGS_TO_HIDE"]:
        # Guarded, so that two last flags at once hide it once.
        result = cast(
            "CursorResult[Any]",
            db.session.execute(
                update(Comment)
                .where(Comment.id == comment.id, Comment.status == CommentStatus.PUBLISHED)
                .values(status=CommentStatus.HIDDEN)
            ),
        )
        hidden = result.rowcount == 1
    db.session.commit()
    return hidden
