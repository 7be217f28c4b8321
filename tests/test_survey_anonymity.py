"""Survey answers are anonymous by construction: the tables themselves hold nothing
that ties a response to a code, a device, an address or a time finer than the day,
and nothing numbers responses in the order they came. Tested like access control,
together with who may run a round and read its results."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Date, DateTime, Integer, inspect

from playbook.extensions import db
from playbook.models import (
    AnonymousUser,
    MemberRole,
    ResponseCode,
    SurveyAnswer,
    SurveyResponse,
    SurveyRound,
    Visibility,
)
from playbook.permissions import Action, can
from tests import factories

ANSWER_TABLES = (SurveyResponse, SurveyAnswer)


@pytest.mark.parametrize("model", ANSWER_TABLES)
def test_answer_tables_hold_no_time_finer_than_the_day(app, model):
    for column in model.__table__.columns:
        assert not isinstance(column.type, DateTime), f"{model.__tablename__}.{column.name}"
    dates = [c.name for c in SurveyResponse.__table__.columns if isinstance(c.type, Date)]
    assert dates == ["submitted_on"]


@pytest.mark.parametrize("model", ANSWER_TABLES)
def test_answer_tables_name_no_code_device_address_or_person(app, model):
    columns = {c.name for c in model.__table__.columns}
    for word in ("code", "ip", "address", "agent", "device", "user", "session", "lang"):
        assert not any(word in name.split("_") for name in columns), (model, word, columns)
    targets = {fk.column.table.name for fk in model.__table__.foreign_keys}
    assert targets <= {"survey_group", "instrument", "instrument_item", "survey_response"}


def test_a_code_points_at_no_response_and_keeps_no_time(app):
    columns = {c.name: c for c in ResponseCode.__table__.columns}
    assert set(columns) == {"code_hash", "group_id", "used"}
    assert {fk.column.table.name for fk in ResponseCode.__table__.foreign_keys} == {"survey_group"}


def test_responses_have_random_ids_not_a_sequence(app):
    id_column = SurveyResponse.__table__.c.id
    assert not isinstance(id_column.type, Integer)
    owner = factories.make_user()
    survey_round = factories.make_round(factories.make_playbook(owner))
    group = survey_round.groups[0]
    ids = []
    for _ in range(20):
        response = SurveyResponse(
            group_id=group.id,
            instrument_id=survey_round.instruments[0].id,
            submitted_on=date.today(),
        )
        db.session.add(response)
        db.session.flush()
        ids.append(response.id)
    assert len(set(ids)) == 20 and all(len(i) == 32 for i in ids)
    assert ids != sorted(ids)  # 1 chance in 20! of failing by luck


def test_sqlite_keeps_no_hidden_row_number_for_answers(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("WITHOUT ROWID is SQLite's; PostgreSQL has no rowid to hide")
    with db.engine.connect() as connection:
        for table in ("survey_response", "survey_answer"):
            sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = ?", (table,)
            ).scalar_one()
            assert "WITHOUT ROWID" in sql.upper(), table


def test_deleting_a_round_deletes_its_groups_codes_responses_and_answers(app):
    owner = factories.make_user()
    survey_round = factories.make_round(factories.make_playbook(owner))
    group, instrument = survey_round.groups[0], survey_round.instruments[0]
    db.session.add(ResponseCode(code_hash="a" * 64, group_id=group.id))
    response = SurveyResponse(
        group_id=group.id, instrument_id=instrument.id, submitted_on=date.today()
    )
    response.answers = [SurveyAnswer(item_id=instrument.items[0].id, value=4)]
    db.session.add(response)
    db.session.commit()
    db.session.delete(db.session.get(SurveyRound, survey_round.id))
    db.session.commit()
    for model in (ResponseCode, SurveyResponse, SurveyAnswer):
        assert db.session.query(model).count() == 0, model
    assert inspect(instrument).persistent  # the instrument stays


ROLES = ("owner", "editor", "commenter", "viewer", "outsider", "visitor")
EXPECTED = {
    Action.SURVEY_RUN: {"owner", "editor"},
    Action.SURVEY_RESULTS: {"owner", "editor", "commenter", "viewer"},
    Action.SURVEY_OPEN_ANSWERS: {"owner", "editor"},
    Action.SURVEY_RAW_EXPORT: {"owner"},
}


@pytest.fixture
def team(app):
    people = {role: factories.make_user() for role in ROLES if role != "visitor"}
    playbook = factories.make_playbook(people["owner"])
    for role in ("editor", "commenter", "viewer"):
        factories.add_members(playbook.id, people[role], role=MemberRole(role))
    people["visitor"] = AnonymousUser()
    return people, playbook


@pytest.mark.parametrize("action", list(EXPECTED))
def test_who_may_run_a_round_and_read_what_of_it(team, action):
    people, playbook = team
    survey_round = factories.make_round(playbook)
    for role in ROLES:
        for obj in (playbook, survey_round):
            assert can(people[role], action, obj) is (role in EXPECTED[action]), (role, obj)


def test_public_results_reach_readers_of_the_playbook_and_nobody_else(team):
    people, playbook = team
    survey_round = factories.make_round(playbook, results_public=True)
    assert not can(people["outsider"], Action.SURVEY_RESULTS, survey_round)  # private
    playbook.visibility = Visibility.PUBLIC
    db.session.commit()
    for role in ROLES:
        assert can(people[role], Action.SURVEY_RESULTS, survey_round), role
        # Public aggregates never open the open answers or the raw export.
        assert can(people[role], Action.SURVEY_OPEN_ANSWERS, survey_round) is (
            role in EXPECTED[Action.SURVEY_OPEN_ANSWERS]
        )
    survey_round.results_public = False
    db.session.commit()
    assert not can(people["outsider"], Action.SURVEY_RESULTS, survey_round)
    assert not can(people["visitor"], Action.SURVEY_RESULTS, survey_round)
