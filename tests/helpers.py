"""Request and HTML helpers for the tests: pages fetched and checked as a browser sees
them, forms posted with the page's own CSRF token, signed-in clients, and small readers
for what a page shows (field errors, form values, the playbook's version)."""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser
from pathlib import Path

from flask import url_for

from playbook.auth import sessions
from playbook.extensions import db
from playbook.playbooks import route_helpers

_TITLE = re.compile(r"<title>\s*([^<]*\S)\s*</title>", re.I)
_POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.I | re.S)
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
_VERSION = re.compile(r'data-version="(\d+)"')


# --- pages ------------------------------------------------------------------------------


def check_page(response) -> str:
    """A non-empty <title>, and a CSRF token in every POST form. Returns the HTML."""
    html = response.get_data(as_text=True)
    assert _TITLE.search(html), "page has no non-empty <title>"
    for form in _POST_FORM.findall(html):
        assert "csrf_token" in form, f"a POST form has no CSRF token: {form[:200]}"
    return html


def get_page(client, endpoint: str, expected: int = 200, **url_args):
    """GET a page by endpoint, assert its status, and check the page basics."""
    response = client.get(url_for(endpoint, **url_args))
    assert response.status_code == expected, (response.status_code, response.location)
    if expected == 200 or expected >= 400:
        check_page(response)
    return response


def page_html(client, endpoint: str, expected: int = 200, **url_args) -> str:
    return get_page(client, endpoint, expected, **url_args).get_data(as_text=True)


def text_of(response) -> str:
    """The page with every run of white space made one space."""
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def flashes_after(client, response) -> str:
    """The text of the page a redirect leads to (where the flashed messages show)."""
    assert response.status_code == 302, (response.status_code, text_of(response)[:500])
    return text_of(client.get(response.location))


# --- CSRF tokens and posting --------------------------------------------------------------


def csrf_token_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def token_of(client, page_url: str) -> str:
    """The CSRF token of the client's session, read from a page it may open."""
    page = client.get(page_url)
    assert page.status_code == 200, (page.status_code, page_url)
    return csrf_token_from(page.get_data(as_text=True))


def token_for(client) -> str:
    """A CSRF token for the signed-in (or anonymous) session of `client`."""
    response = client.get("/playbooks/new")
    if response.status_code != 200:
        response = client.get("/auth/login")
    return csrf_token_from(response.get_data(as_text=True))


def session_token(client, *, signed_in: bool) -> str:
    """The token from the home page's sign-out form, or from the sign-in form."""
    return token_of(client, "/" if signed_in else "/auth/login")


def without_csrf_tokens(page: str) -> str:
    """The page with its per-session CSRF token inputs blanked out, for comparing pages."""
    return re.sub(r'<input\b[^>]*name="csrf_token"[^>]*>', "<csrf>", page)


def post_form(
    client, url: str, data: dict, expected: int | None = None, page_url: str | None = None
):
    """POST data as a browser would: first fetch the page with the form, take its CSRF token."""
    page = client.get(page_url or url)
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}
    response = client.post(url, data=data)
    if expected is not None:
        assert response.status_code == expected, (
            response.status_code,
            response.get_data(as_text=True)[:500],
        )
    return response


def post(client, url: str, data: dict, page_url: str):
    """POST as a browser would, with the CSRF token of the page holding the form."""
    page = client.get(page_url)
    assert page.status_code == 200, (page.status_code, page_url)
    return client.post(
        url, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}
    )


# --- signed-in browsers -----------------------------------------------------------------


def sign_in(client, user) -> None:
    """Give the client a real server-side session for user (as the `login` fixture does)."""
    token = sessions.open_session(user)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


def client_for(app, user):
    """A test client of its own, signed in as `user` through a real server-side session."""
    client = app.test_client()
    sign_in(client, user)
    return client


# --- what a page shows --------------------------------------------------------------------


def field_error(html: str, field_id: str) -> str:
    """The error text shown next to a field (by the forms macro), or ''."""
    match = re.search(
        rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S
    )
    return html_lib.unescape(match.group(1)).strip() if match else ""


def field_error_html(html: str, field_id: str) -> str:
    """The error shown next to a field as the page has it (HTML-escaped), or ''."""
    match = re.search(
        rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S
    )
    return match.group(1).strip() if match else ""


def form_errors(page: str) -> str:
    """The text of the error box at the top of the form."""
    match = re.search(r'<div class="form-errors" role="alert">(.*?)</div>', page, re.S)
    return (
        re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).strip()
        if match
        else ""
    )


def input_value(page: str, name: str) -> str | None:
    """The value an <input name=...> is rendered with (None when it has no value)."""
    tag = re.search(rf'<input\b[^>]*\bname="{name}"[^>]*>', page)
    assert tag, f"no input named {name}"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html_lib.unescape(value.group(1)) if value else None


def page_version(html: str) -> int:
    """The version the playbook page was rendered at, as its JavaScript reads it."""
    match = _VERSION.search(html)
    assert match, "the page has no data-version"
    return int(match.group(1))


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
                "buttons": [],
            }
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"][a["name"]] = a.get("value", "")
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._form["buttons"].append(a)
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


def pressing(html: str, action: str, **where) -> dict:
    """What a browser posts when a submit button of the page that posts to `action`
    is pressed (the form's fields plus the button's name and value; a button's
    formaction sends its form elsewhere), for the first one whose fields match `where`."""
    for form in forms_on(html):
        if form["method"] != "post":
            continue
        for button in form["buttons"] or [{}]:
            fields = dict(form["fields"])
            if button.get("name"):
                fields[button["name"]] = button.get("value", "")
            target = button.get("formaction") or form["action"]
            if target.split("#")[0] == action and all(
                fields.get(k) == str(v) for k, v in where.items()
            ):
                return fields
    raise AssertionError(f"no button posts to {action} with {where}")


def field_value(html: str, name: str) -> str | None:
    for form in forms_on(html):
        if name in form["fields"]:
            return form["fields"][name]
    return None


# --- posting to the playbook and comment pages --------------------------------------------


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


_PAGES = {
    "play": ("library.play_detail", "play_id"),
    "resource": ("library.resource_detail", "resource_id"),
    "component": ("library.component_detail", "component_id"),
    "playbook": ("playbooks.detail", "playbook_id"),
}


def target_url(kind: str, target_id: int, **args) -> str:
    """The page that shows the thread of a play, resource, component or playbook."""
    endpoint, arg = _PAGES[kind]
    return url_for(endpoint, **{arg: target_id}, **args)


def comment_on(client, kind: str, target_id: int, body: str, page_url: str | None = None, **extra):
    """Post the thread's comment form as a browser would (token from `page_url`, by
    default the target's own page)."""
    return post(
        client,
        url_for("comments.new", kind=kind, target_id=target_id),
        {"body": body, **extra},
        page_url or target_url(kind, target_id),
    )


def comment_on_play(client, play_id: int, body: str, **extra):
    return comment_on(client, "play", play_id, body, **extra)


def decide(client, subjects: list[str], decision: str, reason: str = "", **extra):
    return post(
        client,
        url_for("moderation.decide"),
        {"subject": subjects, "decision": decision, "reason": reason, **extra},
        url_for("moderation.index"),
    )


def queue_text(client, **args) -> str:
    """The moderation queue page (a tab, filters) as text."""
    return text_of(client.get(url_for("moderation.index", **args)))


def race(monkeypatch, app, change) -> None:
    """Make the next request lose a race: right after it loads the playbook, `change`
    (called with the playbook id) is saved and committed from another session, as a
    teammate's request would be. Only the first request races; later ones run normally."""
    load = route_helpers.load
    pending = [change]

    def racing_load(playbook_id, *args, **kwargs):
        playbook = load(playbook_id, *args, **kwargs)
        if pending:
            with app.app_context():  # a session of its own, like another request
                pending.pop()(playbook_id)
        return playbook

    monkeypatch.setattr(route_helpers, "load", racing_load)


def without_ids(document):
    """A playbook document without its section and item ids: what stays the same when
    a restore or a fork writes the same content into new rows."""
    if isinstance(document, dict):
        return {k: without_ids(v) for k, v in document.items() if k != "id"}
    if isinstance(document, list):
        return [without_ids(v) for v in document]
    return document


def server_log_excerpt(log_path: Path, lines: int = 40) -> str:
    """A live server's log for a failure message: its last lines, and before them
    every ERROR record with its traceback (a 500 among hundreds of expected warnings
    is otherwise cut off)."""
    try:
        log = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    errors: list[str] = []  # each ERROR record with its traceback, up to 150 lines
    taken = 0
    for line in log[:-lines]:
        if line.startswith("["):  # a new record
            taken = 1 if " ERROR " in line else 0
        elif taken:
            taken += 1
        if 0 < taken <= 150:
            errors.append(line)
    return "\n".join(errors[:600] + (["[…]"] if errors else []) + log[-lines:])
