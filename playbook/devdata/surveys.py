"""Generated survey results (see playbook.devdata): one closed round of the benchmark
playbook with 5,000 responses (a teachers' group on a shared link, four students'
groups on codes), answered on instruments made for its framework, so the benchmark
can measure the results page (/results/<round id>) at that size."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from playbook.extensions import db
from playbook.models import (
    Component,
    Element,
    Instrument,
    InstrumentItem,
    Playbook,
    Scale,
    SurveyAnswer,
    SurveyAudience,
    SurveyGroup,
    SurveyResponse,
    SurveyRound,
)

BENCHMARK_ROUND_TITLE = "Benchmark survey round"
# (label, audience, codes issued (0: shared link), responses): 5,000 responses in all.
GROUPS = (
    ("All staff", SurveyAudience.TEACHERS, 0, 120),
    ("Grade 6", SurveyAudience.STUDENTS_6_12, 1400, 1300),
    ("Grade 7", SurveyAudience.STUDENTS_6_12, 1400, 1300),
    ("Grade 8", SurveyAudience.STUDENTS_6_12, 1400, 1280),
    ("Grade 9", SurveyAudience.STUDENTS_6_12, 1100, 1000),
)


def fill(run) -> None:
    framework_id = db.session.scalar(
        select(Playbook.framework_id).where(Playbook.id == run.benchmark_id)
    )
    if framework_id is None:
        return
    elements = db.session.execute(
        select(Element.id, Element.name)
        .join(Component)
        .where(Component.framework_id == framework_id)
        .order_by(Component.position, Element.position, Element.id)
    ).all()
    if not elements:
        return
    instruments = {}
    for audience in (SurveyAudience.TEACHERS, SurveyAudience.STUDENTS_6_12):
        # The starter instruments when the framework has them (the seeded framework).
        existing = db.session.scalars(
            select(Instrument)
            .where(Instrument.framework_id == framework_id, Instrument.audience == audience)
            .order_by(Instrument.version.desc())
            .limit(1)
        ).first()
        if existing is not None:
            existing.freeze()
            instruments[audience] = existing
            continue
        instrument = Instrument(
            framework_id=framework_id,
            audience=audience,
            version=1,
            title_en=f"Generated survey: {audience.label}",
            title_es=f"Encuesta generada: {audience.label}",
            open_question_en="Anything else you want to tell us?",
            open_question_es="¿Algo más que quieras contarnos?",
            items=[
                InstrumentItem(
                    position=i,
                    element_id=element_id,
                    text_en=f"How often do you see this in class: {name}?",
                    text_es=f"¿Con qué frecuencia ves esto en clase: {name}?",
                    scale=Scale.FREQUENCY,
                )
                for i, (element_id, name) in enumerate(elements)
            ],
        )
        instrument.freeze()
        instruments[audience] = instrument
    closes = run.now.date() - timedelta(days=20)
    survey_round = SurveyRound(
        playbook_id=run.benchmark_id,
        title=BENCHMARK_ROUND_TITLE,
        opens_on=closes - timedelta(days=14),
        closes_on=closes,
        instruments=list(instruments.values()),
        groups=[
            SurveyGroup(position=i, label=label, audience=audience, codes_issued=codes)
            for i, (label, audience, codes, _) in enumerate(GROUPS)
        ],
    )
    db.session.add(survey_round)
    db.session.flush()
    rng, responses, answers = run.rng, [], []
    for group, (_, audience, _, count) in zip(survey_round.groups, GROUPS, strict=True):
        instrument = instruments[audience]
        group.response_count = count
        lean = rng.uniform(-0.8, 0.8)  # each group answers a little differently
        for _ in range(count):
            response_id = f"{rng.getrandbits(128):032x}"
            responses.append(
                dict(
                    id=response_id,
                    group_id=group.id,
                    instrument_id=instrument.id,
                    submitted_on=closes - timedelta(days=rng.randrange(14)),
                    open_answer="More time to work on my own goals." if rng.random() < 0.1 else "",
                )
            )
            for item in instrument.items:
                if rng.random() < 0.05:
                    continue  # skipped
                value = (
                    0 if rng.random() < 0.04 else min(5, max(1, round(rng.gauss(3.2 + lean, 1))))
                )
                answers.append(dict(response_id=response_id, item_id=item.id, value=value))
    run.insert(SurveyResponse, responses)
    run.insert(SurveyAnswer, answers)
    run.say(f"survey round {survey_round.id}: {len(responses)} responses, {len(answers)} answers")
