"""Survey scores: a round's figures worked out from grouped counts, with small groups
protected. The results pages (playbook/results) and the playbook page's coverage map
(the latest score per component) both read them from here.

What is counted
---------------
Everything comes from the responses each group counts and one statement of three
grouped parts over any number of rounds, whatever the number of responses
(`read_counts`): answers per (group, item, value); and distinct respondents with a
counted answer per (group, element) and per (group, component). A purged round (raw
answers removed under PLAYBOOK_SURVEY_RETENTION_DAYS) keeps exactly these counts in
`SurveyRound.summary`, so its page and its trend read the same figures from there.

A score is 0–100: the mean over counted answers of (value - 1) / (5 - 1) × 100;
"prefer not to answer" (0) is never counted in a score, but is shown in the
distribution. Figures are shown per group and per audience (all groups of that
audience together), per component and per element. Teachers' and students' figures
stand side by side and are never added together.

Small groups are protected
--------------------------
A figure's base is the number of distinct respondents who gave it a counted answer.
1. A figure whose base is below the threshold (`min_respondents()`:
   PLAYBOOK_SURVEY_MIN_RESPONDENTS, never below 3) is not shown; its cell says
   "fewer than N responses". A figure nobody answered at all says "no answers" (one
   with only "prefer not to answer" counts as small: its counts still add up).
2. An audience's figure (all its groups together) is the sum of its groups' shown
   figures only: a hidden group is left out of it, and the cell says how many groups
   were left out. So the audience's figure minus the shown groups gives nothing
   away; it is never made from a hidden figure. (Hiding the next-smallest group too,
   or the total, would lose a large group or the figure the side-by-side view and
   the trend need.)
3. Complementary suppression within a group. A component's distribution is the sum
   of its elements' distributions, so whenever a group's component figure is shown
   and exactly one of its answered elements is hidden, the component minus the shown
   elements would give the hidden one away: the smallest shown element is hidden too
   ("hidden so that a smaller figure cannot be worked out"); when no other element
   can be hidden, the component is hidden instead. Repeated until no breakdown has
   exactly one hidden part. The audience's figures are sums of shown group figures
   (rule 2), so they add nothing that could be worked back.
4. Score and distribution of a figure share its base and are shown or hidden
   together; single items are never shown on their own (only elements and
   components), so an element's items cannot be told apart.
5. Responses per group and the response rate are turnout, not answers, and are
   always shown.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import distinct, func, literal, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from playbook.extensions import db
from playbook.models import (
    Component,
    Element,
    Instrument,
    InstrumentItem,
    SurveyAnswer,
    SurveyAudience,
    SurveyGroup,
    SurveyResponse,
    SurveyRound,
)

WEAKEST = 2
SCALE_MAX = 5

SMALL = "small"
COMPLEMENT = "complement"
EMPTY = "empty"


def min_respondents() -> int:
    """The threshold: the configured value, never below 3."""
    return max(3, int(current_app.config.get("PLAYBOOK_SURVEY_MIN_RESPONDENTS", 5)))


# --- the counts ---------------------------------------------------------------------


@dataclass
class Counts:
    """A round's grouped counts: all the results are worked out from these."""

    responses: dict[int, int] = field(default_factory=dict)
    # (group_id, item_id, value) -> answers
    answers: dict[tuple[int, int, int], int] = field(default_factory=dict)
    # (group_id, element_id) / (group_id, component_id) -> distinct respondents with a
    # counted answer
    element_bases: dict[tuple[int, int], int] = field(default_factory=dict)
    component_bases: dict[tuple[int, int], int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "responses": [[g, n] for g, n in self.responses.items()],
            "answers": [[g, i, v, n] for (g, i, v), n in self.answers.items()],
            "element_bases": [[g, e, n] for (g, e), n in self.element_bases.items()],
            "component_bases": [[g, c, n] for (g, c), n in self.component_bases.items()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Counts:
        return cls(
            responses={int(g): int(n) for g, n in data.get("responses", [])},
            answers={(int(g), int(i), int(v)): int(n) for g, i, v, n in data.get("answers", [])},
            element_bases={(int(g), int(e)): int(n) for g, e, n in data.get("element_bases", [])},
            component_bases={
                (int(g), int(c)): int(n) for g, c, n in data.get("component_bases", [])
            },
        )


def read_counts(rounds: list[SurveyRound]) -> dict[int, Counts]:
    """The counts of each round (its groups loaded): from its summary when purged, else
    the responses per group from the groups themselves (SurveyGroup.response_count,
    raised in each response's own transaction) and the answers from one grouped
    statement for all the other rounds together, only for rounds whose counts this
    worker does not hold for those same responses (see _fingerprint)."""
    result = {r.id: Counts.from_json(r.summary or {}) for r in rounds if r.purged_at}
    live = [r for r in rounds if not r.purged_at]
    if not live:
        return result
    for survey_round in live:
        result[survey_round.id] = Counts(
            responses={g.id: g.response_count for g in survey_round.groups if g.response_count}
        )
    cache = current_app.extensions.get("page_cache")
    missing = []
    for round_id in (r.id for r in live):
        kept = (
            cache.get(_counts_key(round_id), _fingerprint(result[round_id]), exact=True)
            if cache
            else None
        )
        if kept is None:
            missing.append(round_id)
        else:
            result[round_id] = Counts.from_json(json.loads(kept.body))
    if missing:
        _read_answer_counts(missing, result)
    if missing and cache is not None:
        for round_id in missing:
            body = json.dumps(result[round_id].to_json()).encode()
            key, fingerprint = _counts_key(round_id), _fingerprint(result[round_id])
            cache.put(key, fingerprint, body, "application/json")
    return result


def _counts_key(round_id: int) -> str:
    return f"survey-counts:{round_id}"


def _fingerprint(counts: Counts) -> tuple[tuple[int, int], ...]:
    """Responses are only ever added whole (a response and its answers in one
    transaction) and removed only with their round or by the retention job (which
    marks the round purged), so the responses per group tell whether the answer counts
    kept in this worker (pagecache.PageCache) still hold: they are kept without the
    page cache's age limit, as recounting tens of thousands of answers every minute
    would hold up every request queued behind it."""
    return tuple(sorted(counts.responses.items()))


# The three parts of the statement over the answers (_read_answer_counts).
_ANSWERS, _ELEMENTS, _COMPONENTS = 1, 2, 3


def _read_answer_counts(rounds: list[int], result: dict[int, Counts]) -> None:
    """The answers of `rounds` counted in one statement of three grouped parts: answers
    per (group, item, value), and distinct respondents with a counted answer per
    (group, element) and per (group, component)."""
    answered = (
        select(SurveyGroup.round_id, SurveyResponse.group_id)
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyGroup, SurveyGroup.id == SurveyResponse.group_id)
        .where(SurveyGroup.round_id.in_(rounds))
    )
    respondents = func.count(distinct(SurveyAnswer.response_id))
    counted = answered.join(InstrumentItem, InstrumentItem.id == SurveyAnswer.item_id).where(
        SurveyAnswer.value > 0
    )
    by_value = answered.add_columns(
        literal(_ANSWERS).label("part"), SurveyAnswer.item_id, SurveyAnswer.value, func.count()
    ).group_by(
        SurveyGroup.round_id, SurveyResponse.group_id, SurveyAnswer.item_id, SurveyAnswer.value
    )
    by_element = counted.add_columns(
        literal(_ELEMENTS), InstrumentItem.element_id, literal(0), respondents
    ).group_by(SurveyGroup.round_id, SurveyResponse.group_id, InstrumentItem.element_id)
    by_component = (
        counted.join(Element, Element.id == InstrumentItem.element_id)
        .add_columns(literal(_COMPONENTS), Element.component_id, literal(0), respondents)
        .group_by(SurveyGroup.round_id, SurveyResponse.group_id, Element.component_id)
    )
    for round_id, group_id, part, key, value, n in db.session.execute(
        union_all(by_value, by_element, by_component)
    ):
        counts = result[round_id]
        if part == _ANSWERS:
            counts.answers[(group_id, key, value)] = n
        elif part == _ELEMENTS:
            counts.element_bases[(group_id, key)] = n
        else:
            counts.component_bases[(group_id, key)] = n


# --- figures and suppression ----------------------------------------------------------


@dataclass
class Cell:
    """One figure: a score and a distribution over `base` distinct respondents."""

    base: int = 0
    counts: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    hidden: str = ""  # SMALL, COMPLEMENT, EMPTY or "" (shown)
    left_out: int = 0  # an audience's figure: answered groups not in it (hidden)

    @property
    def shown(self) -> bool:
        return not self.hidden

    @property
    def counted(self) -> int:
        return sum(n for v, n in self.counts.items() if v > 0)

    @property
    def score(self) -> float | None:
        """0–100, prefer-not-to-answer left out; None when hidden or unanswered."""
        if self.hidden or not self.counted:
            return None
        total = sum((v - 1) * n for v, n in self.counts.items() if v > 0)
        return total / self.counted / (SCALE_MAX - 1) * 100

    def distribution(self) -> list[tuple[int, int]]:
        """(value, answers) for 1..5, then 0 (prefer not to answer)."""
        return [(v, self.counts.get(v, 0)) for v in (*range(1, SCALE_MAX + 1), 0)]

    def why(self, threshold: int) -> str:
        if self.hidden == SMALL:
            return f"fewer than {threshold} responses"
        if self.hidden == COMPLEMENT:
            return "hidden so that a smaller figure cannot be worked out"
        if self.hidden == EMPTY:
            return "no answers"
        return ""


def _shown_total(parts: list[Cell]) -> Cell:
    """An audience's figure: the sum of its shown groups' figures (rule 2)."""
    total = Cell()
    for part in parts:
        if part.shown:
            total.base += part.base
            for value, n in part.counts.items():
                total.counts[value] += n
        elif part.hidden != EMPTY:
            total.left_out += 1
    if not any(total.counts.values()):
        total.hidden = SMALL if total.left_out else EMPTY
    return total


def protect(cells: dict[Any, Cell], breakdowns: list[tuple[Any, list[Any]]], k: int) -> None:
    """Hide small figures and their complements (rule 2 of the module docstring).
    `breakdowns` lists (total key, part keys)."""
    for cell in cells.values():
        if not any(cell.counts.values()):
            cell.hidden = EMPTY
        elif cell.base < k:  # also a few who only preferred not to answer
            cell.hidden = SMALL
    changed = True
    while changed:
        changed = False
        for total_key, part_keys in breakdowns:
            total = cells[total_key]
            if total.hidden:
                continue
            parts = [cells[p] for p in part_keys]
            hidden = [p for p in parts if p.hidden in (SMALL, COMPLEMENT)]
            if len(hidden) != 1:
                continue
            others = sorted((p for p in parts if p.shown), key=lambda p: p.base)
            (others[0] if others else total).hidden = COMPLEMENT
            changed = True


@dataclass
class Figure:
    """A component or an element: one cell per group and one for the audience."""

    key: tuple[str, int]
    name: str
    groups: list[Cell]
    total: Cell


@dataclass
class ComponentResult:
    component: Component
    figure: Figure
    elements: list[Figure]


@dataclass
class GroupRow:
    group: SurveyGroup
    responses: int

    @property
    def rate(self) -> int | None:
        if not self.group.codes_issued or self.group.shared_link_hash:
            return None
        return round(100 * self.responses / self.group.codes_issued)


@dataclass
class AudienceResult:
    audience: SurveyAudience
    instrument: Instrument | None
    groups: list[GroupRow]
    components: dict[int, ComponentResult]

    @property
    def responses(self) -> int:
        return sum(g.responses for g in self.groups)


@dataclass
class RoundResults:
    round: SurveyRound
    threshold: int
    audiences: list[AudienceResult]
    components: list[Component]

    def side_by_side(self) -> list[tuple[Component, list[tuple[AudienceResult, Cell | None]]]]:
        """Per component, each audience's overall figure (None: not measured)."""
        rows = []
        for component in self.components:
            cells = []
            for audience in self.audiences:
                result = audience.components.get(component.id)
                cells.append((audience, result.figure.total if result else None))
            rows.append((component, cells))
        return rows

    def component_scores(self) -> dict[int, dict[SurveyAudience, float]]:
        """Shown overall scores: component id -> audience -> score."""
        scores: dict[int, dict[SurveyAudience, float]] = {}
        for audience in self.audiences:
            for component_id, result in audience.components.items():
                score = result.figure.total.score
                if score is not None:
                    scores.setdefault(component_id, {})[audience.audience] = score
        return scores

    def weakest(self) -> list[Component]:
        """The components with the lowest shown score (any audience), weakest first."""
        scores = self.component_scores()
        ranked = sorted(
            (min(by.values()), c.position, c) for c in self.components if (by := scores.get(c.id))
        )
        return [c for _, _, c in ranked[:WEAKEST]]


def _audience_result(
    audience: SurveyAudience,
    instrument: Instrument | None,
    groups: list[SurveyGroup],
    counts: Counts,
    k: int,
) -> AudienceResult:
    items = {i.id: i for i in instrument.items} if instrument else {}
    components: dict[int, Component] = {}
    elements: dict[int, list[Element]] = defaultdict(list)
    for item in items.values():
        component = item.element.component
        components.setdefault(component.id, component)
        if item.element not in elements[component.id]:
            elements[component.id].append(item.element)
    cells: dict[Any, Cell] = defaultdict(Cell)
    group_ids = [g.id for g in groups]
    for (group_id, item_id, value), n in counts.answers.items():
        asked = items.get(item_id)
        if asked is None or group_id not in group_ids:
            continue
        cells[(group_id, ("e", asked.element_id))].counts[value] += n
        cells[(group_id, ("c", asked.element.component_id))].counts[value] += n
    for kind, bases in (("e", counts.element_bases), ("c", counts.component_bases)):
        for (group_id, figure_id), n in bases.items():
            if group_id in group_ids:
                cells[(group_id, (kind, figure_id))].base += n
    figure_keys = [("c", c) for c in components] + [
        ("e", e.id) for es in elements.values() for e in es
    ]
    for group_id in group_ids:
        for key in figure_keys:
            cells[(group_id, key)]  # every cell exists, answered or not
    protect(
        cells,
        [
            ((g, ("c", c)), [(g, ("e", e.id)) for e in es])
            for g in group_ids
            for c, es in elements.items()
        ],
        k,
    )
    for key in figure_keys:
        cells[("all", key)] = _shown_total([cells[(g, key)] for g in group_ids])

    def figure(key: tuple[str, int], name: str) -> Figure:
        return Figure(key, name, [cells[(g, key)] for g in group_ids], cells[("all", key)])

    results = {
        c.id: ComponentResult(
            c,
            figure(("c", c.id), c.name),
            [
                figure(("e", e.id), e.name)
                for e in sorted(elements[c.id], key=lambda e: (e.position, e.id))
            ],
        )
        for c in sorted(components.values(), key=lambda c: (c.position, c.id))
    }
    rows = [GroupRow(g, counts.responses.get(g.id, 0)) for g in groups]
    return AudienceResult(audience, instrument, rows, results)


def build_results(survey_round: SurveyRound, counts: Counts, k: int) -> RoundResults:
    """The round's figures per audience, suppression applied."""
    audiences = []
    seen: list[Component] = []
    for audience in SurveyAudience:
        groups = [g for g in survey_round.groups if g.audience is audience]
        instrument = survey_round.instrument_for(audience)
        if not groups and instrument is None:
            continue
        result = _audience_result(audience, instrument, groups, counts, k)
        audiences.append(result)
        for component_result in result.components.values():
            if component_result.component not in seen:
                seen.append(component_result.component)
    seen.sort(key=lambda c: (c.position, c.id))
    return RoundResults(survey_round, k, audiences, seen)


def _instruments_option() -> Any:
    """A round's instruments with their items (and what each measures): one statement."""
    return (
        selectinload(SurveyRound.instruments)
        .joinedload(Instrument.items)
        .joinedload(InstrumentItem.element)
        .joinedload(Element.component)
    )


def round_load_options() -> tuple[Any, ...]:
    """The round's playbook, groups and instruments: the round's statement and two."""
    return (
        joinedload(SurveyRound.playbook),
        selectinload(SurveyRound.groups),
        _instruments_option(),
    )


def round_figures(survey_round: SurveyRound) -> RoundResults:
    """The round's figures (its groups and instruments loaded), suppression applied."""
    counts = read_counts([survey_round])[survey_round.id]
    return build_results(survey_round, counts, min_respondents())


@dataclass
class LatestScores:
    """What the playbook page's coverage map shows of a round: each component's
    overall figure per audience (None where the round did not ask that audience about
    it), with the same suppression as the results page."""

    round: SurveyRound
    threshold: int
    components: dict[int, list[tuple[AudienceResult, Cell | None]]]


def latest_scores(round_id: int) -> LatestScores | None:
    """The scores of this round for the coverage map (the caller picks the round the
    reader may see): two statements to load it (the round with its groups; its
    instruments with their items), then the counts (read_counts)."""
    survey_round = (
        db.session.scalars(
            select(SurveyRound)
            .where(SurveyRound.id == round_id)
            # not the playbook: the page has it; a round has at most six groups to join
            .options(joinedload(SurveyRound.groups), _instruments_option())
        )
        .unique()
        .first()
    )
    if survey_round is None:
        return None
    figures = round_figures(survey_round)
    return LatestScores(
        survey_round,
        figures.threshold,
        {component.id: cells for component, cells in figures.side_by_side()},
    )
