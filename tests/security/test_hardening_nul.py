"""NUL characters never reach the database (PostgreSQL refuses them with a DataError,
a 500): the JSON import and the CLI refuse them in one-line fields and drop them from
multi-line text; forms, query strings and stored headers lose them."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from playbook.extensions import db
from playbook.models import Item, LoginSession, Playbook, Section
from playbook.playbooks import document
from tests import factories
from tests.helpers import csrf_token_from, post_form
from tests.helpers import field_error_html as field_error


def _export(**overrides) -> dict:
    doc = {
        "format": document.FORMAT,
        "title": "Imported plan",
        "scope": "school",
        "organization": "",
        "vision": "",
        "framework": None,
        "sections": [
            {
                "title": "First",
                "items": [{"kind": "note", "title": "A note", "notes": "", "status": "idea"}],
            }
        ],
    }
    doc.update(overrides)
    return doc


def _import(client, doc: dict):
    page = client.get("/playbooks/import").get_data(as_text=True)
    body = json.dumps(doc).encode()
    return client.post(
        "/playbooks/import",
        data={"csrf_token": csrf_token_from(page), "file": (io.BytesIO(body), "plan.json")},
        content_type="multipart/form-data",
    )


def _playbook_count() -> int:
    return db.session.scalar(select(db.func.count()).select_from(Playbook))


NUL_IN_ONE_LINE = {
    "title": lambda: _export(title="null\x00byte"),
    "organization": lambda: _export(organization="Org\x00"),
    "section title": lambda: _export(sections=[{"title": "Sec\x00tion", "items": []}]),
    "item title": lambda: _export(
        sections=[{"title": "S", "items": [{"kind": "note", "title": "No\x00te", "notes": ""}]}]
    ),
    "library reference": lambda: _export(
        sections=[
            {"title": "S", "items": [{"kind": "play", "ref": {"slug": "a\x00b"}, "notes": ""}]}
        ]
    ),
    "framework name": lambda: _export(
        framework={"slug": "f", "name": "Frame\x00work", "edition": ""}
    ),
}


@pytest.mark.parametrize("make_doc", NUL_IN_ONE_LINE.values(), ids=NUL_IN_ONE_LINE.keys())
def test_import_refuses_nul_in_a_one_line_field(client, login, member, make_doc):
    login(member)
    response = _import(client, make_doc())
    assert response.status_code == 422
    assert "cannot contain control characters (U+0000)" in field_error(
        response.get_data(as_text=True), "file"
    )
    assert _playbook_count() == 0


def test_import_drops_nul_from_vision_and_notes(client, login, member):
    login(member)
    doc = _export(
        vision="Our\x00 vision\nover two lines",
        sections=[
            {
                "title": "S",
                "items": [
                    {"kind": "note", "title": "Note", "notes": "de\x00tails", "status": "idea"}
                ],
            }
        ],
    )
    response = _import(client, doc)
    assert response.status_code == 302, field_error(response.get_data(as_text=True), "file")
    playbook = db.session.scalar(select(Playbook))
    assert playbook.vision == "Our vision\nover two lines"
    item = db.session.scalar(select(Item).join(Section).where(Section.playbook_id == playbook.id))
    assert item.notes == "details"


def test_cli_import_refuses_nul_in_a_title_and_drops_it_from_the_vision(runner, member, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_export(title="null\x00byte")))
    result = runner.invoke(args=["import-playbook", str(bad), "--owner", member.email])
    assert result.exit_code != 0
    assert "The title cannot contain control characters (U+0000)." in result.output
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_export(vision="a\x00b")))
    result = runner.invoke(args=["import-playbook", str(good), "--owner", member.email])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Playbook.vision)) == "ab"


def test_cli_create_user_refuses_nul_in_the_name(runner):
    result = runner.invoke(
        args=["create-user", "n@example.org", "--name", "Na\x00me", "--password", "x" * 20]
    )
    assert result.exit_code != 0
    assert "The name cannot contain control characters (U+0000)." in result.output


@pytest.mark.parametrize(
    "path",
    [
        "/library/search?q=null%00byte",
        "/library/plays/?q=%00",
        "/library/resources/?q=a%00b",
        "/gallery/?q=null%00byte",
    ],
)
def test_search_and_filters_with_a_nul_answer_normally(client, library, path):
    assert client.get(path).status_code == 200


def test_staff_filters_with_a_nul_answer_normally(client, login, admin):
    login(admin)
    assert client.get("/admin/users/?q=ad%00a").status_code == 200
    assert client.get("/moderation/?author=a%00b").status_code == 200


def test_form_text_with_a_nul_is_saved_without_it(client, login, member):
    playbook = factories.make_playbook(member)
    login(member)
    response = post_form(
        client,
        f"/playbooks/{playbook.id}/edit",
        {
            "version": str(playbook.version),
            "title": "Clean\x00 title",
            "scope": "school",
            "organization": "",
            "vision": "vi\x00sion",
            "framework_id": "",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Playbook, playbook.id)
    assert (stored.title, stored.vision) == ("Clean title", "vision")


def test_sign_in_with_a_nul_in_the_user_agent_stores_it_without(client, member):
    page = client.get("/auth/login").get_data(as_text=True)
    response = client.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token_from(page),
            "email": member.email,
            "password": factories.PASSWORD,
        },
        headers={"User-Agent": "Browser\x00/1.0"},
    )
    assert response.status_code == 302
    assert db.session.scalar(select(LoginSession.user_agent)) == "Browser/1.0"
