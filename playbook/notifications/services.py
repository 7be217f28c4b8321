"""Telling people about things. Any feature calls notify() inside its own change; the
e-mail goes out from a background job once that change commits. Services commit;
routes never do."""

from __future__ import annotations

import secrets

from flask import url_for
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import (
    ScalarSelect,
    SQLColumnExpression,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)

from playbook import mail
from playbook.extensions import db
from playbook.models import (
    DigestMode,
    DigestSubscription,
    EmailOptOut,
    Notification,
    NotificationKind,
    User,
    utcnow,
)
from playbook.models.user import REMINDER_DAYS_MAX, REMINDER_DAYS_MIN


def notify(
    user: User,
    kind: NotificationKind,
    message: str,
    link: str = "",
    playbook_id: int | None = None,
    email_subject: str | None = None,
) -> Notification:
    """Add an in-app notification and, unless the person turned this kind off, queue
    its e-mail. Not committed: it becomes part of the caller's change."""
    notification = Notification(
        user_id=user.id, kind=kind, message=message[:500], link=link[:500], playbook_id=playbook_id
    )
    db.session.add(notification)
    db.session.flush()
    # The random part keeps the key unique should SQLite reuse a deleted notification's id.
    email_notification(
        user,
        kind,
        message,
        link,
        email_subject,
        key=f"notification:{notification.id}.{secrets.token_hex(4)}",
    )
    return notification


def email_notification(
    user: User,
    kind: NotificationKind,
    message: str,
    link: str = "",
    email_subject: str | None = None,
    *,
    key: str,
) -> None:
    """Queue the e-mail of a notification, unless the person turned this kind off."""
    if wants_email(user, kind):
        mail.queue_mail(
            user.email,
            email_subject or message[:120],
            "notification",
            key=key,
            user=user,
            message=message,
            link=url_for("notifications.open_link", _external=True, next=link) if link else "",
        )


def notify_address(
    email: str,
    kind: NotificationKind,
    message: str,
    link: str = "",
    playbook_id: int | None = None,
) -> None:
    """Add an in-app notification for the account that uses `email`, if one does. One
    statement whether or not it does, so that the request takes as long either way
    and tells no one which addresses have an account. No e-mail: a job decides that."""
    columns = Notification.__table__.c
    db.session.execute(
        insert(Notification).from_select(
            ["user_id", "kind", "message", "link", "playbook_id", "created_at"],
            select(
                User.id,
                literal(kind, columns.kind.type),
                literal(message[:500], columns.message.type),
                literal(link[:500], columns.link.type),
                literal(playbook_id, columns.playbook_id.type),
                literal(utcnow(), columns.created_at.type),
            ).where(User.email == email),
        )
    )


def wants_email(user: User, kind: NotificationKind) -> bool:
    return db.session.get(EmailOptOut, (user.id, kind)) is None


def forget_playbook_notifications(user_id: int, playbook_id: int) -> None:
    """Drop someone's notifications about a playbook they can no longer read
    (not committed: part of the caller's change)."""
    db.session.execute(
        delete(Notification).where(
            Notification.user_id == user_id, Notification.playbook_id == playbook_id
        )
    )


def unread_count_subquery(user_id: int | SQLColumnExpression[int]) -> ScalarSelect[int]:
    """The number of unread notifications of `user_id` (a value or a column) as a
    scalar subquery, so it can ride along another statement."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def unread_count(user: User) -> int:
    return db.session.scalar(select(unread_count_subquery(user.id))) or 0


def list_notifications(user: User, page: int = 1, per_page: int = 30) -> Pagination:
    query = (
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def mark_read(user: User, notification_id: int | None = None) -> None:
    """Mark one of the person's notifications (or all of them) as read."""
    statement = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    db.session.execute(statement.values(read_at=utcnow()))
    db.session.commit()


def email_choices(user: User) -> dict[NotificationKind, bool]:
    off = set(db.session.scalars(select(EmailOptOut.kind).where(EmailOptOut.user_id == user.id)))
    return {kind: kind not in off for kind in NotificationKind}


def set_email_choices(user: User, enabled: set[str], reminder_days: int | None = None) -> None:
    """Keep e-mail on for the kinds in `enabled` and off for the others; and, when
    given, remind the person of their items this many days before the target date."""
    if reminder_days is not None:
        user.reminder_days = max(REMINDER_DAYS_MIN, min(int(reminder_days), REMINDER_DAYS_MAX))
    db.session.execute(delete(EmailOptOut).where(EmailOptOut.user_id == user.id))
    for kind in NotificationKind:
        if kind.value not in enabled:
            db.session.add(EmailOptOut(user_id=user.id, kind=kind))
    db.session.commit()


# --- the weekly digest's choice (the digest itself: playbook/digests) -----------------


def digest_mode(user: User) -> DigestMode:
    """What the person's weekly digest tells them (the default when never chosen)."""
    subscription = db.session.get(DigestSubscription, user.id)
    return subscription.mode if subscription is not None else DigestMode.EVERYTHING


def set_digest_mode(actor: User, mode: DigestMode) -> None:
    """Keep the person's choice for their own weekly digest (the week it last dealt
    with stays, so switching it back on sends nothing twice)."""
    subscription = db.session.get(DigestSubscription, actor.id)
    if subscription is None:
        subscription = DigestSubscription(user_id=actor.id, last_week="")
        db.session.add(subscription)
    subscription.mode = mode
    db.session.commit()
