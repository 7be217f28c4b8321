"""Open redirect: tricky `next` values on every route that reads one (sign-in, register,
the notification links) and on sign-out, which must ignore them. None may send a
browser to another host, neither directly nor through the pages it then lands on.

Where a browser ends up is worked out by support.browser_destination, which follows
the URL standard (tabs and newlines dropped, backslashes read as slashes, "https:host"
naming a host), and cross-checked with urllib."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from playbook.models import Notification, NotificationKind
from tests.factories import PASSWORD, make_user
from tests.helpers import check_page, csrf_token_from
from tests.security.support import (
    browser,
    browser_destination,
    follow_on_site,
    sign_in,
    stays_on_site,
)

EVIL = "evil.example"

CORPUS = [
    # protocol-relative, any number of slashes, backslashes read as slashes
    f"//{EVIL}",
    f"///{EVIL}",
    f"////{EVIL}",
    f"\\\\{EVIL}",
    f"\\/{EVIL}",
    f"/\\{EVIL}",
    f"/\\/{EVIL}",
    f"///\\{EVIL}",
    f"/\\\\{EVIL}",
    f"//{EVIL}/%2F..",
    f"//{EVIL}:443/path",
    f"//{EVIL}?next=/",
    # tabs, newlines and other controls that browsers drop or trim
    f"/\t/{EVIL}",
    f"/\n/{EVIL}",
    f"/\r\n/{EVIL}",
    f"\t//{EVIL}",
    f" //{EVIL}",
    f"\x00//{EVIL}",
    f"\x0b//{EVIL}",
    f"/\x0c/{EVIL}",
    f"/ /{EVIL}",
    f"/\x7f/{EVIL}",
    f"//{EVIL}\t",
    f"/\t\\{EVIL}",
    f"\r\n\r\nLocation: //{EVIL}",
    # schemes, with and without slashes, in any case
    f"https:{EVIL}",
    f"http:{EVIL}",
    f"http:/{EVIL}",
    f"https:/{EVIL}",
    f"http://{EVIL}",
    f"https://{EVIL}",
    f"HTTPS://{EVIL.upper()}",
    f"hTtP://{EVIL}",
    f"http:\\\\{EVIL}",
    f"https:/\\{EVIL}",
    f"ftp://{EVIL}",
    f"ht\ttps://{EVIL}",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.domain)",
    "java\tscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    # user info and look-alike hosts
    f"//{EVIL}@localhost",
    f"https://localhost@{EVIL}",
    f"//localhost.{EVIL}",
    f"@{EVIL}",
    f"//@{EVIL}",
    f"//localhost%2F@{EVIL}",
    "//%65vil.example",
    "//127.0.0.1",
    "//2130706433",
    "//[::1]/",
    EVIL,
    f".{EVIL}",
    f"?next=//{EVIL}",
    f"#//{EVIL}",
    # percent-encoding: a browser does not decode these, they stay odd paths here
    f"%2F%2F{EVIL}",
    f"/%2F%2F{EVIL}",
    f"/%5C{EVIL}",
    f"/%5C%5C{EVIL}",
    f"/%09/{EVIL}",
    f"%0D%0A//{EVIL}",
    f"/%2e%2e//{EVIL}",
    f"/..//{EVIL}",
    f"/.//{EVIL}",
    f"/library//{EVIL}",
    # unicode look-alikes of slashes, backslashes and dots
    f"\uff0f\uff0f{EVIL}",
    f"/\uff0f{EVIL}",
    f"\u2215\u2215{EVIL}",
    f"/\u2044{EVIL}",
    f"\uff3c\uff3c{EVIL}",
    f"/\ufe68{EVIL}",
    "//evil\u3002example",
    "//\u24d4\u24e5\u24d8\u24db.example",
    f"\u200b//{EVIL}",
    f"/\u0085//{EVIL}",
    f"/\u00a0//{EVIL}",
    f"/\u2028//{EVIL}",
    # very long values
    "/" + "a" * 5000,
    "//" + "a" * 3000 + ".example",
    f"/{'%2F' * 700}{EVIL}",
]
ON_SITE = ["/library/plays/?stage=writing", "/accounts/profile", "/notifications/"]


def test_the_corpus_is_large_and_really_leaves_the_site_when_taken_as_is():
    """The corpus is worth something only if most of it would leave the site."""
    assert len(CORPUS) >= 30 and len(set(CORPUS)) == len(CORPUS)
    off_site = [target for target in CORPUS if not stays_on_site(target)]
    assert len(off_site) >= 40, off_site
    for target in ON_SITE:
        assert stays_on_site(target)


@pytest.mark.parametrize(
    "location, where",
    [
        (f"//{EVIL}", ("http", EVIL)),
        (f"/\\{EVIL}", ("http", EVIL)),
        (f"/\t/{EVIL}", ("http", EVIL)),
        (f"https:{EVIL}", ("https", EVIL)),
        (f"http:{EVIL}", ("http", "localhost")),
        (f"http:/{EVIL}", ("http", "localhost")),
        (f"///{EVIL}", ("http", EVIL)),
        (f"//{EVIL}@localhost", ("http", "localhost")),
        (f"https://localhost@{EVIL}", ("https", EVIL)),
        ("//evil\u3002example", ("http", EVIL)),
        (f"/%2F%2F{EVIL}", ("http", "localhost")),
        ("javascript:alert(1)", ("javascript", None)),
        ("/library/", ("http", "localhost")),
    ],
)
def test_browser_reading_of_locations_matches_the_url_standard(location, where):
    """The judge itself: what browsers are known to do with these (from an http page)."""
    assert browser_destination(location)[:2] == where


def _problems(target, response, client) -> list[str]:
    if response.status_code in (301, 302, 303, 307, 308) and not stays_on_site(
        response.headers["Location"]
    ):
        return [f"{target!r}: Location {response.headers['Location']!r} leaves the site"]
    return [f"{target!r}: {problem}" for problem in follow_on_site(client, response)]


def _next_field(html: str) -> str:
    """The value the sign-in form will send as `next`."""
    tag = re.search(r'<input\b[^>]*\bname="next"[^>]*>', html)
    assert tag, "the sign-in form has no next field"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html_lib.unescape(value.group(1)) if value else ""


def test_sign_in_page_keeps_no_off_site_next(app):
    failures = []
    for target in CORPUS:
        client, _ = browser(app)
        response = client.get("/auth/login", query_string={"next": target})
        carried = _next_field(check_page(response))
        if response.status_code != 200:
            failures.append(f"{target!r}: status {response.status_code}")
        elif carried and not stays_on_site(carried):
            failures.append(f"{target!r}: the form carries {carried!r}")
        elif carried not in ("", target):
            failures.append(f"{target!r}: the form carries something else, {carried!r}")
    assert failures == []


@pytest.mark.parametrize("where", ["form", "query", "both"])
def test_signing_in_never_leads_off_site(app, where):
    member = make_user()
    failures = []
    for target in CORPUS:
        client, token = browser(app)
        data = {"csrf_token": token, "email": member.email, "password": PASSWORD}
        if where in ("form", "both"):
            data["next"] = target
        response = client.post(
            "/auth/login",
            data=data,
            query_string={"next": target} if where in ("query", "both") else None,
        )
        if response.status_code != 302:
            failures.append(f"{target!r}: sign-in answered {response.status_code}")
            continue
        failures += _problems(target, response, client)
    assert failures == []


def test_signed_in_person_opening_sign_in_is_never_sent_off_site(app):
    client, _ = browser(app, make_user())
    failures = []
    for target in CORPUS:
        response = client.get("/auth/login", query_string={"next": target})
        if response.status_code != 302:
            failures.append(f"{target!r}: answered {response.status_code}")
        failures += _problems(target, response, client)
    assert failures == []


def test_registering_never_leads_off_site(app):
    failures = []
    for n, target in enumerate(CORPUS):
        client = app.test_client()
        page = client.get("/auth/register", query_string={"next": target})
        failures += _problems(target, page, client)
        token = csrf_token_from(page.get_data(as_text=True))
        password = "plenty of words make it strong"
        response = client.post(
            "/auth/register",
            query_string={"next": target},
            data={
                "csrf_token": token,
                "email": f"newcomer{n}@example.org",
                "display_name": f"Newcomer {n}",
                "password": password,
                "confirm": password,
                "next": target,
            },
        )
        if response.status_code != 302:
            failures.append(f"{target!r}: registration answered {response.status_code}")
        failures += _problems(target, response, client)
    assert failures == []


def test_signing_out_goes_home_whatever_next_says(app):
    member = make_user()
    failures = []
    for target in CORPUS:
        client, token = browser(app, member)
        response = client.post(
            "/auth/logout",
            data={"csrf_token": token, "next": target},
            query_string={"next": target},
        )
        if (response.status_code, response.location) != (302, "/"):
            failures.append(
                f"{target!r}: sign-out answered {response.status_code} {response.location!r}"
            )
    assert failures == []


def test_notification_links_never_lead_off_site(app, db):
    member = make_user()
    client, token = browser(app, member)
    failures = []
    for target in CORPUS:
        failures += _problems(
            target, client.get("/notifications/open", query_string={"next": target}), client
        )
        notification = Notification(
            user_id=member.id, kind=NotificationKind.INVITED, message="Hello"
        )
        db.session.add(notification)
        db.session.commit()
        response = client.post(
            f"/notifications/{notification.id}/read", data={"csrf_token": token, "next": target}
        )
        if response.status_code != 302:
            failures.append(f"{target!r}: marking read answered {response.status_code}")
        failures += _problems(target, response, client)
    assert failures == []


def test_emailed_link_opened_by_a_visitor_never_leads_off_site_after_signing_in(app):
    """The longest chain: a visitor opens an e-mailed link, is sent to sign in, signs in
    with the form as the page gave it, and is sent on."""
    member = make_user()
    failures = []
    for target in CORPUS:
        client = app.test_client()
        response = client.get("/notifications/open", query_string={"next": target})
        if response.status_code != 302 or not stays_on_site(response.location):
            failures.append(
                f"{target!r}: the visitor got {response.status_code} {response.location!r}"
            )
            continue
        page = client.get(response.location)
        html = check_page(page)
        response = client.post(
            "/auth/login",
            data={
                "csrf_token": csrf_token_from(html),
                "email": member.email,
                "password": PASSWORD,
                "next": _next_field(html),
            },
        )
        if response.status_code != 302:
            failures.append(f"{target!r}: sign-in answered {response.status_code}")
        failures += _problems(target, response, client)
    assert failures == []


def test_on_site_next_paths_are_still_followed(app):
    """The guard must not refuse everything: a path on this site is where sign-in goes."""
    member = make_user()
    for target in ON_SITE:
        client, token = browser(app)
        response = client.post(
            "/auth/login",
            data={"csrf_token": token, "email": member.email, "password": PASSWORD, "next": target},
        )
        assert (response.status_code, response.location) == (302, target)


def test_visitor_on_a_doubled_slash_path_is_kept_on_the_site(app):
    """A request path starting with "//" (as a browser sends for /..//host) must not
    come back as a protocol-relative Location, from the router or the sign-in redirect."""
    client = app.test_client()
    for path in (
        f"//{EVIL}",
        f"//{EVIL}/notifications/",
        "//notifications/",
        "//accounts/profile",
        f"//{EVIL}/..//notifications/open",
    ):
        response = client.get("/", environ_overrides={"PATH_INFO": path})
        assert response.status_code in (200, 301, 302, 308, 404), (path, response.status_code)
        if response.status_code != 404:
            assert stays_on_site(response.headers["Location"]), (path, response.headers["Location"])
            assert follow_on_site(client, response) == [], path


def test_sign_in_redirect_for_a_visitor_carries_only_this_sites_path(app):
    client = app.test_client()
    response = client.get("/notifications/open", query_string={"next": f"//{EVIL}"})
    assert response.status_code == 302 and stays_on_site(response.location)
    _, _, path_and_query = browser_destination(response.location)
    assert path_and_query.startswith("/auth/login?next=")
    sign_in(client, make_user())
    assert follow_on_site(client, client.get(response.location)) == []
