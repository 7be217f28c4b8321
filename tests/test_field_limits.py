"""No field cuts what someone typed: textareas and long fields carry no maxlength, show
their limit next to the field, and the server refuses over-long text keeping it."""

from __future__ import annotations

import re

import pytest

from playbook.comments.services import BODY_MAX
from playbook.models import CommentStatus
from tests.factories import add_comment, make_play, make_playbook, reload
from tests.helpers import form_posting_to, get_page

_TEXTAREA = re.compile(r"<textarea\b([^>]*)>", re.I)
_INPUT = re.compile(r"<input\b([^>]*)>", re.I)


def _attr(attrs: str, name: str) -> str | None:
    match = re.search(rf'\b{name}="([^"]*)"', attrs)
    return match.group(1) if match else None


def assert_no_silent_cut(html: str) -> int:
    """Every textarea: no maxlength, and an "Up to N characters" line that its
    aria-describedby points at. No text input carries maxlength either (search boxes
    aside, whose query is never saved). Returns the number of textareas checked."""
    textareas = _TEXTAREA.findall(html)
    for attrs in textareas:
        assert "maxlength" not in attrs, attrs
        field_id = _attr(attrs, "id")
        described = (_attr(attrs, "aria-describedby") or "").split()
        assert f"{field_id}-limit" in described, attrs
        note = re.search(
            rf'<p class="hint field-limit" id="{field_id}-limit"[^>]*>([^<]*)</p>', html
        )
        assert note and re.fullmatch(r"Up to [\d,]+ characters", note.group(1)), field_id
    for attrs in _INPUT.findall(html):
        if _attr(attrs, "type") in ("search", "hidden", "checkbox", "radio"):
            continue
        assert "maxlength" not in attrs, attrs
    return len(textareas)


def _item_of(playbook_id: int):
    playbook = reload(playbook_id)
    return next(item for section in playbook.sections for item in section.items)


def test_playbook_pages_show_limits_and_carry_no_maxlength(client, login, member):
    playbook = make_playbook(member, items=1)
    item = _item_of(playbook.id)
    section_id = playbook.sections[0].id
    login(member)
    checked = 0
    for endpoint, args in [
        ("playbooks.new", {}),
        ("playbooks.edit", {"playbook_id": playbook.id}),
        ("playbooks.item_edit", {"playbook_id": playbook.id, "item_id": item.id}),
        ("playbooks.note_new", {"playbook_id": playbook.id, "section_id": section_id}),
        ("playbooks.section_edit", {"playbook_id": playbook.id, "section_id": section_id}),
        ("playbooks.detail", {"playbook_id": playbook.id}),
        ("accounts.profile", {}),
    ]:
        checked += assert_no_silent_cut(get_page(client, endpoint, **args).get_data(as_text=True))
    assert checked >= 5  # vision twice, the twist, a note's details, the comment box


def test_item_page_shows_the_twist_limit(client, login, member):
    playbook = make_playbook(member, items=1)
    item = _item_of(playbook.id)
    login(member)
    html = get_page(
        client, "playbooks.item_edit", playbook_id=playbook.id, item_id=item.id
    ).get_data(as_text=True)
    assert "Up to 20,000 characters" in html
    assert not re.search(r"<textarea[^>]*maxlength", html)


def test_an_over_long_twist_is_refused_with_the_full_text_kept(client, login, member):
    playbook = make_playbook(member, items=1)
    item = _item_of(playbook.id)
    before = item.notes
    login(member)
    url = f"/playbooks/{playbook.id}/items/{item.id}/edit"
    page = get_page(
        client, "playbooks.item_edit", playbook_id=playbook.id, item_id=item.id
    ).get_data(as_text=True)
    data = form_posting_to(page, url)
    twist = "Our long twist. " * 6250  # 100,000 characters
    assert len(twist) == 100_000
    data["notes"] = twist
    response = client.post(url, data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "20000" in html.replace(",", "") and "field-error" in html
    kept = re.search(r'<textarea[^>]*name="notes"[^>]*>(.*?)</textarea>', html, re.S)
    assert kept and kept.group(1).strip() == twist.strip()
    assert _item_of(playbook.id).notes == before


def test_comment_box_under_a_thread_shows_the_comment_limit(client, login, member):
    playbook = make_playbook(member)
    login(member)
    html = get_page(client, "playbooks.detail", playbook_id=playbook.id).get_data(as_text=True)
    assert f"Up to {BODY_MAX:,} characters" in html
    assert assert_no_silent_cut(html) == 1


def test_comment_pages_show_limits_and_carry_no_maxlength(client, login, member):
    play = make_play()
    comment = add_comment(member, play, "First!", status=CommentStatus.PUBLISHED)
    login(member)
    checked = 0
    for endpoint, args in [
        ("comments.new", {"kind": "play", "target_id": play.id}),
        ("library.play_detail", {"play_id": play.id}),
        ("comments.edit", {"comment_id": comment.id}),
        ("comments.suggest", {}),
    ]:
        checked += assert_no_silent_cut(get_page(client, endpoint, **args).get_data(as_text=True))
    assert checked >= 5  # comment twice, edited comment, description, why use it


def test_flag_page_shows_the_note_limit(client, login, member, other_member):
    comment = add_comment(member, make_play(), "Flag me", status=CommentStatus.PUBLISHED)
    login(other_member)
    html = get_page(client, "comments.flag", comment_id=comment.id).get_data(as_text=True)
    assert assert_no_silent_cut(html) == 1
    assert "Up to 500 characters" in html


@pytest.mark.parametrize(
    "endpoint", ["library.play_new", "library.resource_new", "library.framework_new"]
)
def test_library_forms_show_limits_and_carry_no_maxlength(client, login, admin, endpoint):
    login(admin)
    html = get_page(client, endpoint).get_data(as_text=True)
    assert assert_no_silent_cut(html) >= 1


def test_moderation_pages_show_limits_and_carry_no_maxlength(client, login, moderator, member):
    add_comment(member, make_play(), "Waiting", status=CommentStatus.PENDING)
    login(moderator)
    html = get_page(client, "moderation.index", tab="pending").get_data(as_text=True)
    assert assert_no_silent_cut(html) == 1
    assert "Up to 1,000 characters" in html
    assert_no_silent_cut(get_page(client, "moderation.reasons").get_data(as_text=True))
