"""Stored XSS in a real browser: payloads posted through the app's own forms into every
place user text is shown, then every page that shows it opened in Chromium. Nothing
may run (the probe function stays uncalled, no dialog opens), the Content-Security-
Policy must never have to step in (no violation: the sanitizer and autoescaping
already stopped everything), and no handler attribute, script or javascript: URL may
reach the DOM.

To cover a new place where user text is shown (comments, suggestions, ...), add one
Place to PLACES: who writes, how one value is written, how long a value may be, and
the views."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import pages, xss


@dataclass
class Stage:
    """A public playbook owned by one person, with a second person as editor who owns
    one of its items, and an admin; each as saved browser state."""

    states: dict
    playbook: int
    item_edit: str
    play: str
    play_id: int
    owner_email: str
    notes: dict = field(default_factory=dict)  # what one write leaves for the next


@pytest.fixture(scope="module")
def stage(browser, live_server) -> Stage:
    contexts = {
        who: browser.new_context(base_url=live_server.url) for who in ("owner", "friend", "admin")
    }
    try:
        owner_page, friend_page, admin_page = (c.new_page() for c in contexts.values())
        owner = pages.register(owner_page, pages.new_person("Olga Owner"))
        friend = pages.register(friend_page, pages.new_person("Fritz Friend"))
        playbook = pages.create_playbook(owner_page, "Stage playbook")
        play = pages.library_links(owner_page, "/library/plays/", 1)[0]
        play_title = pages.add_to_playbook(owner_page, play, "Stage playbook", "Our plays")
        pages.invite(owner_page, playbook, friend.email, "Editor")
        friend_page.goto("/playbooks/invitations")
        friend_page.get_by_role("button", name="Accept").first.click()
        expect(friend_page.locator(".flashes")).to_contain_text("Welcome to")
        pages.open_item_editor(owner_page, playbook, play_title)
        item_edit = owner_page.url
        owner_page.get_by_label("Owner").select_option(label=friend.name)
        pages.save_item(owner_page, twist="Plain words first.")
        pages.set_visibility(owner_page, playbook, "Public: listed in the gallery")
        pages.sign_in(admin_page, live_server.admin_email, live_server.admin_password)
        states = {who: context.storage_state() for who, context in contexts.items()}
        return Stage(
            states, playbook, item_edit, play, int(play.rstrip("/").rsplit("/", 1)[1]), owner.email
        )
    finally:
        for context in contexts.values():
            context.close()


# --- how text is written --------------------------------------------------------------


def _edit_details(page: Page, s: Stage, **fields: str) -> None:
    page.goto(f"/playbooks/{s.playbook}/edit")
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.locator(".flashes")).to_contain_text("Saved.")


def write_title_and_organization(page: Page, s: Stage, value: str) -> None:
    _edit_details(page, s, **{"Title": value, "School, district or network": value})


def write_vision(page: Page, s: Stage, value: str) -> None:
    _edit_details(page, s, **{"Vision statement": value})


def write_section(page: Page, s: Stage, value: str) -> None:
    pages.open_detail(page, s.playbook)
    page.get_by_label("New section title").fill(value)
    page.get_by_role("button", name="Add section").click()
    expect(page.locator("section.pb-section h3").last).to_have_text(value)


def write_twist(page: Page, s: Stage, value: str) -> None:
    page.goto(s.item_edit)
    pages.save_item(page, twist=value)
    expect(page.locator("h1")).not_to_have_text("Someone changed this playbook meanwhile")


def write_note(page: Page, s: Stage, value: str) -> None:
    pages.add_note(page, s.playbook, "Team huddle", value, value)
    expect(page.locator(".item-title").filter(has_text=value[:20]).first).to_be_visible()


def write_profile(page: Page, s: Stage, value: str) -> None:
    page.goto("/accounts/profile")
    for label in ("Your name", "School, district or organization", "Your role"):
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".flashes")).to_contain_text("Your profile is saved")


def write_invitation(page: Page, s: Stage, value: str) -> None:
    """Under a name that is a payload, start a playbook whose title is one too, and
    invite the stage's owner to it."""
    write_profile(page, s, value)
    invited_to = pages.create_playbook(page, value, framework=False)
    pages.invite(page, invited_to, s.owner_email, "Viewer")


def write_comment(page: Page, s: Stage, value: str) -> None:
    page.goto(f"/comments/playbook/{s.playbook}/new")
    page.get_by_label("Your comment").fill(value)
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".form-errors")).to_have_count(0)


def write_suggestion(page: Page, s: Stage, value: str) -> None:
    """Suggest a resource whose title, organization, description and why-use-it are
    the value, from a comment on the playbook (the first time, through the comment
    box's checkbox; then from the same comment), so that the moderator's answer goes
    into that thread."""
    if "suggestion_comment" not in s.notes:
        pages.open_detail(page, s.playbook)
        s.notes["suggestion_comment"] = pages.post_comment(
            page, "Two resources our team relies on.", suggest=True
        )
    else:
        page.goto(f"/comments/suggest?comment_id={s.notes['suggestion_comment']}")
    expect(page.locator("main")).to_contain_text("This suggestion will be linked to your comment")
    number = s.notes["suggestions"] = s.notes.get("suggestions", 0) + 1
    pages.send_suggestion(
        page,
        pages.Suggestion(
            title=value,
            url=f"https://resources.example.org/xss/{number}",
            organization=value,
            resource_type="Video",
            ideal_users=("Anyone",),
            description=value,
            why_use_it=value,
        ),
    )


def write_published_comment(page: Page, s: Stage, value: str) -> None:
    """A moderator's comment on the play (published at once) and a reply to it."""
    page.goto(s.play)
    comment = pages.post_comment(page, value)
    expect(page.locator(".flashes")).to_contain_text("Your comment is posted.")
    s.notes["published_comment"] = comment
    pages.reply_to(page, comment, value)


# --- where it is shown ------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    who: str  # owner, friend, admin or visitor (signed out)
    open: Callable[[Page, Stage], None]
    shows: bool = True  # the written text must appear on this page


def at(path: str) -> Callable[[Page, Stage], None]:
    return lambda page, s: page.goto(path.format(**asdict(s)))


def latest_revision(page: Page, s: Stage) -> None:
    page.goto(f"/playbooks/{s.playbook}/history")
    page.locator("tbody tr").first.get_by_role("link").first.click()


def conflict(page: Page, s: Stage) -> None:
    """The item editor of someone who was overtaken: the conflict page shows the diff
    and their unsaved text."""
    page.goto(s.item_edit)
    other = page.context.new_page()
    other.goto(s.item_edit)
    pages.save_item(
        other, twist=other.get_by_label("Our twist").input_value() + "\n\nOne more line."
    )
    # Closing a page while its navigation is still loading can leave Chromium's close
    # unanswered (Page.close has no timeout): let the saved page finish loading first.
    other.wait_for_load_state("load")
    other.close()
    # Both changed the twist, so the save cannot be merged.
    page.get_by_label("Our twist").fill(page.get_by_label("Our twist").input_value() + " Mine.")
    page.get_by_role("button", name="Save item").click()
    expect(page.locator("h1")).to_have_text("Someone changed this playbook meanwhile")


def suggestion_editor(page: Page, s: Stage) -> None:
    """A moderator corrects a suggestion: the edit form of the newest one."""
    page.goto("/moderation/?tab=suggestions")
    page.locator("table.queue tbody tr").filter(has_text=s.owner_email).last.get_by_role(
        "link", name=re.compile("^Edit details")
    ).click()
    expect(page.get_by_role("button", name="Save and approve")).to_be_visible()


def approve_suggestions(page: Page, s: Stage) -> None:
    """A moderator selects the owner's suggestions and approves them in bulk; the
    decided tab lists them."""
    page.goto("/moderation/?tab=suggestions")
    rows = page.locator("table.queue tbody tr").filter(has_text=s.owner_email)
    expect(rows).to_have_count(s.notes["suggestions"])
    for row in rows.all():
        row.get_by_role("checkbox").check()
    page.get_by_label("Decision", exact=True).select_option(label="Approve")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".flashes")).to_contain_text(f"Decided {s.notes['suggestions']}:")
    page.goto("/moderation/?tab=decided")


def suggested_resource(page: Page, s: Stage) -> None:
    """The library page of the newest suggestion, reached from the resource list."""
    page.goto("/library/resources/?resource_type=Video")
    page.locator("article.card").filter(has_text="Suggested for the library by").last.locator(
        ".card-title a"
    ).click()
    expect(page.locator(".credit")).to_contain_text("Suggested for the library by")


def reply_form(page: Page, s: Stage) -> None:
    """The reply form, which quotes the comment being answered."""
    page.goto(s.play)
    pages.comment(page, s.notes["published_comment"]).get_by_role(
        "link", name=re.compile("^Reply")
    ).click()
    expect(page.locator("blockquote.comment-quote")).to_be_visible()


def last_note_editor(page: Page, s: Stage) -> None:
    pages.open_detail(page, s.playbook)
    row = pages.section(page, "Team huddle").locator("li.item").last
    pages.open_menu(row)
    row.get_by_role("link", name=re.compile("^Edit")).click()


PLAYBOOK = View("owner", at("/playbooks/{playbook}"))
PUBLIC_PLAYBOOK = View("visitor", at("/playbooks/{playbook}"))
PRINT = View("owner", at("/playbooks/{playbook}/print"))
COMPARE = View("owner", at("/playbooks/{playbook}/history/compare?from=1"))
HISTORY = View("owner", at("/playbooks/{playbook}/history"), shows=False)
REVISION = View("owner", latest_revision)


@dataclass(frozen=True)
class Place:
    name: str
    writer: str
    write: Callable[[Page, Stage, str], None]
    max_length: (
        int | None
    )  # a one-line field; None: a Markdown field that takes every payload at once
    views: tuple[View, ...]
    overwrites: bool = False  # each value replaces the last: look at the views after every write


PLACES = (
    Place(
        "playbook title and organization",
        "owner",
        write_title_and_organization,
        200,
        overwrites=True,
        views=(
            PLAYBOOK,
            PUBLIC_PLAYBOOK,
            PRINT,
            COMPARE,
            REVISION,
            View("owner", at("/playbooks/{playbook}/history")),
            View("owner", at("/playbooks/{playbook}/edit")),
            View("owner", at("/playbooks/{playbook}/share")),
            View("owner", at("/playbooks/")),
            View("owner", at("/playbooks/add?kind=play&ref_id={play_id}")),
            View("visitor", at("/gallery/")),
            View("visitor", at("{play}")),
        ),
    ),
    Place(
        "vision statement",
        "owner",
        write_vision,
        None,
        views=(
            PLAYBOOK,
            PUBLIC_PLAYBOOK,
            PRINT,
            COMPARE,
            REVISION,
            View("owner", at("/playbooks/{playbook}/edit")),
        ),
    ),
    Place(
        "section names",
        "owner",
        write_section,
        120,
        views=(
            PLAYBOOK,
            PUBLIC_PLAYBOOK,
            PRINT,
            COMPARE,
            REVISION,
            HISTORY,
            View("owner", at("/playbooks/add?kind=play&ref_id={play_id}")),
        ),
    ),
    Place(
        "item twist",
        "owner",
        write_twist,
        None,
        views=(
            PLAYBOOK,
            PUBLIC_PLAYBOOK,
            PRINT,
            COMPARE,
            REVISION,
            View("owner", at("{item_edit}")),
            View("owner", conflict),
        ),
    ),
    Place(
        "free-form note titles and details",
        "owner",
        write_note,
        200,
        views=(
            PLAYBOOK,
            PUBLIC_PLAYBOOK,
            PRINT,
            COMPARE,
            REVISION,
            HISTORY,
            View("owner", last_note_editor),
        ),
    ),
    Place(
        "profile name, organization and role",
        "friend",
        write_profile,
        80,
        overwrites=True,
        views=(
            View("friend", at("/accounts/profile")),
            View("friend", at("/")),
            PLAYBOOK,
            PUBLIC_PLAYBOOK,
            View("owner", at("/playbooks/{playbook}/share")),
            View("owner", at("{item_edit}")),
            View("admin", at("/admin/users/")),
        ),
    ),
    Place(
        "names in invitations and notifications",
        "friend",
        write_invitation,
        80,
        views=(
            View("owner", at("/notifications/")),
            View("owner", at("/playbooks/invitations")),
            View("owner", at("/"), shows=False),
        ),
    ),
    Place(
        "comment on a playbook (waiting for moderation)",
        "friend",
        write_comment,
        None,
        views=(
            View("friend", at("/playbooks/{playbook}")),
            View("friend", at("/comments/mine")),
            View("admin", at("/moderation/")),
            View("visitor", at("/playbooks/{playbook}"), shows=False),
        ),
    ),
    Place(
        "resource suggestion fields, before and after approval",
        "owner",
        write_suggestion,
        200,
        views=(
            View("owner", at("/comments/mine")),
            View("admin", at("/moderation/?tab=suggestions")),
            View("admin", suggestion_editor),
            View("admin", approve_suggestions),
            View("visitor", at("/library/resources/?resource_type=Video")),
            View("visitor", suggested_resource),
            View("owner", at("/playbooks/{playbook}")),
            View("owner", at("/notifications/")),
            View("owner", at("/comments/mine")),
        ),
    ),
    Place(
        "published comment and reply",
        "admin",
        write_published_comment,
        None,
        views=(
            View("visitor", at("{play}")),
            View("admin", at("{play}")),
            View("admin", at("/comments/mine")),
            View("admin", reply_form),
        ),
    ),
)


class Visit:
    """The people of the stage, each in a watched browser context of this test."""

    def __init__(self, new_context, stage: Stage, probe: xss.Probe):
        self.new_context, self.stage, self.probe, self.pages = new_context, stage, probe, {}

    def page(self, who: str) -> Page:
        if who not in self.pages:
            context = self.new_context(storage_state=self.stage.states.get(who))
            self.probe.watch(context)
            self.pages[who] = context.new_page()
        return self.pages[who]

    def check(self, view: View, base_url: str, marker: str) -> list[str]:
        page = self.page(view.who)
        view.open(page, self.stage)
        problems = xss.inspect(page) + self.probe.take()
        if not page.url.startswith(base_url + "/"):
            problems.append(f"the page went off-site, to {page.url}")
        elif view.shows and marker not in page.content():
            problems.append(
                f"the written text ({marker}…) does not appear on this page (was it written?)"
            )
        return [f"{view.who} at {page.url}: {problem}" for problem in problems]


def values_for(place: Place, marker: str) -> list[str]:
    """The texts to write, each starting with a marker (then a round number) that
    proves it reached the pages that should show it."""
    if place.max_length is None:
        texts = ["\n\n".join(xss.markdown_payloads())]
    else:
        texts = xss.pack(xss.ATTRIBUTE_PAYLOADS, place.max_length - len(marker) - 4)
    return [f"{marker}r{number} {text}" for number, text in enumerate(texts, 1)]


@pytest.mark.parametrize("place", PLACES, ids=[p.name for p in PLACES])
def test_stored_payloads_never_run_in_the_browser(new_context, stage, live_server, place):
    visit = Visit(new_context, stage, xss.Probe())
    writer = visit.page(place.writer)
    problems, values = [], values_for(place, f"zq{PLACES.index(place)}")
    for number, value in enumerate(values, 1):
        place.write(writer, stage, value)
        problems += [f"while writing: {p}" for p in visit.probe.take()]
        if place.overwrites or number == len(values):
            marker = value.split(" ", 1)[0]
            for view in place.views:
                problems += visit.check(view, live_server.url, marker)
    assert not problems, f"{place.name}: stored XSS reached the browser:\n" + "\n".join(problems)


def test_the_probe_sees_scripts_csp_violations_and_dangerous_markup(new_context, live_server):
    """The detectors work: markup slipped into a real page is reported by the CSP
    listener and the DOM scan; without the CSP, the probe records the execution."""
    probe = xss.Probe()
    for bypass_csp, expected in ((False, "csp: script-src"), (True, "script: xssProbe(99)")):
        context = new_context(bypass_csp=bypass_csp)
        probe.watch(context)
        page = context.new_page()
        page.goto("/")
        page.evaluate(
            "() => document.querySelector('main').insertAdjacentHTML('beforeend',"
            " '<img src=/static/img/none.png onerror=xssProbe(99)><a href=\"javascript:x\">x</a>')"
        )
        problems = xss.inspect(page)
        page.wait_for_timeout(100)
        events = probe.take()
        assert any(e.startswith(expected) for e in events), events
        assert any("onerror" in p for p in problems) and any(
            "javascript:x" in p for p in problems
        ), problems
