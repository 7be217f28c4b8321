"""Accessibility in Chromium: axe-core finds no serious or critical violation on any
main page (as a visitor, a member and an admin), and the keyboard alone reaches the
main content with a visible focus indicator on every stop."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e import pages

BLOCKING_IMPACTS = {"serious", "critical"}
MAX_TAB_STOPS = 250
AXE = Axe()


@dataclass
class World:
    """What the pages under test show: a member's playbook with items, history, an
    invitation and a notification, and the library's first entries."""

    member_state: dict
    friend_state: dict
    admin_state: dict
    playbook: int
    item_edit: str
    section_edit: str
    note_new: str
    play: str
    resource: str
    framework: str
    component: str


def _first_href(page: Page, url: str, selector: str) -> str:
    page.goto(url)
    return page.locator(selector).first.get_attribute("href")


@pytest.fixture(scope="module")
def world(browser, live_server) -> World:
    contexts = [browser.new_context(base_url=live_server.url) for _ in range(3)]
    try:
        owner_page, friend_page, admin_page = (context.new_page() for context in contexts)
        owner = pages.register(owner_page, pages.new_person("Alma Access"))
        pages.register(friend_page, pages.new_person("Felix Friend"))
        title = "Accessible district playbook"
        playbook = pages.create_playbook(
            owner_page, title, vision="We **listen** to learners.", organization="Lakeview District"
        )
        play = _first_href(owner_page, "/library/plays/", ".card-title a")
        resource = _first_href(owner_page, "/library/resources/", ".card-title a")
        framework = _first_href(
            owner_page, "/library/frameworks/", "main a[href*='/library/frameworks/']"
        )
        component = _first_href(owner_page, framework, "a[href*='/library/components/']")
        play_title = pages.add_to_playbook(owner_page, play, title, "Our plays")
        pages.add_to_playbook(owner_page, resource, title, "Resources")
        pages.add_to_playbook(owner_page, component, title, "Our definition")
        pages.add_note(
            owner_page,
            playbook,
            "Team huddle",
            "Board meeting in May",
            "Bring *three* student voices.",
        )
        pages.open_item_editor(owner_page, playbook, play_title)
        item_edit = owner_page.url
        pages.save_item(owner_page, twist="Start with grade 6.", status="Planned")
        pages.set_visibility(owner_page, playbook, "Public: listed in the gallery")
        pages.open_detail(owner_page, playbook)
        pages.open_menu(pages.section(owner_page, "Our plays"))
        section_edit = (
            pages.section(owner_page, "Our plays")
            .get_by_role("link", name=re.compile("^Rename"))
            .get_attribute("href")
        )
        note_new = (
            pages.section(owner_page, "Our plays")
            .get_by_role("link", name=re.compile("^Add a note"))
            .get_attribute("href")
        )

        invited_to = pages.create_playbook(friend_page, "Felix's school playbook")
        pages.invite(friend_page, invited_to, owner.email, "Viewer")
        friend_page.goto(f"/comments/playbook/{playbook}/new")
        friend_page.get_by_label("Your comment").fill(
            "Could we add a **family night** to the huddle?"
        )
        friend_page.get_by_role("button", name="Post comment").click()
        expect(friend_page.locator("main")).to_contain_text("family night")
        pages.sign_in(admin_page, live_server.admin_email, live_server.admin_password)
        return World(
            *(context.storage_state() for context in contexts),
            playbook,
            item_edit,
            section_edit,
            note_new,
            play,
            resource,
            framework,
            component,
        )
    finally:
        for context in contexts:
            context.close()


VISITOR_PAGES = {
    "home": lambda w: "/",
    "library": lambda w: "/library/",
    "plays": lambda w: "/library/plays/",
    "plays filtered": lambda w: "/library/plays/?stage=writing",
    "resources": lambda w: "/library/resources/",
    "frameworks": lambda w: "/library/frameworks/",
    "framework": lambda w: w.framework,
    "play": lambda w: w.play,
    "resource": lambda w: w.resource,
    "component": lambda w: w.component,
    "search results": lambda w: "/library/search?q=goal",
    "search without results": lambda w: "/library/search?q=zzzzqqq",
    "gallery": lambda w: "/gallery/",
    "public playbook": lambda w: f"/playbooks/{w.playbook}",
    "sign in": lambda w: "/auth/login",
    "register": lambda w: "/auth/register",
    "password reset": lambda w: "/auth/reset",
    "not found": lambda w: "/no-such-page",
}
MEMBER_PAGES = {
    "home signed in": lambda w: "/",
    "your playbooks": lambda w: "/playbooks/",
    "new playbook": lambda w: "/playbooks/new",
    "playbook page": lambda w: f"/playbooks/{w.playbook}",
    "playbook details form": lambda w: f"/playbooks/{w.playbook}/edit",
    "item editor": lambda w: w.item_edit,
    "item move page": lambda w: w.item_edit.replace("/edit", "/move"),
    "section rename": lambda w: w.section_edit,
    "note form": lambda w: w.note_new,
    "add to playbook": lambda w: w.play.replace(
        "/library/plays/", "/playbooks/add?kind=play&ref_id="
    ),
    "share": lambda w: f"/playbooks/{w.playbook}/share",
    "history": lambda w: f"/playbooks/{w.playbook}/history",
    "revision": lambda w: f"/playbooks/{w.playbook}/history/2",
    "compare": lambda w: f"/playbooks/{w.playbook}/history/compare?from=1",
    "print view": lambda w: f"/playbooks/{w.playbook}/print",
    "import": lambda w: "/playbooks/import",
    "bin": lambda w: "/playbooks/bin",
    "notifications": lambda w: "/notifications/",
    "notification settings": lambda w: "/notifications/settings",
    "invitations": lambda w: "/playbooks/invitations",
    "profile": lambda w: "/accounts/profile",
    "comment form": lambda w: f"/comments/playbook/{w.playbook}/new",
    "suggest a resource": lambda w: "/comments/suggest",
    "password change": lambda w: "/accounts/password",
}
FRIEND_PAGES = {
    "playbook with a pending comment": lambda w: f"/playbooks/{w.playbook}",
    "my comments": lambda w: "/comments/mine",
}
ADMIN_PAGES = {
    "moderation queue": lambda w: "/moderation/",
    "moderation reasons": lambda w: "/moderation/reasons",
    "admin people": lambda w: "/admin/users/",
    "new play form": lambda w: "/library/plays/new",
    "play edit form": lambda w: w.play + "/edit",
    "resource edit form": lambda w: w.resource + "/edit",
    "framework edit form": lambda w: w.framework + "/edit",
    "component edit form": lambda w: w.component + "/edit",
}


def _format(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


def assert_no_serious_violations(page: Page) -> None:
    results = AXE.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, (
        f"axe found serious or critical problems on {page.url}:\n{_format(blocking)}"
    )


def _check(new_context, state, url: str) -> None:
    page = new_context(storage_state=state).new_page()
    response = page.goto(url)
    assert response is not None and response.status < 500, (
        f"{url} answered {response and response.status}"
    )
    expect(page.locator("main h1").first).to_be_visible()
    assert_no_serious_violations(page)


@pytest.mark.parametrize("url_of", VISITOR_PAGES.values(), ids=VISITOR_PAGES.keys())
def test_visitor_pages_have_no_serious_accessibility_problems(new_context, world, url_of):
    _check(new_context, None, url_of(world))


@pytest.mark.parametrize("url_of", MEMBER_PAGES.values(), ids=MEMBER_PAGES.keys())
def test_member_pages_have_no_serious_accessibility_problems(new_context, world, url_of):
    _check(new_context, world.member_state, url_of(world))


@pytest.mark.parametrize("url_of", FRIEND_PAGES.values(), ids=FRIEND_PAGES.keys())
def test_commenter_pages_have_no_serious_accessibility_problems(new_context, world, url_of):
    _check(new_context, world.friend_state, url_of(world))


@pytest.mark.parametrize("url_of", ADMIN_PAGES.values(), ids=ADMIN_PAGES.keys())
def test_admin_pages_have_no_serious_accessibility_problems(new_context, world, url_of):
    _check(new_context, world.admin_state, url_of(world))


def test_forms_with_errors_and_the_conflict_page_have_no_serious_accessibility_problems(
    new_context, world
):
    page = new_context().new_page()
    page.goto("/auth/register")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("[aria-invalid='true']").first).to_be_focused()
    assert_no_serious_violations(page)

    context = new_context(storage_state=world.member_state)
    stale, fresh = context.new_page(), context.new_page()
    stale.goto(world.item_edit)
    fresh.goto(world.item_edit)
    pages.save_item(fresh, twist="Changed meanwhile.")
    pages.save_item(stale, twist="My stale change.")
    expect(stale.get_by_role("heading", level=1)).to_have_text(
        "Someone changed this playbook meanwhile"
    )
    assert_no_serious_violations(stale)


# --- keyboard ------------------------------------------------------------------------

# Styles of every focusable element before anything has focus, to compare with the
# same element's styles while it has keyboard focus.
_RECORD_UNFOCUSED = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
  const look = (el) => { const s = getComputedStyle(el);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor, s.backgroundColor,
            s.color, s.textDecorationLine, s.left].join('|'); };
  document.activeElement && document.activeElement.blur();
  window.__unfocused = new Map(Array.from(document.querySelectorAll(selector), (el) => [el, look(el)]));
  window.__look = look;
}"""
_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el), r = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), text: (el.getAttribute('aria-label') || el.textContent || el.name || '').trim().slice(0, 60),
    id: el.id, changed: window.__unfocused.has(el) ? window.__unfocused.get(el) !== window.__look(el) : null,
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
    visible: r.width >= 4 && r.height >= 4 && r.bottom > 0 && r.right > 0
             && r.top < innerHeight && r.left < innerWidth,
    inMain: !!el.closest('main'),
  };
}"""


def _tab_through(page: Page) -> list[dict]:
    """Press Tab until focus leaves the page or comes back round; every stop's facts."""
    page.evaluate(_RECORD_UNFOCUSED)
    stops, seen = [], set()
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        stop = page.evaluate(_FOCUSED)
        if stop is None:
            break
        key = (stop["tag"], stop["id"], stop["text"])
        if key in seen and stops and key == (stops[0]["tag"], stops[0]["id"], stops[0]["text"]):
            break
        seen.add(key)
        stops.append(stop)
    return stops


def _assert_focus_always_visible(page: Page) -> list[dict]:
    stops = _tab_through(page)
    assert len(stops) >= 5, f"only {len(stops)} elements on {page.url} can be reached with Tab"
    hidden = [s for s in stops if not (s["visible"] and s["outline"] and s["changed"] is not False)]
    assert not hidden, f"focus is not visible on {page.url} at:\n" + "\n".join(map(str, hidden))
    return stops


def test_home_page_keyboard_focus_is_visible_and_the_skip_link_leads_to_main(page):
    page.goto("/")
    stops = _assert_focus_always_visible(page)
    assert stops[0]["text"] == "Skip to main content", f"the first Tab stop is {stops[0]}"
    assert any(s["inMain"] for s in stops), "Tab never reaches the main content"

    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('main')"), (
        "after the skip link, the next Tab stop is outside the main content"
    )


def test_playbook_page_works_with_the_keyboard_and_shows_focus(new_context, world):
    page = new_context(storage_state=world.member_state).new_page()
    pages.open_detail(page, world.playbook)
    stops = _assert_focus_always_visible(page)
    handles = [s for s in stops if s["text"].startswith("Move ") and s["tag"] == "button"]
    assert handles, "the ⠿ reorder handles cannot be reached with Tab"
    labels = {s["text"] for s in stops}
    for wanted in ("Edit details", "History", "Export Markdown", "Share"):
        assert wanted in labels, f"{wanted!r} cannot be reached with Tab"


def test_an_open_item_menu_is_labelled_and_reached_in_order(new_context, world):
    """The Edit menu of an item: its summary names the item, Tab goes from it into the
    open menu, everything there is labelled, and Escape closes it back onto its summary."""
    page = new_context(storage_state=world.member_state).new_page()
    pages.open_detail(page, world.playbook)
    menu = page.locator("li.item details[data-menu]").first
    summary = menu.locator("summary")
    expect(summary).to_have_accessible_name(re.compile(r"^Edit \S"))
    summary.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    assert_no_serious_violations(page)
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name=re.compile("^Edit twist"))).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()


def test_the_checks_catch_a_missing_label_and_a_hidden_focus(page):
    """The two checks above fail on a page that has these faults, so their passing means something."""
    page.set_content(
        "<html lang=en><head><title>t</title><style>:focus{outline:none}</style></head><body>"
        "<main><h1>Faulty</h1><input id=q><a href=#a>one</a> <a href=#b>two</a> "
        "<button>three</button> <button>four</button> <a href=#c>five</a></main></body></html>"
    )
    with pytest.raises(AssertionError, match="label"):
        assert_no_serious_violations(page)
    with pytest.raises(AssertionError, match="focus is not visible"):
        _assert_focus_always_visible(page)
