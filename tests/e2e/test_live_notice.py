"""The playbook page learns, without reloading, that a teammate saved and who else has
it open, while the person on it keeps typing (static/js/live.js against the real
server; the e2e server asks every second)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e import pages

NOTICE_MS = 15_000


def test_a_teammates_save_shows_as_a_notice_without_losing_what_is_being_typed(new_context):
    ana_page, ben_page = new_context().new_page(), new_context().new_page()
    ana = pages.register(ana_page, pages.new_person("Ana Ortiz"))
    ben = pages.register(ben_page, pages.new_person("Ben Lee"))
    title = "Live notice plan"
    playbook = pages.create_playbook(ana_page, title, framework=False)
    pages.invite(ana_page, playbook, ben.email, "Editor")
    pages.accept_invitation(ben_page, ana.name, title)

    pages.open_detail(ana_page, playbook)
    pages.open_detail(ben_page, playbook)
    expect(ben_page.locator("[data-live-presence]")).to_have_text(
        f"Also here: {ana.name}", timeout=NOTICE_MS
    )
    ben_page.evaluate("window.stillTheSamePage = true")
    words = "Half a thought about family nights, not posted yet"
    box = pages.thread(ben_page).get_by_label("Add a comment")
    box.fill(words)

    pages.add_note(ana_page, playbook, "Team huddle", "Family nights")
    expect(pages.item_row(ana_page, "Family nights")).to_have_count(1)

    notice = ben_page.locator("[data-live-notice]")
    expect(notice).to_have_attribute("aria-live", "polite")
    expect(notice).to_contain_text(f"{ana.name} made a change", timeout=NOTICE_MS)
    expect(notice).to_contain_text("Family nights")
    expect(box).to_be_focused()
    assert box.input_value() == words, "the typed text was lost"
    assert ben_page.evaluate("window.stillTheSamePage === true"), "the page was reloaded"
    box.press_sequentially(" and more")
    expect(box).to_have_value(words + " and more")
    assert "Family nights" not in " ".join(pages.item_titles(ben_page, "Team huddle"))

    notice.get_by_role("link", name="Show").click()
    expect(ben_page.locator("[data-live-notice]")).to_be_empty()
    assert "Family nights" in " ".join(pages.item_titles(ben_page, "Team huddle"))
    assert re.search(rf"/playbooks/{playbook}$", ben_page.url)
