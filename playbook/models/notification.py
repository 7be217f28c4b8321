"""Notifications (in-app and by e-mail), e-mail preferences and the outgoing mail queue."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from playbook.models.base import Base, IdMixin, UTCDateTime, utcnow
from playbook.models.library import LabelledEnum, enum_column
from playbook.models.user import User


class NotificationKind(LabelledEnum):
    INVITED = ("invited", "You were invited to a playbook")
    ROLE_CHANGED = ("role_changed", "Your role on a playbook changed")
    ITEM_ASSIGNED = ("item_assigned", "An item was assigned to you")
    FORKED = ("forked", "A playbook you own was forked")
    REPLY = ("reply", "Someone replied to your comment")
    CONTRIBUTION_APPROVED = (
        "contribution_approved",
        "A moderator approved your comment or suggestion",
    )
    CONTRIBUTION_REJECTED = (
        "contribution_rejected",
        "A moderator turned down your comment or suggestion",
    )
    ITEM_DUE_SOON = ("item_due_soon", "An item you own is due soon")
    ITEM_OVERDUE = ("item_overdue", "An item you own is overdue")


class Notification(IdMixin, Base):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind))
    message: Mapped[str] = mapped_column(String(500))
    link: Mapped[str] = mapped_column(String(500), default="")
    # The playbook it is about: shown only while the person may still read it.
    playbook_id: Mapped[int | None] = mapped_column(
        ForeignKey("playbook.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class EmailOptOut(Base):
    """A person who does not want e-mail for one kind of notification."""

    __tablename__ = "email_opt_out"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind), primary_key=True)


class SentReminder(IdMixin, Base):
    """A reminder that went out: one per item, kind and target date, so a job that runs
    twice (or on two workers at once) never sends it again, while an item whose date
    moved is reminded of its new date."""

    __tablename__ = "sent_reminder"
    __table_args__ = (UniqueConstraint("item_id", "kind", "target_date"),)

    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind))
    target_date: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def _unkeyed() -> str:
    """The key of a message queued without naming its cause: unique, and says so."""
    return f"unkeyed:{secrets.token_hex(16)}"


class OutgoingMail(IdMixin, Base):
    """A message waiting to go out; kept, with the error, until the SMTP server takes it.

    `idempotency_key` names what caused the message (a notification, an invitation, a
    password reset request), so the same cause never queues two messages. A sender
    claims a message by moving `next_attempt_at` past the time its attempt can take:
    no other sender picks it up meanwhile, and if the sender dies, the claim runs out
    and the message is due again."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_due", "sent_at", "next_attempt_at"),)

    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True, default=_unkeyed)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # An HTML alternative of `body` (rendered from an autoescaped template); "" for none.
    html_body: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Where the List-Unsubscribe header points; "" for mail that has none.
    unsubscribe_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DigestMode(LabelledEnum):
    """What a person's weekly digest tells them."""

    EVERYTHING = ("everything", "My playbooks and news from the library")
    PLAYBOOKS = ("playbooks", "My playbooks only")
    LIBRARY = ("library", "Library news only (follow the library)")
    OFF = ("off", "No weekly digest")


class DigestSubscription(Base):
    """A person's weekly digest: what they want in it, and which week was last dealt
    with. A person without a row gets the default (EVERYTHING) and has had none yet.

    `last_week` ("2026-W49") and `covered_until` are written in the transaction that
    queues the week's message (or finds there was nothing to say), so a job that runs
    again never sends a second one, and the next digest starts where this one ended."""

    __tablename__ = "digest_subscription"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[DigestMode] = mapped_column(enum_column(DigestMode), default=DigestMode.EVERYTHING)
    last_week: Mapped[str] = mapped_column(String(10), default="")
    covered_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
