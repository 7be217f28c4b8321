"""Writes about survey results: making a round's results public, and removing raw
answers after the retention period while keeping the aggregates. Services commit
once, at their end."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from playbook.extensions import db
from playbook.models import SurveyAnswer, SurveyGroup, SurveyResponse, SurveyRound, User
from playbook.models.base import utcnow
from playbook.permissions import Action, require
from playbook.playbooks.schedule import today
from playbook.results import queries
from playbook.surveys import scores


def set_public(actor: User, survey_round: SurveyRound, public: bool) -> None:
    """Show (or stop showing) the round's aggregates to everyone who may read the
    playbook. Only owners decide what leaves the team (Action.SURVEY_RAW_EXPORT)."""
    require(actor, Action.SURVEY_RAW_EXPORT, survey_round)
    survey_round.results_public = public
    db.session.commit()


def purge_expired_rounds() -> int:
    """Rounds closed more than PLAYBOOK_SURVEY_RETENTION_DAYS ago lose their raw
    responses and answers; their grouped counts stay in `summary` first, so their
    results and trend read the same afterwards. Returns how many rounds were purged.
    Safe to repeat: a purged round is skipped."""
    days = int(current_app.config.get("PLAYBOOK_SURVEY_RETENTION_DAYS", 730))
    cutoff = today() - timedelta(days=days)
    rounds = list(
        db.session.scalars(
            select(SurveyRound)
            .where(SurveyRound.closes_on < cutoff, SurveyRound.purged_at.is_(None))
            .options(*scores.round_load_options())
        )
    )
    if not rounds:
        return 0
    counts = scores.read_counts(rounds)
    for survey_round in rounds:
        survey_round.summary = counts[survey_round.id].to_json()
        survey_round.purged_at = utcnow()
    group_ids = select(SurveyGroup.id).where(SurveyGroup.round_id.in_([r.id for r in rounds]))
    responses = select(SurveyResponse.id).where(SurveyResponse.group_id.in_(group_ids))
    db.session.execute(
        delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(responses)),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        delete(SurveyResponse).where(SurveyResponse.group_id.in_(group_ids)),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return len(rounds)


# --- exports (read-only; here because they build files) -----------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _figure_row(
    results: scores.RoundResults,
    audience: str,
    group: str,
    level: str,
    name: str,
    cell: scores.Cell,
) -> list[Any]:
    if cell.hidden:
        return [audience, group, level, name, "suppressed", "suppressed"] + ["suppressed"] * 6
    score = cell.score
    return [
        audience,
        group,
        level,
        name,
        cell.base,
        "" if score is None else round(score),
        *[n for _, n in cell.distribution()],
    ]


def aggregate_csv(results: scores.RoundResults) -> str:
    """The figures of the page, suppressed cells saying so (never a hidden number)."""
    header = ["audience", "group", "level", "name", "respondents", "score"]
    header += [f"answered {v}" for v in range(1, scores.SCALE_MAX + 1)] + ["prefer not to answer"]
    rows: list[list[Any]] = [header]
    for audience in results.audiences:
        labels = [row.group.label for row in audience.groups]
        for result in audience.components.values():
            for figure, level in (
                (result.figure, "component"),
                *((e, "element") for e in result.elements),
            ):
                rows.append(
                    _figure_row(
                        results,
                        audience.audience.label,
                        "All groups shown",
                        level,
                        figure.name,
                        figure.total,
                    )
                )
                for label, cell in zip(labels, figure.groups, strict=True):
                    rows.append(
                        _figure_row(
                            results, audience.audience.label, label, level, figure.name, cell
                        )
                    )
    rows.append([])
    rows.append(["group", "audience", "codes issued", "responses", "response rate"])
    for audience in results.audiences:
        for row in audience.groups:
            rate = row.rate
            rows.append(
                [
                    row.group.label,
                    audience.audience.label,
                    row.group.codes_issued or "shared link",
                    row.responses,
                    "" if rate is None else f"{rate}%",
                ]
            )
    return _csv(rows)


def raw_csv(survey_round: SurveyRound, results: scores.RoundResults) -> str:
    """One row per response of the groups at or above the threshold, in no order that
    tells anything (sorted by the responses' random ids), with no dates. Open answers
    only for audiences with enough respondents for them to be shown."""
    if survey_round.purged_at:
        return _csv([["The raw answers of this round were removed; its figures were kept."]])
    rows: list[list[Any]] = []
    for audience in results.audiences:
        if audience.instrument is None:
            continue
        groups = {
            row.group.id: row.group for row in audience.groups if row.responses >= results.threshold
        }
        if not groups:
            continue
        items = audience.instrument.items
        with_open = audience.responses >= max(queries.OPEN_ANSWERS_MIN, results.threshold)
        rows.append(
            ["audience", "group", *[f"{i.position + 1}. {i.text_en}" for i in items]]
            + (["open answer"] if with_open else [])
        )
        responses = queries.raw_answers(list(groups))
        for group_id, open_answer, answers in responses:
            rows.append(
                [audience.audience.label, groups[group_id].label]
                + [answers.get(i.id, "") for i in items]
                + ([open_answer] if with_open else [])
            )
        rows.append([])
    if not rows:
        rows = [["No group has enough responses to export its answers."]]
    return _csv(rows)
