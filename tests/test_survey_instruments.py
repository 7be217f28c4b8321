"""Survey instruments: the starter set, versions that freeze, admin-only editing through
forms, JSON export and import with clear errors, and the pages that show them."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from playbook.database import count_statements
from playbook.extensions import db
from playbook.models import (
    PREFER_NOT_TO_ANSWER,
    Framework,
    Instrument,
    InstrumentItem,
    Scale,
    SurveyAudience,
)
from playbook.models.survey import FrozenInstrumentError
from playbook.surveys import document, importer, services
from playbook.surveys.seed import seed_instruments
from tests import factories
from tests.helpers import check_page, field_error, flashes_after, post_form, text_of, token_for


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _state(instrument_id: int) -> dict:
    """Everything a respondent would be asked, read fresh from the database."""
    db.session.expire_all()
    instrument = db.session.get(Instrument, instrument_id)
    return {**document.snapshot(instrument), "frozen_at": instrument.frozen_at}


@pytest.fixture
def seeded(library):
    assert seed_instruments() == 3
    return db.session.scalar(select(Framework))


def _instrument(audience: SurveyAudience) -> Instrument:
    return db.session.scalar(select(Instrument).where(Instrument.audience == audience))


# --- the starter set ---------------------------------------------------------------------


def test_starter_set_has_three_instruments_that_cover_every_element(seeded):
    instruments = db.session.scalars(select(Instrument)).all()
    assert {i.audience for i in instruments} == set(SurveyAudience)
    elements = {e.id for c in seeded.components for e in c.elements}
    for instrument in instruments:
        assert instrument.framework_id == seeded.id and instrument.version == 1
        assert instrument.title_en and instrument.title_es and not instrument.is_frozen
        assert instrument.has_open_question and instrument.open_question_es
        assert {item.element_id for item in instrument.items} == elements, instrument.audience
        for component in seeded.components:
            serving = [i for i in instrument.items if i.element.component_id == component.id]
            assert len(serving) >= 3, (instrument.audience, component.slug)
        assert [item.position for item in instrument.items] == list(range(len(instrument.items)))
        for item in instrument.items:
            assert item.text_en.strip() and item.text_es.strip(), item.text_en
            assert item.text_en != item.text_es
            assert len(item.scale.options) >= 5
            assert all(o.en and o.es for o in item.scale.options)
            assert item.scale.all_options[-1] == PREFER_NOT_TO_ANSWER
            # The starter questions ask about none of health, family or income.
            assert item.sensitive is False


def test_younger_students_get_shorter_questions(seeded):
    def longest(audience):
        return max(len(i.text_en.split()) for i in _instrument(audience).items)

    assert longest(SurveyAudience.STUDENTS_3_5) <= 12
    assert longest(SurveyAudience.STUDENTS_3_5) < longest(SurveyAudience.STUDENTS_6_12)


def test_every_scale_has_five_labelled_options_in_both_languages():
    for scale in Scale:
        assert [o.value for o in scale.options] == [1, 2, 3, 4, 5]
        assert all(o.en.strip() and o.es.strip() for o in scale.all_options)
        assert PREFER_NOT_TO_ANSWER.value == 0 and PREFER_NOT_TO_ANSWER.es


def test_seeding_twice_adds_nothing_and_keeps_admins_edits(seeded, admin):
    teachers = _instrument(SurveyAudience.TEACHERS)
    services.update_instrument(
        admin, teachers, **{**_texts(teachers), "title_en": "Our own teachers' survey"}
    )
    counts = (_count(Instrument), _count(InstrumentItem))
    assert seed_instruments() == 0
    assert (_count(Instrument), _count(InstrumentItem)) == counts
    assert _instrument(SurveyAudience.TEACHERS).title_en == "Our own teachers' survey"


def _texts(instrument: Instrument) -> dict:
    return {name: getattr(instrument, name) for name in services.TEXT_FIELDS}


# --- versions ------------------------------------------------------------------------------


def test_editing_a_frozen_version_makes_a_new_one_and_leaves_it_unchanged(
    client, login, admin, seeded
):
    teachers = _instrument(SurveyAudience.TEACHERS)
    services.freeze_instrument(teachers)
    db.session.commit()
    before = _state(teachers.id)
    first = teachers.items[0]
    login(admin)
    url = f"/surveys/items/{first.id}/edit"
    page = text_of(client.get(url))
    assert "saving makes a new version" in page
    response = post_form(
        client,
        url,
        {
            "element_id": str(first.element_id),
            "text_en": "I plan work that fits where each student is.",
            "text_es": "Planifico un trabajo adecuado al nivel de cada estudiante.",
            "scale": "agreement",
        },
    )
    assert "the change made version 2" in flashes_after(client, response)
    assert _state(teachers.id) == before
    old_page = text_of(client.get(f"/surveys/instruments/{teachers.id}"))
    assert "There is a newer version of this instrument" in old_page
    assert ">version 2</a>" in old_page
    new = db.session.scalar(select(Instrument).where(Instrument.version == 2))
    assert new.audience is SurveyAudience.TEACHERS and not new.is_frozen
    assert new.items[0].text_en == "I plan work that fits where each student is."
    assert new.items[0].scale is Scale.AGREEMENT
    assert len(new.items) == len(before["items"])
    # Moving and removing on the frozen version go to a newer version too.
    post_form(client, f"/surveys/items/{first.id}/delete", {}, page_url=url)
    assert _state(teachers.id) == before
    assert _count(Instrument) == 5  # three seeded, version 2, version 3
    newest = db.session.scalar(select(Instrument).order_by(Instrument.version.desc()))
    assert newest.version == 3 and len(newest.items) == len(before["items"]) - 1


def test_a_draft_is_edited_in_place(client, login, admin, seeded):
    draft = _instrument(SurveyAudience.STUDENTS_3_5)
    count = len(draft.items)
    second = draft.items[1]
    login(admin)
    detail = f"/surveys/instruments/{draft.id}"
    response = post_form(
        client, f"/surveys/items/{second.id}/move/up", {}, expected=302, page_url=detail
    )
    assert "Survey rounds use" not in flashes_after(client, response)
    db.session.expire_all()
    assert db.session.get(InstrumentItem, second.id).position == 0
    post_form(client, f"/surveys/items/{second.id}/delete", {}, expected=302, page_url=detail)
    assert _count(Instrument) == 3
    assert len(db.session.get(Instrument, draft.id).items) == count - 1
    assert [i.position for i in db.session.get(Instrument, draft.id).items] == list(
        range(count - 1)
    )


def test_a_frozen_version_cannot_be_changed_even_by_mistake(app):
    instrument = factories.make_instrument(frozen=True)
    instrument.title_en = "Changed behind the services' back"
    with pytest.raises(FrozenInstrumentError):
        db.session.flush()
    db.session.rollback()
    instrument = db.session.get(Instrument, instrument.id)
    instrument.items[0].text_es = "Cambiada"
    with pytest.raises(FrozenInstrumentError):
        db.session.flush()
    db.session.rollback()
    instrument = db.session.get(Instrument, instrument.id)
    instrument.items.pop()
    with pytest.raises(FrozenInstrumentError):
        db.session.flush()
    db.session.rollback()


def test_freezing_is_allowed_once_and_does_not_move(app):
    instrument = factories.make_instrument()
    services.freeze_instrument(instrument)
    db.session.commit()
    first = instrument.frozen_at
    services.freeze_instrument(instrument)
    db.session.commit()
    assert db.session.get(Instrument, instrument.id).frozen_at == first


# --- who may do what --------------------------------------------------------------------------


def _edit_urls(instrument: Instrument) -> list[tuple[str, str]]:
    item = instrument.items[0].id
    i = instrument.id
    return [
        ("GET", "/surveys/instruments/new"),
        ("POST", "/surveys/instruments/new"),
        ("GET", f"/surveys/instruments/{i}/edit"),
        ("POST", f"/surveys/instruments/{i}/edit"),
        ("GET", f"/surveys/instruments/{i}/items/new"),
        ("POST", f"/surveys/instruments/{i}/items/new"),
        ("GET", f"/surveys/items/{item}/edit"),
        ("POST", f"/surveys/items/{item}/edit"),
        ("POST", f"/surveys/items/{item}/move/down"),
        ("POST", f"/surveys/items/{item}/delete"),
        ("GET", f"/surveys/instruments/{i}/export.json"),
        ("GET", "/surveys/instruments/import"),
        ("POST", "/surveys/instruments/import"),
    ]


@pytest.mark.parametrize("persona", ["member", "intruder"])
def test_only_admins_edit_instruments(client, login, request, persona):
    instrument = factories.make_instrument()
    before = _state(instrument.id)
    login(request.getfixturevalue(persona))
    token = token_for(client)
    for method, url in _edit_urls(instrument):
        response = (
            client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        )
        assert response.status_code == 403, (method, url, response.status_code)
        check_page(response)
    assert _state(instrument.id) == before and _count(Instrument) == 1
    # They may read it, without the editing controls.
    page = check_page(client.get(f"/surveys/instruments/{instrument.id}"))
    assert "Question 1 is asked in English." in page and "Add a question" not in page
    assert "Edit titles" not in page and "/move/" not in page
    assert "New instrument" not in check_page(client.get("/surveys/instruments"))


def test_visitors_are_sent_to_sign_in(client):
    instrument = factories.make_instrument()
    urls = [
        ("GET", "/surveys/instruments"),
        ("GET", f"/surveys/instruments/{instrument.id}"),
        *_edit_urls(instrument),
    ]
    token = token_for(client)
    for method, url in urls:
        response = (
            client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        )
        assert response.status_code == 302, (method, url, response.status_code)
        assert "/auth/login" in response.location, (method, url)
    assert _count(Instrument) == 1


def test_an_instrument_of_a_retired_framework_is_hidden_from_members(client, login, member, admin):
    from playbook.models import utcnow

    instrument = factories.make_instrument(retired_at=utcnow())
    login(member)
    assert client.get(f"/surveys/instruments/{instrument.id}").status_code == 404
    assert "A teachers&#39; survey" not in client.get("/surveys/instruments").get_data(True)
    login(admin)
    assert client.get(f"/surveys/instruments/{instrument.id}").status_code == 200


def test_unknown_instrument_or_item_is_404_for_admins(client, login, admin):
    login(admin)
    assert client.get("/surveys/instruments/999").status_code == 404
    assert client.get("/surveys/items/999/edit").status_code == 404


# --- the admin's forms --------------------------------------------------------------------------


def test_admin_creates_an_instrument_and_adds_a_sensitive_question(client, login, admin, seeded):
    login(admin)
    element = seeded.components[0].elements[0]
    response = post_form(
        client,
        "/surveys/instruments/new",
        {
            "framework_id": str(seeded.id),
            "audience": "teachers",
            "title_en": "A short check-in",
            "title_es": "Una consulta breve",
        },
    )
    assert "Version 2 is ready" in flashes_after(client, response)
    instrument = db.session.scalar(select(Instrument).where(Instrument.title_en.like("A short%")))
    assert instrument.version == 2 and instrument.items == []
    response = post_form(
        client,
        f"/surveys/instruments/{instrument.id}/items/new",
        {
            "element_id": str(element.id),
            "text_en": "I have what I need to stay healthy at school.",
            "text_es": "Tengo lo que necesito para mantenerme sano en la escuela.",
            "scale": "truth",
            "sensitive": "y",
        },
    )
    page = flashes_after(client, response)
    assert "The question is added." in page
    assert "Sensitive" in page and "tells parents first" in page
    assert "Not at all true" in page and "Nada cierto" in page and "Prefiero no responder" in page
    assert "1 sensitive" in text_of(client.get("/surveys/instruments"))


def test_a_question_needs_both_languages_and_an_element_of_the_framework(
    client, login, admin, seeded
):
    instrument = _instrument(SurveyAudience.TEACHERS)
    other = factories.make_instrument()  # another framework's element
    count = len(instrument.items)
    login(admin)
    url = f"/surveys/instruments/{instrument.id}/items/new"
    response = post_form(
        client,
        url,
        {"element_id": str(other.items[0].element_id), "text_en": "Fine.", "scale": "frequency"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "text_es") == "This field is required."
    response = post_form(
        client,
        url,
        {
            "element_id": str(other.items[0].element_id),
            "text_en": "Fine.",
            "text_es": "Bien.",
            "scale": "frequency",
        },
    )
    assert response.status_code == 422
    assert "Not a valid choice" in field_error(response.get_data(as_text=True), "element_id")
    assert len(_instrument(SurveyAudience.TEACHERS).items) == count


def test_detail_page_groups_questions_by_component_and_element(client, login, member, seeded):
    instrument = _instrument(SurveyAudience.STUDENTS_6_12)
    login(member)
    page = text_of(client.get(f"/surveys/instruments/{instrument.id}"))
    for component in seeded.components:
        assert component.name in page
    assert page.index("Learner Focused") < page.index("Academic needs shape the plan")
    assert page.index("Academic needs shape the plan") < page.index(instrument.items[0].text_en)
    assert instrument.items[0].text_es in page
    assert "Never" in page and "Nunca" in page and "Prefer not to answer" in page
    assert "What else should your teachers know" in page


def test_detail_page_reads_a_fixed_number_of_statements(client, login, member, app):
    small = factories.make_instrument(factories.make_framework(components=1))
    big_framework = factories.make_framework(components=4)
    big = factories.make_instrument(big_framework)
    login(member)
    counts = []
    for instrument in (small, big):
        with count_statements() as statements:
            assert client.get(f"/surveys/instruments/{instrument.id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
    with count_statements() as before:
        client.get("/surveys/instruments")
    factories.make_instrument()
    with count_statements() as after:
        client.get("/surveys/instruments")
    assert len(before) == len(after)


# --- export and import -----------------------------------------------------------------------------


def _export(client, instrument: Instrument) -> dict:
    response = client.get(f"/surveys/instruments/{instrument.id}/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    return json.loads(response.get_data(as_text=True))


def _import(client, data: bytes | str):
    raw = data.encode() if isinstance(data, str) else data
    return post_form(
        client,
        "/surveys/instruments/import",
        {"file": (io.BytesIO(raw), "instrument.json")},
        page_url="/surveys/instruments/import",
    )


def test_export_then_import_gives_an_equal_instrument_as_a_new_version(
    client, login, admin, seeded
):
    original = _instrument(SurveyAudience.STUDENTS_3_5)
    original.items[2].sensitive = True
    db.session.commit()
    login(admin)
    exported = _export(client, original)
    assert exported["format"] == "playbook-instrument/1" and exported["version"] == 1
    assert exported["items"][0]["component"] == "learner-focused"
    assert exported["items"][0]["element"] == 1
    response = _import(client, json.dumps(exported))
    assert "Imported as version 2." in flashes_after(client, response)
    copy = db.session.scalar(select(Instrument).where(Instrument.version == 2))
    assert copy.audience is SurveyAudience.STUDENTS_3_5
    assert document.content(document.snapshot(copy)) == document.content(exported)
    assert copy.items[2].sensitive is True


def test_importing_for_a_new_audience_of_a_framework_starts_at_version_one(
    client, login, admin, app
):
    source = factories.make_instrument()
    login(admin)
    exported = _export(client, source)
    exported["audience"] = "students_6_12"
    _import(client, json.dumps(exported))
    imported = db.session.scalar(
        select(Instrument).where(Instrument.audience == SurveyAudience.STUDENTS_6_12)
    )
    assert imported.version == 1 and len(imported.items) == len(source.items)


def _broken(exported: dict, case: str) -> str:
    data = json.loads(json.dumps(exported))
    if case == "wrong format":
        data["format"] = "playbook-document/1"
    elif case == "unknown element":
        data["items"][1]["element"] = 9
    elif case == "unknown component":
        data["items"][1]["component"] = "learner-everywhere"
    elif case == "renamed element":
        data["items"][0]["element_name"] = "Something else"
    elif case == "missing Spanish":
        del data["items"][3]["text"]["es"]
    elif case == "short scale":
        data["items"][0]["scale"]["options"] = data["items"][0]["scale"]["options"][:3]
    elif case == "unknown scale":
        data["items"][0]["scale"] = "yes_no"
    elif case == "bad audience":
        data["audience"] = "parents"
    elif case == "not JSON":
        return "{ this is not json"
    elif case == "duplicate key":
        text = json.dumps(data)
        return text.replace('"audience": ', '"audience": "teachers", "audience": ', 1)
    return json.dumps(data)


IMPORT_ERRORS = {
    "wrong format": "is not a survey instrument export (expected format playbook-instrument/1)",
    "unknown element": "Item 2: LEAP Learning Framework for Personalized Learning has no element 9",
    "unknown component": "has no element 2 in a component “learner-everywhere”",
    "renamed element": "Item 1: element 1 of “learner-focused” is “Academic needs shape the plan”"
    " here, not “Something else”",
    "missing Spanish": "Item 4: the question in Spanish is missing.",
    "short scale": "Item 1: the scale has 3 options; a scale needs at least 5 labelled options",
    "unknown scale": "Item 1: unknown scale 'yes_no'",
    "bad audience": "Unknown audience 'parents'",
    "not JSON": "The file is not valid JSON.",
    "duplicate key": "The file gives the key “audience” twice in one place",
}


@pytest.mark.parametrize("case", list(IMPORT_ERRORS))
def test_a_bad_file_gets_a_clear_message_and_nothing_is_stored(client, login, admin, seeded, case):
    login(admin)
    exported = _export(client, _instrument(SurveyAudience.TEACHERS))
    counts = (_count(Instrument), _count(InstrumentItem))
    response = _import(client, _broken(exported, case))
    assert response.status_code == 422
    assert IMPORT_ERRORS[case] in field_error(response.get_data(as_text=True), "file")
    assert (_count(Instrument), _count(InstrumentItem)) == counts


def test_parser_lists_every_problem_and_limits_size():
    with pytest.raises(importer.DocumentError) as error:
        importer.parse_document(
            json.dumps(
                {
                    "format": document.FORMAT,
                    "framework": {"slug": "x"},
                    "audience": "teachers",
                    "title": {"en": "Only English"},
                    "items": [{"component": "c", "element": 0, "text": {"en": "a", "es": "b"}}],
                }
            )
        )
    problems = " ".join(error.value.problems)
    assert "The title in Spanish is missing." in problems
    assert "Item 1: the element must be its number" in problems
    assert "Item 1: unknown scale None" in problems
    with pytest.raises(importer.DocumentError, match="larger than"):
        importer.parse_document(b" " * (importer.MAX_BYTES + 1))


# --- the library keeps what instruments measure ---------------------------------------------


def test_an_element_a_question_measures_cannot_be_deleted_from_the_library(
    client, login, admin, seeded
):
    component = seeded.components[3]
    kept = [e.name for e in component.elements]
    login(admin)
    response = post_form(
        client,
        f"/library/components/{component.id}/edit",
        {"name": component.name, "summary": component.summary, "elements": kept[0]},
    )
    assert response.status_code == 422
    assert "take those questions out first" in field_error(
        response.get_data(as_text=True), "elements"
    )
    db.session.expire_all()
    assert [e.name for e in component.elements] == kept
    # Renaming (and adding) elements stays possible.
    response = post_form(
        client,
        f"/library/components/{component.id}/edit",
        {
            "name": component.name,
            "summary": component.summary,
            "elements": "\n".join([*kept, "A new element"]),
        },
    )
    assert response.status_code == 302
