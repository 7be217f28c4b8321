"""Test data and browser-like request helpers for the playbook builder tests.

Playbooks are built through playbook.playbooks.services, as the app builds them, so
every item also leaves its revision behind. Pages are read the way a browser reads
them: the CSRF token from a form, the version from the page's data-version."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from html.parser import HTMLParser

from sqlalchemy import func, select

from playbook.extensions import db
from playbook.models import (
    Component,
    Element,
    Framework,
    Item,
    MemberRole,
    Membership,
    Play,
    Playbook,
    Resource,
    Revision,
    User,
)
from playbook.playbooks import document, services
from tests.helpers import csrf_token_from

_counter = itertools.count(1)

KINDS = ("play", "resource", "component", "note")
STATUSES = ("idea", "planned", "piloting", "adopted", "retired")


# --- data ---------------------------------------------------------------------------


def seeded_framework() -> Framework:
    """The starter framework (the `library` fixture must have run)."""
    return db.session.scalar(select(Framework).order_by(Framework.id))


def make_playbook(
    owner: User,
    items: int = 0,
    *,
    framework: Framework | None = None,
    spread: bool = False,
    members: tuple[User, ...] = (),
    **fields,
) -> Playbook:
    """A playbook owned by `owner`, made with the services, holding `items` items
    spread round-robin over the sections (and, when the library is seeded, over plays,
    resources, components and notes). With spread=True every item also gets a status,
    an owner (cycling over owner and `members`), an element and a target date."""
    n = next(_counter)
    values = dict(title=f"Team playbook {n}", scope="school", organization="Test School", vision="")
    values.update(fields)
    if framework is not None:
        values["framework_id"] = framework.id
    playbook = services.create_playbook(owner, **values)
    playbook_id = playbook.id
    if members:
        add_members(playbook_id, *members)
    targets = _library_targets(framework)
    people = [owner.id] + [m.id for m in members]
    elements = (
        list(
            db.session.scalars(
                select(Element.id)
                .join(Component)
                .where(Component.framework_id == framework.id)
                .order_by(Element.id)
            )
        )
        if framework is not None
        else []
    )
    for i in range(items):
        playbook = services.load_playbook_for_change(playbook_id)
        section = playbook.sections[i % len(playbook.sections)]
        kind = KINDS[i % len(KINDS)] if targets else "note"
        if kind == "note":
            item = services.add_item(
                owner,
                playbook,
                section,
                kind="note",
                title=f"Note {n}.{i}",
                notes=f"Notes for *item {i}*.",
            )
        else:
            pool = targets[kind]
            item = services.add_item(
                owner, playbook, section, kind=kind, ref_id=pool[i % len(pool)]
            )
        if spread:
            playbook = services.load_playbook_for_change(playbook_id)
            item = next(it for s in playbook.sections for it in s.items if it.id == item.id)
            services.update_item(
                owner,
                playbook,
                item,
                base_version=playbook.version,
                title=item.title,
                notes=item.notes,
                status=STATUSES[i % len(STATUSES)],
                owner_id=people[i % len(people)],
                target_date=date(2027, 1, 1) + timedelta(days=i),
                element_id=elements[i % len(elements)] if elements else None,
            )
    return reload(playbook_id)


def _library_targets(framework: Framework | None) -> dict[str, list[int]] | None:
    plays = list(
        db.session.scalars(select(Play.id).where(Play.retired_at.is_(None)).order_by(Play.id))
    )
    resources = list(
        db.session.scalars(
            select(Resource.id).where(Resource.retired_at.is_(None)).order_by(Resource.id)
        )
    )
    query = select(Component.id).order_by(Component.id)
    if framework is not None:
        query = query.where(Component.framework_id == framework.id)
    components = list(db.session.scalars(query))
    if not (plays and resources and components):
        return None
    return {"play": plays, "resource": resources, "component": components}


def add_members(playbook_id: int, *users: User, role: MemberRole = MemberRole.EDITOR) -> None:
    """Stand-in for the sharing feature (not built yet): give users a role directly."""
    for user in users:
        db.session.add(Membership(playbook_id=playbook_id, user_id=user.id, role=role))
    db.session.commit()


def add_note(
    owner: User, playbook_id: int, section_index: int = 0, title: str = "A note", notes: str = ""
) -> Item:
    playbook = services.load_playbook_for_change(playbook_id)
    return services.add_item(
        owner, playbook, playbook.sections[section_index], kind="note", title=title, notes=notes
    )


def add_play(owner: User, playbook_id: int, play: Play, section_index: int = 1) -> Item:
    playbook = services.load_playbook_for_change(playbook_id)
    return services.add_item(
        owner, playbook, playbook.sections[section_index], kind="play", ref_id=play.id
    )


def reload(playbook_id: int) -> Playbook | None:
    """The playbook as the database has it now (the test's session forgets what it held)."""
    db.session.expire_all()
    return services.load_playbook_for_change(playbook_id)


def state_of(playbook_id: int) -> dict:
    """Everything about a playbook that a refused request must leave alone."""
    playbook = reload(playbook_id)
    return {
        "version": playbook.version,
        "deleted_at": playbook.deleted_at,
        "snapshot": document.snapshot(playbook),
        "positions": [[(i.id, i.position) for i in s.items] for s in playbook.sections],
        "sections": [(s.id, s.position, s.title) for s in playbook.sections],
        "revisions": revision_count(playbook_id),
    }


def revision_count(playbook_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Revision).where(Revision.playbook_id == playbook_id)
    )


def playbook_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Playbook))


def item_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Item))


def items_by_section(playbook_id: int) -> list[list[tuple[int, int]]]:
    """[(item id, position), ...] per section, in section order."""
    playbook = reload(playbook_id)
    return [[(i.id, i.position) for i in s.items] for s in playbook.sections]


def latest_revision(playbook_id: int) -> Revision:
    db.session.expire_all()
    return db.session.scalar(
        select(Revision)
        .where(Revision.playbook_id == playbook_id)
        .order_by(Revision.number.desc())
        .limit(1)
    )


def race(monkeypatch, app, change) -> None:
    """Make the next request lose a race: right after it loads the playbook, `change`
    (called with the playbook id) is saved and committed from another session, as a
    teammate's request would be. Only the first request races; later ones run normally."""
    from playbook.playbooks import route_helpers

    load = route_helpers.load
    pending = [change]

    def racing_load(playbook_id, *args, **kwargs):
        playbook = load(playbook_id, *args, **kwargs)
        if pending:
            with app.app_context():  # a session of its own, like another request
                pending.pop()(playbook_id)
        return playbook

    monkeypatch.setattr(route_helpers, "load", racing_load)


XSS_MARKDOWN = (
    "**Bold** plan\n\n"
    "<script>alert('vision')</script>\n\n"
    "<img src=x onerror=alert(1)>\n\n"
    "[click me](javascript:alert(1)) and [ok](https://example.org/)\n\n"
    '<a href="javascript:alert(2)">raw link</a>\n'
)


def assert_no_live_script(html: str) -> None:
    """Nothing in the page can run script: no <script> with the payload, no event
    handler attribute, no javascript: link."""
    assert "<script>alert" not in html
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", html, re.I), re.search(
        r"<[a-z][^>]*\son\w+\s*=", html, re.I
    )
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", html, re.I)


# --- pages --------------------------------------------------------------------------

_VERSION = re.compile(r'data-version="(\d+)"')


def page_version(html: str) -> int:
    """The version the playbook page was rendered at, as its JavaScript reads it."""
    match = _VERSION.search(html)
    assert match, "the page has no data-version"
    return int(match.group(1))


class _FormParser(HTMLParser):
    """Collects every <form>: its method, action and the values a browser would send."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None
        self.textareas: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "method": (a.get("method") or "get").lower(),
                "action": a.get("action", ""),
                "fields": {},
                "selects": {},
            }
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"][a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.textareas.add(a["name"])
            self._form["fields"][self._textarea] = ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["selects"][self._select] = []
            self._form["fields"].setdefault(self._select, None)
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self._form["selects"][self._select].append(value)
            if "selected" in a or self._form["fields"].get(self._select) is None:
                self._form["fields"][self._select] = value

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data


def forms_on(html: str) -> list[dict]:
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        # A newline right after <textarea> belongs to the markup, not to the value.
        for name in parser.textareas & form["fields"].keys():
            value = form["fields"][name]
            form["fields"][name] = (
                value[2:] if value.startswith("\r\n") else value.removeprefix("\n")
            )
    return parser.forms


def form_posting_to(html: str, action: str, **where) -> dict:
    """The fields of the POST form with this action (and, if given, these field values)."""
    matches = [
        f
        for f in forms_on(html)
        if f["method"] == "post"
        and f["action"].split("#")[0] == action
        and all(f["fields"].get(k) == str(v) for k, v in where.items())
    ]
    assert matches, f"no POST form to {action} with {where}"
    return dict(matches[0]["fields"])


def field_value(html: str, name: str) -> str | None:
    for form in forms_on(html):
        if name in form["fields"]:
            return form["fields"][name]
    return None


def field_error(html: str, field_id: str) -> str:
    """The error text shown next to a field (by the forms macro), or ''."""
    match = re.search(
        rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S
    )
    return match.group(1).strip() if match else ""


def token_for(client) -> str:
    """A CSRF token for the signed-in (or anonymous) session of `client`."""
    response = client.get("/playbooks/new")
    if response.status_code != 200:
        response = client.get("/auth/login")
    return csrf_token_from(response.get_data(as_text=True))


def post_change(
    client,
    playbook_id: int,
    url: str,
    data: dict | None = None,
    *,
    version: int | None = None,
    json: bool = False,
    follow_redirects: bool = False,
):
    """POST a change as the playbook page would: its CSRF token and its data-version,
    unless an explicit (perhaps stale) version is given."""
    page = client.get(f"/playbooks/{playbook_id}")
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    body = {
        "csrf_token": csrf_token_from(html),
        "version": str(page_version(html) if version is None else version),
        **(data or {}),
    }
    headers = {"Accept": "application/json"} if json else {}
    return client.post(url, data=body, headers=headers, follow_redirects=follow_redirects)
