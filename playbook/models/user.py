"""Accounts: users, their site role, sign-in sessions, reset tokens and throttle records."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from playbook.models.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow

# Reminders of items due soon: this many days before the target date, unless the
# person chose otherwise (from REMINDER_DAYS_MIN to REMINDER_DAYS_MAX).
REMINDER_DAYS_DEFAULT = 3
REMINDER_DAYS_MIN, REMINDER_DAYS_MAX = 1, 30


class SiteRole(str, enum.Enum):
    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return self.value.capitalize()


# Flask-Login ships no type information, so its mixins are untyped base classes.
class User(IdMixin, TimestampMixin, UserMixin, Base):  # type: ignore[misc]
    __tablename__ = "user"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    organization: Mapped[str] = mapped_column(String(120), default="")
    role_title: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    site_role: Mapped[SiteRole] = mapped_column(
        Enum(
            SiteRole, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        ),
        default=SiteRole.MEMBER,
    )
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Set when a moderator marks one of the person's posts as spam: everything they
    # post afterwards waits for a moderator, however trusted they were.
    posts_held: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # How many days before an item's target date its owner is reminded (1 to 30).
    reminder_days: Mapped[int] = mapped_column(
        default=REMINDER_DAYS_DEFAULT, server_default=str(REMINDER_DAYS_DEFAULT)
    )

    sessions: Mapped[list[LoginSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # Not columns: the token of the session this request belongs to (set by the user
    # loader and by sign-in), and the hashes of the secret playbook links opened in
    # this browser (set for each request; the permission rules read them).
    if TYPE_CHECKING:
        current_session_token: str | None
        link_grants: frozenset[str]
    current_session_token = None
    link_grants = frozenset()

    def get_id(self) -> str | None:
        """Flask-Login stores the session token, not the user id, so deleting the
        session row ends that sign-in everywhere its cookies were copied to."""
        return self.current_session_token

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def is_moderator(self) -> bool:
        return self.site_role in (SiteRole.MODERATOR, SiteRole.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.site_role is SiteRole.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class AnonymousUser(AnonymousUserMixin):  # type: ignore[misc]  # Flask-Login is untyped
    """A visitor: answers the same questions as User, always with the least access."""

    id: int | None = None
    display_name = "Visitor"
    site_role: SiteRole | None = None
    is_moderator = False
    is_admin = False
    link_grants: frozenset[str] = frozenset()


class LoginSession(IdMixin, Base):
    """One signed-in browser. Signing out or changing the password deletes rows here."""

    __tablename__ = "login_session"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship(back_populates="sessions")


class PasswordResetToken(IdMixin, Base):
    """A single-use, expiring password-reset token; only its hash is stored."""

    __tablename__ = "password_reset_token"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class AuthAttempt(IdMixin, Base):
    """A throttled event (a failed sign-in, a reset request) for one key such as
    'account:<email>' or 'address:<ip>'. Kept in the database so every worker sees it."""

    __tablename__ = "auth_attempt"
    __table_args__ = (Index("ix_auth_attempt_scope_key_created", "scope", "key", "created_at"),)

    scope: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
