"""Comments: Markdown posts on a play, a resource, a framework component or a
playbook; replies one level deep; flags raised by readers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    exists,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from playbook.models.base import Base, IdMixin, UTCDateTime, utcnow
from playbook.models.library import Component, LabelledEnum, Play, Resource, enum_column
from playbook.models.playbook import Playbook
from playbook.models.user import User

# What a comment hangs on.
CommentTarget = Play | Resource | Component | Playbook


class CommentStatus(LabelledEnum):
    PENDING = ("pending", "Waiting for a moderator")
    PUBLISHED = ("published", "Published")
    HIDDEN = ("hidden", "Hidden while a moderator reviews flags")
    REJECTED = ("rejected", "Rejected")


class TargetKind(LabelledEnum):
    """What a comment hangs on; each has its own foreign key column on Comment."""

    PLAY = ("play", "Play")
    RESOURCE = ("resource", "Resource")
    COMPONENT = ("component", "Framework component")
    PLAYBOOK = ("playbook", "Playbook")

    @property
    def column(self) -> str:
        return f"{self.value}_id"


class Comment(IdMixin, Base):
    __tablename__ = "comment"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN play_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN resource_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN component_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN playbook_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        Index("ix_comment_play_thread", "play_id", "parent_id", "created_at"),
        Index("ix_comment_resource_thread", "resource_id", "parent_id", "created_at"),
        Index("ix_comment_component_thread", "component_id", "parent_id", "created_at"),
        Index("ix_comment_playbook_thread", "playbook_id", "parent_id", "created_at"),
        # What a visitor's thread asks for: one target's published comments in order.
        # Without these (and without planner statistics) SQLite walks every published
        # comment through ix_comment_status_queue instead.
        Index("ix_comment_play_status", "play_id", "status", "created_at"),
        Index("ix_comment_resource_status", "resource_id", "status", "created_at"),
        Index("ix_comment_component_status", "component_id", "status", "created_at"),
        Index("ix_comment_playbook_status", "playbook_id", "status", "created_at"),
        # The moderation queue: comments of one status in order, and how many are still
        # there (not deleted, not in a team's conversation) from the index alone, so
        # counting the queue reads no comment's text.
        Index("ix_comment_status_queue", "status", "created_at", "deleted_at", "playbook_id"),
        # The same facts by id, for the flagged count: each comment with an open flag
        # is looked up here rather than in the table.
        Index("ix_comment_status_id", "status", "id", "deleted_at", "playbook_id"),
        Index("ix_comment_author_created", "author_id", "created_at"),
    )

    author_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    target_kind: Mapped[TargetKind] = mapped_column(enum_column(TargetKind))
    play_id: Mapped[int | None] = mapped_column(ForeignKey("play.id", ondelete="CASCADE"))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    component_id: Mapped[int | None] = mapped_column(ForeignKey("component.id", ondelete="CASCADE"))
    playbook_id: Mapped[int | None] = mapped_column(ForeignKey("playbook.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )

    body: Mapped[str] = mapped_column(Text)
    # The sanitized HTML of body, rendered once when the text is saved.
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(
        enum_column(CommentStatus), default=CommentStatus.PUBLISHED
    )
    reason: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side="Comment.id")
    play: Mapped[Play | None] = relationship()
    resource: Mapped[Resource | None] = relationship()
    component: Mapped[Component | None] = relationship()
    playbook: Mapped[Playbook | None] = relationship()

    @property
    def target(self) -> CommentTarget | None:
        """The play, resource, component or playbook the comment hangs on."""
        if self.target_kind is TargetKind.PLAY:
            return self.play
        if self.target_kind is TargetKind.RESOURCE:
            return self.resource
        if self.target_kind is TargetKind.COMPONENT:
            return self.component
        return self.playbook

    @property
    def target_id(self) -> int:
        target_id: int = getattr(self, self.target_kind.column)
        return target_id

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_published(self) -> bool:
        return self.status is CommentStatus.PUBLISHED

    @property
    def is_team_only(self) -> bool:
        """On a playbook that keeps its conversation in the team (see
        Playbook.keeps_comments_in_team): never queued for, nor decided by, moderators."""
        return self.playbook is not None and self.playbook.keeps_comments_in_team

    @classmethod
    def open_to_moderators_clause(cls) -> ColumnElement[bool]:
        """`not is_team_only` in SQL: on a library entry, or on a playbook that is
        open to all."""
        public = exists().where(Playbook.id == cls.playbook_id, Playbook.open_to_all_clause())
        return or_(cls.playbook_id.is_(None), public)


class FlagReason(LabelledEnum):
    SPAM = ("spam", "Spam")
    OFF_TOPIC = ("off_topic", "Off-topic")
    HARMFUL = ("harmful", "Harmful or abusive")
    OTHER = ("other", "Something else")


class Flag(IdMixin, Base):
    """One member's report of a comment; a member flags a comment at most once."""

    __tablename__ = "flag"
    __table_args__ = (
        UniqueConstraint("comment_id", "user_id"),
        # The comments with an open flag, for the moderation queue, without reading
        # every flag ever raised.
        Index("ix_flag_open", "resolved_at", "comment_id"),
    )

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[FlagReason] = mapped_column(enum_column(FlagReason))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when a moderator decides on the flagged comment; open flags have none.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
