"""Survey rounds and their anonymous answers.

A playbook's team runs a round: a title, the instrument versions it uses, the groups it
covers (labels such as "Grade 7, room 214": no roster, no names), opening and closing
dates, and single-use response codes per group (or one shared link per teachers'
group). Respondents answer without an account.

Anonymity is built into these tables, not promised by the code that reads them:
- a response code is stored only as a keyed hash and a used/unused flag; it carries
  no time, and nothing points from a response to a code or back;
- a response has a random id (no sequence that would tell the order of answers) and
  the day it came in, never a finer time; no device, address or language is kept;
- SQLite keeps no hidden rowid for responses and answers (WITHOUT ROWID), so not even
  the storage order numbers them.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from playbook.models.base import Base, IdMixin, TimestampMixin, UTCDateTime
from playbook.models.library import enum_column
from playbook.models.playbook import Playbook
from playbook.models.survey import Instrument, InstrumentItem, SurveyAudience

# The instrument versions a round uses (one per audience it surveys).
round_instrument = Table(
    "survey_round_instrument",
    Base.metadata,
    Column(
        "round_id", Integer, ForeignKey("survey_round.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("instrument_id", Integer, ForeignKey("instrument.id"), primary_key=True),
)


class SurveyRound(IdMixin, TimestampMixin, Base):
    """One survey round of a playbook: who is asked what, between which days."""

    __tablename__ = "survey_round"

    playbook_id: Mapped[int] = mapped_column(
        ForeignKey("playbook.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The owner chose to show this round's aggregates (same suppression) to everyone
    # who may read the playbook, through its link or in the gallery.
    results_public: Mapped[bool] = mapped_column(Boolean, default=False)
    # When raw answers were removed under PLAYBOOK_SURVEY_RETENTION_DAYS; the
    # aggregates kept then are in `summary`.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    playbook: Mapped[Playbook] = relationship()
    instruments: Mapped[list[Instrument]] = relationship(secondary=round_instrument)
    groups: Mapped[list[SurveyGroup]] = relationship(
        back_populates="round",
        order_by="SurveyGroup.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def is_open_on(self, day: date) -> bool:
        return self.opens_on <= day <= self.closes_on

    def instrument_for(self, audience: SurveyAudience) -> Instrument | None:
        return next((i for i in self.instruments if i.audience is audience), None)


class SurveyGroup(IdMixin, Base):
    """A group a round covers, by label only, and how many codes it was given."""

    __tablename__ = "survey_group"
    __table_args__ = (UniqueConstraint("round_id", "label"),)

    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_round.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(120))
    audience: Mapped[SurveyAudience] = mapped_column(enum_column(SurveyAudience))
    # Codes handed out (the response rate's denominator); 0 for a shared-link group.
    codes_issued: Mapped[int] = mapped_column(default=0)
    # Responses received, counted up in each response's transaction (respond.services):
    # what the playbook page's kept part is checked against, read from a few group
    # rows instead of counting every response. Says nothing a count(*) would not.
    response_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # A teachers' group may answer through one shared link instead of codes: the
    # link's keyed hash (the link itself is shown once, when made).
    shared_link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    round: Mapped[SurveyRound] = relationship(back_populates="groups")


class ResponseCode(Base):
    """A single-use code, stored as a keyed hash (HMAC with the site's secret: a short
    code's plain hash could be found by trying them all). Used once, then kept as
    used; never linked to the response it gave."""

    __tablename__ = "survey_code"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("survey_group.id", ondelete="CASCADE"), index=True
    )
    used: Mapped[bool] = mapped_column(Boolean, default=False)


def _random_id() -> str:
    return secrets.token_hex(16)


class SurveyResponse(Base):
    """One respondent's answers to one instrument in one group."""

    __tablename__ = "survey_response"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_id)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("survey_group.id", ondelete="CASCADE"), index=True
    )
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id"), index=True)
    submitted_on: Mapped[date] = mapped_column(Date)
    # The answer to the instrument's optional open question (plain text).
    open_answer: Mapped[str] = mapped_column(Text, default="")

    answers: Mapped[list[SurveyAnswer]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class SurveyAnswer(Base):
    """One answer: the option's value on the item's scale, or 0 for prefer not to
    answer (never counted in a score)."""

    __tablename__ = "survey_answer"
    __table_args__ = ({"sqlite_with_rowid": False},)

    response_id: Mapped[str] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("instrument_item.id"), primary_key=True, index=True
    )
    value: Mapped[int] = mapped_column(SmallInteger)

    item: Mapped[InstrumentItem] = relationship()
