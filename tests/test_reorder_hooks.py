"""The playbook page renders the data- attributes reorder.js works from, and the script
finds nothing by button text or CSS class."""

from __future__ import annotations

import re
from pathlib import Path

from playbook.models import MemberRole
from tests.factories import add_members, make_playbook
from tests.helpers import forms_on, get_page

SCRIPT = Path(__file__).resolve().parents[1] / "static" / "js" / "reorder.js"


def _forms(html: str, action: str) -> list[dict]:
    return [f for f in forms_on(html) if f["method"] == "post" and f["action"] == action]


def test_item_step_forms_carry_their_direction_and_positions(client, login, member):
    playbook = make_playbook(member, items=8)  # two items in each of the four sections
    section = playbook.sections[0]
    first, second = section.items
    login(member)
    html = get_page(client, "playbooks.detail", playbook_id=playbook.id).get_data(as_text=True)
    first_url = f"/playbooks/{playbook.id}/items/{first.id}/move"
    second_url = f"/playbooks/{playbook.id}/items/{second.id}/move"
    down = re.findall(rf'<form method="post" action="{first_url}"[^>]*data-step="(\w+)"', html)
    up = re.findall(rf'<form method="post" action="{second_url}"[^>]*data-step="(\w+)"', html)
    assert (down, up) == (["down"], ["up"])
    moves = {f["fields"]["position"]: f["fields"] for f in _forms(html, first_url)}
    assert moves["1"]["section_id"] == str(section.id)
    assert moves["1"]["version"] == str(playbook.version)
    assert moves["1000000"]["section_id"] == str(section.id)  # the Move form's select
    assert re.search(rf'action="{first_url}" class="inline-form move-to" data-move-to=""', html)
    for form in _forms(html, first_url) + _forms(html, second_url):
        assert form["fields"]["csrf_token"]


def test_section_step_forms_and_hooks_are_rendered(client, login, member):
    playbook = make_playbook(member)
    sections = playbook.sections
    login(member)
    html = get_page(client, "playbooks.detail", playbook_id=playbook.id).get_data(as_text=True)
    steps = [
        re.findall(
            rf'action="/playbooks/{playbook.id}/sections/{s.id}/move"[^>]*data-step="(\w+)"', html
        )
        for s in sections
    ]
    assert steps[0] == ["down"] and steps[-1] == ["up"]
    assert all(middle == ["up", "down"] for middle in steps[1:-1])
    assert html.count('data-movable="section"') == len(sections)
    assert html.count("data-drag-handle") == len(sections)
    assert 'data-label-up="Section up"' in html and "data-playbook" in html
    assert html.count("data-status-list") == 1


def test_a_viewer_gets_no_move_forms_or_hooks(client, login, member, other_member):
    playbook = make_playbook(member, items=2)
    add_members(playbook.id, other_member, role=MemberRole.VIEWER)
    login(other_member)
    html = get_page(client, "playbooks.detail", playbook_id=playbook.id).get_data(as_text=True)
    assert "data-step=" not in html and "data-drag-handle" not in html
    assert "data-move-to" not in html


def test_reorder_script_finds_nothing_by_class_or_button_text():
    source = SCRIPT.read_text()
    selectors = re.findall(r'(?:querySelector(?:All)?|closest|matches)\(\s*"([^"]*)"', source)
    selectors += re.findall(r'const [A-Z_]+ = "([^"]*)"', source)
    assert selectors
    for selector in selectors:
        assert not re.search(r"(^|[\s,>])\.[a-z]", selector), selector
    assert "textContent.trim()" not in source and "nodeValue" not in source
