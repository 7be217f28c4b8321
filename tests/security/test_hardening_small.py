"""Small findings: the Markdown export's exact Content-Type, duplicate keys in an
imported file, and requests carrying two CSRF tokens."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from playbook.extensions import db
from playbook.models import Playbook
from playbook.playbooks import document, importer
from tests import factories
from tests.helpers import csrf_token_from
from tests.security.support import CSRF_MESSAGE


def test_markdown_export_names_its_charset_once(client, login, member):
    playbook = factories.make_playbook(member)
    login(member)
    response = client.get(f"/playbooks/{playbook.id}/export.md")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"


def test_json_export_keeps_its_content_type(client, login, member):
    playbook = factories.make_playbook(member)
    login(member)
    response = client.get(f"/playbooks/{playbook.id}/export.json")
    assert response.headers["Content-Type"] == "application/json"


def _raw_doc(title_part: str) -> str:
    start = '{"format": "' + document.FORMAT + '", "title": "Plan", '
    return start + title_part + '"scope": "school", "sections": []}'


def test_import_refuses_a_key_given_twice_and_names_it(app):
    with pytest.raises(importer.DocumentError) as error:
        importer.parse_document(_raw_doc('"title": "Other plan", '))
    assert error.value.problems == [
        "The file gives the key “title” twice in one place; keep one of them."
    ]


def test_import_refuses_a_key_given_twice_deep_inside(app):
    raw = (
        '{"format": "' + document.FORMAT + '", "title": "Plan", "scope": "school", "sections": '
        '[{"title": "S", "items": [{"kind": "note", "title": "A", "title": "B"}]}]}'
    )
    with pytest.raises(importer.DocumentError, match="key “title” twice"):
        importer.parse_document(raw)


def test_import_without_duplicate_keys_still_reads(app):
    assert importer.parse_document(_raw_doc(""))["title"] == "Plan"


def _new_playbook_post(client, tokens: list[str]):
    data = [("csrf_token", token) for token in tokens]
    data += [("title", "Two tokens"), ("scope", "school")]
    return client.post("/playbooks/new", data=MultiDict(data))


def test_post_with_two_csrf_tokens_is_refused(client, login, member):
    login(member)
    token = csrf_token_from(client.get("/playbooks/new").get_data(as_text=True))
    response = _new_playbook_post(client, [token, "forged"])
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)
    response = _new_playbook_post(client, ["forged", token])
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Playbook)) == 0
    # Even two copies of the right token: a browser sends one.
    assert _new_playbook_post(client, [token, token]).status_code == 400
    assert _new_playbook_post(client, [token]).status_code == 302


def test_sign_in_with_two_csrf_tokens_is_refused(client, member):
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    data = MultiDict(
        [
            ("csrf_token", token),
            ("csrf_token", token),
            ("email", member.email),
            ("password", factories.PASSWORD),
        ]
    )
    response = client.post("/auth/login", data=data)
    assert response.status_code == 400
    assert client.get("/accounts/profile").status_code == 302  # not signed in
