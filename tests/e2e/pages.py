"""What a person does in the browser, as reusable steps: register, sign in, start a
playbook, add library entries, edit items, share. Every step goes through the app's
own pages and forms, by their visible labels, the way a person (or a screen reader)
finds them."""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass

from playwright.sync_api import Page, expect

TIMEOUT_MS = 15_000
PASSWORD = "a long passphrase for the browser tests"
_counter = itertools.count(1)
_run = secrets.token_hex(3)


@dataclass
class Person:
    email: str
    name: str
    password: str = PASSWORD


def new_person(name: str) -> Person:
    """A person with an e-mail address no other test uses (the server lives for the session)."""
    slug = re.sub(r"[^a-z]+", ".", name.lower()).strip(".") or "person"
    return Person(f"{slug}.{_run}.{next(_counter)}@district.example.org", name)


def register(page: Page, person: Person) -> Person:
    page.goto("/auth/register")
    page.get_by_label("E-mail address").fill(person.email)
    page.get_by_label("Your name").fill(person.name)
    page.get_by_label("Password", exact=True).fill(person.password)
    page.get_by_label("Repeat the password").fill(person.password)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".flashes")).to_contain_text(f"Welcome to Playbook, {person.name}")
    return person


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".flashes")).to_contain_text("Signed in as")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".flashes")).to_contain_text("You are signed out")


def playbook_id(page: Page) -> int:
    match = re.search(r"/playbooks/(\d+)", page.url)
    assert match, f"not on a playbook page: {page.url}"
    return int(match.group(1))


def create_playbook(
    page: Page,
    title: str,
    *,
    vision: str = "",
    organization: str = "",
    scope: str = "School",
    framework: bool = True,
) -> int:
    """Start a playbook through the form; returns its id."""
    page.goto("/playbooks/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Scope").select_option(label=scope)
    if organization:
        page.get_by_label("School, district or network").fill(organization)
    if framework:
        select = page.get_by_label("Framework you adopt")
        select.select_option(index=1)  # the starter framework; 0 is "No framework yet"
    if vision:
        page.get_by_label("Vision statement").fill(vision)
    page.get_by_role("button", name=re.compile("^(Start|Create|Save)")).click()
    expect(page.locator(".flashes")).to_contain_text("Your playbook is ready")
    return playbook_id(page)


def open_detail(page: Page, playbook: int) -> None:
    page.goto(f"/playbooks/{playbook}")


def add_to_playbook(page: Page, entry_url: str, playbook_title: str, section: str) -> str:
    """Open a library page (play, resource or component), choose "Add to playbook" and
    the section; returns the entry's title as the library shows it."""
    page.goto(entry_url)
    title = page.locator("h1").inner_text().strip()
    page.get_by_role("link", name=re.compile("^Add to playbook")).first.click()
    page.get_by_label("Add to").select_option(label=f"{playbook_title} › {section}")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".flashes")).to_contain_text(f"Added “{title}”")
    return title


def library_links(page: Page, index_url: str, count: int) -> list[str]:
    """The first `count` entry links of a library list page (plays or resources)."""
    page.goto(index_url)
    links = page.locator(".card-title a")
    expect(links.first).to_be_visible()
    return [links.nth(i).get_attribute("href") for i in range(count)]


def section(page: Page, title: str):
    return page.locator("section.pb-section").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def item_titles(page: Page, section_title: str) -> list[str]:
    return [
        t.strip()
        for t in section(page, section_title).locator("li.item .item-title").all_inner_texts()
    ]


def item_row(page: Page, title: str):
    return page.locator("li.item").filter(has=page.locator(".item-title", has_text=title))


def open_menu(scope) -> None:
    """Open the Edit menu of an item or section (`scope`: its row or section); a
    section's own menu comes before its items' menus."""
    menu = scope.locator("details[data-menu]").first
    if not menu.evaluate("el => el.open"):
        menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")


def open_item_editor(page: Page, playbook: int, title: str) -> None:
    open_detail(page, playbook)
    row = item_row(page, title)
    open_menu(row)
    row.get_by_role("link", name=re.compile("^Edit")).click()
    expect(page.get_by_label("Our twist")).to_be_visible()


def saved_notice(page: Page, title: str):
    """The "Saved …" notice shown inside an item's row after its editor saved it."""
    return item_row(page, title).locator(".saved-notice")


def save_item(
    page: Page,
    twist: str | None = None,
    status: str | None = None,
    *,
    owner: str | None = None,
    target_date: str | None = None,
) -> None:
    """Fill in the open item editor (owner by name, target date as YYYY-MM-DD) and save."""
    if twist is not None:
        page.get_by_label("Our twist").fill(twist)
    if status is not None:
        page.get_by_label("Status").select_option(label=status)
    if owner is not None:
        page.get_by_label("Owner").select_option(label=owner)
    if target_date is not None:
        page.get_by_label("Target date").fill(target_date)
    page.get_by_role("button", name="Save item").click()


def conflict_heading(page: Page):
    """The heading of the page shown when a save overlaps a teammate's change."""
    return page.get_by_role("heading", level=1, name="Someone changed this playbook meanwhile")


def invite(page: Page, playbook: int, email: str, role: str = "Editor") -> None:
    page.goto(f"/playbooks/{playbook}/share")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Role", exact=True).select_option(label=role)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".flashes")).to_contain_text(f"Invitation sent to {email}")


def accept_invitation(page: Page, inviter: str, title: str) -> None:
    """Open the invitation from the notification it left and accept it."""
    page.goto("/")
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    note = page.locator("li.notification").filter(has_text=f"{inviter} invited you to “{title}”")
    note.get_by_role("button", name="Open").click()
    page.locator("li.card").filter(has_text=title).get_by_role("button", name="Accept").click()
    expect(page.locator(".flashes")).to_contain_text(f"Welcome to “{title}”")


def set_visibility(page: Page, playbook: int, label: str) -> str | None:
    """Change who can read the playbook on its share page (and confirm); returns the
    secret link when the new visibility is "link"."""
    page.goto(f"/playbooks/{playbook}/share")
    page.get_by_role("combobox", name="Who can read it").select_option(label=label)
    page.get_by_role("button", name="Change…").click()
    page.get_by_role("button", name="Yes, change it").click()
    expect(page.locator(".flashes")).to_contain_text("Visibility:")
    link = page.locator("#new-link")
    return link.input_value() if link.count() else None


def add_note(page: Page, playbook: int, section_title: str, title: str, details: str = "") -> None:
    open_detail(page, playbook)
    open_menu(section(page, section_title))
    section(page, section_title).get_by_role("link", name=re.compile("^Add a note")).click()
    page.get_by_label("Note title").fill(title)
    if details:
        page.get_by_label("Details").fill(details)
    page.get_by_role("button", name=re.compile("^(Add|Save)")).click()


# --- comments and resource suggestions ----------------------------------------------

COMMENT_POSTED = re.compile(
    r"Your comment is posted|Your comment will appear once a moderator approves it"
)
SUGGESTION_SENT = "A moderator will look at your suggestion"


@dataclass
class Suggestion:
    title: str
    url: str
    organization: str
    resource_type: str  # the label shown in the Type list
    ideal_users: tuple[str, ...]
    description: str
    why_use_it: str


def thread(page: Page):
    return page.locator("section#comments")


def comment(page: Page, comment_id: int):
    return page.locator(f"article#comment-{comment_id}")


def post_comment(page: Page, text: str, *, suggest: bool = False) -> int:
    """Write in the comment box at the bottom of the open page and post; returns the
    new comment's id. With `suggest`, tick "Suggest a resource" too: the app then
    opens the suggestion form for that comment."""
    box = thread(page)
    box.get_by_label("Add a comment").fill(text)
    if suggest:
        box.get_by_label(re.compile("^Suggest a resource from this comment")).check()
    box.get_by_role("button", name="Post comment").click()
    expect(page.locator(".flashes")).to_contain_text(COMMENT_POSTED)
    found = re.search(r"[?&]comment_id=(\d+)" if suggest else r"#comment-(\d+)$", page.url)
    assert found, f"posting the comment led to {page.url}"
    return int(found.group(1))


def reply_to(page: Page, comment_id: int, text: str) -> int:
    """Answer a comment of the open page's thread through its Reply link; returns the
    reply's id."""
    comment(page, comment_id).get_by_role("link", name=re.compile("^Reply")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reply to a comment")
    page.get_by_label("Your comment").fill(text)
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".flashes")).to_contain_text(COMMENT_POSTED)
    found = re.search(r"#comment-(\d+)$", page.url)
    assert found, f"posting the reply led to {page.url}"
    return int(found.group(1))


def send_suggestion(page: Page, suggestion: Suggestion) -> bool:
    """Fill in the open suggestion form and send it; when the app shows likely
    duplicates first, look at them and choose "Send anyway". True when it did."""
    page.get_by_label("Title", exact=True).fill(suggestion.title)
    page.get_by_label("Link", exact=True).fill(suggestion.url)
    page.get_by_label("Publishing organization").fill(suggestion.organization)
    page.get_by_label("Type", exact=True).select_option(label=suggestion.resource_type)
    for user in suggestion.ideal_users:
        page.get_by_label(user, exact=True).check()
    page.get_by_label("Description", exact=True).fill(suggestion.description)
    page.get_by_label("Why use it", exact=True).fill(suggestion.why_use_it)
    page.get_by_role("button", name="Send suggestion").click()
    duplicates = page.get_by_role("heading", name="Is it one of these?")
    sent = page.locator(".flashes").get_by_text(SUGGESTION_SENT)
    expect(duplicates.or_(sent)).to_be_visible()
    if sent.count():
        return False
    expect(page.get_by_label("Title", exact=True)).to_have_value(suggestion.title)
    page.get_by_role("button", name="Send anyway").click()
    expect(sent).to_be_visible()
    return True
