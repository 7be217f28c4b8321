"""Answering a survey without an account (/respond): a code or a shared link opens it,
one page per component in English or Spanish, answers kept going back and forth and
across the language switch, one final submit that stores the response once, and a
plain message in the respondent's language for each refusal, storing nothing. The
anonymity of what is stored is checked like access control: by scanning every table."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import func, inspect, select
from werkzeug.datastructures import MultiDict

from playbook import create_app
from playbook.extensions import db
from playbook.models import (
    AuthAttempt,
    Element,
    InstrumentItem,
    ResponseCode,
    SurveyAnswer,
    SurveyGroup,
    SurveyResponse,
)
from playbook.models.survey import SurveyAudience
from playbook.playbooks.schedule import today
from playbook.rounds import codes
from tests import factories
from tests.conftest import FreshContextClient
from tests.helpers import check_page, csrf_token_from, forms_on, text_of

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "playbook" / "translations" / "es" / "LC_MESSAGES"
ADDRESS = "203.0.113.77"
AGENT = "RespondTestBrowser/9.9 (anonymity check)"
CODE_REFUSED = "This code does not work."


# --- a round to answer ----------------------------------------------------------------------


def make_survey(
    *,
    codes_count: int = 3,
    opens_on: date | None = None,
    closes_on: date | None = None,
    link_token: str | None = None,
) -> tuple[list[str], list[int], int]:
    """A round of a teachers' instrument with 4 questions over 3 components (2, 1, 1)
    and an open question; one group with `codes_count` codes (and a shared link when
    `link_token` is given). Returns the printed codes, the item ids in order, the group id."""
    owner = factories.make_user()
    playbook = factories.make_playbook(owner)
    framework = factories.make_framework(components=3)
    for component in framework.components:
        component.elements.append(Element(position=0, name=f"First of {component.name}"))
    framework.components[0].elements.append(Element(position=1, name="Second of the first"))
    db.session.commit()
    instrument = factories.make_instrument(
        framework,
        open_question_en="What else should your school know?",
        open_question_es="¿Qué más debe saber tu escuela?",
    )
    survey_round = factories.make_round(
        playbook,
        [instrument],
        groups=(("Room 214", SurveyAudience.TEACHERS, codes_count),),
        opens_on=opens_on or today(),
        closes_on=closes_on or today() + timedelta(days=14),
    )
    group = survey_round.groups[0]
    if link_token:
        group.shared_link_hash = codes.hash_link_token(link_token)
    printed = [codes.new_code() for _ in range(codes_count)]
    db.session.add_all(
        ResponseCode(code_hash=codes.hash_code(c), group_id=group.id) for c in printed
    )
    db.session.commit()
    return printed, [item.id for item in instrument.items], group.id


def browser(app, address: str = ADDRESS):
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address, "HTTP_USER_AGENT": AGENT})
    return client


def survey_form(html: str) -> MultiDict:
    """The survey page's fields as a browser sends them (hidden fields and checked
    choices, in page order), without any button."""
    pairs = []
    for match in re.finditer(r"<(input|textarea)\b([^>]*)>(?:([^<]*)</textarea>)?", html):
        tag, attrs, body = match.groups()
        name = re.search(r'name="([^"]+)"', attrs)
        if not name:
            continue
        if tag == "textarea":
            pairs.append((name.group(1), _unescape(body or "").removeprefix("\n")))
            continue
        kind = re.search(r'type="([^"]+)"', attrs)
        if kind and kind.group(1) == "radio" and "checked" not in attrs:
            continue
        value = re.search(r'value="([^"]*)"', attrs)
        pairs.append((name.group(1), _unescape(value.group(1) if value else "")))
    return MultiDict(pairs)


def _unescape(value: str) -> str:
    import html

    return html.unescape(value)


def press(client, html: str, button: tuple[str, str] | None = None, **answers):
    """Choose `answers` (a<item id>=value) on the page and press a button (name, value)."""
    data = survey_form(html)
    for name, value in answers.items():
        data.setlist(name.replace("a", "a-", 1) if not name.startswith("a-") else name, [value])
    if button:
        data.add(*button)
    return client.post("/respond/survey", data=data)


def send(client, data: MultiDict):
    """POST a crafted survey form with the browser's own CSRF token."""
    data.setlist("csrf_token", [csrf_token_from(client.get("/respond/").get_data(as_text=True))])
    return client.post("/respond/survey", data=data)


def answer(item_id: int, value: int) -> dict:
    return {f"a-{item_id}": str(value)}


def start(client, code: str, lang: str = "en"):
    page = client.get(f"/respond/?lang={lang}")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post("/respond/", data={"csrf_token": token, "code": code, "lang": lang})


def checked(html: str) -> dict[str, str]:
    """The answers a page holds: chosen on it, or carried in hidden fields."""
    chosen = re.findall(r'name="(a-\d+)" value="(\d)" checked', html)
    carried = re.findall(r'type="hidden" name="(a-\d+)" value="(\d)"', html)
    return dict(chosen) | dict(carried)


def counts() -> tuple[int, int, int]:
    db.session.rollback()
    return (
        db.session.scalar(select(func.count()).select_from(SurveyResponse)) or 0,
        db.session.scalar(select(func.count()).select_from(SurveyAnswer)) or 0,
        db.session.scalar(select(func.count()).where(ResponseCode.used.is_(True))) or 0,
    )


def answer_all(client, code: str, items: list[int], lang: str = "en", open_answer: str = ""):
    """Go through the whole survey with code and send it; the final response."""
    page = start(client, code, lang).get_data(as_text=True)
    values = dict(zip(items, (5, 4, 0, 2), strict=True))
    for part in ([items[0], items[1]], [items[2]], [items[3]]):
        choices = {}
        for item_id in part:
            choices |= answer(item_id, values[item_id])
        response = press(client, page, ("go", "next"), **choices)
        assert response.status_code == 200, text_of(response)[:500]
        page = response.get_data(as_text=True)
    data = survey_form(page)
    data.setlist("open", [open_answer])
    data.add("go", "submit")
    return client.post("/respond/survey", data=data)


# --- the pages ------------------------------------------------------------------------------


def test_code_page_speaks_english_or_spanish_as_asked(app):
    client = browser(app)
    english = check_page(client.get("/respond/"))
    assert '<html lang="en">' in english and "Type the code from your paper slip" in english
    spanish = check_page(client.get("/respond/?lang=es"))
    assert '<html lang="es">' in spanish and "Escribe el código de tu papelito" in spanish
    # Only an explicit `lang` counts: a browser asking for Spanish gets English.
    asked = client.get("/respond/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Type the code" in asked
    assert "Type the code" in client.get("/respond/?lang=fr").get_data(as_text=True)


def test_a_whole_survey_going_back_and_switching_language_keeps_every_answer(app):
    printed, items, group_id = make_survey()
    client = browser(app)
    # Typed in lower case with spaces: still the code.
    first = start(client, " " + printed[0].lower().replace("-", " ") + " ")
    page = check_page(first)
    assert first.status_code == 200 and "Part 1 of 4" in page
    assert "Question 1 is asked in English." in page and "Question 3" not in page
    assert page.count('type="radio"') == 2 * 6  # five options and prefer not to answer
    assert "Prefer not to answer" in page and "<script" not in page and "style=" not in page

    second = press(client, page, ("go", "next"), **answer(items[0], 4), **answer(items[1], 0))
    page = check_page(second)
    assert "Part 2 of 4" in page and "Question 3 is asked in English." in page

    back = press(client, page, ("go", "back"), **answer(items[2], 3))
    page = back.get_data(as_text=True)
    assert "Part 1 of 4" in page
    assert checked(page) == {f"a-{items[0]}": "4", f"a-{items[1]}": "0", f"a-{items[2]}": "3"}

    # The switch is a submit button whose lang comes after the hidden one.
    spanish = press(client, page, ("lang", "es"), **answer(items[0], 5))
    page = check_page(spanish)
    assert '<html lang="es">' in page and "Parte 1 de 4" in page
    assert "La pregunta 1 se hace en español." in page and "Prefiero no responder" in page
    assert checked(page) == {f"a-{items[0]}": "5", f"a-{items[1]}": "0", f"a-{items[2]}": "3"}
    assert counts() == (0, 0, 0), "nothing is stored before the final submit"

    for step, choices in ((2, {}), (3, answer(items[3], 1))):
        page = press(client, page, ("go", "next"), **choices).get_data(as_text=True)
        assert f"Parte {step} de 4" in page, text_of_html(page)
    page = press(client, page, ("go", "next")).get_data(as_text=True)
    assert "Parte 4 de 4" in page and "¿Qué más debe saber tu escuela?" in page
    data = survey_form(page)
    data.setlist("open", ["Más tiempo para leer."])
    data.add("go", "submit")
    done = client.post("/respond/survey", data=data)
    assert done.status_code == 302 and done.location.endswith("/respond/thanks?lang=es")
    assert "¡Gracias!" in check_page(client.get(done.location))

    assert counts() == (1, 4, 1)
    response = db.session.scalars(select(SurveyResponse)).one()
    assert response.group_id == group_id and response.submitted_on == today()
    assert response.open_answer == "Más tiempo para leer."
    stored = {a.item_id: a.value for a in db.session.scalars(select(SurveyAnswer))}
    assert stored == {items[0]: 5, items[1]: 0, items[2]: 3, items[3]: 1}


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", html)[:800]


def parts_shown(html: str) -> list[tuple[str, str]]:
    """The parts list at the top of a survey page: (text, "done" / "current" / "")."""
    listed = re.search(r'<ol class="respond-parts"[^>]*>(.*?)</ol>', html, re.S)
    assert listed, "the page lists the survey's parts"
    shown = []
    for attrs, body in re.findall(r"<li([^>]*)>(.*?)</li>", listed.group(1), re.S):
        state = "done" if "is-done" in attrs else "current" if "aria-current" in attrs else ""
        shown.append((re.sub(r"<[^>]+>|✓", "", body).strip(), state))
    return shown


def test_each_page_names_its_component_and_the_parts_show_progress(app):
    printed, items, _ = make_survey()
    components = [db.session.get(InstrumentItem, i).element.component for i in items]
    components[0].name = "Learner <focused> & led"  # library text, escaped like any other
    db.session.commit()
    names = [components[0].name, components[2].name, components[3].name]
    client = browser(app)
    page = check_page(start(client, printed[0]))
    assert parts_shown(page) == [
        (html_escape(names[0]), "current"),
        (names[1], ""),
        (names[2], ""),
        ("In your own words", ""),
    ]
    assert "Questions about <span" in page and f">{html_escape(names[0])}</span></h2>" in page

    page = press(client, page, ("go", "next"), **answer(items[0], 4), **answer(items[1], 0))
    page = check_page(page)
    assert [state for _, state in parts_shown(page)] == ["done", "current", "", ""]
    assert f">{names[1]}</span></h2>" in page and names[0] not in page.split("</ol>")[1]

    spanish = check_page(press(client, page, ("lang", "es")))
    assert "Preguntas sobre" in spanish and "Partes de la encuesta" in spanish
    # The name stays in English and says so.
    assert f'<span class="respond-component-name" lang="en">{names[1]}</span>' in spanish

    page = press(client, spanish, ("go", "next"), **answer(items[2], 3)).get_data(as_text=True)
    page = press(client, page, ("go", "next"), **answer(items[3], 1)).get_data(as_text=True)
    assert parts_shown(page)[-1] == ("Con tus palabras", "current")
    assert [state for _, state in parts_shown(page)][:3] == ["done", "done", "done"]
    assert "Preguntas sobre" not in page


def html_escape(value: str) -> str:
    import html

    return html.escape(value, quote=False)


def test_missing_answers_are_named_and_the_others_kept(app):
    printed, items, _ = make_survey()
    client = browser(app)
    page = start(client, printed[0]).get_data(as_text=True)
    stuck = press(client, page, ("go", "next"), **answer(items[1], 2))
    assert stuck.status_code == 422
    assert "Please answer question 1. You can choose “Prefer not to answer”." in text_of(stuck)
    assert checked(stuck.get_data(as_text=True)) == {f"a-{items[1]}": "2"}

    # A final submit with question 3 left out (a page skipped by hand) shows its part.
    data = survey_form(page)
    for item_id in (items[0], items[1], items[3]):
        data.setlist(f"a-{item_id}", ["1"])
    data.setlist("lang", ["es"])
    data.add("go", "submit")
    refused = client.post("/respond/survey", data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Parte 2 de 4" in html
    assert "Responde la pregunta 3, por favor." in text_of(refused)
    assert checked(html) == {f"a-{i}": "1" for i in (items[0], items[1], items[3])}
    assert counts() == (0, 0, 0)


def test_used_and_unknown_codes_get_the_same_message_and_store_nothing(app):
    printed, items, _ = make_survey()
    client = browser(app)
    assert answer_all(client, printed[0], items).status_code == 302
    assert counts() == (1, 4, 1)

    used = start(browser(app), printed[0])
    unknown = start(browser(app), "QQQQ-QQQQ")
    malformed = start(browser(app), "hello")
    for refused in (used, unknown, malformed):
        assert refused.status_code == 422 and CODE_REFUSED in text_of(refused)
    message = re.compile(r'<p class="form-errors"[^>]*>(.*?)</p>', re.S)
    assert message.findall(used.get_data(as_text=True)) == message.findall(
        unknown.get_data(as_text=True)
    )
    spanish = start(browser(app), printed[0], lang="es")
    assert "Este código no funciona." in text_of(spanish)
    # The spent code cannot be sent again through the last page either.
    data = MultiDict({"code": printed[0], "step": "3", "go": "submit", "lang": "en"})
    for item_id in items:
        data.add(f"a-{item_id}", "3")
    again = send(browser(app), data)
    assert again.status_code == 422 and CODE_REFUSED in text_of(again)
    assert counts() == (1, 4, 1)
    assert db.session.scalar(select(func.sum(SurveyGroup.response_count))) == 1


def test_a_used_and_an_unknown_code_take_the_same_statements(app):
    """Hash first, then one lookup that does not tell used from unknown: the same
    statements run for both, so their timing says nothing about which it was."""
    from playbook.database import count_statements

    printed, items, _ = make_survey()
    assert answer_all(browser(app), printed[0], items).status_code == 302
    seen = []
    for code in (printed[0], "QQQQ-QQQQ"):
        client = browser(app)
        token = csrf_token_from(client.get("/respond/").get_data(as_text=True))
        with count_statements() as statements:
            response = client.post("/respond/", data={"csrf_token": token, "code": code})
        assert response.status_code == 422
        seen.append(statements)
    assert seen[0] == seen[1]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("a-999999", "3", "a question that is not in the survey"),
        ("a-x1", "3", "a question that is not in the survey"),
        (None, "6", "One answer is not one of the choices"),
        (None, "-1", "One answer is not one of the choices"),
        (None, "three", "One answer is not one of the choices"),
        (None, "³", "One answer is not one of the choices"),
        (None, "9" * 5000, "One answer is not one of the choices"),
        ("a-" + "9" * 5000, "3", "a question that is not in the survey"),
    ],
)
def test_a_changed_form_is_refused_and_nothing_stored(app, field, value, message):
    printed, items, _ = make_survey()
    data = MultiDict({"code": printed[0], "step": "3", "go": "submit", "lang": "en"})
    for item_id in items:
        data.add(f"a-{item_id}", "3")
    data.setlist(field or f"a-{items[1]}", [value])
    refused = send(browser(app), data)
    assert refused.status_code == 422 and message in text_of(refused)
    assert "nothing was saved" in text_of(refused)
    assert counts() == (0, 0, 0)
    assert db.session.scalar(select(func.count()).select_from(ResponseCode)) == 3


def test_a_round_not_yet_open_says_when_and_a_closed_one_says_so(app):
    opens = today() + timedelta(days=5)
    later, _, _ = make_survey(opens_on=opens, closes_on=opens + timedelta(days=7))
    english = start(browser(app), later[0])
    assert english.status_code == 403
    when = f"{opens:%B} {opens.day}, {opens.year}"
    assert f"This survey opens on {when}. Please come back then." in text_of(english)
    spanish = start(browser(app), later[0], lang="es")
    assert "Esta encuesta empieza el" in text_of(spanish) and str(opens.year) in text_of(spanish)

    closed, _, _ = make_survey(
        opens_on=today() - timedelta(days=20), closes_on=today() - timedelta(days=1)
    )
    refused = start(browser(app), closed[0])
    assert refused.status_code == 403 and "This survey is closed." in text_of(refused)
    assert counts() == (0, 0, 0)
    # A good code for a closed round is not counted as a wrong guess.
    assert db.session.scalar(select(func.count()).select_from(AuthAttempt)) == 0


def test_a_shared_link_takes_one_response_per_submission_while_the_round_is_open(app):
    _, items, group_id = make_survey(codes_count=0, link_token="teachers-link-secret-1")
    client = browser(app)
    for _ in range(2):
        page = check_page(client.get("/respond/link/teachers-link-secret-1"))
        assert "Part 1 of 4" in page and 'name="code"' not in page
        data = survey_form(page)
        for item_id in items:
            data.setlist(f"a-{item_id}", ["4"])
        data.setlist("step", ["3"])
        data.add("go", "submit")
        assert client.post("/respond/survey", data=data).status_code == 302
    assert counts()[:2] == (2, 8)
    assert {r.group_id for r in db.session.scalars(select(SurveyResponse))} == {group_id}
    # each response is counted on its group, in its own transaction
    assert db.session.get(SurveyGroup, group_id).response_count == 2

    assert client.get("/respond/link/not-the-link").status_code == 404
    group = db.session.get(SurveyGroup, group_id)
    group.round.closes_on = today() - timedelta(days=1)
    db.session.commit()
    closed = client.get("/respond/link/teachers-link-secret-1")
    assert closed.status_code == 403 and "This survey is closed." in text_of(closed)


def test_guessing_codes_is_limited_per_address_and_good_codes_do_not_count(app):
    app.config["PLAYBOOK_SURVEY_CODE_ATTEMPTS"] = 3
    printed, _, _ = make_survey()
    guesser = browser(app, "198.51.100.9")
    for _ in range(5):
        assert start(guesser, printed[0]).status_code == 200  # good codes never count
    for guess in ("QQQQ-QQQQ", "QQQQ-QQQA", "QQQQ-QQQC"):
        assert start(guesser, guess).status_code == 422
    blocked = start(guesser, printed[1])
    assert blocked.status_code == 429
    assert "Too many codes were tried from here. Please wait 10 minutes" in text_of(blocked)
    spanish = start(guesser, printed[1], lang="es")
    assert "Espera 10 minutos" in text_of(spanish)
    # Another address is not held back.
    assert start(browser(app, "198.51.100.10"), printed[1]).status_code == 200


# --- anonymity ------------------------------------------------------------------------------


def every_row_as_text() -> str:
    db.session.rollback()
    rows = []
    for table in db.metadata.sorted_tables:
        rows.extend(repr(tuple(row)) for row in db.session.execute(select(table)))
    return "\n".join(rows)


def test_nothing_stored_ties_a_response_to_its_code_address_browser_or_time(app):
    printed, items, _ = make_survey(codes_count=4)
    cookies = []
    for code in printed:
        client = browser(app)
        response = answer_all(client, code, items, open_answer="Fine.")
        assert response.status_code == 302
        cookies.append(client)
    everything = every_row_as_text()
    for code in printed:
        assert code not in everything and code.replace("-", "") not in everything
    assert ADDRESS not in everything and AGENT not in everything
    assert "RespondTestBrowser" not in everything
    assert db.session.scalar(select(func.count()).select_from(AuthAttempt)) == 0

    # A code's row is its hash, its group and `used`; nothing more.
    assert [c.name for c in inspect(ResponseCode).columns] == ["code_hash", "group_id", "used"]
    assert {row.used for row in db.session.scalars(select(ResponseCode))} == {True}
    # Responses: random 32-hex ids, the day only.
    responses = db.session.scalars(select(SurveyResponse)).all()
    ids = [r.id for r in responses]
    assert len(set(ids)) == 4 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert all(type(r.submitted_on) is date for r in responses)

    # The browser keeps one cookie, the session, holding the CSRF token and
    # Flask-Login's "not a fresh sign-in" flag (a plain False), nothing else.
    client = cookies[0]
    names = {cookie.key for cookie in client._cookies.values()}
    assert names == {"session"}
    with client.session_transaction() as session:
        assert set(session) <= {"csrf_token", "_fresh"} and session.get("_fresh") in (None, False)


def test_only_the_session_cookie_is_set_and_pages_are_not_cached(app):
    printed, _, _ = make_survey()
    client = browser(app)
    first = client.get("/respond/")
    set_cookies = first.headers.getlist("Set-Cookie")
    assert [c.split("=", 1)[0] for c in set_cookies] == ["session"]
    assert "HttpOnly" in set_cookies[0] and "SameSite=Lax" in set_cookies[0]
    survey = start(client, printed[0])
    assert survey.headers.getlist("Set-Cookie") == []
    assert survey.headers["Cache-Control"] == "no-store"
    assert survey.headers["Referrer-Policy"] == "no-referrer"


def test_a_survey_page_costs_the_same_statements_whatever_the_number_of_questions(app):
    from playbook.database import count_statements

    def statements_for_pages(printed: list[str], items: list[int]) -> list[int]:
        client = browser(app)
        token = csrf_token_from(client.get("/respond/").get_data(as_text=True))
        counted = []
        for go in ("next", "submit"):
            data = MultiDict({"csrf_token": token, "code": printed[0], "lang": "en", "go": go})
            data.setlist("step", ["0" if go == "next" else "99"])
            for item_id in items:
                data.add(f"a-{item_id}", "2")
            with count_statements() as statements:
                assert client.post("/respond/survey", data=data).status_code in (200, 302)
            counted.append(len(statements))
        return counted

    small = statements_for_pages(*make_survey()[:2])
    printed, _, group_id = make_survey()
    bigger = factories.make_instrument(
        factories.make_framework(components=6),
        audience=SurveyAudience.STUDENTS_6_12,
        open_question_en="Anything else?",
        open_question_es="¿Algo más?",
    )
    group = db.session.get(SurveyGroup, group_id)
    bigger.freeze()
    group.audience = SurveyAudience.STUDENTS_6_12
    group.round.instruments.append(bigger)
    db.session.commit()
    large = statements_for_pages(printed, [item.id for item in bigger.items])
    assert large == small, (small, large)


# --- two devices, one code ------------------------------------------------------------------


@pytest.fixture
def threaded_app(tmp_path, app):
    """The test database when it is PostgreSQL; otherwise a SQLite file (an in-memory
    database cannot be shared by threads)."""
    if db.engine.dialect.name == "postgresql":
        yield app
        return
    file_app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'race.sqlite'}"})
    file_app.test_client_class = FreshContextClient
    with file_app.app_context():
        db.create_all()
        yield file_app
        db.session.remove()
        db.engine.dispose()


def test_a_code_sent_twice_at_the_same_moment_is_accepted_once(threaded_app):
    app = threaded_app
    printed, items, _ = make_survey(codes_count=5)
    for n, code in enumerate(printed):
        bodies = []
        for device in range(3):  # three devices, each on an address of its own
            client = browser(app, f"198.51.100.{10 * n + device}")
            token = csrf_token_from(client.get("/respond/").get_data(as_text=True))
            data = MultiDict(
                {"csrf_token": token, "code": code, "step": "3", "go": "submit", "lang": "en"}
            )
            for item_id in items:
                data.add(f"a-{item_id}", "4")
            bodies.append((client, data))
        together = threading.Barrier(len(bodies))
        statuses: list[int] = []

        def post(client, data, together=together, statuses=statuses):
            together.wait(timeout=10)
            statuses.append(client.post("/respond/survey", data=data).status_code)

        threads = [threading.Thread(target=post, args=body) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(statuses) == [302, 422, 422], statuses
    assert counts() == (5, 20, 5)


# --- translations ---------------------------------------------------------------------------


def test_the_compiled_spanish_catalog_matches_its_po_file():
    """messages.mo is committed (there is no build step); after editing messages.po,
    compile it again: pybabel compile -d playbook/translations."""
    with (TRANSLATIONS / "messages.po").open("rb") as po_file:
        po = read_po(po_file)
    with (TRANSLATIONS / "messages.mo").open("rb") as mo_file:
        mo = read_mo(mo_file)

    def messages(catalog) -> dict:
        def plain(value):
            return tuple(value) if isinstance(value, list | tuple) else value

        return {plain(m.id): plain(m.string) for m in catalog if m.id and m.string and not m.fuzzy}

    assert messages(mo) == messages(po), "messages.mo is out of date: run pybabel compile"


def test_every_text_of_the_response_pages_has_a_spanish_translation():
    with (TRANSLATIONS / "messages.po").open("rb") as po_file:
        po = read_po(po_file)
    method_map = [
        ("playbook/respond/**.py", "python"),
        ("templates/respond/**.html", "jinja2"),
    ]
    missing = []
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map):
        msgid = message if isinstance(message, str) else next(iter(message))
        entry = po.get(msgid)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(msgid)
    assert missing == []
