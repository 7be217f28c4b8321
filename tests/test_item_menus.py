"""The playbook page reads as a document; editors get one Edit menu per item and
section (its actions work without JavaScript), and whoever saves an item is told so
next to that item, in their own page only, never in the part kept for everyone."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from markupsafe import escape

from playbook.models import MemberRole
from tests import factories
from tests.helpers import check_page, client_for, form_posting_to, pressing


@pytest.fixture
def team(app, library):
    """A playbook of eight items; its owner, an editor and a viewer, each signed in."""
    owner, editor, viewer = (
        factories.make_user(display_name=name) for name in ("Ana Owner", "Ben Editor", "Vi Viewer")
    )
    playbook = factories.make_playbook(owner, 8, framework=factories.seeded_framework())
    factories.add_members(playbook.id, editor)
    factories.add_members(playbook.id, viewer, role=MemberRole.VIEWER)
    clients = {
        "owner": client_for(app, owner),
        "editor": client_for(app, editor),
        "viewer": client_for(app, viewer),
    }
    items = [(i.id, i.display_title) for s in playbook.sections for i in s.items]
    return playbook.id, items, clients


def _page(client, playbook_id: int) -> str:
    response = client.get(f"/playbooks/{playbook_id}")
    assert response.status_code == 200
    return check_page(response)


def _save_twist(client, playbook_id: int, item_id: int, twist: str):
    url = f"/playbooks/{playbook_id}/items/{item_id}/edit"
    data = form_posting_to(client.get(url).get_data(as_text=True), url)
    data["notes"] = twist
    return client.post(url, data=data)


def _notice_in_item(html: str, item_id: int) -> str:
    """The text of the notice placed first inside the item's row, or ''."""
    found = re.search(
        rf' id="item-{item_id}"[^>]*>\s*<p class="flash flash-success saved-notice" role="status">'
        r"(.*?)</p>",
        html,
    )
    return html_lib.unescape(found.group(1)) if found else ""


def _top_flashes(html: str) -> str:
    found = re.search(r'<div class="flashes".*?</div>', html, re.S)
    return html_lib.unescape(found.group(0)) if found else ""


def _stored_parts(app) -> list[bytes]:
    cache = app.extensions["page_cache"]
    return [page.body for key, page in cache.pages.items() if key.startswith("fragment:")]


def test_saved_is_said_next_to_the_item_to_the_saver_only(app, team):
    playbook_id, items, clients = team
    item_id, title = items[2]
    _page(clients["editor"], playbook_id)  # the editors' part is rendered and kept first
    response = _save_twist(clients["owner"], playbook_id, item_id, "Grade 6 first.")
    assert response.status_code == 302
    assert response.location.endswith(f"/playbooks/{playbook_id}#item-{item_id}")
    html = _page(clients["owner"], playbook_id)
    assert _notice_in_item(html, item_id) == f"Saved “{title}”."
    assert "Saved" not in _top_flashes(html)  # said once, where the item is
    assert html.count("saved-notice") == 1
    # The teammate with the same rights gets the same kept part, without the notice.
    assert "saved-notice" not in _page(clients["editor"], playbook_id)
    assert all(b"saved-notice" not in body for body in _stored_parts(app))
    # It is said once: the next visit is quiet.
    assert "saved-notice" not in _page(clients["owner"], playbook_id)


def test_a_merged_save_says_with_whose_change_next_to_the_item(team):
    playbook_id, items, clients = team
    (first_id, _), (second_id, second_title) = items[0], items[1]
    url = f"/playbooks/{playbook_id}/items/{second_id}/edit"
    stale = form_posting_to(clients["editor"].get(url).get_data(as_text=True), url)
    assert _save_twist(clients["owner"], playbook_id, first_id, "Ana's words.").status_code == 302
    _page(clients["owner"], playbook_id)
    stale["notes"] = "Ben's words."
    assert clients["editor"].post(url, data=stale).status_code == 302
    notice = _notice_in_item(_page(clients["editor"], playbook_id), second_id)
    assert notice.startswith(f"Saved “{second_title}”. Merged with Ana Owner")


def test_a_notice_for_an_item_removed_meanwhile_shows_at_the_top(team):
    playbook_id, items, clients = team
    item_id, title = items[3]
    assert _save_twist(clients["editor"], playbook_id, item_id, "Soon gone.").status_code == 302
    owners = _page(clients["owner"], playbook_id)
    delete = f"/playbooks/{playbook_id}/items/{item_id}/delete"
    assert clients["owner"].post(delete, data=pressing(owners, delete)).status_code == 302
    html = _page(clients["editor"], playbook_id)
    assert f"Saved “{title}”." in _top_flashes(html)
    assert "saved-notice" not in html


def test_renaming_a_section_says_saved_next_to_it(team):
    playbook_id, _, clients = team
    html = _page(clients["owner"], playbook_id)
    section_id = int(re.search(r'id="section-(\d+)"', html).group(1))
    url = f"/playbooks/{playbook_id}/sections/{section_id}/edit"
    data = form_posting_to(clients["owner"].get(url).get_data(as_text=True), url)
    data["title"] = "Who we are"
    assert clients["owner"].post(url, data=data).status_code == 302
    html = _page(clients["owner"], playbook_id)
    assert re.search(
        rf' id="section-{section_id}"[^>]*>\s*<p class="flash flash-success saved-notice"', html
    )


def test_each_item_and_section_has_one_menu_and_readers_none(team):
    playbook_id, items, clients = team
    html = _page(clients["owner"], playbook_id)
    sections = len(re.findall(r'data-movable="section"', html))
    assert html.count('<details class="menu" data-menu>') == len(items) + sections
    # One form per menu (its moves and its removal), nothing else among the sections.
    adding = f'<form method="post" action="/playbooks/{playbook_id}/sections"'
    among_sections = html.split("data-sections>")[1].split(adding)[0]
    assert among_sections.count("<form") == len(items) + sections
    for item_id, title in items:
        summary = re.search(rf'id="item-{item_id}".*?<summary[^>]*>(.*?)</summary>', html, re.S)
        assert html_lib.unescape(re.sub(r"<[^>]+>", "", summary.group(1))) == f"Edit {title} ▾"
    # A viewer reads the same document (every item with its status and owner line)
    # without a menu or a form among the sections.
    page = _page(clients["viewer"], playbook_id).split('id="comments"')[0]
    among_sections = page.split("data-sections>")[1]
    assert "data-menu" not in page and "<form" not in among_sections
    assert among_sections.count('class="meta item-meta"') == len(items)
    for _, title in items:
        assert escape(title) in among_sections


def test_the_move_page_moves_an_item_to_another_section_without_script(team):
    playbook_id, items, clients = team
    item_id, title = items[0]  # in the first section
    url = f"/playbooks/{playbook_id}/items/{item_id}/move"
    response = clients["editor"].get(url)
    page = check_page(response)
    assert f"Move “{escape(title)}”" in page
    data = form_posting_to(page, url)
    choices = re.search(r'<select[^>]*name="section_id".*?</select>', page, re.S).group(0)
    sections = re.findall(r'<option value="(\d+)"', choices)
    data["section_id"] = sections[-1]
    response = clients["editor"].post(url, data=data)
    assert response.status_code == 302 and response.location.endswith(f"#item-{item_id}")
    html = _page(clients["editor"], playbook_id)
    last = html.split(f'id="section-{sections[-1]}"')[1]
    assert f'id="item-{item_id}"' in last


def test_the_move_page_is_for_editors_only(app, team, intruder):
    playbook_id, items, clients = team
    url = f"/playbooks/{playbook_id}/items/{items[0][0]}/move"
    assert clients["viewer"].get(url).status_code in (403, 404)
    assert client_for(app, intruder).get(url).status_code == 404
    assert app.test_client().get(url).status_code in (302, 404)
    other = factories.make_playbook(factories.make_user(), 1)
    stranger = f"/playbooks/{playbook_id}/items/{other.sections[0].items[0].id}/move"
    assert clients["owner"].get(stranger).status_code == 404


def test_a_twist_that_mimics_an_item_id_does_not_catch_the_notice(team):
    playbook_id, items, clients = team
    (first_id, _), (second_id, second_title) = items[0], items[1]
    twist = f'He wrote id="item-{second_id}" here, and [a link](https://e.org "a>b").'
    assert _save_twist(clients["owner"], playbook_id, first_id, twist).status_code == 302
    assert _save_twist(clients["editor"], playbook_id, second_id, "Mine.").status_code == 302
    html = _page(clients["editor"], playbook_id)
    assert _notice_in_item(html, second_id) == f"Saved “{second_title}”."
    assert html.count("saved-notice") == 1
