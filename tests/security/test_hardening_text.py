"""One-line fields refuse line breaks, control characters, invisible characters and
direction overrides (playbook.text), in every form, the JSON import and the CLI;
multi-line fields keep their line breaks; right-to-left text and emoji still work."""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest
from flask_wtf import FlaskForm
from wtforms import StringField

import playbook
from playbook import text
from playbook.extensions import db
from playbook.forms import LineField
from playbook.models import Playbook, User
from playbook.playbooks import importer
from tests import factories
from tests.helpers import csrf_token_from, field_value
from tests.helpers import field_error_html as field_error

HEADER_INJECTION = "Plan\r\nBcc: victim@example.org"

REFUSED = {
    "CRLF": HEADER_INJECTION,
    "LF": "Plan\nB",
    "CR": "Plan\rB",
    "NUL": "null\x00byte",
    "BEL": "ring\x07",
    "ESC": "colour\x1b[31m",
    "DEL": "del\x7f",
    "C1 NEL": "next\x85line",
    "C1 CSI": "csi\x9b",
    "line separator": "one\u2028two",
    "zero-width space": "pay\u200bpal",
    "byte order mark": "\ufeffTitle",
    "right-to-left override": "abc\u202egnp.exe\u202c",
    "left-to-right override": "abc\u202dxyz\u202c",
    "unclosed embedding": "abc\u202bxyz",
    "unclosed isolate": "abc\u2067xyz",
    "stray pop": "abc\u202cxyz",
    "isolate closed by pop of embedding": "a\u2067b\u202c",
}

ACCEPTED = {
    "plain": "Jefferson Middle School playbook",
    "Arabic": "خطة التعلم الشخصي",
    "Hebrew": "תוכנית למידה מותאמת אישית",
    "Persian with ZWNJ": "می\u200cخواهم",
    "emoji": "Launch 🚀 plan",
    "family ZWJ sequence": "Families 👩\u200d👩\u200d👧 first",
    "flag": "Plan 🇫🇷 and 🇲🇽",
    "balanced isolate": "Named \u2067שלום\u2069 here",
    "balanced embedding": "Named \u202bשלום\u202c here",
    "marks": "abc\u200fdef\u200e",
    "accents": "École Élémentaire Ñandú",
}


@pytest.mark.parametrize("value", REFUSED.values(), ids=REFUSED.keys())
def test_one_line_rules_refuse_unsafe_characters(value):
    assert text.single_line_problem(text.clean_single_line(value))
    with pytest.raises(text.TextRefused, match=r"^The title "):
        text.check_single_line(value, "The title")


@pytest.mark.parametrize("value", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_one_line_rules_keep_right_to_left_text_and_emoji(value):
    assert text.single_line_problem(value) is None
    assert text.check_single_line(value, "The title") == value


def test_one_line_rules_fold_tabs_to_a_space():
    assert text.check_single_line("\tTerm\tone ", "Title") == "Term one"


def test_multi_line_text_keeps_line_breaks_and_drops_nul():
    assert text.clean_multi_line("one\r\ntwo\n\tthree\x00") == "one\r\ntwo\n\tthree"


def _form_classes():
    for module in pkgutil.walk_packages(playbook.__path__, "playbook."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    return {cls for cls in walk(FlaskForm) if cls.__module__.startswith("playbook.")}


# Text inputs that are never stored and never shown to others: search boxes and filters
# (NUL is already dropped from every query string), and an e-mail validated as one.
NOT_STORED = {"q", "author", "email"}


def test_every_stored_text_input_of_every_form_is_a_one_line_field():
    checked = []
    for cls in _form_classes():
        for name in dir(cls):
            unbound = getattr(cls, name, None)
            field_class = getattr(unbound, "field_class", None)
            if field_class is None or not issubclass(field_class, StringField):
                continue
            if field_class.__name__ in {"TextAreaField", "URLField", "EmailField"}:
                continue
            if field_class.__name__ in {"HiddenField", "PasswordField", "SearchField"}:
                continue
            if name in NOT_STORED:
                continue
            assert issubclass(field_class, LineField), f"{cls.__name__}.{name} is {field_class}"
            checked.append(f"{cls.__name__}.{name}")
    assert len(checked) >= 15, checked


def _edit_page(client, playbook_id):
    response = client.get(f"/playbooks/{playbook_id}/edit")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html, csrf_token_from(html)


def test_member_cannot_save_a_title_with_a_header_injection(client, login, member):
    playbook = factories.make_playbook(member, title="Clean title", vision="Old")
    login(member)
    html, token = _edit_page(client, playbook.id)
    response = client.post(
        f"/playbooks/{playbook.id}/edit",
        data={
            "csrf_token": token,
            "version": field_value(html, "version"),
            "title": HEADER_INJECTION,
            "scope": "district",
            "organization": "Lincoln District",
            "vision": "Line one\r\nLine two",
            "framework_id": "",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "title") == "Title cannot contain line breaks."
    # Everything typed is still in the form, the title too.
    assert field_value(html, "organization") == "Lincoln District"
    assert "Line one\r\nLine two" in html or "Line one\nLine two" in html
    assert "Bcc: victim@example.org" in html
    assert 'value="district" selected' in html or 'selected value="district"' in html
    db.session.expire_all()
    stored = db.session.get(Playbook, playbook.id)
    assert stored.title == "Clean title" and stored.vision == "Old"


def test_member_saves_multi_line_vision_and_a_tab_in_the_title(client, login, member):
    playbook = factories.make_playbook(member, title="Clean title")
    login(member)
    html, token = _edit_page(client, playbook.id)
    response = client.post(
        f"/playbooks/{playbook.id}/edit",
        data={
            "csrf_token": token,
            "version": field_value(html, "version"),
            "title": "Term\tone",
            "scope": "school",
            "organization": "",
            "vision": "Line one\r\nLine two",
            "framework_id": "",
        },
    )
    assert response.status_code == 302, field_error(response.get_data(as_text=True), "title")
    db.session.expire_all()
    stored = db.session.get(Playbook, playbook.id)
    assert stored.title == "Term one"
    assert "Line one" in stored.vision and "\n" in stored.vision


@pytest.mark.parametrize("value", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_member_starts_a_playbook_with_right_to_left_or_emoji_title(client, login, member, value):
    login(member)
    page = client.get("/playbooks/new").get_data(as_text=True)
    response = client.post(
        "/playbooks/new",
        data={"csrf_token": csrf_token_from(page), "title": value, "scope": "school"},
    )
    assert response.status_code == 302
    assert db.session.scalar(db.select(Playbook.title).where(Playbook.title == value)) == value


@pytest.mark.parametrize(
    "value", [REFUSED["right-to-left override"], REFUSED["zero-width space"], REFUSED["ESC"]]
)
def test_member_cannot_start_a_playbook_with_a_disguised_title(client, login, member, value):
    login(member)
    page = client.get("/playbooks/new").get_data(as_text=True)
    response = client.post(
        "/playbooks/new",
        data={"csrf_token": csrf_token_from(page), "title": value, "scope": "school"},
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "title").startswith("Title cannot")
    assert db.session.scalar(db.select(db.func.count()).select_from(Playbook)) == 0


def test_visitor_cannot_register_with_a_line_break_in_the_name(client):
    page = client.get("/auth/register").get_data(as_text=True)
    response = client.post(
        "/auth/register",
        data={
            "csrf_token": csrf_token_from(page),
            "email": "new@example.org",
            "display_name": "Dana\r\nBcc: victim@example.org",
            "password": "a long enough passphrase 42",
            "confirm": "a long enough passphrase 42",
        },
    )
    html = response.get_data(as_text=True)
    assert field_error(html, "display_name") == "Your name cannot contain line breaks."
    assert field_value(html, "email") == "new@example.org"
    assert db.session.scalar(db.select(User).where(User.email == "new@example.org")) is None


def test_member_cannot_rename_themselves_with_a_direction_override(client, login, member):
    login(member)
    page = client.get("/accounts/profile").get_data(as_text=True)
    response = client.post(
        "/accounts/profile",
        data={
            "csrf_token": csrf_token_from(page),
            "display_name": "Maria\u202eevil",
            "organization": "Kept School",
            "role_title": "",
        },
    )
    html = response.get_data(as_text=True)
    assert "reverse the direction" in field_error(html, "display_name")
    assert field_value(html, "organization") == "Kept School"
    db.session.expire_all()
    assert db.session.get(User, member.id).display_name == "Maria Member"


def _import_doc(**overrides) -> dict:
    doc = {
        "format": "playbook-document/1",
        "title": "Imported",
        "scope": "school",
        "organization": "",
        "vision": "",
        "framework": None,
        "sections": [
            {"title": "First", "items": [{"kind": "note", "title": "A note", "notes": ""}]}
        ],
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def export_format(app):
    from playbook.playbooks import document

    return document.FORMAT


def _doc(export_format, **overrides) -> bytes:
    doc = _import_doc(**overrides)
    doc["format"] = export_format
    return json.dumps(doc).encode()


def test_import_refuses_a_title_with_line_breaks(export_format):
    with pytest.raises(importer.DocumentError) as error:
        importer.parse_document(_doc(export_format, title=HEADER_INJECTION))
    assert error.value.problems == ["The title cannot contain line breaks."]


def test_import_refuses_disguised_section_and_item_titles(export_format):
    sections = [
        {
            "title": "Sec\u202etion",
            "items": [{"kind": "note", "title": "pay\u200bpal", "notes": "two\nlines"}],
        }
    ]
    with pytest.raises(importer.DocumentError) as error:
        importer.parse_document(_doc(export_format, sections=sections))
    assert error.value.problems[0].startswith("Section 1 title cannot contain characters")
    assert error.value.problems[1].startswith("Section 1, item 1 title cannot contain invisible")


def test_import_keeps_multi_line_vision_and_right_to_left_title(export_format):
    doc = importer.parse_document(
        _doc(export_format, title=ACCEPTED["Arabic"], vision="one\r\ntwo", organization="\tOrg")
    )
    assert doc["title"] == ACCEPTED["Arabic"]
    assert doc["vision"] == "one\r\ntwo"
    assert doc["organization"] == "Org"


def test_cli_create_user_refuses_a_name_with_a_line_break(runner):
    result = runner.invoke(
        args=[
            "create-user",
            "lead@example.org",
            "--name",
            "Dana\nBcc: x@example.org",
            "--password",
            "a long enough passphrase 42",
        ]
    )
    assert result.exit_code != 0
    assert "The name cannot contain line breaks." in result.output
    assert db.session.scalar(db.select(User).where(User.email == "lead@example.org")) is None


def test_cli_import_refuses_a_title_with_a_line_break(runner, member, tmp_path, export_format):
    path = tmp_path / "bad.json"
    path.write_bytes(_doc(export_format, title=HEADER_INJECTION))
    result = runner.invoke(args=["import-playbook", str(path), "--owner", member.email])
    assert result.exit_code != 0
    assert "The title cannot contain line breaks." in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Playbook)) == 0


# --- the other forms, over HTTP ----------------------------------------------------------


def _post(client, page_url: str, url: str, data: dict):
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(
        url, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}
    )


def test_admin_cannot_save_a_resource_title_with_a_line_break(client, login, admin):
    login(admin)
    response = _post(
        client,
        "/library/resources/new",
        "/library/resources/new",
        {
            "title": "Rubric\nBcc: x@example.org",
            "organization": "Kept Org",
            "url": "https://example.org/rubric",
            "description": "Two\r\nlines",
            "resource_type": "Rubric",
            "ideal_users": ["Teachers"],
        },
    )
    html = response.get_data(as_text=True)
    assert field_error(html, "title") == "Title cannot contain line breaks."
    assert field_value(html, "organization") == "Kept Org"


def test_admin_cannot_add_a_component_element_with_a_direction_override(
    client, login, admin, library
):
    from playbook.models import Framework

    framework_id = db.session.scalar(db.select(Framework.id))
    login(admin)
    url = f"/library/frameworks/{framework_id}/components/new"
    response = _post(
        client,
        url,
        url,
        {"name": "Learner led", "summary": "", "elements": "Voice: choose\nChoice: \u202eevil"},
    )
    html = response.get_data(as_text=True)
    assert "Elements: line 2 cannot contain characters that reverse" in field_error(
        html, "elements"
    )


def test_member_cannot_suggest_a_resource_with_an_invisible_title(client, login, member):
    login(member)
    response = _post(
        client,
        "/comments/suggest",
        "/comments/suggest",
        {
            "title": "Free\u200b toolkit",
            "url": "https://example.org/toolkit",
            "organization": "Org\tName",
            "resource_type": "Toolkit",
            "ideal_users": ["Teachers"],
            "description": "Useful.",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Title cannot contain invisible characters (U+200B" in field_error(html, "title")
    assert field_value(html, "organization") == "Org Name"


def test_moderator_cannot_save_a_reason_title_with_a_control_character(client, login, moderator):
    login(moderator)
    response = _post(
        client,
        "/moderation/reasons",
        "/moderation/reasons",
        {"title": "Spam\x1b[2J", "body": "Line one\r\nLine two"},
    )
    html = response.get_data(as_text=True)
    assert field_error(html, "title").startswith("Title cannot contain control characters")
    assert "Line one" in html


def test_editor_cannot_add_a_note_titled_with_a_line_break(client, login, member):
    playbook = factories.make_playbook(member)
    section = playbook.sections[0]
    login(member)
    url = f"/playbooks/{playbook.id}/sections/{section.id}/notes/new"
    page = client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(page),
            "version": field_value(page, "version"),
            "title": "Note\r\nBcc: x@example.org",
            "notes": "Kept\r\ndetails",
        },
    )
    html = response.get_data(as_text=True)
    assert field_error(html, "title") == "Note title cannot contain line breaks."
    assert "Kept" in html and "details" in html


def test_editor_adding_a_section_with_a_line_break_is_told_why(client, login, member):
    playbook = factories.make_playbook(member)
    login(member)
    page = client.get(f"/playbooks/{playbook.id}").get_data(as_text=True)
    response = client.post(
        f"/playbooks/{playbook.id}/sections",
        data={
            "csrf_token": csrf_token_from(page),
            "version": str(playbook.version),
            "title": "Sec\ntion",
        },
        follow_redirects=True,
    )
    assert "Section title cannot contain line breaks." in response.get_data(as_text=True)
