"""Writes to survey rounds. Each public function takes the actor, checks
Action.SURVEY_RUN itself and commits once, at its end.

Codes and shared links are made here and returned in plain form exactly once: only
their keyed hashes (playbook.rounds.codes) are stored, so the page that shows them
is the only place they ever appear. Making new codes for a group removes its unused
ones; codes already used (and the answers they gave) stay."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select

from playbook.extensions import db
from playbook.models import (
    Instrument,
    Playbook,
    ResponseCode,
    SurveyAudience,
    SurveyGroup,
    SurveyRound,
    User,
)
from playbook.permissions import Action, require
from playbook.rounds import codes
from playbook.surveys.services import freeze_instrument


class RoundError(ValueError):
    """A change the forms cannot refuse on their own; the message is for people, and
    `field` names the form field it is about, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _check_title(playbook_id: int, title: str, survey_round: SurveyRound | None = None) -> None:
    """Each round of a playbook has its own title: the list and the trends tell rounds
    apart by it, and a code sheet page sent twice (reloaded) does not open a second
    round."""
    query = select(SurveyRound.id).where(
        SurveyRound.playbook_id == playbook_id, func.lower(SurveyRound.title) == title.lower()
    )
    if survey_round is not None:
        query = query.where(SurveyRound.id != survey_round.id)
    if db.session.scalar(query.limit(1)) is not None:
        raise RoundError(
            f"This playbook already has a round called “{title}”; give this one another title.",
            field="title",
        )


@dataclass
class Issued:
    """What a group was just given: plain codes, or a shared link's token."""

    group: SurveyGroup
    codes: list[str] = field(default_factory=list)
    link_token: str | None = None


def _fresh_codes(group: SurveyGroup, count: int) -> list[str]:
    """`count` new codes for a group, distinct from each other and from every stored
    code; only their hashes are added to the session."""
    made: dict[str, str] = {}
    taken: set[str] = set()
    while len(made) < count:
        while len(made) < count:
            code = codes.new_code()
            digest = codes.hash_code(code)
            if digest is not None and digest not in taken:
                made.setdefault(digest, code)
        clashes = set(
            db.session.scalars(
                select(ResponseCode.code_hash).where(ResponseCode.code_hash.in_(made))
            )
        )
        for digest in clashes:  # astronomically rare: draw again
            del made[digest]
        taken |= clashes
    db.session.add_all(ResponseCode(code_hash=digest, group_id=group.id) for digest in made)
    return list(made.values())


def _issue(group: SurveyGroup, count: int, shared_link: bool) -> Issued:
    if shared_link:
        token = codes.new_link_token()
        group.shared_link_hash = codes.hash_link_token(token)
        group.codes_issued = 0
        return Issued(group, link_token=token)
    group.codes_issued = count
    return Issued(group, codes=_fresh_codes(group, count))


def _add_groups(
    survey_round: SurveyRound, rows: list[dict[str, Any]], audiences: set[SurveyAudience]
) -> list[Issued]:
    start = len(survey_round.groups)
    labels = {g.label.casefold() for g in survey_round.groups}
    new = []
    for position, row in enumerate(rows, start=start):
        if row["label"].casefold() in labels:
            raise RoundError(f"This round already has a group “{row['label']}”.")
        if row["audience"] not in audiences:
            raise RoundError(f"This round has no survey for {row['audience'].label.lower()}.")
        if row["shared_link"] and row["audience"] is not SurveyAudience.TEACHERS:
            raise RoundError("Only a teachers' group can answer through a shared link.")
        labels.add(row["label"].casefold())
        group = SurveyGroup(position=position, label=row["label"], audience=row["audience"])
        survey_round.groups.append(group)
        new.append((group, row))
    db.session.flush()
    return [_issue(group, row["codes"], row["shared_link"]) for group, row in new]


def open_round(
    actor: User,
    playbook: Playbook,
    *,
    title: str,
    opens_on: date,
    closes_on: date,
    instruments: list[Instrument],
    groups: list[dict[str, Any]],
) -> tuple[SurveyRound, list[Issued]]:
    """Open a round: its groups, frozen instrument versions and fresh codes or links.
    Returns the round and, per group, what was issued (shown once, never stored)."""
    require(actor, Action.SURVEY_RUN, playbook)
    if closes_on < opens_on:
        raise RoundError("The closing date cannot be before the opening date.")
    audiences = [i.audience for i in instruments]
    if not instruments or len(set(audiences)) != len(audiences):
        raise RoundError("Choose one survey per audience, at least one.")
    _check_title(playbook.id, title)
    for instrument in instruments:
        freeze_instrument(instrument)
    survey_round = SurveyRound(
        playbook_id=playbook.id,
        title=title,
        opens_on=opens_on,
        closes_on=closes_on,
        created_by_id=actor.id,
        instruments=list(instruments),
    )
    db.session.add(survey_round)
    db.session.flush()
    try:
        issued = _add_groups(survey_round, groups, set(audiences))
    except RoundError:
        db.session.rollback()  # nothing of the round stays, the versions stay as they were
        raise
    db.session.commit()
    return survey_round, issued


def update_round(
    actor: User, survey_round: SurveyRound, *, title: str, opens_on: date, closes_on: date
) -> None:
    """Change a round's title and dates (its instruments stay as they were)."""
    require(actor, Action.SURVEY_RUN, survey_round)
    if closes_on < opens_on:
        raise RoundError("The closing date cannot be before the opening date.")
    _check_title(survey_round.playbook_id, title, survey_round)
    survey_round.title = title
    survey_round.opens_on = opens_on
    survey_round.closes_on = closes_on
    db.session.commit()


def add_groups(actor: User, survey_round: SurveyRound, rows: list[dict[str, Any]]) -> list[Issued]:
    """More groups for a round, answering the round's own instruments."""
    require(actor, Action.SURVEY_RUN, survey_round)
    try:
        issued = _add_groups(survey_round, rows, {i.audience for i in survey_round.instruments})
    except RoundError:
        db.session.rollback()
        raise
    db.session.commit()
    return issued


def new_codes(actor: User, group: SurveyGroup) -> Issued:
    """Replace a group's unused codes with as many fresh ones as it was issued; used
    codes, and the answers given, stay. (Printed codes cannot be shown again: only
    their hashes are kept, so a lost sheet is replaced this way.)"""
    require(actor, Action.SURVEY_RUN, group.round)
    if group.shared_link_hash is not None or group.codes_issued < 1:
        raise RoundError("This group answers through a shared link, not codes.")
    db.session.execute(
        delete(ResponseCode).where(ResponseCode.group_id == group.id, ResponseCode.used.is_(False))
    )
    made = _fresh_codes(group, group.codes_issued)
    db.session.commit()
    return Issued(group, codes=made)


def new_link(actor: User, group: SurveyGroup) -> Issued:
    """A fresh shared link for a teachers' group; the previous link stops working."""
    require(actor, Action.SURVEY_RUN, group.round)
    if group.audience is not SurveyAudience.TEACHERS or group.shared_link_hash is None:
        raise RoundError("Only a teachers' group with a shared link can have a new link.")
    issued = _issue(group, 0, shared_link=True)
    db.session.commit()
    return issued


def delete_round(actor: User, survey_round: SurveyRound) -> None:
    """Delete a round with its groups, codes, responses and answers (the database's
    cascades remove them with the round)."""
    require(actor, Action.SURVEY_RUN, survey_round)
    db.session.execute(delete(SurveyRound).where(SurveyRound.id == survey_round.id))
    db.session.commit()
