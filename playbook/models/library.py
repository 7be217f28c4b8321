"""The shared library: frameworks (components, elements), plays and resources."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, Enum, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from playbook.models.base import Base, IdMixin, TimestampMixin, UTCDateTime

if TYPE_CHECKING:
    from playbook.models.user import User


def enum_column(cls: type[enum.Enum]) -> Enum:
    """Store an enum by its value as a plain string column (portable, readable)."""
    return Enum(cls, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry a human label as their second value."""

    _value_: str
    label: str

    if TYPE_CHECKING:

        @property
        def value(self) -> str: ...

    else:
        # Members are defined as (value, label) and looked up by value alone
        # (Scope("school")); type checkers see only the lookup and a str value.
        def __new__(cls, value, label):
            member = str.__new__(cls, value)
            member._value_ = value
            member.label = label
            return member

    def __str__(self) -> str:
        return self.value

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


class Stage(LabelledEnum):
    WRITING = ("writing", "Writing the playbook")
    CARRYING_OUT = ("carrying_out", "Carrying out the plays")
    HUDDLE = ("huddle", "The team huddle")


class Audience(LabelledEnum):
    TEACHER = ("teacher", "Teachers")
    SCHOOL_LEADER = ("school_leader", "School leaders")
    DISTRICT = ("district", "District staff")
    FAMILY = ("family", "Families")
    COMMUNITY = ("community", "Community")


class GradeBand(LabelledEnum):
    K_2 = ("K-2", "Grades K–2")
    G3_5 = ("3-5", "Grades 3–5")
    G6_8 = ("6-8", "Grades 6–8")
    G9_12 = ("9-12", "Grades 9–12")
    K_12 = ("K-12", "All grades (K–12)")


class Effort(LabelledEnum):
    LOW = ("low", "Low effort")
    MEDIUM = ("medium", "Medium effort")
    HIGH = ("high", "High effort")


class ResourceType(LabelledEnum):
    FRAMEWORK = ("Framework", "Framework")
    INFOGRAPHIC = ("Infographic", "Infographic")
    ACTIVITY = ("Activity", "Activity")
    WHITE_PAPER = ("White Paper", "White paper")
    COURSE = ("Course", "Course")
    RUBRIC = ("Rubric", "Rubric")
    TOOLKIT = ("Toolkit", "Toolkit")
    VIDEO = ("Video", "Video")
    OTHER = ("Other", "Other")


class IdealUser(LabelledEnum):
    TEACHERS = ("Teachers", "Teachers")
    SCHOOL_ADMINISTRATORS = ("School Administrators", "School administrators")
    DISTRICT_ADMINISTRATORS = ("District Administrators", "District administrators")
    STATE_OFFICIALS = ("State Officials", "State officials")
    FAMILIES = ("Families", "Families")
    ANYONE = ("Anyone", "Anyone")


class Framework(IdMixin, TimestampMixin, Base):
    __tablename__ = "framework"

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    edition: Mapped[str] = mapped_column(String(40), default="")
    publisher: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    components: Mapped[list[Component]] = relationship(
        back_populates="framework", order_by="Component.position", cascade="all, delete-orphan"
    )

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class Component(IdMixin, Base):
    __tablename__ = "component"
    __table_args__ = (UniqueConstraint("framework_id", "slug"),)

    framework_id: Mapped[int] = mapped_column(
        ForeignKey("framework.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")

    framework: Mapped[Framework] = relationship(back_populates="components")
    elements: Mapped[list[Element]] = relationship(
        back_populates="component", order_by="Element.position", cascade="all, delete-orphan"
    )

    @property
    def is_retired(self) -> bool:
        """A component has no retirement of its own: it goes with its framework."""
        return self.framework.is_retired


class Element(IdMixin, Base):
    __tablename__ = "element"

    component_id: Mapped[int] = mapped_column(
        ForeignKey("component.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    component: Mapped[Component] = relationship(back_populates="elements")


play_component = Table(
    "play_component",
    Base.metadata,
    Column("play_id", ForeignKey("play.id", ondelete="CASCADE"), primary_key=True),
    Column("component_id", ForeignKey("component.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_play_component_component_id", "component_id"),
)


class PlayAudience(Base):
    __tablename__ = "play_audience"

    play_id: Mapped[int] = mapped_column(
        ForeignKey("play.id", ondelete="CASCADE"), primary_key=True
    )
    audience: Mapped[Audience] = mapped_column(enum_column(Audience), primary_key=True)


class Play(IdMixin, TimestampMixin, Base):
    __tablename__ = "play"

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(400), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[Stage] = mapped_column(enum_column(Stage), index=True)
    grade_band: Mapped[GradeBand] = mapped_column(enum_column(GradeBand), index=True)
    effort: Mapped[Effort] = mapped_column(enum_column(Effort))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    components: Mapped[list[Component]] = relationship(
        secondary=play_component, order_by="Component.position"
    )
    audience_rows: Mapped[list[PlayAudience]] = relationship(
        cascade="all, delete-orphan", order_by="PlayAudience.audience"
    )

    @property
    def audiences(self) -> list[Audience]:
        return [row.audience for row in self.audience_rows]

    def set_audiences(self, audiences: list[Audience]) -> None:
        wanted = list(dict.fromkeys(audiences))
        self.audience_rows = [r for r in self.audience_rows if r.audience in wanted]
        have = {r.audience for r in self.audience_rows}
        self.audience_rows.extend(PlayAudience(audience=a) for a in wanted if a not in have)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class ResourceIdealUser(Base):
    __tablename__ = "resource_ideal_user"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True
    )
    ideal_user: Mapped[IdealUser] = mapped_column(enum_column(IdealUser), primary_key=True)


class Resource(IdMixin, TimestampMixin, Base):
    __tablename__ = "resource"
    # The resource list (live ones by title) and the library's counts read this index
    # alone, instead of sorting or scanning thousands of rows.
    __table_args__ = (Index("ix_resource_live_title", "retired_at", "title", "id"),)

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    resource_type: Mapped[ResourceType] = mapped_column(enum_column(ResourceType), index=True)
    why_use_it: Mapped[str] = mapped_column(Text, default="")
    who_is_using: Mapped[str] = mapped_column(Text, default="")
    # The member whose suggestion became this resource (credited on its page).
    suggested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    suggested_by: Mapped[User | None] = relationship()
    ideal_user_rows: Mapped[list[ResourceIdealUser]] = relationship(
        cascade="all, delete-orphan", order_by="ResourceIdealUser.ideal_user"
    )

    @property
    def ideal_users(self) -> list[IdealUser]:
        return [row.ideal_user for row in self.ideal_user_rows]

    def set_ideal_users(self, users: list[IdealUser]) -> None:
        wanted = list(dict.fromkeys(users))
        self.ideal_user_rows = [r for r in self.ideal_user_rows if r.ideal_user in wanted]
        have = {r.ideal_user for r in self.ideal_user_rows}
        self.ideal_user_rows.extend(
            ResourceIdealUser(ideal_user=u) for u in wanted if u not in have
        )

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


# What the library offers: anything a comment or a playbook item may point at, and
# frameworks. Each answers is_retired (a component through its framework).
LibraryEntry = Framework | Component | Play | Resource
