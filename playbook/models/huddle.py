"""The team huddle (planned and recorded meetings of a playbook's team) and the secret
calendar feeds people subscribe to."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Date, ForeignKey, Index, String, Text, Time, and_
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from playbook.models.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow
from playbook.models.playbook import Playbook, Revision
from playbook.models.user import User


class Huddle(IdMixin, TimestampMixin, Base):
    """One meeting of a playbook's team. Planned while `recorded_at` is empty (it then
    only has a day and a time, for the calendar); recorded once the team writes down
    who came, what was decided and which items changed status there, which also makes
    a revision of the playbook (`revision`)."""

    __tablename__ = "huddle"
    __table_args__ = (Index("ix_huddle_playbook_held_on", "playbook_id", "held_on"),)

    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbook.id", ondelete="CASCADE"))
    held_on: Mapped[date] = mapped_column(Date)
    # The start, as a wall-clock time in `time_zone` (an IANA name); none for a
    # huddle whose time nobody gave (the calendar shows it as an all-day event).
    starts_at: Mapped[time | None] = mapped_column(Time)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    minutes: Mapped[int] = mapped_column(default=60)
    guests: Mapped[str] = mapped_column(String(300), default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    decisions_html: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    next_steps_html: Mapped[str] = mapped_column(Text, default="")
    status_changes: Mapped[int] = mapped_column(default=0)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The playbook's version the recording made (its revision holds the playbook as it
    # stood after the huddle): "since the last huddle" compares with it.
    revision_number: Mapped[int | None]

    playbook: Mapped[Playbook] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    revision: Mapped[Revision | None] = relationship(
        primaryjoin=lambda: and_(
            foreign(Huddle.playbook_id) == Revision.playbook_id,
            foreign(Huddle.revision_number) == Revision.number,
        ),
        viewonly=True,
    )
    attendees: Mapped[list[HuddleAttendee]] = relationship(
        back_populates="huddle", cascade="all, delete-orphan", order_by="HuddleAttendee.user_id"
    )

    @property
    def is_recorded(self) -> bool:
        return self.recorded_at is not None


class HuddleAttendee(Base):
    """A member who came to a recorded huddle."""

    __tablename__ = "huddle_attendee"

    huddle_id: Mapped[int] = mapped_column(
        ForeignKey("huddle.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    huddle: Mapped[Huddle] = relationship(back_populates="attendees")
    user: Mapped[User] = relationship()


class CalendarFeed(IdMixin, Base):
    """A secret calendar address: a person's own items (no playbook) or a playbook's
    dated items and huddles. Only the token's hash is kept; making a new one replaces
    the old row, so the old address stops working."""

    __tablename__ = "calendar_feed"
    __table_args__ = (Index("ix_calendar_feed_user_playbook", "user_id", "playbook_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    playbook_id: Mapped[int | None] = mapped_column(
        ForeignKey("playbook.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
    playbook: Mapped[Playbook | None] = relationship()
