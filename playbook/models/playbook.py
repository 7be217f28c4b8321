"""A team's playbook: sections, items, members and the revision history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.util import AliasedClass

from playbook.models.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow
from playbook.models.library import (
    Component,
    Element,
    Framework,
    LabelledEnum,
    Play,
    Resource,
    enum_column,
)
from playbook.models.user import AnonymousUser, User


class Scope(LabelledEnum):
    CLASSROOM = ("classroom", "Classroom")
    SCHOOL = ("school", "School")
    DISTRICT = ("district", "District")
    NETWORK = ("network", "Network")


class Visibility(LabelledEnum):
    PRIVATE = ("private", "Private: members only")
    LINK = ("link", "Anyone with the secret link")
    PUBLIC = ("public", "Public: listed in the gallery")


class ItemStatus(LabelledEnum):
    IDEA = ("idea", "Idea")
    PLANNED = ("planned", "Planned")
    PILOTING = ("piloting", "Piloting")
    ADOPTED = ("adopted", "Adopted")
    RETIRED = ("retired", "Retired")


class ItemKind(LabelledEnum):
    PLAY = ("play", "Play")
    RESOURCE = ("resource", "Resource")
    COMPONENT = ("component", "Framework component")
    NOTE = ("note", "Note")


class MemberRole(LabelledEnum):
    OWNER = ("owner", "Owner")
    EDITOR = ("editor", "Editor")
    COMMENTER = ("commenter", "Commenter")
    VIEWER = ("viewer", "Viewer")


DEFAULT_SECTIONS = ("Our definition", "Our plays", "Team huddle", "Resources")


class Playbook(IdMixin, TimestampMixin, Base):
    __tablename__ = "playbook"

    title: Mapped[str] = mapped_column(String(200))
    scope: Mapped[Scope] = mapped_column(enum_column(Scope))
    organization: Mapped[str] = mapped_column(String(200), default="")
    vision: Mapped[str] = mapped_column(Text, default="")
    vision_html: Mapped[str] = mapped_column(Text, default="")
    framework_id: Mapped[int | None] = mapped_column(
        ForeignKey("framework.id", ondelete="SET NULL"), index=True
    )
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility), default=Visibility.PRIVATE
    )
    # Bumped by every saved change; a save based on an older version is a conflict.
    version: Mapped[int] = mapped_column(default=1)
    forked_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("playbook.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # The secret read link: only its hash is kept; regenerating replaces it, revoking clears it.
    link_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    link_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    link_last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    framework: Mapped[Framework | None] = relationship()
    forked_from: Mapped[Playbook | None] = relationship(remote_side="Playbook.id")
    sections: Mapped[list[Section]] = relationship(
        back_populates="playbook", order_by="Section.position", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="playbook", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it once)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_open_to_all(self) -> bool:
        """Public and not in the bin: anyone reads it and the gallery lists it.
        open_to_all_clause() is the same in SQL."""
        return self.visibility is Visibility.PUBLIC and not self.is_deleted

    @classmethod
    def open_to_all_clause(
        cls, model: type[Playbook] | AliasedClass[Playbook] | None = None
    ) -> ColumnElement[bool]:
        """is_open_to_all in SQL, over `model` (Playbook or an alias of it)."""
        table = cls if model is None else model
        return and_(table.visibility == Visibility.PUBLIC, table.deleted_at.is_(None))

    @property
    def keeps_comments_in_team(self) -> bool:
        """Conversation on a playbook is the team's own unless the playbook is open to
        all: moderators cannot read it, so it is never queued for them.
        Comment.open_to_moderators_clause() is its opposite in SQL."""
        return not self.is_open_to_all

    def role_of(self, user: User | AnonymousUser) -> MemberRole | None:
        """The user's role on this playbook, or None for non-members."""
        user_id = user.id
        if user_id is None:
            return None
        for membership in self.memberships:
            if membership.user_id == user_id:
                return membership.role
        return None

    def section_by_id(self, section_id: int) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)


class Section(IdMixin, Base):
    __tablename__ = "section"

    playbook_id: Mapped[int] = mapped_column(
        ForeignKey("playbook.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(120))

    playbook: Mapped[Playbook] = relationship(back_populates="sections")
    items: Mapped[list[Item]] = relationship(
        back_populates="section", order_by="Item.position", cascade="all, delete-orphan"
    )


class Item(IdMixin, TimestampMixin, Base):
    __tablename__ = "item"
    __table_args__ = (Index("ix_item_section_position", "section_id", "position"),)

    playbook_id: Mapped[int] = mapped_column(
        ForeignKey("playbook.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind))
    play_id: Mapped[int | None] = mapped_column(
        ForeignKey("play.id", ondelete="SET NULL"), index=True
    )
    resource_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource.id", ondelete="SET NULL"), index=True
    )
    component_id: Mapped[int | None] = mapped_column(
        ForeignKey("component.id", ondelete="SET NULL"), index=True
    )
    element_id: Mapped[int | None] = mapped_column(ForeignKey("element.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus), default=ItemStatus.IDEA)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    target_date: Mapped[date | None] = mapped_column(Date)

    section: Mapped[Section] = relationship(back_populates="items")
    play: Mapped[Play | None] = relationship()
    resource: Mapped[Resource | None] = relationship()
    component: Mapped[Component | None] = relationship()
    element: Mapped[Element | None] = relationship()
    owner: Mapped[User | None] = relationship()

    @property
    def display_title(self) -> str:
        """The team's own title, else the title of what the item points at."""
        if self.title:
            return self.title
        target = self.play or self.resource
        if target is not None:
            return target.title
        if self.component is not None:
            return self.component.name
        return "Untitled note"


class Membership(IdMixin, TimestampMixin, Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("playbook_id", "user_id"),)

    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbook.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole))

    playbook: Mapped[Playbook] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class PlaybookPresence(Base):
    """A member who had the playbook's page open when their page last asked for news
    (playbook/playbooks/live.py): one row per playbook and person, its time moved on at
    every ask. "Here" means seen within PLAYBOOK_PRESENCE_SECONDS; older rows are only
    overwritten, never read as presence."""

    __tablename__ = "playbook_presence"

    playbook_id: Mapped[int] = mapped_column(
        ForeignKey("playbook.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Revision(IdMixin, Base):
    """The whole playbook as it stood after one saved change (`number` equals the
    playbook version that change produced)."""

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("playbook_id", "number"),)

    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbook.id", ondelete="CASCADE"))
    number: Mapped[int]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    summary: Mapped[str] = mapped_column(String(300))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship()


class Invitation(IdMixin, Base):
    """An owner's invitation of an e-mail address to a role; single-use, expiring,
    revocable. Only the token's hash is stored."""

    __tablename__ = "invitation"

    playbook_id: Mapped[int] = mapped_column(
        ForeignKey("playbook.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    playbook: Mapped[Playbook] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > utcnow()
