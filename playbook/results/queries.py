"""Survey results: the figures of a round, worked out from grouped counts.

The figures themselves (counting, scores, the rules that protect small groups) are
worked out in playbook/surveys/scores.py.

Open answers are read only by owners and editors (Action.SURVEY_OPEN_ANSWERS) and
only for an audience of a round with at least OPEN_ANSWERS_MIN respondents.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from playbook import pagecache
from playbook.extensions import db
from playbook.models import (
    Component,
    Framework,
    Item,
    ItemStatus,
    Play,
    Playbook,
    Revision,
    SurveyAnswer,
    SurveyAudience,
    SurveyResponse,
    SurveyRound,
)
from playbook.models.library import play_component
from playbook.models.survey import Scale
from playbook.surveys.scores import (
    RoundResults,
    build_results,
    min_respondents,
    read_counts,
    round_load_options,
)

OPEN_ANSWERS_MIN = 10
OPEN_ANSWERS_PER_PAGE = 50
ROUNDS_IN_TREND = 12
PLAYS_PER_COMPONENT = 5

# How a distribution names the options (items use different five-option scales).
OPTION_LABELS = {
    1: "1 (lowest)",
    2: "2",
    3: "3",
    4: "4",
    5: "5 (highest)",
    0: "Prefer not to answer",
}

# --- loading --------------------------------------------------------------------------


def load_round(round_id: int) -> SurveyRound | None:
    return db.session.scalars(
        select(SurveyRound).where(SurveyRound.id == round_id).options(*round_load_options())
    ).first()


def load_round_head(round_id: int) -> SurveyRound | None:
    """The round with its playbook (and the playbook's members, for the rules) and its
    groups: what the results page needs before it knows whether its kept part holds."""
    return db.session.scalars(
        select(SurveyRound)
        .where(SurveyRound.id == round_id)
        .options(joinedload(SurveyRound.playbook), selectinload(SurveyRound.groups))
    ).first()


def results_fingerprint(survey_round: SurveyRound) -> tuple[Any, ...] | None:
    """What the results page's kept part shows: the round row (its updated_at moves
    with any change: public, purged, renamed), its groups with the responses each has
    counted (SurveyGroup.response_count: answers come only with their response), and,
    through the page cache's scopes, the playbook's items and the library's plays. One
    statement (the groups are loaded); None renders anew."""
    scopes = pagecache.fingerprint(
        {*pagecache.document_scopes(survey_round.playbook_id), pagecache.LIBRARY}
    )
    if scopes is None:
        return None
    groups = tuple(
        (
            g.id,
            g.label,
            g.audience.value,
            g.codes_issued,
            g.shared_link_hash is not None,
            g.response_count,
        )
        for g in survey_round.groups
    )
    return (scopes, str(survey_round.updated_at), survey_round.results_public, groups)


@dataclass(frozen=True)
class OpenAnswers:
    """One page of an audience's open answers: the answers, the number of the first
    one (from 1) and how many there are in all (None on a page past the last, where
    no row came back to tell)."""

    answers: list[str]
    first: int
    total: int | None

    @property
    def last(self) -> int:
        return self.first + len(self.answers) - 1


def open_answer_pages(answers: dict[SurveyAudience, OpenAnswers]) -> int:
    """How many pages the longest audience's open answers fill (at least 1)."""
    totals = [a.total for a in answers.values() if a.total]
    return max([-(-total // OPEN_ANSWERS_PER_PAGE) for total in totals], default=1)


def open_answers(
    survey_round: SurveyRound, results: RoundResults, page: int = 1
) -> dict[SurveyAudience, OpenAnswers]:
    """Page `page` (OPEN_ANSWERS_PER_PAGE a page) of the open answers of each audience
    with enough respondents (the caller checks who may read them), in the responses'
    random order, which stays the same from page to page. One statement per audience
    (three at most), which also counts them all."""
    if survey_round.purged_at:
        return {}
    answers: dict[SurveyAudience, OpenAnswers] = {}
    offset = (max(page, 1) - 1) * OPEN_ANSWERS_PER_PAGE
    for audience in results.audiences:
        if audience.responses < max(OPEN_ANSWERS_MIN, results.threshold):
            continue
        group_ids = [row.group.id for row in audience.groups]
        rows = db.session.execute(
            select(SurveyResponse.open_answer, func.count().over())
            .where(SurveyResponse.group_id.in_(group_ids), SurveyResponse.open_answer != "")
            .order_by(SurveyResponse.id)
            .limit(OPEN_ANSWERS_PER_PAGE)
            .offset(offset)
        ).all()
        total = rows[0][1] if rows else (0 if offset == 0 else None)
        answers[audience.audience] = OpenAnswers([row[0] for row in rows], offset + 1, total)
    return answers


def figure_option_labels(
    results: RoundResults,
) -> dict[tuple[SurveyAudience, tuple[str, int]], dict[int, str]]:
    """How each figure's distribution names the answers, by (audience, figure key):
    the scale's own labels ("Never" … "Always") when every question of the figure uses
    that one scale. A figure whose questions mix scales is left out: it keeps
    OPTION_LABELS, numbers that the page explains ("1 is each question's lowest
    answer")."""
    labels: dict[tuple[SurveyAudience, tuple[str, int]], dict[int, str]] = {}
    for audience in results.audiences:
        scales: dict[tuple[str, int], set[Scale]] = defaultdict(set)
        for item in audience.instrument.items if audience.instrument else []:
            scales[("e", item.element_id)].add(item.scale)
            scales[("c", item.element.component_id)].add(item.scale)
        for key, used in scales.items():
            if len(used) == 1:
                labels[(audience.audience, key)] = {o.value: o.en for o in used.pop().all_options}
    return labels


def raw_answers(group_ids: list[int]) -> list[tuple[int, str, dict[int, int]]]:
    """(group id, open answer, item id -> value) per response of these groups, sorted
    by the responses' random ids (an order that tells nothing); two statements."""
    responses = db.session.execute(
        select(SurveyResponse.id, SurveyResponse.group_id, SurveyResponse.open_answer)
        .where(SurveyResponse.group_id.in_(group_ids))
        .order_by(SurveyResponse.id)
    ).all()
    answers: dict[str, dict[int, int]] = defaultdict(dict)
    for response_id, item_id, value in db.session.execute(
        select(SurveyAnswer.response_id, SurveyAnswer.item_id, SurveyAnswer.value)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.group_id.in_(group_ids))
    ):
        answers[response_id][item_id] = value
    return [(g, text, answers[r]) for r, g, text in responses]


# --- closing the loop -----------------------------------------------------------------


def load_playbook(playbook_id: int) -> Playbook | None:
    """The playbook with its framework's components and elements, in one statement."""
    return db.session.scalars(
        select(Playbook)
        .where(Playbook.id == playbook_id)
        .options(
            joinedload(Playbook.framework)
            .joinedload(Framework.components)
            .joinedload(Component.elements)
        )
    ).first()


def serving_items(playbook: Playbook) -> dict[int, list[Item]]:
    """Component id -> the playbook's live items that serve it (as the coverage map
    counts them: playbooks.queries.coverage)."""
    from playbook.playbooks import queries as playbook_queries

    if playbook.framework is None:
        return {}
    playbook_queries.load_sections(playbook)
    return {row.component.id: row.items for row in playbook_queries.coverage(playbook)}


def plays_to_add(playbook: Playbook, components: list[Component]) -> dict[int, list[Play]]:
    """For each component, live library plays that serve it and the playbook does not
    hold yet (a few each), in one statement."""
    if not components:
        return {}
    held = select(Item.play_id).where(Item.playbook_id == playbook.id, Item.play_id.is_not(None))
    rows = db.session.execute(
        select(play_component.c.component_id, Play)
        .join(Play, Play.id == play_component.c.play_id)
        .options(load_only(Play.slug, Play.title, Play.summary))
        .where(
            play_component.c.component_id.in_([c.id for c in components]),
            Play.retired_at.is_(None),
            Play.id.not_in(held),
        )
        .order_by(play_component.c.component_id, Play.title)
        .limit(PLAYS_PER_COMPONENT * len(components) * 4)
    )
    plays: dict[int, list[Play]] = defaultdict(list)
    for component_id, play in rows:
        if len(plays[component_id]) < PLAYS_PER_COMPONENT:
            plays[component_id].append(play)
    return plays


# --- over time ------------------------------------------------------------------------


@dataclass
class Change:
    label: str
    after_round: int  # index of the round it follows (the change came before the next)


@dataclass
class Trend:
    component: Component
    # audience -> one score (or None: not shown) per round
    lines: dict[SurveyAudience, list[float | None]]
    changes: list[Change]


def playbook_rounds(playbook: Playbook) -> list[SurveyRound]:
    """The playbook's latest rounds, oldest first."""
    rounds = db.session.scalars(
        select(SurveyRound)
        .where(SurveyRound.playbook_id == playbook.id)
        .order_by(SurveyRound.opens_on.desc(), SurveyRound.id.desc())
        .limit(ROUNDS_IN_TREND)
        .options(*round_load_options()[1:])
    ).all()
    return list(reversed(rounds))


def _statuses_before(playbook_id: int, day: date) -> dict[int, str]:
    """Item id -> status as the playbook's history had it when `day` began (its last
    revision before then): one statement."""
    snapshot = db.session.scalar(
        select(Revision.snapshot)
        .where(
            Revision.playbook_id == playbook_id,
            Revision.created_at < datetime.combine(day, time.min, tzinfo=UTC),
        )
        .order_by(Revision.number.desc())
        .limit(1)
    )
    return {
        entry["id"]: entry["status"]
        for section in (snapshot or {}).get("sections", ())
        for entry in section.get("items", ())
        if "id" in entry and "status" in entry
    }


def trends(
    playbook: Playbook, rounds: list[SurveyRound], items: dict[int, list[Item]]
) -> list[Trend]:
    """Every component's overall score per audience across `rounds`, and the items
    serving it whose status changed between two rounds (from the history: the status
    before each round opened; one statement per round, at most ROUNDS_IN_TREND)."""
    counts = read_counts(rounds)
    k = min_respondents()
    per_round = [build_results(r, counts[r.id], k).component_scores() for r in rounds]
    statuses = [_statuses_before(playbook.id, r.opens_on) for r in rounds]
    components = playbook.framework.components if playbook.framework else []
    audiences = [a for a in SurveyAudience if any(a in s for by in per_round for s in by.values())]
    result = []
    for component in components:
        lines = {a: [by.get(component.id, {}).get(a) for by in per_round] for a in audiences}
        changes = [
            Change(f"{item.display_title}: {ItemStatus(after).label}", i)
            for i in range(len(rounds) - 1)
            for item in items.get(component.id, [])
            if (before := statuses[i].get(item.id)) is not None
            and (after := statuses[i + 1].get(item.id)) is not None
            and before != after
        ]
        result.append(Trend(component, lines, changes))
    return result
