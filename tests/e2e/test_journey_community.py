"""Journeys 2 and 3 of issue #6, in Chromium against a real server: an educator
comments on a public playbook and suggests a resource from the comment box, and both
wait for a moderator; then a moderator approves them from the queue, in bulk, and the
resource reaches the library with credit, the comment reaches readers, the answer
reaches the thread and the notifications reach the educator.

The second test goes on from where the first left off (module state); run alone, it
is skipped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import pages

WAITING = "Waiting for a moderator"


@dataclass
class Story:
    """What the educator's journey left behind for the moderator's."""

    playbook: int = 0
    playbook_title: str = ""
    educator: pages.Person | None = None
    colleague: pages.Person | None = None
    comment: int = 0
    colleague_comment: int = 0
    suggestion: pages.Suggestion | None = None
    done: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def story() -> Story:
    return Story()


def _comment_text(token: str) -> str:
    return (
        f"We ran **student-led conferences** in grade 6 this spring ({token}).\n\n"
        "- families came *twice as often*\n- students chose their own evidence\n\n"
        "The [planning kit](https://conferences.example.org/kit) we used is worth a look."
    )


def _public_playbook(page: Page, title: str) -> int:
    pages.register(page, pages.new_person("Priya Principal"))
    playbook = pages.create_playbook(
        page,
        title,
        organization="Lakeside Middle School",
        vision="Students lead their own learning conversations.",
    )
    pages.set_visibility(page, playbook, "Public: listed in the gallery")
    return playbook


def _expect_markdown(article, token: str) -> None:
    """The comment's Markdown, rendered: bold, a list and a safe link."""
    body = article.locator(".prose")
    expect(body.locator("strong")).to_have_text("student-led conferences")
    expect(body.locator("li")).to_have_text(
        ["families came twice as often", "students chose their own evidence"]
    )
    link = body.get_by_role("link", name="planning kit")
    expect(link).to_have_attribute("href", "https://conferences.example.org/kit")
    expect(link).to_have_attribute("rel", re.compile("nofollow"))
    expect(body).to_contain_text(token)


def _contribution(page: Page, text: str):
    return page.locator("li.contribution").filter(has_text=text)


def test_an_educator_comments_on_a_public_playbook_and_suggests_a_resource(new_context, story):
    token = pages.new_person("x").email.split("@")[0].replace(".", "-")
    story.playbook_title = f"Lakeside conferences playbook {token}"
    story.playbook = _public_playbook(new_context().new_page(), story.playbook_title)

    page = new_context().new_page()
    story.educator = pages.register(page, pages.new_person("Eli Educator"))
    pages.open_detail(page, story.playbook)
    expect(page.locator("h1")).to_have_text(story.playbook_title)
    story.comment = pages.post_comment(page, _comment_text(token), suggest=True)

    expect(page.get_by_role("heading", level=1)).to_have_text("Suggest a resource")
    expect(page.locator("main")).to_contain_text("This suggestion will be linked to your comment")
    story.suggestion = pages.Suggestion(
        title=f"Student-led conference planning kit {token}",
        url=f"https://conferences.example.org/kit/{token}",
        organization="Conference Commons",
        resource_type="Toolkit",
        ideal_users=("Teachers", "Families"),
        description="Agendas, student scripts and family feedback forms for student-led conferences.",
        why_use_it="Students prepare and run the meeting; families hear it from them first.",
    )
    pages.send_suggestion(page, story.suggestion)

    expect(page.get_by_role("heading", level=1)).to_have_text("Your contributions")
    suggestion = _contribution(page, story.suggestion.title)
    expect(suggestion.locator(".badge")).to_have_text(WAITING)
    expect(suggestion).to_contain_text(story.suggestion.url)
    mine = _contribution(page, token).filter(has_text="Comment on playbook")
    expect(mine.locator(".badge")).to_have_text(WAITING)
    expect(mine.get_by_role("link", name=story.playbook_title)).to_be_visible()
    _expect_markdown(mine, token)

    mine.get_by_role("link", name=story.playbook_title).click()
    held = pages.comment(page, story.comment)
    expect(held.locator(".badge")).to_have_text(f"{WAITING} · only you and the moderators see it")
    _expect_markdown(held, token)

    # A colleague comments too, so that the moderator has several comments to approve at once.
    colleague_page = new_context().new_page()
    story.colleague = pages.register(colleague_page, pages.new_person("Cam Colleague"))
    pages.open_detail(colleague_page, story.playbook)
    story.colleague_comment = pages.post_comment(
        colleague_page, f"Our families asked for evening slots ({token})."
    )
    expect(
        pages.comment(colleague_page, story.colleague_comment).locator(".badge")
    ).to_contain_text(WAITING)
    expect(pages.comment(colleague_page, story.comment)).to_have_count(0)

    reader = new_context().new_page()
    pages.open_detail(reader, story.playbook)
    expect(reader.locator("h1")).to_have_text(story.playbook_title)
    expect(pages.thread(reader)).to_contain_text("No comments yet.")
    expect(pages.thread(reader).locator("article.comment")).to_have_count(0)
    for text in ("student-led conferences", "planning kit", "evening slots", story.educator.name):
        expect(reader.locator("main")).not_to_contain_text(text)
    expect(pages.thread(reader).get_by_role("link", name="Sign in")).to_be_visible()

    pages.sign_out(page)
    story.done.append("educator")


def _tab_counts(page: Page) -> dict[str, int]:
    tabs = page.get_by_role("navigation", name="Queue")
    return {
        name: int(
            tabs.get_by_role("link", name=re.compile(f"^{name}"))
            .locator(".count-badge")
            .inner_text()
        )
        for name in ("Pending comments", "Flagged comments", "Resource suggestions")
    }


def _nav_waiting(page: Page) -> int:
    badge = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Moderation")
    )
    text = (
        badge.locator(".count-badge").inner_text() if badge.locator(".count-badge").count() else "0"
    )
    return int(re.match(r"\d+", text).group(0))


def _approve_selected(page: Page, *row_labels: str) -> None:
    """Tick the rows, choose Approve in the bulk decision and apply it to the selection."""
    for label in row_labels:
        page.get_by_role("checkbox", name=label, exact=True).check()
    page.get_by_label("Decision", exact=True).select_option(label="Approve")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".flashes")).to_contain_text(f"Decided {len(row_labels)}:")


def _moderate(page: Page, story: Story) -> None:
    page.goto("/moderation/")
    expect(page.get_by_role("link", name="Pending comments")).to_have_attribute(
        "aria-current", "page"
    )
    before = _tab_counts(page)
    assert before["Pending comments"] >= 2 and before["Resource suggestions"] >= 1, before
    assert _nav_waiting(page) == sum(before.values()), (
        "the navigation's count differs from the tabs'"
    )

    educator, colleague = story.educator.name, story.colleague.name
    queue = page.locator("table.queue tbody tr")
    row = queue.filter(
        has=page.get_by_role("checkbox", name=f"Select comment by {educator}", exact=True)
    )
    expect(row).to_contain_text(story.playbook_title)
    expect(row.locator("strong")).to_have_text("student-led conferences")
    _approve_selected(page, f"Select comment by {educator}", f"Select comment by {colleague}")
    flash = page.locator(".flashes")
    expect(flash).to_contain_text(f"Comment by {educator}: approved.")
    expect(flash).to_contain_text(f"Comment by {colleague}: approved.")
    expect(
        page.get_by_role("checkbox", name=f"Select comment by {educator}", exact=True)
    ).to_have_count(0)
    after = _tab_counts(page)
    assert after["Pending comments"] == before["Pending comments"] - 2, (before, after)

    page.get_by_role("link", name=re.compile("^Resource suggestions")).click()
    suggestion = story.suggestion
    row = queue.filter(has_text=suggestion.title)
    expect(row).to_contain_text(suggestion.organization)
    expect(row).to_contain_text(suggestion.why_use_it)
    expect(row).to_contain_text(educator)
    _approve_selected(page, f"Select {suggestion.title}")
    expect(page.locator(".flashes")).to_contain_text(f"Suggestion “{suggestion.title}”: approved.")
    expect(queue.filter(has_text=suggestion.title)).to_have_count(0)
    after = _tab_counts(page)
    assert after["Resource suggestions"] == before["Resource suggestions"] - 1, (before, after)
    assert _nav_waiting(page) == sum(before.values()) - 3

    page.get_by_role("link", name="Decided").click()
    decided = page.locator("table.queue tbody tr")
    expect(decided.filter(has_text=f"Resource suggestion: {suggestion.title}")).to_contain_text(
        "Approve"
    )
    expect(decided.filter(has_text="student-led conferences")).to_contain_text(educator)


def _in_the_library(page: Page, story: Story) -> None:
    suggestion, credit = story.suggestion, f"Suggested for the library by {story.educator.name}."
    page.goto("/library/resources/")
    page.get_by_label("Type", exact=True).select_option(label=suggestion.resource_type)
    page.get_by_role("button", name="Filter").click()
    card = page.locator("article.card").filter(
        has=page.get_by_role("link", name=suggestion.title, exact=True)
    )
    expect(card).to_have_count(1)
    expect(card).to_contain_text(credit)
    expect(card).to_contain_text(suggestion.organization)
    card.get_by_role("link", name=suggestion.title).click()
    expect(page.locator("h1")).to_have_text(suggestion.title)
    detail = page.locator("article.detail")
    expect(detail.locator(".credit")).to_have_text(credit)
    expect(detail).to_contain_text(suggestion.description)
    expect(detail).to_contain_text(suggestion.why_use_it)
    expect(detail.locator("dd")).to_contain_text(
        [re.compile("^(Teachers, Families|Families, Teachers)$")]
    )
    expect(detail.get_by_role("link", name=re.compile("^Open the resource"))).to_have_attribute(
        "href", suggestion.url
    )

    search = page.get_by_role("search").first
    search.get_by_label("Search the library").fill(suggestion.title)
    search.get_by_role("button", name="Search").click()
    hit = page.locator("li.search-hit").filter(has=page.get_by_role("link", name=suggestion.title))
    expect(hit).to_have_count(1)
    expect(hit.locator(".hit-kind")).to_have_text("Resource")


def _thread_for_readers(page: Page, story: Story) -> None:
    pages.open_detail(page, story.playbook)
    comment = pages.comment(page, story.comment)
    expect(comment).to_be_visible()
    expect(comment.locator(".badge")).to_have_count(0)
    expect(comment.locator(".comment-author")).to_have_text(story.educator.name)
    _expect_markdown(comment, story.playbook_title.rsplit(" ", 1)[1])
    expect(pages.comment(page, story.colleague_comment)).to_contain_text("evening slots")
    replies = page.locator("li").filter(has=comment).locator("ol.comment-replies article.comment")
    expect(replies).to_have_count(1)
    expect(replies.locator(".comment-author")).to_have_text("Ada Admin")
    expect(replies).to_contain_text(
        f"the suggested resource “{story.suggestion.title}” is now in the library, "
        f"credited to {story.educator.name}"
    )


def _educator_is_told(page: Page, live_server, story: Story) -> None:
    pages.sign_in(page, story.educator.email, story.educator.password)
    link = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Notifications")
    )
    expect(link.locator(".count-badge")).to_have_text("2 unread")
    link.click()
    unread = page.locator("li.notification.is-unread")
    expect(unread).to_have_count(2)
    expect(unread.filter(has_text="A moderator approved your comment.")).to_have_count(1)
    news = unread.filter(
        has_text=f"Your suggestion “{story.suggestion.title}” is now in the library."
    )
    expect(news).to_have_count(1)
    news.get_by_role("button", name="Open").click()
    expect(page.locator("h1")).to_have_text(story.suggestion.title)
    expect(link.locator(".count-badge")).to_have_text("1 unread")
    page.goto("/comments/mine")
    expect(
        _contribution(page, story.suggestion.title).get_by_role(
            "link", name="See it in the library"
        )
    ).to_be_visible()
    expect(page.locator("li.contribution .badge", has_text=WAITING)).to_have_count(0)


def test_a_moderator_approves_both_in_bulk_and_the_educator_is_told(
    new_context, live_server, story
):
    if story.done != ["educator"]:
        pytest.skip("goes on from the educator's journey, which did not complete")
    moderator = new_context().new_page()
    pages.sign_in(moderator, live_server.admin_email, live_server.admin_password)
    _moderate(moderator, story)

    reader = new_context().new_page()
    _in_the_library(reader, story)
    _thread_for_readers(reader, story)

    _educator_is_told(new_context().new_page(), live_server, story)
