"""Answering a survey without an account: opening it with a code or a group's shared
link, checking the answers, and storing them once.

Nothing is kept on the server before the final submit: the pages carry the code (or
link) and the answers given so far in the form itself. The final submit spends the
code and stores the response in one transaction, so a code gives exactly one response
even when two devices send it at the same moment. What is stored is what
playbook/models/survey_round.py allows: the group, the instrument, the day and the
answers; never the code, the address, the browser or the time of day.

Wrong codes are counted per client address (playbook/throttle.py) under a keyed hash
of the address; an attempt with a good code is taken back at once, so the attempts
table never holds anything about a respondent who answered."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.orm import joinedload

from playbook import text, throttle
from playbook.extensions import db
from playbook.models import (
    Element,
    InstrumentItem,
    ResponseCode,
    SurveyAnswer,
    SurveyGroup,
    SurveyResponse,
)
from playbook.models.survey import Scale
from playbook.playbooks.schedule import today
from playbook.rounds import codes
from playbook.throttle import Limit

OPEN_ANSWER_MAX = 2000


# --- what a respondent is shown -----------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One item as the pages show it, numbered from 1 across the whole survey."""

    id: int
    number: int
    text_en: str
    text_es: str
    scale: Scale

    @property
    def values(self) -> set[int]:
        return {option.value for option in self.scale.all_options}


@dataclass(frozen=True)
class Survey:
    """What a code or link opens: plain values only (read before the transaction that
    opened it ends, so no later step needs the database to show a page)."""

    group_id: int
    instrument_id: int
    title_en: str
    title_es: str
    opens_on: date
    closes_on: date
    open_question_en: str
    open_question_es: str
    # One part per framework component, in the framework's order, and the names of
    # those components (library content: one language only), part by part.
    parts: tuple[tuple[Question, ...], ...]
    part_names: tuple[str, ...] = ()
    questions: dict[int, Question] = field(default_factory=dict)

    @property
    def has_open_question(self) -> bool:
        return bool(self.open_question_en.strip())

    @property
    def steps(self) -> int:
        """Pages of questions, plus one for the open question when there is one."""
        return len(self.parts) + (1 if self.has_open_question else 0)

    def part_of(self, question_id: int) -> int:
        return next(
            i for i, part in enumerate(self.parts) if any(q.id == question_id for q in part)
        )


# --- refusals -----------------------------------------------------------------------------


class Refused(Exception):
    """The request cannot go on; the routes show a plain message for each kind."""


class CodeRefused(Refused):
    """Unknown or already used: one answer for both."""


class LinkUnknown(Refused):
    pass


class TooManyCodes(Refused):
    def __init__(self, minutes: int):
        super().__init__(minutes)
        self.minutes = minutes


class NotOpen(Refused):
    """The round is closed or not open yet."""

    def __init__(self, opens_on: date, closes_on: date):
        super().__init__(opens_on)
        self.opens_on, self.closes_on = opens_on, closes_on

    @property
    def not_yet(self) -> bool:
        return today() < self.opens_on


class UnknownQuestion(Refused):
    """An answer names an item that is not in this survey (a changed form)."""


class ValueOutOfRange(Refused):
    """An answer is not one of its item's options."""


class MissingAnswers(Refused):
    def __init__(self, numbers: list[int], first_part: int):
        super().__init__(numbers)
        self.numbers, self.first_part = numbers, first_part


# --- opening a survey ---------------------------------------------------------------------


def code_limit(address: str) -> Limit:
    """Wrong codes allowed per client address; the address is kept only as a keyed hash."""
    config = current_app.config
    key = hmac.new(
        f"{config['SECRET_KEY']}:survey-address".encode(), address.encode(), hashlib.sha256
    ).hexdigest()
    return Limit(
        "survey-code",
        f"address:{key}",
        config["PLAYBOOK_SURVEY_CODE_ATTEMPTS"],
        timedelta(minutes=config["PLAYBOOK_SURVEY_CODE_WINDOW_MINUTES"]),
    )


def open_with_code(typed: str, address: str) -> Survey:
    """The survey an unused code opens. The code is hashed first, then looked up in one
    query whether it is unknown or used, so both take the same time and get the same
    answer (CodeRefused). Raises TooManyCodes after too many wrong codes from this
    address, NotOpen outside the round's dates. Commits."""
    code_hash = codes.hash_code(typed)
    limit = code_limit(address)
    try:
        attempt = throttle.claim([limit])
    except throttle.LimitReached as reached:
        raise TooManyCodes(reached.minutes) from None
    group = None
    if code_hash is not None:
        group = db.session.scalar(
            select(SurveyGroup)
            .join(ResponseCode, ResponseCode.group_id == SurveyGroup.id)
            .where(ResponseCode.code_hash == code_hash, ResponseCode.used.is_(False))
            .options(joinedload(SurveyGroup.round))
        )
    if group is None:
        throttle.prune_attempts(max(limit.window, timedelta(days=1)))
        db.session.commit()
        raise CodeRefused()
    throttle.release(attempt)
    return _opened(group)


def open_with_link(token: str) -> Survey:
    """The survey a group's shared link opens (raises LinkUnknown, NotOpen). Commits
    (only to end the reading transaction)."""
    group = db.session.scalar(
        select(SurveyGroup)
        .where(SurveyGroup.shared_link_hash == codes.hash_link_token(token))
        .options(joinedload(SurveyGroup.round))
    )
    if group is None:
        db.session.rollback()
        raise LinkUnknown()
    return _opened(group)


def _opened(group: SurveyGroup) -> Survey:
    # The commits below keep what the caller did before (a good code's attempt taken
    # back) and end the reading transaction.
    survey_round = group.round
    if not survey_round.is_open_on(today()):
        db.session.commit()
        raise NotOpen(survey_round.opens_on, survey_round.closes_on)
    instrument = survey_round.instrument_for(group.audience)
    if instrument is None:
        db.session.commit()
        raise LinkUnknown()
    items = db.session.scalars(
        select(InstrumentItem)
        .where(InstrumentItem.instrument_id == instrument.id)
        .options(joinedload(InstrumentItem.element).joinedload(Element.component))
    ).all()
    survey = _survey(group, instrument, list(items))
    db.session.commit()
    if not survey.parts:
        raise LinkUnknown()
    return survey


def _survey(group: SurveyGroup, instrument: Any, items: list[InstrumentItem]) -> Survey:
    by_component: dict[tuple[int, int], list[InstrumentItem]] = {}
    names: dict[tuple[int, int], str] = {}
    for item in sorted(items, key=lambda item: (item.position, item.id)):
        component = item.element.component
        by_component.setdefault((component.position, component.id), []).append(item)
        names[(component.position, component.id)] = component.name
    parts: list[tuple[Question, ...]] = []
    number = 0
    for key in sorted(by_component):
        part = []
        for item in by_component[key]:
            number += 1
            part.append(Question(item.id, number, item.text_en, item.text_es, item.scale))
        parts.append(tuple(part))
    survey_round = group.round
    return Survey(
        group_id=group.id,
        instrument_id=instrument.id,
        title_en=instrument.title_en,
        title_es=instrument.title_es,
        opens_on=survey_round.opens_on,
        closes_on=survey_round.closes_on,
        open_question_en=instrument.open_question_en,
        open_question_es=instrument.open_question_es,
        parts=tuple(parts),
        part_names=tuple(names[key] for key in sorted(by_component)),
        questions={q.id: q for part in parts for q in part},
    )


# --- answers ------------------------------------------------------------------------------

ANSWER_PREFIX = "a-"


def _small_number(raw: str) -> int | None:
    """A form value as a small whole number; None for anything else (signs, other
    scripts' digits, a thousand digits)."""
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def read_answers(survey: Survey, form: Any) -> dict[int, int]:
    """The answers a page sent (fields a-<item id>), checked against the survey:
    raises UnknownQuestion for an item not in it, ValueOutOfRange for a value that is
    not one of the item's options. Blank fields are unanswered."""
    answers: dict[int, int] = {}
    for name in form:
        if not name.startswith(ANSWER_PREFIX):
            continue
        item_id = _small_number(name[len(ANSWER_PREFIX) :])
        question = survey.questions.get(item_id) if item_id is not None else None
        if question is None:
            raise UnknownQuestion()
        given = {value.strip() for value in form.getlist(name) if value.strip()}
        if not given:
            continue
        value = _small_number(given.pop()) if len(given) == 1 else None
        if value is None or value not in question.values:
            raise ValueOutOfRange()
        answers[question.id] = value
    return answers


def step_after(survey: Survey, answers: dict[int, int], raw_step: str, go: str) -> int:
    """The page to show after a button on page `raw_step`: Back, Next (once every
    question of this page has an answer, else MissingAnswers), or the same page (the
    language switch, or Enter on a choice)."""
    step = min(_small_number(raw_step) or 0, survey.steps - 1)
    if go == "back":
        return max(step - 1, 0)
    if go == "next":
        if step < len(survey.parts):
            check_complete(survey, answers, step)
        return min(step + 1, survey.steps - 1)
    return step


def check_complete(survey: Survey, answers: dict[int, int], part: int | None = None) -> None:
    """Raises MissingAnswers naming every unanswered question (of one part, or all)."""
    parts = survey.parts if part is None else survey.parts[part : part + 1]
    missing = [q for questions in parts for q in questions if q.id not in answers]
    if missing:
        raise MissingAnswers([q.number for q in missing], survey.part_of(missing[0].id))


def clean_open_answer(value: str) -> str:
    return text.clean_multi_line(value).strip()[:OPEN_ANSWER_MAX]


# --- the final submit ---------------------------------------------------------------------


def _rowcount(statement: Any) -> int:
    return cast("CursorResult[Any]", db.session.execute(statement)).rowcount


def submit(
    survey: Survey,
    answers: dict[int, int],
    open_answer: str,
    *,
    code: str | None = None,
    address: str = "",
) -> None:
    """Store one response: with a code, spend it first in the same transaction (an
    UPDATE that must change exactly one row, so of two devices sending the same code
    one wins and the other stores nothing: CodeRefused). Every question must have an
    answer (MissingAnswers). The response gets a random id and today's date only.
    Commits once."""
    check_complete(survey, answers)
    if code is not None:
        code_hash = codes.hash_code(code)
        spent = _rowcount(
            update(ResponseCode)
            .where(ResponseCode.code_hash == code_hash, ResponseCode.used.is_(False))
            .values(used=True)
        )
        if spent != 1:
            db.session.rollback()
            throttle.record_attempts([code_limit(address)])
            db.session.commit()
            raise CodeRefused()
    response_id = secrets.token_hex(16)
    db.session.execute(
        insert(SurveyResponse).values(
            id=response_id,
            group_id=survey.group_id,
            instrument_id=survey.instrument_id,
            submitted_on=today(),
            open_answer=clean_open_answer(open_answer) if survey.has_open_question else "",
        )
    )
    db.session.execute(
        update(SurveyGroup)
        .where(SurveyGroup.id == survey.group_id)
        .values(response_count=SurveyGroup.response_count + 1)
    )
    db.session.execute(
        insert(SurveyAnswer),
        [
            {"response_id": response_id, "item_id": item_id, "value": value}
            for item_id, value in sorted(answers.items())
        ],
    )
    db.session.commit()
