"""Survey instruments: versioned teacher and student questionnaires that measure a
framework, each item mapped to one framework element (and so to its component).

An instrument version is frozen once a survey round uses it (`freeze()`); from then
on it never changes, and an edit is made on a copy with the next version number
(`next_version()`), so every stored answer keeps pointing at the words it answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from playbook.models.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow
from playbook.models.library import Element, Framework, LabelledEnum, enum_column


class SurveyAudience(LabelledEnum):
    """Who answers an instrument."""

    TEACHERS = ("teachers", "Teachers")
    STUDENTS_3_5 = ("students_3_5", "Students, grades 3–5")
    STUDENTS_6_12 = ("students_6_12", "Students, grades 6–12")


@dataclass(frozen=True)
class ScaleOption:
    """One answer on a scale: its stored value (1 is the lowest) and its labels."""

    value: int
    en: str
    es: str


# Offered on every item, whatever its scale. Stored as 0, never counted in a score.
PREFER_NOT_TO_ANSWER = ScaleOption(0, "Prefer not to answer", "Prefiero no responder")


class Scale(LabelledEnum):
    """The labelled answer scales an item may use. Each has five options from lowest
    (1) to highest (5), all positively ordered, so a score can be read the same way on
    any item: (answer - 1) / (options - 1) × 100. Kept as a fixed list in code rather
    than free labels per item so that rounds stay comparable over time and every label
    has a reviewed Spanish text."""

    FREQUENCY = ("frequency", "How often (never … always)")
    AGREEMENT = ("agreement", "How much you agree (strongly disagree … strongly agree)")
    TRUTH = ("truth", "How true (not at all true … completely true)")

    @property
    def options(self) -> tuple[ScaleOption, ...]:
        """The scale's options from lowest to highest (not counting prefer-not-to-answer)."""
        return SCALE_OPTIONS[self]

    @property
    def all_options(self) -> tuple[ScaleOption, ...]:
        """What a respondent is offered: the scale, then prefer-not-to-answer."""
        return (*SCALE_OPTIONS[self], PREFER_NOT_TO_ANSWER)


def _options(*pairs: tuple[str, str]) -> tuple[ScaleOption, ...]:
    return tuple(ScaleOption(i, en, es) for i, (en, es) in enumerate(pairs, start=1))


SCALE_OPTIONS: dict[Scale, tuple[ScaleOption, ...]] = {
    Scale.FREQUENCY: _options(
        ("Never", "Nunca"),
        ("Rarely", "Casi nunca"),
        ("Sometimes", "A veces"),
        ("Often", "Con frecuencia"),
        ("Always", "Siempre"),
    ),
    Scale.AGREEMENT: _options(
        ("Strongly disagree", "Totalmente en desacuerdo"),
        ("Disagree", "En desacuerdo"),
        ("Neither agree nor disagree", "Ni de acuerdo ni en desacuerdo"),
        ("Agree", "De acuerdo"),
        ("Strongly agree", "Totalmente de acuerdo"),
    ),
    Scale.TRUTH: _options(
        ("Not at all true", "Nada cierto"),
        ("A little true", "Un poco cierto"),
        ("Somewhat true", "Algo cierto"),
        ("Mostly true", "Bastante cierto"),
        ("Completely true", "Totalmente cierto"),
    ),
}
MIN_SCALE_OPTIONS = 5


class Instrument(IdMixin, TimestampMixin, Base):
    """One version of a questionnaire for one audience, measuring one framework."""

    __tablename__ = "instrument"
    __table_args__ = (UniqueConstraint("framework_id", "audience", "version"),)

    # No cascade: a framework is retired, never deleted, while instruments measure it.
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id"), index=True)
    audience: Mapped[SurveyAudience] = mapped_column(enum_column(SurveyAudience))
    version: Mapped[int] = mapped_column(default=1)
    title_en: Mapped[str] = mapped_column(String(200))
    title_es: Mapped[str] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_es: Mapped[str] = mapped_column(Text, default="")
    # The optional open question at the end (empty: none).
    open_question_en: Mapped[str] = mapped_column(String(400), default="")
    open_question_es: Mapped[str] = mapped_column(String(400), default="")
    # Set once, when a survey round first uses this version; never cleared.
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    framework: Mapped[Framework] = relationship()
    items: Mapped[list[InstrumentItem]] = relationship(
        back_populates="instrument",
        order_by="InstrumentItem.position",
        cascade="all, delete-orphan",
    )

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def has_open_question(self) -> bool:
        return bool(self.open_question_en.strip())

    @property
    def has_sensitive_items(self) -> bool:
        return any(item.sensitive for item in self.items)

    def freeze(self) -> None:
        """Mark this version as used by a survey round (idempotent). The rounds code
        calls it in the transaction that opens a round; after it, the services edit a
        copy (next_version) and never this row or its items."""
        if self.frozen_at is None:
            self.frozen_at = utcnow()

    def next_version(self, version: int) -> Instrument:
        """An unfrozen copy of this instrument and its items numbered `version` (the
        caller picks the next free number); not yet added to a session."""
        copy = Instrument(
            framework_id=self.framework_id,
            audience=self.audience,
            version=version,
            title_en=self.title_en,
            title_es=self.title_es,
            description_en=self.description_en,
            description_es=self.description_es,
            open_question_en=self.open_question_en,
            open_question_es=self.open_question_es,
        )
        copy.items = [item.copy() for item in self.items]
        return copy


class InstrumentItem(IdMixin, Base):
    """One question: one idea about one framework element, answered on a scale."""

    __tablename__ = "instrument_item"

    instrument_id: Mapped[int] = mapped_column(
        ForeignKey("instrument.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    # No cascade: an element an instrument measures cannot silently disappear.
    element_id: Mapped[int] = mapped_column(ForeignKey("element.id"), index=True)
    text_en: Mapped[str] = mapped_column(String(400))
    text_es: Mapped[str] = mapped_column(String(400))
    scale: Mapped[Scale] = mapped_column(enum_column(Scale), default=Scale.FREQUENCY)
    # Touches health, family, income or similar: rounds that use it tell parents first.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)

    instrument: Mapped[Instrument] = relationship(back_populates="items")
    element: Mapped[Element] = relationship()

    def copy(self) -> InstrumentItem:
        return InstrumentItem(
            position=self.position,
            element_id=self.element_id,
            text_en=self.text_en,
            text_es=self.text_es,
            scale=self.scale,
            sensitive=self.sensitive,
        )


class FrozenInstrumentError(RuntimeError):
    """A write would change a version that a survey round has used (a bug: services
    edit a new version instead)."""


def _was_frozen(instrument: Instrument | None) -> bool:
    """Frozen before this flush (freezing a version in this flush is allowed)."""
    if instrument is None or instrument.frozen_at is None:
        return False
    return not inspect(instrument).attrs.frozen_at.history.has_changes()


# Columns whose change is not a change of what respondents are asked.
_BOOKKEEPING = {"frozen_at", "updated_at"}


@event.listens_for(Session, "before_flush")
def _keep_frozen_versions(session: Session, flush_context: object, instances: object) -> None:
    """The last line of defence for the rule in this module's docstring: no flush may
    change, add to, reorder or delete a frozen version or its items."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Instrument) and _was_frozen(obj):
            state = inspect(obj)
            changed = [
                attr.key
                for attr in state.attrs
                if attr.key not in _BOOKKEEPING and attr.history.has_changes()
            ]
            if changed or obj in session.deleted:
                raise FrozenInstrumentError(
                    f"Version {obj.version} of instrument {obj.id} is frozen; edit a new version."
                )
        elif isinstance(obj, InstrumentItem):
            changed_item = obj in session.new or obj in session.deleted or session.is_modified(obj)
            if changed_item and _was_frozen(obj.instrument):
                raise FrozenInstrumentError(
                    f"An item of frozen instrument {obj.instrument_id} would change."
                )
