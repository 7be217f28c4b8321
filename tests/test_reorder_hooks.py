"""The playbook page renders the data- attributes reorder.js works from, and the script
finds nothing by button text or CSS class."""

from __future__ import annotations

import re
from pathlib import Path

from playbook.models import MemberRole
from tests.factories import add_members, make_playbook
from tests.helpers import get_page, pressing

SCRIPT = Path(__file__).resolve().parents[1] / "static" / "js" / "reorder.js"


def _menu_form(html: str, action: str) -> str:
    """The markup of the Edit menu's form that posts to `action`."""
    found = re.search(rf'<form method="post" action="{action}" data-actions>.*?</form>', html, re.S)
    assert found, f"no menu form posting to {action}"
    return found.group(0)


def _steps(form: str) -> dict[str, tuple[str, bool]]:
    """Each step button of a menu form: its position and whether it is hidden."""
    return {
        way: (value, bool(hidden))
        for value, way, hidden in re.findall(
            r'name="position" value="(-?\d+)" data-step="(\w+)"( hidden)?>', form
        )
    }


def test_item_step_buttons_carry_their_direction_and_positions(client, login, member):
    playbook = make_playbook(member, items=8)  # two items in each of the four sections
    section = playbook.sections[0]
    first, second = section.items
    login(member)
    html = get_page(client, "playbooks.detail", playbook_id=playbook.id).get_data(as_text=True)
    first_url = f"/playbooks/{playbook.id}/items/{first.id}/move"
    second_url = f"/playbooks/{playbook.id}/items/{second.id}/move"
    assert _steps(_menu_form(html, first_url)) == {"up": ("-1", True), "down": ("1", False)}
    assert _steps(_menu_form(html, second_url)) == {"up": ("0", False), "down": ("2", True)}
    down = pressing(html, first_url, position=1)
    assert down["version"] == str(playbook.version) and down["csrf_token"]
    assert "section_id" not in down  # a step stays in the item's section
    remove = pressing(html, f"/playbooks/{playbook.id}/items/{first.id}/delete")
    assert remove["version"] == str(playbook.version) and remove["csrf_token"]
    # Moving to another section has a page of its own, linked from the menu.
    assert f'<a href="{first_url}">Move to another section…</a>' in html
    menus = re.findall(r'<details class="menu" data-menu>', html)
    assert len(menus) == 8 + len(playbook.sections)


def test_section_step_buttons_and_hooks_are_rendered(client, login, member):
    playbook = make_playbook(member)
    sections = playbook.sections
    login(member)
    html = get_page(client, "playbooks.detail", playbook_id=playbook.id).get_data(as_text=True)
    steps = [
        _steps(_menu_form(html, f"/playbooks/{playbook.id}/sections/{s.id}/move")) for s in sections
    ]
    assert steps[0] == {"up": ("-1", True), "down": ("1", False)}
    assert steps[-1] == {"up": (str(len(sections) - 2), False), "down": (str(len(sections)), True)}
    assert all(not up[1] and not down[1] for up, down in (s.values() for s in steps[1:-1]))
    assert html.count('data-movable="section"') == len(sections)
    assert html.count("data-drag-handle") == len(sections)
    assert "data-playbook" in html
    assert html.count("data-status-list") == 1


def test_a_viewer_gets_no_move_forms_or_hooks(client, login, member, other_member):
    playbook = make_playbook(member, items=2)
    add_members(playbook.id, other_member, role=MemberRole.VIEWER)
    login(other_member)
    html = get_page(client, "playbooks.detail", playbook_id=playbook.id).get_data(as_text=True)
    assert "data-step=" not in html and "data-drag-handle" not in html
    assert "data-menu" not in html and "data-actions" not in html


def test_reorder_script_finds_nothing_by_class_or_button_text():
    source = SCRIPT.read_text()
    selectors = re.findall(r'(?:querySelector(?:All)?|closest|matches)\(\s*"([^"]*)"', source)
    selectors += re.findall(r'const [A-Z_]+ = "([^"]*)"', source)
    assert selectors
    for selector in selectors:
        assert not re.search(r"(^|[\s,>])\.[a-z]", selector), selector
    assert "textContent.trim()" not in source and "nodeValue" not in source
