"""Moderators' decisions on comments and resource suggestions, one at a time or in
bulk. Every decision is a guarded update (two moderators deciding the same item at
once produce one decision), one append-only log row and a notification."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from flask import url_for
from sqlalchemy import CursorResult, Executable, exists, select, update
from sqlalchemy.orm import aliased

from playbook import sanitize
from playbook.comments.services import announce_reply
from playbook.comments.suggestions import apply_submission_fields, submission_fields
from playbook.extensions import db
from playbook.library import services as library_services
from playbook.models import (
    Comment,
    CommentStatus,
    Decision,
    Flag,
    ModerationAction,
    NotificationKind,
    ReasonTemplate,
    Resource,
    SubjectKind,
    Submission,
    SubmissionStatus,
    User,
    utcnow,
)
from playbook.notifications.services import notify
from playbook.permissions import Action, can, require

SPAM_REASON = "Marked as spam."


def _rowcount(statement: Executable) -> int:
    """Run an UPDATE and say how many rows it changed."""
    return cast("CursorResult[Any]", db.session.execute(statement)).rowcount


class ModerationError(Exception):
    """The decision cannot be made as asked; the message says why."""


@dataclass
class Outcome:
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def parse_subject(value: str) -> tuple[SubjectKind, int] | None:
    """'comment:12' or 'submission:5' from a form; None for anything else."""
    kind, _, number = (value or "").partition(":")
    if (
        kind not in {k.value for k in SubjectKind}
        or not number.isdigit()
        or not 0 < int(number) < 2**31
    ):
        return None
    return SubjectKind(kind), int(number)


def _who_decided(kind: SubjectKind, subject_id: int) -> str:
    row = db.session.execute(
        select(ModerationAction, User.display_name)
        .join(User, User.id == ModerationAction.moderator_id)
        .where(ModerationAction.subject_kind == kind, ModerationAction.subject_id == subject_id)
        .order_by(ModerationAction.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return "it changed in the meantime"
    action, name = row
    return f"{name} already {action.decision.label.lower()} it"


def _log(
    moderator: User,
    author_id: int,
    kind: SubjectKind,
    subject_id: int,
    decision: Decision,
    from_status: str,
    to_status: str,
    reason: str,
    summary: str,
    undoes_id: int | None = None,
) -> ModerationAction:
    action = ModerationAction(
        moderator_id=moderator.id,
        author_id=author_id,
        subject_kind=kind,
        subject_id=subject_id,
        decision=decision,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:1000],
        summary=summary[:300],
        undoes_id=undoes_id,
    )
    db.session.add(action)
    return action


def _summary(comment: Comment) -> str:
    text = sanitize.plain_text(comment.body) if comment.body else "(deleted)"
    return text[:120] + ("…" if len(text) > 120 else "")


# --- comments ---------------------------------------------------------------

_COMMENT_TARGETS = {
    Decision.APPROVE: CommentStatus.PUBLISHED,
    Decision.REJECT: CommentStatus.REJECTED,
    Decision.SPAM: CommentStatus.REJECTED,
}


def _decide_comment(
    moderator: User, comment: Comment, decision: Decision, reason: str, outcome: Outcome
) -> None:
    label = f"Comment by {comment.author.display_name}"
    before = comment.status
    if comment.is_team_only:
        outcome.skipped.append(f"{label}: it is on a playbook that is no longer public.")
        return
    after = _COMMENT_TARGETS[decision]
    open_flags = exists().where(Flag.comment_id == comment.id, Flag.resolved_at.is_(None))
    # The guard says what the moderator decided on: a pending or hidden comment still
    # in that state, or a published one only while it has open flags (once a decision
    # resolved them, it is no longer waiting for anyone, whatever the decision was).
    guards = {
        CommentStatus.PENDING: Comment.status == before,
        CommentStatus.HIDDEN: Comment.status == before,
        CommentStatus.PUBLISHED: (Comment.status == before) & open_flags,
    }
    changed = 0
    if before in guards:
        changed = _rowcount(
            update(Comment)
            .where(Comment.id == comment.id, guards[before])
            .values(status=after, reason=reason[:1000])
        )
    if changed:
        db.session.execute(
            update(Flag)
            .where(Flag.comment_id == comment.id, Flag.resolved_at.is_(None))
            .values(resolved_at=utcnow())
        )
    if changed == 0:
        outcome.skipped.append(f"{label}: {_who_decided(SubjectKind.COMMENT, comment.id)}.")
        return
    _log(
        moderator,
        comment.author_id,
        SubjectKind.COMMENT,
        comment.id,
        decision,
        before.value,
        after.value,
        reason,
        _summary(comment),
    )
    if decision is Decision.SPAM:
        comment.author.posts_held = True
    if decision is Decision.APPROVE and before is not CommentStatus.PUBLISHED:
        notify(
            comment.author,
            NotificationKind.CONTRIBUTION_APPROVED,
            "A moderator approved your comment.",
            link=url_for("comments.detail", comment_id=comment.id),
            playbook_id=comment.playbook_id,
        )
        if comment.parent is not None:
            announce_reply(comment, comment.parent)
    elif decision is not Decision.APPROVE:
        notify(
            comment.author,
            NotificationKind.CONTRIBUTION_REJECTED,
            f"A moderator did not publish your comment. Reason: {reason}",
            link=url_for("comments.mine"),
        )
    outcome.done.append(f"{label}: {decision.label.lower()}.")


# --- suggestions ------------------------------------------------------------

_SUBMISSION_TARGETS = {
    Decision.APPROVE: SubmissionStatus.APPROVED,
    Decision.REJECT: SubmissionStatus.REJECTED,
    Decision.SPAM: SubmissionStatus.REJECTED,
}


def _add_to_library(moderator: User, submission: Submission) -> Resource:
    fields = submission_fields(submission)
    fields["who_is_using"] = ""
    if submission.resource_id is not None:
        resource = db.session.get(Resource, submission.resource_id)
        if resource is not None:  # approved before, then undone: bring the same entry back
            resource.retired_at = None
            library_services.apply_resource(resource, **fields)
            library_services.index_resource(resource)
            return resource
    resource = library_services.add_suggested_resource(moderator, submission.author_id, **fields)
    submission.resource_id = resource.id
    return resource


def _reply_in_thread(moderator: User, submission: Submission, text: str) -> None:
    """Post the decision back into the thread the suggestion came from."""
    comment = db.session.get(Comment, submission.comment_id) if submission.comment_id else None
    if comment is None or comment.is_deleted:
        return
    parent_id = comment.parent_id or comment.id
    db.session.add(
        Comment(
            author_id=moderator.id,
            target_kind=comment.target_kind,
            parent_id=parent_id,
            body=text,
            body_html=sanitize.render_markdown(text),
            status=CommentStatus.PUBLISHED,
            **{comment.target_kind.column: comment.target_id},
        )
    )


def _decide_submission(
    moderator: User, submission: Submission, decision: Decision, reason: str, outcome: Outcome
) -> None:
    label = f"Suggestion “{submission.title}”"
    before, after = submission.status, _SUBMISSION_TARGETS[decision]
    changed = _rowcount(
        update(Submission)
        .where(Submission.id == submission.id, Submission.status == SubmissionStatus.PENDING)
        .values(status=after, reason=reason[:1000], updated_at=utcnow())
    )
    if changed == 0:
        outcome.skipped.append(f"{label}: {_who_decided(SubjectKind.SUBMISSION, submission.id)}.")
        return
    db.session.refresh(submission)
    _log(
        moderator,
        submission.author_id,
        SubjectKind.SUBMISSION,
        submission.id,
        decision,
        before.value,
        after.value,
        reason,
        submission.title,
    )
    if decision is Decision.APPROVE:
        resource = _add_to_library(moderator, submission)
        link = url_for("library.resource_detail", resource_id=resource.id)
        notify(
            submission.author,
            NotificationKind.CONTRIBUTION_APPROVED,
            f"Your suggestion “{submission.title}” is now in the library.",
            link=link,
        )
        _reply_in_thread(
            moderator,
            submission,
            f"Thank you: the suggested resource “{submission.title}” is now in "
            f"the library, credited to {submission.author.display_name}.",
        )
    else:
        if decision is Decision.SPAM:
            submission.author.posts_held = True
        notify(
            submission.author,
            NotificationKind.CONTRIBUTION_REJECTED,
            f"Your suggestion “{submission.title}” was not added. Reason: {reason}",
            link=url_for("comments.mine"),
        )
        if decision is Decision.REJECT:
            # The thread hears that it was decided; what and why stay between the
            # suggester and the moderators (rejected content is theirs alone).
            _reply_in_thread(
                moderator,
                submission,
                "A moderator reviewed the resource suggested here and did not "
                "add it to the library. The suggester has been told why.",
            )
    outcome.done.append(f"{label}: {decision.label.lower()}.")


# --- the one entry point for decisions ---------------------------------------


def decide(
    moderator: User, subjects: list[tuple[SubjectKind, int]], decision: Decision, reason: str = ""
) -> Outcome:
    """Approve, reject or mark as spam each subject, in one transaction. Items
    someone else already decided are skipped and reported, never decided twice."""
    require(moderator, Action.MODERATE)
    decision = Decision(decision)
    if decision is Decision.UNDO:
        raise ModerationError("Undo a decision from the decided tab.")
    reason = (reason or "").strip()
    if decision is Decision.SPAM and not reason:
        reason = SPAM_REASON
    if decision is Decision.REJECT and not reason:
        raise ModerationError("Give a reason when you reject something; the author will read it.")
    if not subjects:
        raise ModerationError("Select at least one item.")
    outcome = Outcome()
    # Comments first, so a suggestion's own comment is published before the reply to it.
    for kind, subject_id in sorted(
        dict.fromkeys(subjects), key=lambda s: (s[0] is SubjectKind.SUBMISSION, s[1])
    ):
        if kind is SubjectKind.COMMENT:
            # Locked (where the database can) and read afresh: a moderator deciding the
            # same comment at this moment finishes first, and this one sees the result.
            comment = db.session.get(
                Comment, subject_id, with_for_update=True, populate_existing=True
            )
            if comment is None or comment.is_deleted:
                outcome.skipped.append("A comment: it was deleted by its author.")
                continue
            _decide_comment(moderator, comment, decision, reason, outcome)
        else:
            submission = db.session.get(Submission, subject_id)
            if submission is None:
                outcome.skipped.append("A suggestion: it no longer exists.")
                continue
            _decide_submission(moderator, submission, decision, reason, outcome)
    db.session.commit()
    return outcome


def _other_spam_stands(action: ModerationAction) -> bool:
    """Whether another spam decision on the same author is still in force (not
    undone): undoing one of two must not release the author's posts."""
    later = aliased(ModerationAction)
    return (
        db.session.scalar(
            select(ModerationAction.id)
            .where(
                ModerationAction.author_id == action.author_id,
                ModerationAction.decision == Decision.SPAM,
                ModerationAction.id != action.id,
                ~exists().where(later.undoes_id == ModerationAction.id),
            )
            .limit(1)
        )
        is not None
    )


def _refuse(message: str) -> None:
    db.session.rollback()  # let go of the subject's lock at once
    raise ModerationError(message)


def _latest_two(
    action: ModerationAction, model: type[Comment] | type[Submission]
) -> list[ModerationAction]:
    """The subject's two latest decisions, read after locking the subject's row (a
    write both SQLite and PostgreSQL serialize), so two undos at once see each other."""
    db.session.execute(
        update(model)
        .where(model.id == action.subject_id)
        .values(status=model.status)
        .execution_options(synchronize_session=False)
    )
    return list(
        db.session.scalars(
            select(ModerationAction)
            .where(
                ModerationAction.subject_kind == action.subject_kind,
                ModerationAction.subject_id == action.subject_id,
            )
            .order_by(ModerationAction.id.desc())
            .limit(2)
        )
    )


def _reopen_flags(action: ModerationAction, previous: ModerationAction | None) -> None:
    """Open again the flags the undone decision resolved (those resolved since the
    decision before it), so a flagged comment returns to the flagged tab."""
    query = update(Flag).where(Flag.comment_id == action.subject_id, Flag.resolved_at.is_not(None))
    if previous is not None:
        query = query.where(Flag.resolved_at > previous.created_at)
    db.session.execute(query.values(resolved_at=None).execution_options(synchronize_session=False))


def undo(moderator: User, action_id: int) -> str:
    """Take a decision back: the subject returns to its earlier state (a flagged
    comment with its flags), a library entry the decision created is retired, and
    the log gains an 'undone' row."""
    require(moderator, Action.MODERATE)
    action = db.session.get(ModerationAction, action_id)
    if action is None:
        raise ModerationError("That decision does not exist.")
    model = Comment if action.subject_kind is SubjectKind.COMMENT else Submission
    history = _latest_two(action, model)
    action.is_latest = history[0].id == action.id
    if not can(moderator, Action.MODERATION_UNDO, action):
        _refuse("Only the latest decision on an item can be undone, and only once.")
    changed = _rowcount(
        update(model)
        .where(model.id == action.subject_id, model.status == action.to_status)
        .values(status=action.from_status, reason="")
    )
    if changed == 0:
        _refuse("That item changed since the decision, so it cannot be undone.")
    if model is Comment:
        _reopen_flags(action, history[1] if len(history) > 1 else None)
    if action.subject_kind is SubjectKind.SUBMISSION and action.decision is Decision.APPROVE:
        submission = db.session.get(Submission, action.subject_id)
        resource = (
            db.session.get(Resource, submission.resource_id)
            if submission is not None and submission.resource_id
            else None
        )
        if resource is not None:
            resource.retired_at = utcnow()
            library_services.index_resource(resource)
    if action.decision is Decision.SPAM and not _other_spam_stands(action):
        author = db.session.get(User, action.author_id)
        if author is not None:
            author.posts_held = False
    _log(
        moderator,
        action.author_id,
        action.subject_kind,
        action.subject_id,
        Decision.UNDO,
        action.to_status,
        action.from_status,
        "",
        action.summary,
        undoes_id=action.id,
    )
    db.session.commit()
    return f"Undone: {action.summary}"


def edit_submission(moderator: User, submission: Submission, fields: dict[str, Any]) -> None:
    """Correct a pending suggestion's details before approving it."""
    require(moderator, Action.MODERATE)
    if submission.status is not SubmissionStatus.PENDING:
        raise ModerationError("Only a suggestion that is waiting can be edited.")
    apply_submission_fields(submission, fields)
    db.session.commit()


def save_reason_template(
    moderator: User, template: ReasonTemplate | None, title: str, body: str
) -> ReasonTemplate:
    require(moderator, Action.MODERATE)
    title, body = title.strip(), body.strip()
    clash = db.session.scalar(select(ReasonTemplate.id).where(ReasonTemplate.title == title))
    if clash is not None and (template is None or clash != template.id):
        raise ModerationError("There is already a reason with that title.")
    template = template or ReasonTemplate()
    template.title, template.body = title, body
    db.session.add(template)
    db.session.commit()
    return template


def delete_reason_template(moderator: User, template: ReasonTemplate) -> None:
    require(moderator, Action.MODERATE)
    db.session.delete(template)
    db.session.commit()
