"""Survey rounds through their pages: opening a round with its groups and codes, the
one-time code sheet, new codes and shared links, changing and deleting a round, the
parent preview, who may do what, and statements per page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from playbook.database import count_statements
from playbook.extensions import db
from playbook.models import (
    Instrument,
    MemberRole,
    Playbook,
    ResponseCode,
    SurveyAnswer,
    SurveyAudience,
    SurveyGroup,
    SurveyResponse,
    SurveyRound,
)
from playbook.rounds import codes
from tests import factories
from tests.helpers import client_for, field_error, input_value, post, text_of

TODAY = date.today()
APP_CSS = Path(__file__).resolve().parents[1] / "static" / "css" / "app.css"
CODE = re.compile(r'<p class="slip-code">([A-Z0-9-]+)</p>')
LINK = re.compile(r"/respond/link/([A-Za-z0-9_-]+)")


@pytest.fixture
def team(app):
    """A playbook on its own framework with a teachers' and a (sensitive) students'
    6–12 instrument; an owner, an editor, a commenter, a viewer and an outsider."""
    framework = factories.make_framework()
    teachers = factories.make_instrument(framework)
    students = factories.make_instrument(
        framework, audience=SurveyAudience.STUDENTS_6_12, sensitive=True, title_en="Students"
    )
    people = {
        name: factories.make_user(display_name=name.title())
        for name in ("owner", "editor", "commenter", "viewer", "outsider")
    }
    playbook = factories.make_playbook(
        people["owner"], framework=framework, organization="Lincoln Middle School"
    )
    for role in ("editor", "commenter", "viewer"):
        factories.add_members(playbook.id, people[role], role=MemberRole(role))
    return {
        "playbook_id": playbook.id,
        "teachers_id": teachers.id,
        "students_id": students.id,
        **people,
    }


def round_form(team, **overrides) -> dict:
    data = {
        "title": "Autumn 2026",
        "opens_on": TODAY.isoformat(),
        "closes_on": (TODAY + timedelta(days=14)).isoformat(),
        "instruments": [str(team["students_id"])],
        "groups-0-label": "Grade 7, room 214",
        "groups-0-audience": "students_6_12",
        "groups-0-codes": "15",
        "groups-1-label": "Grade 7, room 215",
        "groups-1-audience": "students_6_12",
        "groups-1-codes": "15",
        "groups-2-label": "Grade 8, room 301",
        "groups-2-audience": "students_6_12",
        "groups-2-codes": "4",
    }
    data.update(overrides)
    return data


def open_round(client, team, **overrides):
    new_url = f"/rounds/playbooks/{team['playbook_id']}/new"
    return post(client, new_url, round_form(team, **overrides), new_url)


def the_round() -> SurveyRound:
    db.session.expire_all()
    return db.session.scalars(select(SurveyRound)).one()


def every_text_in_the_database() -> str:
    """Every value of every table, as text (to look for what must not be stored)."""
    values = []
    with db.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                values.extend(str(value) for value in row)
    return "\n".join(values)


# --- opening a round --------------------------------------------------------------------------


def test_opening_a_round_prints_34_distinct_codes_and_stores_only_their_hashes(app, team):
    client = client_for(app, team["editor"])
    response = open_round(client, team)
    assert response.status_code == 200, text_of(response)[:500]
    html = response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"]
    printed = CODE.findall(html)
    assert len(printed) == 34 and len(set(printed)) == 34
    for code in printed:
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
        assert set(code.replace("-", "")) <= set(codes.ALPHABET)
    assert html.count('class="slip"') == 34
    assert slip_addresses(html) == [["http://", "localhost", "/respond/"]] * 34
    assert "Grade 8, room 301" in html and "Autumn 2026" in html
    assert (TODAY + timedelta(days=14)).isoformat() in html

    survey_round = the_round()
    assert [(g.label, g.codes_issued) for g in survey_round.groups] == [
        ("Grade 7, room 214", 15),
        ("Grade 7, room 215", 15),
        ("Grade 8, room 301", 4),
    ]
    assert survey_round.created_by_id == team["editor"].id
    stored = set(db.session.scalars(select(ResponseCode.code_hash)))
    assert stored == {codes.hash_code(code) for code in printed}
    everything = every_text_in_the_database()
    for code in printed:
        assert code not in everything and code.replace("-", "") not in everything
    assert [i.id for i in survey_round.instruments] == [team["students_id"]]
    assert db.session.get(Instrument, team["students_id"]).is_frozen
    assert not db.session.get(Instrument, team["teachers_id"]).is_frozen


def test_the_form_offers_the_latest_version_per_audience_and_warns_of_sensitive_items(app, team):
    client = client_for(app, team["owner"])
    html = client.get(f"/rounds/playbooks/{team['playbook_id']}/new").get_data(as_text=True)
    assert "Some surveys ask sensitive questions" in html
    assert f'value="{team["students_id"]}"' in html and f'value="{team["teachers_id"]}"' in html


def test_playbook_without_framework_uses_the_seeded_instruments(app, library):
    from playbook.surveys.seed import seed_instruments

    seed_instruments()
    owner = factories.make_user()
    playbook = factories.make_playbook(owner)
    assert playbook.framework_id is None
    html = client_for(app, owner).get(f"/rounds/playbooks/{playbook.id}/new").get_data(as_text=True)
    seeded = db.session.scalars(select(Instrument)).all()
    assert len(seeded) == 3
    for instrument in seeded:
        assert f'value="{instrument.id}"' in html


def test_bad_input_is_refused_with_clear_errors_and_nothing_lost(app, team):
    client = client_for(app, team["owner"])
    response = open_round(
        client,
        team,
        closes_on=(TODAY - timedelta(days=1)).isoformat(),
        **{"groups-1-codes": "501", "groups-2-label": "Grade 7, room 214"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "cannot be before the opening date" in field_error(html, "closes_on")
    assert "from 1 to 500" in field_error(html, "groups-1-codes")
    assert "its own label" in field_error(html, "groups-2-label")
    assert input_value(html, "title") == "Autumn 2026"
    assert input_value(html, "groups-0-label") == "Grade 7, room 214"
    assert input_value(html, "groups-1-codes") == "501"
    assert db.session.scalar(select(func.count()).select_from(SurveyRound)) == 0
    assert db.session.scalar(select(func.count()).select_from(ResponseCode)) == 0
    assert not db.session.get(Instrument, team["students_id"]).is_frozen


def test_a_group_needs_a_survey_for_its_audience_and_only_teachers_share_a_link(app, team):
    client = client_for(app, team["owner"])
    response = open_round(
        client,
        team,
        **{"groups-1-audience": "teachers", "groups-2-shared_link": "y"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "None of the chosen surveys" in field_error(html, "groups-1-audience")
    assert "Only a teachers' group" in field_error(html, "groups-2-shared_link")


def test_only_the_newest_version_per_audience_is_offered_and_a_group_is_needed(app, team):
    client = client_for(app, team["owner"])
    newer = factories.make_instrument(
        db.session.get(Instrument, team["students_id"]).framework,
        audience=SurveyAudience.STUDENTS_6_12,
        version=2,
    )
    html = client.get(f"/rounds/playbooks/{team['playbook_id']}/new").get_data(as_text=True)
    assert f'value="{newer.id}"' in html and f'value="{team["students_id"]}"' not in html
    response = open_round(client, team)  # the older version, no longer offered
    assert response.status_code == 422
    assert "not a valid choice" in field_error(response.get_data(as_text=True), "instruments")
    empty = {f"groups-{n}-{f}": "" for n in range(3) for f in ("label", "codes")}
    response = open_round(client, team, instruments=[str(newer.id)], **empty)
    assert response.status_code == 422
    assert "Add at least one group" in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(SurveyRound)) == 0


def slip_addresses(html: str) -> list[list[str]]:
    """Each slip's address as the pieces a line may break between (never inside one)."""
    return [
        re.findall(r'<span class="slip-url-part">([^<]*)</span>', address)
        for address in re.findall(r'<p class="slip-url">(.*?)</p>', html, re.S)
    ]


def test_a_long_site_address_breaks_on_a_slip_only_between_its_parts(app, team):
    app.config["SERVER_NAME"] = "playbook.springfield-public-schools.example.org"
    response = open_round(client_for(app, team["editor"]), team)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, (response.status_code, text_of(response)[:300])
    addresses = slip_addresses(html)
    assert len(addresses) == 34
    assert addresses[0] == [
        "http://",
        "playbook.",
        "springfield-public-schools.",
        "example.",
        "org",
        "/respond/",
    ]
    assert (
        "".join(addresses[0]) == "http://playbook.springfield-public-schools.example.org/respond/"
    )
    # Each piece stays whole (white-space: nowrap), with a break allowed after it.
    assert re.search(r"\.slip-url-part \{[^}]*white-space: nowrap", APP_CSS.read_text())
    slip = re.search(r'<p class="slip-url">(.*?)</p>', html, re.S)[1]
    assert slip.count("</span><wbr>") == 5


def test_a_second_round_with_the_same_title_is_refused_so_a_resent_sheet_opens_none(app, team):
    client = client_for(app, team["owner"])
    assert open_round(client, team).status_code == 200
    again = open_round(client, team, title="autumn 2026")
    assert again.status_code == 422
    html = again.get_data(as_text=True)
    assert "already has a round called" in field_error(html, "title")
    assert input_value(html, "groups-2-label") == "Grade 8, room 301"
    assert db.session.scalar(select(func.count()).select_from(SurveyRound)) == 1
    assert db.session.scalar(select(func.count()).select_from(ResponseCode)) == 34


def test_teachers_group_gets_one_shared_link_shown_once_and_renewable(app, team):
    client = client_for(app, team["owner"])
    response = open_round(
        client,
        team,
        instruments=[str(team["students_id"]), str(team["teachers_id"])],
        **{
            "groups-2-label": "Teachers",
            "groups-2-audience": "teachers",
            "groups-2-codes": "",
            "groups-2-shared_link": "y",
        },
    )
    assert response.status_code == 200, text_of(response)[:400]
    token = LINK.search(response.get_data(as_text=True)).group(1)
    group = db.session.scalars(select(SurveyGroup).where(SurveyGroup.label == "Teachers")).one()
    assert group.shared_link_hash == codes.hash_link_token(token)
    assert group.codes_issued == 0
    assert token not in every_text_in_the_database()

    round_url = f"/rounds/{group.round_id}"
    response = post(client, f"/rounds/groups/{group.id}/link", {}, round_url)
    assert response.status_code == 200
    new_token = LINK.search(response.get_data(as_text=True)).group(1)
    db.session.expire_all()
    assert new_token != token
    assert db.session.get(SurveyGroup, group.id).shared_link_hash == codes.hash_link_token(
        new_token
    )


# --- after opening ----------------------------------------------------------------------------


def _answer(group_id: int, instrument_id: int, code_hash: str | None = None) -> str:
    """A response as the respond pages would store it (and the code marked used)."""
    instrument = db.session.get(Instrument, instrument_id)
    response = SurveyResponse(
        group_id=group_id, instrument_id=instrument_id, submitted_on=TODAY, open_answer=""
    )
    response.answers = [SurveyAnswer(item_id=item.id, value=3) for item in instrument.items]
    db.session.add(response)
    if code_hash:
        db.session.get(ResponseCode, code_hash).used = True
    db.session.commit()
    return response.id


def test_new_codes_replace_only_the_unused_ones(app, team):
    client = client_for(app, team["owner"])
    first = CODE.findall(open_round(client, team).get_data(as_text=True))
    survey_round = the_round()
    small = survey_round.groups[2]
    old = list(first[30:])  # the last group's 4 codes
    used_hash = codes.hash_code(old[0])
    response_id = _answer(small.id, team["students_id"], used_hash)

    round_url = f"/rounds/{survey_round.id}"
    page = client.get(round_url).get_data(as_text=True)
    assert "Make new codes for this group" in page and "shown once" in page
    response = post(client, f"/rounds/groups/{small.id}/codes", {}, round_url)
    assert response.status_code == 200
    fresh = CODE.findall(response.get_data(as_text=True))
    assert len(fresh) == 4 and not set(fresh) & set(first)
    db.session.expire_all()
    hashes = dict(
        db.session.execute(
            select(ResponseCode.code_hash, ResponseCode.used).where(
                ResponseCode.group_id == small.id
            )
        ).all()
    )
    assert hashes == {used_hash: True, **{codes.hash_code(c): False for c in fresh}}
    assert db.session.get(SurveyResponse, response_id) is not None
    others = db.session.scalar(
        select(func.count()).select_from(ResponseCode).where(ResponseCode.group_id != small.id)
    )
    assert others == 30


def test_more_groups_can_be_added_later(app, team):
    client = client_for(app, team["owner"])
    open_round(client, team)
    round_id = the_round().id
    round_url = f"/rounds/{round_id}"
    response = post(
        client,
        f"/rounds/{round_id}/groups",
        {
            "groups-0-label": "Grade 7, room 214",
            "groups-0-audience": "students_6_12",
            "groups-0-codes": "3",
        },
        round_url,
    )
    assert response.status_code == 422
    assert "its own label" in field_error(response.get_data(as_text=True), "groups-0-label")
    response = post(
        client,
        f"/rounds/{round_id}/groups",
        {
            "groups-0-label": "Grade 6, room 101",
            "groups-0-audience": "students_6_12",
            "groups-0-codes": "3",
        },
        round_url,
    )
    assert response.status_code == 200
    assert len(CODE.findall(response.get_data(as_text=True))) == 3
    assert [g.label for g in the_round().groups][-1] == "Grade 6, room 101"


def test_changing_title_and_dates_keeps_the_instruments(app, team):
    client = client_for(app, team["owner"])
    open_round(client, team)
    survey_round = the_round()
    edit_url = f"/rounds/{survey_round.id}/edit"
    bad = post(
        client,
        edit_url,
        {"title": "Spring", "opens_on": "2027-03-10", "closes_on": "2027-03-01"},
        edit_url,
    )
    assert bad.status_code == 422
    assert input_value(bad.get_data(as_text=True), "title") == "Spring"
    response = post(
        client,
        edit_url,
        {"title": "Spring", "opens_on": "2027-03-01", "closes_on": "2027-03-10"},
        edit_url,
    )
    assert response.status_code == 302
    survey_round = the_round()
    assert (survey_round.title, survey_round.opens_on) == ("Spring", date(2027, 3, 1))
    assert [i.id for i in survey_round.instruments] == [team["students_id"]]


def test_deleting_a_round_deletes_groups_codes_responses_and_answers(app, team):
    client = client_for(app, team["owner"])
    open_round(client, team)
    survey_round = the_round()
    _answer(survey_round.groups[0].id, team["students_id"])
    delete_url = f"/rounds/{survey_round.id}/delete"
    assert "the 1 response received" in text_of(client.get(delete_url))
    response = post(client, delete_url, {}, delete_url)
    assert response.status_code == 302
    assert response.location.endswith(f"/rounds/playbooks/{team['playbook_id']}")
    for model in (SurveyRound, SurveyGroup, ResponseCode, SurveyResponse, SurveyAnswer):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
    count = db.session.scalar(text("SELECT count(*) FROM survey_round_instrument"))
    assert count == 0
    assert db.session.get(Instrument, team["students_id"]).is_frozen  # versions stay used


# --- the rounds list and the playbook page ------------------------------------------------------


def test_members_see_the_list_read_only_and_the_playbook_links_to_it(app, team):
    owner = client_for(app, team["owner"])
    open_round(owner, team)
    round_id = the_round().id
    _answer(the_round().groups[0].id, team["students_id"])
    list_url = f"/rounds/playbooks/{team['playbook_id']}"
    html = text_of(owner.get(list_url))
    assert "Autumn 2026" in html and "1 / 34" in html and "Open" in html
    assert f'href="/results/{round_id}"' in html and "Open a survey round" in html
    assert f'href="/results/playbooks/{team["playbook_id"]}"' in html  # the trend
    viewer = client_for(app, team["viewer"])
    assert f'href="{list_url}"' in viewer.get(f"/playbooks/{team['playbook_id']}").get_data(
        as_text=True
    )
    html = text_of(viewer.get(list_url))
    assert "Autumn 2026" in html and "Open a survey round" not in html
    assert f'href="/rounds/{round_id}"' not in html
    outsider = client_for(app, team["outsider"])
    assert f'href="{list_url}"' not in outsider.get(f"/playbooks/{team['playbook_id']}").get_data(
        as_text=True
    )


def test_round_states(app, team):
    playbook = db.session.get(Playbook, team["playbook_id"])
    for title, start, end in (
        ("Later", 5, 9),
        ("Earlier", -20, -10),
    ):
        factories.make_round(
            playbook,
            [db.session.get(Instrument, team["teachers_id"])],
            opens_on=TODAY + timedelta(days=start),
            closes_on=TODAY + timedelta(days=end),
            title=title,
        )
    html = text_of(client_for(app, team["owner"]).get(f"/rounds/playbooks/{playbook.id}"))
    assert "Not yet open" in html and "Closed" in html


# --- who may do what ----------------------------------------------------------------------------


def test_editors_run_rounds_commenters_and_viewers_get_403_outsiders_404(app, team, client):
    owner = client_for(app, team["owner"])
    open_round(owner, team)
    survey_round = the_round()
    group_id = survey_round.groups[0].id
    pid = team["playbook_id"]
    gets = [
        f"/rounds/playbooks/{pid}/new",
        f"/rounds/{survey_round.id}",
        f"/rounds/{survey_round.id}/edit",
        f"/rounds/{survey_round.id}/delete",
    ]
    posts = [
        f"/rounds/playbooks/{pid}/new",
        f"/rounds/{survey_round.id}/groups",
        f"/rounds/{survey_round.id}/edit",
        f"/rounds/{survey_round.id}/delete",
        f"/rounds/groups/{group_id}/codes",
        f"/rounds/groups/{group_id}/link",
    ]
    editor = client_for(app, team["editor"])
    for url in gets:
        assert editor.get(url).status_code == 200, url
    for who, expected in (("commenter", 403), ("viewer", 403), ("outsider", 404)):
        browser = client_for(app, team[who])
        token = re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"',
            browser.get("/accounts/profile").get_data(as_text=True),
        ).group(1)
        for url in gets:
            assert browser.get(url).status_code == expected, (who, url)
        for url in posts:
            assert browser.post(url, data={"csrf_token": token}).status_code == expected, (
                who,
                url,
            )
        list_status = 404 if who == "outsider" else 200
        assert browser.get(f"/rounds/playbooks/{pid}").status_code == list_status
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.location, url
    assert client.get(f"/rounds/playbooks/{pid}").status_code == 404  # a private playbook
    db.session.expire_all()
    assert the_round().title == "Autumn 2026"
    assert db.session.scalar(select(func.count()).select_from(ResponseCode)) == 34


# --- the parent preview -------------------------------------------------------------------------


def test_parent_preview_is_public_in_english_and_spanish_for_sensitive_rounds(app, team, client):
    owner = client_for(app, team["owner"])
    open_round(owner, team)
    survey_round = the_round()
    page = text_of(owner.get(f"/rounds/{survey_round.id}"))
    assert "This round asks sensitive questions" in page
    assert f"http://localhost/rounds/{survey_round.id}/preview" in page
    preview_url = f"/rounds/{survey_round.id}/preview"
    html = text_of(client.get(preview_url))
    assert "Question 1 is asked in English." in html and "Question 2 is asked in English." in html
    assert "(Sensitive question)" in html and html.count("(Sensitive question)") == 1
    assert "Lincoln Middle School" in html and "take part" in html
    assert survey_round.opens_on.isoformat() in html and survey_round.closes_on.isoformat() in html
    assert 'href="/rounds/' in html and "lang=es" in html
    spanish = text_of(client.get(preview_url + "?lang=es"))
    assert "La pregunta 1 se hace en español." in spanish and "(Pregunta delicada)" in spanish
    assert '<html lang="es">' in spanish and "Question 1" not in spanish
    assert "Lincoln Middle School" in spanish


def test_no_parent_preview_without_sensitive_items_or_for_a_binned_playbook(app, team, client):
    owner = client_for(app, team["owner"])
    open_round(
        owner,
        team,
        instruments=[str(team["teachers_id"])],
        **{f"groups-{n}-audience": "teachers" for n in range(3)},
    )
    plain = the_round()
    assert client.get(f"/rounds/{plain.id}/preview").status_code == 404
    assert "sensitive questions" not in text_of(owner.get(f"/rounds/{plain.id}"))
    assert client.get("/rounds/999999/preview").status_code == 404
    playbook = db.session.get(Playbook, team["playbook_id"])
    sensitive = factories.make_round(
        playbook, [db.session.get(Instrument, team["students_id"])], title="Sensitive"
    )
    assert client.get(f"/rounds/{sensitive.id}/preview").status_code == 200
    from playbook.playbooks import services as playbook_services

    playbook_services.delete_playbook(team["owner"], playbook)
    assert client.get(f"/rounds/{sensitive.id}/preview").status_code == 404


# --- statements per page ------------------------------------------------------------------------


def _statements(client, url: str) -> int:
    with count_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def test_list_and_round_pages_send_a_fixed_number_of_statements(app, team):
    owner = client_for(app, team["owner"])
    playbook = db.session.get(Playbook, team["playbook_id"])
    students = db.session.get(Instrument, team["students_id"])

    def add_round(groups: int) -> SurveyRound:
        survey_round = factories.make_round(
            playbook,
            [students],
            groups=tuple((f"Room {n}", SurveyAudience.STUDENTS_6_12, 5) for n in range(groups)),
        )
        for group in survey_round.groups:
            _answer(group.id, students.id)
        return survey_round

    small = add_round(1)
    list_url = f"/rounds/playbooks/{playbook.id}"
    counts = [_statements(owner, list_url), _statements(owner, f"/rounds/{small.id}")]
    large = add_round(8)
    for _ in range(5):
        add_round(2)
    assert _statements(owner, list_url) == counts[0]
    assert _statements(owner, f"/rounds/{large.id}") == counts[1]
    assert _statements(owner, f"/rounds/{large.id}/preview") <= counts[1]
