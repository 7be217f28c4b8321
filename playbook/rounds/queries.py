"""Reading survey rounds for pages, each in a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from playbook.extensions import db
from playbook.models import (
    Framework,
    Instrument,
    Playbook,
    ResponseCode,
    SurveyAudience,
    SurveyGroup,
    SurveyResponse,
    SurveyRound,
)
from playbook.playbooks.schedule import today

SEED_INSTRUMENTS = Path(__file__).resolve().parent.parent / "seed" / "instruments.yaml"


@cache
def seeded_framework_slug() -> str:
    """The framework the starter instruments measure (read once from the seed file)."""
    with open(SEED_INSTRUMENTS, encoding="utf-8") as handle:
        return str(yaml.safe_load(handle)["framework"])


def state_of(survey_round: SurveyRound) -> str:
    """ "not yet open", "open" or "closed", by the playbook's calendar day."""
    day = today()
    if day < survey_round.opens_on:
        return "not yet open"
    return "open" if day <= survey_round.closes_on else "closed"


@dataclass
class RoundRow:
    round: SurveyRound
    state: str
    groups: int
    responses: int
    codes_issued: int


def round_list(playbook: Playbook) -> list[RoundRow]:
    """The playbook's rounds, newest first, each with its number of groups, responses
    received and codes issued; one statement whatever the number of rounds."""
    groups = (
        select(
            SurveyGroup.round_id,
            func.count().label("n_groups"),
            func.sum(SurveyGroup.codes_issued).label("n_codes"),
        )
        .group_by(SurveyGroup.round_id)
        .subquery()
    )
    responses = (
        select(SurveyGroup.round_id, func.count().label("n_responses"))
        .join(SurveyResponse, SurveyResponse.group_id == SurveyGroup.id)
        .group_by(SurveyGroup.round_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            SurveyRound,
            func.coalesce(groups.c.n_groups, 0),
            func.coalesce(responses.c.n_responses, 0),
            func.coalesce(groups.c.n_codes, 0),
        )
        .outerjoin(groups, groups.c.round_id == SurveyRound.id)
        .outerjoin(responses, responses.c.round_id == SurveyRound.id)
        .where(SurveyRound.playbook_id == playbook.id)
        .order_by(SurveyRound.opens_on.desc(), SurveyRound.id.desc())
    )
    return [
        RoundRow(r, state_of(r), int(n_groups), int(n_responses), int(n_codes))
        for r, n_groups, n_responses, n_codes in rows
    ]


def load_round(round_id: int) -> SurveyRound | None:
    """A round with its playbook, groups, instruments and their items loaded."""
    return db.session.scalar(
        select(SurveyRound)
        .where(SurveyRound.id == round_id)
        .options(
            selectinload(SurveyRound.playbook),
            selectinload(SurveyRound.groups),
            selectinload(SurveyRound.instruments).selectinload(Instrument.items),
        )
    )


@dataclass
class GroupRow:
    group: SurveyGroup
    responses: int
    unused_codes: int


def group_rows(survey_round: SurveyRound) -> list[GroupRow]:
    """Each group of a loaded round with responses received and codes not yet used;
    one statement whatever the number of groups."""
    responses = (
        select(SurveyResponse.group_id, func.count().label("n"))
        .group_by(SurveyResponse.group_id)
        .subquery()
    )
    unused = (
        select(ResponseCode.group_id, func.count().label("n"))
        .where(ResponseCode.used.is_(False))
        .group_by(ResponseCode.group_id)
        .subquery()
    )
    counts = {
        group_id: (int(n_responses), int(n_unused))
        for group_id, n_responses, n_unused in db.session.execute(
            select(
                SurveyGroup.id,
                func.coalesce(responses.c.n, 0),
                func.coalesce(unused.c.n, 0),
            )
            .outerjoin(responses, responses.c.group_id == SurveyGroup.id)
            .outerjoin(unused, unused.c.group_id == SurveyGroup.id)
            .where(SurveyGroup.round_id == survey_round.id)
        )
    }
    return [GroupRow(g, *counts.get(g.id, (0, 0))) for g in survey_round.groups]


def has_responses(survey_round: SurveyRound) -> bool:
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .join(SurveyGroup, SurveyResponse.group_id == SurveyGroup.id)
            .where(SurveyGroup.round_id == survey_round.id)
        )
    )


def framework_for(playbook: Playbook) -> int | None:
    """The framework whose instruments a round of this playbook uses: the playbook's
    own, or the seeded framework when it has none."""
    if playbook.framework_id is not None:
        return playbook.framework_id
    return db.session.scalar(select(Framework.id).where(Framework.slug == seeded_framework_slug()))


def latest_instruments(playbook: Playbook) -> list[Instrument]:
    """The newest version per audience of the framework's instruments (with items)."""
    framework_id = framework_for(playbook)
    if framework_id is None:
        return []
    newest = (
        select(Instrument.audience, func.max(Instrument.version).label("version"))
        .where(Instrument.framework_id == framework_id)
        .group_by(Instrument.audience)
        .subquery()
    )
    found = db.session.scalars(
        select(Instrument)
        .join(
            newest,
            (newest.c.audience == Instrument.audience) & (newest.c.version == Instrument.version),
        )
        .where(Instrument.framework_id == framework_id)
        .options(selectinload(Instrument.items))
    ).all()
    order = list(SurveyAudience)
    return sorted(found, key=lambda i: order.index(i.audience))


def instrument_choices(instruments: list[Instrument]) -> list[tuple[int, str, SurveyAudience]]:
    return [
        (
            i.id,
            f"{i.audience.label}: {i.title_en} (version {i.version}, {len(i.items)} questions"
            + (", some sensitive)" if i.has_sensitive_items else ")"),
            i.audience,
        )
        for i in instruments
    ]


def preview_round(round_id: int) -> SurveyRound | None:
    """A round whose parent preview is public: it asks a sensitive question and its
    playbook is live; None otherwise."""
    survey_round = load_round(round_id)
    if survey_round is None or survey_round.playbook.is_deleted:
        return None
    if not any(i.has_sensitive_items for i in survey_round.instruments):
        return None
    return survey_round
