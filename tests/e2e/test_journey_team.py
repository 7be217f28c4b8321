"""Journey 1 of issue #6, in Chromium against a real server: a district team registers,
builds a playbook from the library, reorders it by mouse and by keyboard, invites a
second editor, both edit, one meets a conflict and loses nothing, then they share it
by link, publish it to the gallery and export it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e import pages

PLAYS = "Our plays"
RESOURCES = "Resources"


def _wait_for_move(page: Page):
    """Context manager: the reorder request that the next action sends, answered OK."""
    return page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/move"))


def _build(page: Page, title: str) -> tuple[int, list[str], str]:
    playbook = pages.create_playbook(
        page,
        title,
        organization="Jefferson County Schools",
        vision="Every learner **owns** their path.",
    )
    plays = [
        pages.add_to_playbook(page, url, title, PLAYS)
        for url in pages.library_links(page, "/library/plays/", 3)
    ]
    resource_url = pages.library_links(page, "/library/resources/", 1)[0]
    resource = pages.add_to_playbook(page, resource_url, title, RESOURCES)
    return playbook, plays, resource


def _reorder_by_mouse(page: Page, playbook: int, plays: list[str]) -> list[str]:
    """Drag the last play above the first one with the mouse (HTML5 drag and drop)."""
    pages.open_detail(page, playbook)
    first, last = pages.item_row(page, plays[0]), pages.item_row(page, plays[-1])
    with _wait_for_move(page) as moved:
        last.locator(".drag-handle").drag_to(first, target_position={"x": 40, "y": 4})
    assert moved.value.ok and moved.value.json()["ok"] is True
    expected = [plays[-1], *plays[:-1]]
    assert pages.item_titles(page, PLAYS) == expected
    page.reload()
    assert pages.item_titles(page, PLAYS) == expected, "the dragged order did not survive a reload"
    return expected


def _reorder_by_keyboard(page: Page, order: list[str]) -> list[str]:
    """Focus the first item's ⠿ handle, Space, ArrowDown twice, Space: it goes last."""
    handle = pages.item_row(page, order[0]).locator(".drag-handle")
    handle.focus()
    page.keyboard.press("Space")
    expect(handle).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(handle).to_be_focused()
    with _wait_for_move(page) as moved:
        page.keyboard.press("Space")
    assert moved.value.ok
    expect(page.locator("[data-live]")).to_contain_text("Position 3 of 3")
    expected = [*order[1:], order[0]]
    page.reload()
    assert pages.item_titles(page, PLAYS) == expected, "the keyboard move did not survive a reload"
    return expected


def _accept_invitation_from_notification(page: Page, inviter: str, title: str) -> None:
    page.goto("/")
    badge = page.get_by_role("navigation", name="Main").locator(".count-badge")
    expect(badge).to_contain_text("1")
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    note = page.locator("li.notification").filter(has_text=f"{inviter} invited you to “{title}”")
    expect(note).to_have_count(1)
    note.get_by_role("button", name="Open").click()
    invitation = page.locator("li.card").filter(has_text=title)
    invitation.get_by_role("button", name="Accept").click()
    expect(page.locator(".flashes")).to_contain_text(f"Welcome to “{title}”")
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".playbook-head .meta")).to_contain_text("You are editor")


def _conflict(page_a: Page, page_b: Page, playbook: int, plays: list[str]) -> None:
    """Both open an editor of a different item: both saves land, and Ben is told his was
    merged with Ana's. Then both change the same twist: Ben's later save shows the
    conflict page with his words still in the form and Ana's in the differences, and
    saving again keeps his."""
    pages.open_item_editor(page_a, playbook, plays[1])
    pages.open_item_editor(page_b, playbook, plays[2])
    pages.save_item(page_a, status="Piloting")
    expect(page_a.locator("h1")).not_to_have_text(re.compile("changed this playbook"))
    bens_words = "Ben: pair each advisory with a family conference in March."
    pages.save_item(page_b, twist=bens_words)
    expect(pages.saved_notice(page_b, plays[2])).to_contain_text("Merged with")
    expect(page_b.locator(".flashes")).to_have_count(0)  # said next to the item, not on top
    expect(pages.item_row(page_b, plays[2])).to_contain_text(bens_words)
    expect(pages.item_row(page_b, plays[1]).locator(".status")).to_have_text("Piloting")

    pages.open_item_editor(page_a, playbook, plays[2])
    pages.open_item_editor(page_b, playbook, plays[2])
    anas_words = "Ana: start with the grade 9 advisories."
    pages.save_item(page_a, twist=anas_words)
    bens_words = "Ben: conferences in March, then again in May."
    pages.save_item(page_b, twist=bens_words)
    expect(page_b.get_by_role("heading", level=1)).to_have_text(
        "Someone changed this playbook meanwhile"
    )
    expect(page_b.get_by_label("Our twist")).to_have_value(bens_words)
    expect(page_b.locator("body")).to_contain_text("not saved")
    expect(page_b.locator("body")).to_contain_text(anas_words)
    page_b.get_by_role("button", name="Save item").click()
    expect(pages.item_row(page_b, plays[2])).to_contain_text(bens_words)


def _export(page: Page, title: str, plays: list[str], resource: str, twists: list[str]) -> None:
    with page.expect_download() as download:
        page.get_by_role("link", name="Export Markdown").click()
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith(".md")
    assert markdown.lstrip().startswith(f"# {title}")
    for text in [*plays, resource, *twists, "owns"]:
        assert text in markdown, f"{text!r} is missing from the Markdown export"
    assert markdown.index(plays[0]) < markdown.index(plays[1]) < markdown.index(plays[2])

    with page.expect_download() as download:
        page.get_by_role("link", name="Export JSON").click()
    doc = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert doc["title"] == title
    sections = {s["title"]: s for s in doc["sections"]}
    exported = [
        item.get("title") or (item.get("ref") or {}).get("title")
        for item in sections[PLAYS]["items"]
    ]
    assert len(exported) == 3 and all(exported), exported
    assert json.dumps(doc, ensure_ascii=False).count(twists[0]) == 1


def test_a_district_team_builds_shares_publishes_and_exports_a_playbook(new_context):
    ana_page, ben_page = new_context().new_page(), new_context().new_page()
    ana = pages.register(ana_page, pages.new_person("Ana Lead"))
    ben = pages.register(ben_page, pages.new_person("Ben Coach"))
    title = f"Jefferson personalized learning playbook {pages.new_person('x').email.split('@')[0]}"

    playbook, plays, resource = _build(ana_page, title)
    pages.open_detail(ana_page, playbook)
    assert pages.item_titles(ana_page, PLAYS) == plays
    assert pages.item_titles(ana_page, RESOURCES) == [resource]
    order = _reorder_by_mouse(ana_page, playbook, plays)
    order = _reorder_by_keyboard(ana_page, order)

    pages.invite(ana_page, playbook, ben.email, "Editor")
    _accept_invitation_from_notification(ben_page, ana.name, title)

    anas_twist, bens_twist = (
        "Ana: start with two grade-6 classrooms.",
        "Ben: coaches model it first.",
    )
    pages.open_item_editor(ana_page, playbook, order[0])
    pages.save_item(ana_page, twist=anas_twist)
    pages.open_item_editor(ben_page, playbook, resource)
    pages.save_item(ben_page, twist=bens_twist)
    for page in (ana_page, ben_page):
        pages.open_detail(page, playbook)
        expect(pages.item_row(page, order[0])).to_contain_text(anas_twist)
        expect(pages.item_row(page, resource)).to_contain_text(bens_twist)
    _conflict(ana_page, ben_page, playbook, order)

    secret_link = pages.set_visibility(ana_page, playbook, "Anyone with the secret link")
    assert secret_link and secret_link.startswith("http://127.0.0.1:")
    board_page = new_context().new_page()
    board_page.goto(secret_link)
    expect(board_page.locator("h1")).to_have_text(title)
    expect(
        board_page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")
    ).to_be_visible()
    expect(pages.item_row(board_page, order[0])).to_contain_text(anas_twist)
    expect(board_page.get_by_role("link", name="Edit details")).to_have_count(0)

    pages.set_visibility(ana_page, playbook, "Public: listed in the gallery")
    visitor = new_context().new_page()
    visitor.goto("/gallery/")
    card = visitor.locator("article.card").filter(has_text=title)
    expect(card).to_have_count(1)
    card.get_by_role("link", name=title).click()
    expect(visitor.locator("h1")).to_have_text(title)

    pages.open_detail(ana_page, playbook)
    _export(ana_page, title, order, resource, [anas_twist, bens_twist])
