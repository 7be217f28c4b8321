"""Tests for /auth: registering, signing in and out, throttling, the `next` guard and password reset."""

from __future__ import annotations

import logging
import os
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from playbook import create_app, throttle
from playbook.auth.routes import LOGIN_FAILED
from playbook.config import normalize_database_url
from playbook.extensions import db as _db
from playbook.models import AuthAttempt, LoginSession, PasswordResetToken, User, utcnow
from playbook.urls import safe_next_path
from tests.factories import PASSWORD, make_user
from tests.fixtures_mail import outbox
from tests.helpers import check_page, csrf_token_from, get_page, post_form
from tests.helpers import field_error as _field_error
from tests.helpers import form_errors as _form_errors
from tests.helpers import input_value as _input_value
from tests.helpers import without_csrf_tokens as _without_csrf_tokens

NEW_PASSWORD = "a brand new passphrase for spring"
GOOD_SIGNUP = {
    "email": "new.person@example.org",
    "display_name": "Nadia Newcomer",
    "password": "plenty of words make it strong",
    "confirm": "plenty of words make it strong",
}


# --- small readers for the pages under test ---------------------------------------------


def _count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def _sign_in(client, address: str, password: str = PASSWORD, expected: int | None = None, **extra):
    return post_form(
        client, "/auth/login", {"email": address, "password": password, **extra}, expected
    )


def _is_signed_in(client) -> bool:
    """Whether the client's cookies open the member-only profile page."""
    response = client.get("/accounts/profile")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def _fresh_client_with_cookies(app, **cookies):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value, domain="localhost")
    return other


# --- a local SMTP server that keeps what it receives ----------------------------------------


def _reset_path(message) -> str:
    match = re.search(r"http://localhost(/auth/reset/[A-Za-z0-9_-]+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def _request_reset(client, address: str, expected: int | None = 302):
    return post_form(client, "/auth/reset", {"email": address}, expected)


def _reset_link_for(client, outbox, address: str) -> str:
    before = len(outbox)
    _request_reset(client, address)
    assert len(outbox) == before + 1
    return _reset_path(outbox[-1])


# --- register ---------------------------------------------------------------------------


def test_visitor_can_open_the_register_page(client):
    page = get_page(client, "auth.register").get_data(as_text=True)
    assert "Create an account" in page


def test_visitor_can_register_and_is_signed_in(client):
    response = post_form(client, "/auth/register", GOOD_SIGNUP, expected=302)
    assert response.location == "/"

    user = _db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert user is not None and user.display_name == "Nadia Newcomer"
    assert user.site_role.value == "member" and user.is_active_account
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD_SIGNUP["password"] not in user.password_hash
    assert _count(LoginSession) == 1

    home = check_page(client.get(response.location))
    assert "Welcome to Playbook, Nadia Newcomer." in home
    assert _is_signed_in(client)


def test_visitor_can_sign_in_with_the_password_chosen_at_registration(app, client):
    post_form(client, "/auth/register", GOOD_SIGNUP, expected=302)
    _sign_in(app.test_client(), GOOD_SIGNUP["email"], GOOD_SIGNUP["password"], expected=302)


def test_registration_stores_the_email_in_lower_case(client):
    post_form(
        client,
        "/auth/register",
        {**GOOD_SIGNUP, "email": "  New.Person@EXAMPLE.org "},
        expected=302,
    )
    emails = _db.session.scalars(select(User.email)).all()
    assert emails == ["new.person@example.org"]


LONG_PASSWORD = "correct horse battery staple " * 9  # 261 characters, over the 256 limit
LONG_EMAIL = (
    "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "example.org"
)  # 259 characters, over the 254 limit


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"email": "not-an-email"}, "email", "Invalid email address."),
        ({"email": LONG_EMAIL}, "email", "Field cannot be longer than 254 characters."),
        ({"display_name": "N" * 81}, "display_name", "Field cannot be longer than 80 characters."),
        ({"display_name": "   "}, "display_name", "This field is required."),
        (
            {"confirm": "plenty of words make it wrong"},
            "confirm",
            "The two passwords do not match.",
        ),
        ({"password": "short1", "confirm": "short1"}, "password", "Use at least 8 characters."),
        (
            {"password": LONG_PASSWORD, "confirm": LONG_PASSWORD},
            "password",
            "Use at most 256 characters.",
        ),
        (
            {"password": "password123", "confirm": "password123"},
            "password",
            "one of the most common ones",
        ),
        (
            {"password": "PASSWORD123", "confirm": "PASSWORD123"},
            "password",
            "one of the most common ones",
        ),
        ({"password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"}, "password", "too easy to guess"),
        (
            {"password": "new.person", "confirm": "new.person"},
            "password",
            "should not be your e-mail address or name",
        ),
        (
            {"password": "new.person@example.org", "confirm": "new.person@example.org"},
            "password",
            "should not be your e-mail address or name",
        ),
        (
            {"password": "NADIA NEWCOMER", "confirm": "NADIA NEWCOMER"},
            "password",
            "should not be your e-mail address or name",
        ),
    ],
    ids=[
        "invalid-email",
        "too-long-email",
        "too-long-name",
        "blank-name",
        "mismatched-confirmation",
        "too-short-password",
        "too-long-password",
        "common-password",
        "common-password-upper-case",
        "one-letter-password",
        "password-is-email-local-part",
        "password-is-email",
        "password-is-name",
    ],
)
def test_visitor_cannot_register_with_bad_input(client, changes, field, message):
    data = {**GOOD_SIGNUP, **changes}
    response = post_form(client, "/auth/register", data, expected=422)
    page = check_page(response)

    assert message in _field_error(page, field)
    assert "Please correct the marked fields below." in _form_errors(page)
    assert _input_value(page, "email") == data["email"].strip()
    assert _input_value(page, "display_name") == data["display_name"].strip()
    assert not _input_value(page, "password")  # passwords are never sent back
    assert _count(User) == 0 and _count(LoginSession) == 0
    assert not _is_signed_in(client)


def test_visitor_cannot_register_with_empty_fields(client):
    data = {"email": "", "display_name": "", "password": "", "confirm": ""}
    page = check_page(post_form(client, "/auth/register", data, expected=422))
    for field in ("email", "display_name", "password", "confirm"):
        assert "This field is required." in _field_error(page, field), field
    assert _count(User) == 0


def test_visitor_cannot_register_an_email_already_in_use_in_any_case(client, member):
    data = {**GOOD_SIGNUP, "email": member.email.upper()}
    page = check_page(post_form(client, "/auth/register", data, expected=422))
    assert "An account with this e-mail address already exists." in _field_error(page, "email")
    assert _input_value(page, "email") == member.email.upper()
    assert _count(User) == 1


def test_markup_in_a_name_is_stored_as_typed_and_shown_escaped(client):
    payload = "<script>alert(1)</script>"
    response = post_form(
        client, "/auth/register", {**GOOD_SIGNUP, "display_name": payload}, expected=302
    )
    assert _db.session.scalar(select(User.display_name)) == payload

    home = check_page(client.get(response.location))
    assert payload not in home
    assert "Welcome to Playbook, &lt;script&gt;alert(1)&lt;/script&gt;." in home
    profile = check_page(client.get("/accounts/profile"))
    assert payload not in profile
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in profile


def test_markup_in_a_refused_name_is_echoed_escaped(client):
    payload = '"><script>alert(1)</script>'
    page = check_page(
        post_form(
            client,
            "/auth/register",
            {**GOOD_SIGNUP, "display_name": payload, "confirm": "no match"},
            expected=422,
        )
    )
    assert "<script>alert(1)</script>" not in page
    assert _input_value(page, "display_name") == payload


def test_register_without_csrf_token_is_refused(client):
    response = client.post("/auth/register", data=GOOD_SIGNUP)
    assert response.status_code == 400
    check_page(response)
    assert _count(User) == 0


def test_member_visiting_register_is_redirected_home(client, login, member):
    login(member)
    response = get_page(client, "auth.register", expected=302)
    assert response.location == "/"


def test_member_cannot_register_a_second_account_while_signed_in(client, login, member):
    login(member)
    response = post_form(client, "/auth/register", GOOD_SIGNUP, expected=302, page_url="/")
    assert response.location == "/"
    assert _count(User) == 1


# --- sign in ----------------------------------------------------------------------------


def test_visitor_can_open_the_sign_in_page(client):
    page = get_page(client, "auth.login").get_data(as_text=True)
    assert "Keep me signed in on this device" in page


def test_member_can_sign_in_through_the_form(client, member):
    assert not _is_signed_in(client)
    response = _sign_in(client, member.email, expected=302)
    assert response.location == "/"
    assert "Signed in as Maria Member." in check_page(client.get("/"))
    assert _is_signed_in(client)
    assert _db.session.scalar(select(func.count()).where(LoginSession.user_id == member.id)) == 1
    assert client.get_cookie("remember_token") is None


def test_member_can_sign_in_with_the_email_in_another_case(client, member):
    _sign_in(client, f"  {member.email.upper()} ", expected=302)
    assert _is_signed_in(client)


def test_remember_me_sets_a_lasting_remember_cookie(client, member):
    _sign_in(client, member.email, remember="y", expected=302)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only
    assert cookie.expires is not None and cookie.expires - utcnow() > timedelta(days=29)
    # The remember cookie alone signs a browser in (the session cookie is gone after a restart).
    client.delete_cookie("session", domain="localhost")
    assert _is_signed_in(client)


def test_unknown_email_and_wrong_password_get_the_same_answer(client, member):
    unknown = _sign_in(client, "nobody@example.org", expected=422)
    wrong = _sign_in(client, member.email, "not the right password", expected=422)
    assert _form_errors(check_page(unknown)) == _form_errors(check_page(wrong)) == LOGIN_FAILED
    assert LOGIN_FAILED == "That e-mail address and password do not match an account."
    assert not _is_signed_in(client)


def test_disabled_member_cannot_sign_in(client, member):
    member.is_active_account = False
    _db.session.commit()
    response = _sign_in(client, member.email, expected=422)
    assert _form_errors(check_page(response)) == LOGIN_FAILED
    assert not _is_signed_in(client)
    assert _count(LoginSession) == 0


def test_disabled_member_is_signed_out_of_open_sessions(client, login, member):
    login(member)
    assert _is_signed_in(client)
    member.is_active_account = False
    _db.session.commit()
    assert not _is_signed_in(client)


def test_sign_in_with_missing_fields_is_refused(client):
    page = check_page(_sign_in(client, "", "", expected=422))
    assert "This field is required." in _field_error(page, "email")
    assert "This field is required." in _field_error(page, "password")


def test_sign_in_without_csrf_token_is_refused(client, member):
    response = client.post("/auth/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 400
    check_page(response)
    assert not _is_signed_in(client)


# --- throttling -------------------------------------------------------------------------


def _fail_sign_ins(client, address: str, times: int) -> None:
    for _ in range(times):
        _sign_in(client, address, "not the right password", expected=422)


def _assert_throttled(response) -> None:
    assert response.status_code == 429
    errors = _form_errors(check_page(response))
    assert re.fullmatch(r"Too many attempts\. Try again in \d+ minutes?\.", errors), errors


def test_intruder_is_throttled_after_too_many_wrong_passwords(app, client, member):
    allowed = app.config["PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT"]
    _fail_sign_ins(client, member.email, allowed)

    response = _sign_in(client, member.email)  # the right password, too late
    _assert_throttled(response)
    window = app.config["PLAYBOOK_LOGIN_WINDOW_MINUTES"]
    assert f"Try again in {window} minutes." in _form_errors(response.get_data(as_text=True))
    assert not _is_signed_in(client)
    assert throttle.count_attempts("login", f"account:{member.email}") == allowed


def test_account_throttle_ignores_the_case_of_the_email(app, client, member):
    allowed = app.config["PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT"]
    for n in range(allowed):
        variant = member.email.upper() if n % 2 else member.email.capitalize()
        _sign_in(client, variant, "not the right password", expected=422)
    _assert_throttled(_sign_in(client, member.email))


def test_unknown_email_is_throttled_like_a_real_account(app, client):
    _fail_sign_ins(client, "nobody@example.org", app.config["PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT"])
    _assert_throttled(_sign_in(client, "nobody@example.org", "not the right password"))


def test_throttled_member_can_sign_in_once_the_window_has_passed(app, client, member):
    _fail_sign_ins(client, member.email, app.config["PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT"])
    _assert_throttled(_sign_in(client, member.email))

    window = timedelta(minutes=app.config["PLAYBOOK_LOGIN_WINDOW_MINUTES"] + 1)
    _db.session.execute(update(AuthAttempt).values(created_at=utcnow() - window))
    _db.session.commit()
    _sign_in(client, member.email, expected=302)


def test_successful_sign_in_clears_the_account_failures(app, client, member):
    allowed = app.config["PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT"]
    _fail_sign_ins(client, member.email, allowed - 1)
    _sign_in(app.test_client(), member.email, expected=302)
    assert throttle.count_attempts("login", f"account:{member.email}") == 0
    _fail_sign_ins(client, member.email, allowed - 1)
    _sign_in(client, member.email, expected=302)


def test_intruder_is_throttled_per_address_across_many_accounts(app, client, member, other_member):
    app.config["PLAYBOOK_LOGIN_FAILURES_PER_ADDRESS"] = 3
    for address in ("a@example.org", "b@example.org", other_member.email):
        _sign_in(client, address, "not the right password", expected=422)

    _assert_throttled(_sign_in(client, member.email))  # a fresh account, the right password
    assert throttle.count_attempts("login", "address:127.0.0.1") == 3

    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    _sign_in(elsewhere, member.email, expected=302)


def test_sign_in_throttle_is_kept_in_the_database(app, client, member):
    _fail_sign_ins(client, member.email, 2)
    keys = _db.session.scalars(select(AuthAttempt.key).where(AuthAttempt.scope == "login")).all()
    assert sorted(keys) == sorted([f"account:{member.email}", "address:127.0.0.1"] * 2)


@pytest.fixture
def two_apps(tmp_path):
    """Two app instances (two workers) sharing one database: the test PostgreSQL
    database when one is configured, otherwise a SQLite file."""
    url = (
        normalize_database_url(os.environ.get("TEST_DATABASE_URL"))
        or f"sqlite:///{tmp_path / 'shared.sqlite'}"
    )
    apps = [create_app({"SQLALCHEMY_DATABASE_URI": url}) for _ in range(2)]
    with apps[0].app_context():
        _db.drop_all()
        _db.create_all()
    yield apps
    with apps[0].app_context():
        _db.drop_all()
    for each in apps:
        with each.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_sign_in_throttle_holds_across_app_instances(two_apps):
    first, second = two_apps
    with first.app_context():
        address = make_user(display_name="Tess Throttled").email
        allowed = first.config["PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT"]
    client = first.test_client()
    for _ in range(allowed):
        _sign_in(client, address, "not the right password", expected=422)

    _assert_throttled(_sign_in(second.test_client(), address))
    with second.app_context():
        assert throttle.count_attempts("login", f"account:{address}") == allowed


# --- the next guard ----------------------------------------------------------------------

REFUSED_NEXT = [
    "//evil.com",
    "///evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "https://evil.com",
    "http:evil.com",
    "https:evil.com",
    "javascript:alert(1)",
    "\t//evil.com",
    " //evil.com",
    "/\t/evil.com",
    "//evil.com/%2F..",
    "/ /evil.com",
    "evil.com",
    "HTTPS://evil.com",
    "/\\/evil.com",
    "/\r\n//evil.com",
    "\x00//evil.com",
    "//evil.com@localhost",
    "https://localhost@evil.com",
]
# Percent-encoded tricks are kept as they are: the browser does not decode them, so they
# stay odd paths on this host (which answer 404), never another host.
ENCODED_NEXT = ["/%09/evil.com", "/%2F%2Fevil.com", "/%5Cevil.com", "/%5C%5Cevil.com"]
OFF_SITE_NEXT = REFUSED_NEXT + ENCODED_NEXT
LEGIT_NEXT = "/library/plays/?stage=writing"


def _lands_on_this_site(location: str) -> bool:
    """Whether a browser would stay on this host: WHATWG URL parsing trims C0 controls
    and spaces, drops tabs and newlines, and reads a backslash as a slash; after that,
    only a path starting with exactly one slash is sure to be on the same host."""
    cleaned = location.strip("".join(map(chr, range(33))))
    cleaned = re.sub(r"[\t\n\r]", "", cleaned).replace("\\", "/")
    return cleaned.startswith("/") and not cleaned.startswith("//")


@pytest.mark.parametrize("target", OFF_SITE_NEXT)
def test_sign_in_never_redirects_off_site(client, member, target):
    response = _sign_in(client, member.email, next=target, expected=302)
    assert _lands_on_this_site(response.location), response.location
    if safe_next_path(target) is None:
        assert response.location == "/"
    landing = client.get(response.location)  # nor does the page it lands on send the browser away
    assert landing.status_code in (200, 404) or urlsplit(landing.location).hostname in (
        None,
        "localhost",
    )


@pytest.mark.parametrize("target", OFF_SITE_NEXT)
def test_sign_in_page_does_not_carry_an_off_site_next(client, target):
    page = check_page(client.get("/auth/login", query_string={"next": target}))
    assert _input_value(page, "next") in ("", safe_next_path(target))


@pytest.mark.parametrize("target", OFF_SITE_NEXT)
def test_signed_in_member_on_sign_in_page_is_never_sent_off_site(client, login, member, target):
    login(member)
    response = client.get("/auth/login", query_string={"next": target})
    assert response.status_code == 302
    assert _lands_on_this_site(response.location), response.location


def test_sign_in_follows_a_next_path_on_this_site(client, member):
    page = check_page(client.get("/auth/login", query_string={"next": LEGIT_NEXT}))
    assert _input_value(page, "next") == LEGIT_NEXT
    response = _sign_in(client, member.email, next=LEGIT_NEXT, expected=302)
    assert response.location == LEGIT_NEXT


def test_signed_in_member_on_sign_in_page_follows_a_next_path_on_this_site(client, login, member):
    login(member)
    response = client.get("/auth/login", query_string={"next": LEGIT_NEXT})
    assert response.status_code == 302 and response.location == LEGIT_NEXT


@pytest.mark.parametrize("target", REFUSED_NEXT + [None, "", "/" + "a" * 2000])
def test_safe_next_path_refuses_anything_but_a_path_on_this_site(target):
    assert safe_next_path(target) is None


@pytest.mark.parametrize(
    "target",
    [LEGIT_NEXT, "/", "/accounts/profile", "/library/plays/3?x=%2F%2Fevil.com#top"] + ENCODED_NEXT,
)
def test_safe_next_path_keeps_paths_on_this_site(target):
    assert safe_next_path(target) == target


# --- sign out ---------------------------------------------------------------------------


def test_member_can_sign_out(client, member):
    _sign_in(client, member.email, expected=302)
    response = post_form(client, "/auth/logout", {}, expected=302, page_url="/")
    assert response.location == "/"
    assert "You are signed out." in check_page(client.get("/"))
    assert not _is_signed_in(client)
    assert _count(LoginSession) == 0


def test_sign_out_by_get_is_not_allowed(client, login, member):
    login(member)
    response = client.get("/auth/logout")
    assert response.status_code == 405
    check_page(response)
    assert _is_signed_in(client)


def test_sign_out_without_csrf_token_is_refused(client, login, member):
    login(member)
    response = client.post("/auth/logout")
    assert response.status_code == 400
    check_page(response)
    assert _is_signed_in(client)


def test_copied_session_and_remember_cookies_stop_working_after_sign_out(app, client, member):
    _sign_in(client, member.email, remember="y", expected=302)
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie("remember_token").value
    # The copies work while the sign-in lasts...
    assert _is_signed_in(_fresh_client_with_cookies(app, session=session_cookie))
    assert _is_signed_in(_fresh_client_with_cookies(app, remember_token=remember_cookie))

    post_form(client, "/auth/logout", {}, expected=302, page_url="/")

    # ...and not after it.
    assert not _is_signed_in(_fresh_client_with_cookies(app, session=session_cookie))
    assert not _is_signed_in(_fresh_client_with_cookies(app, remember_token=remember_cookie))
    assert not _is_signed_in(
        _fresh_client_with_cookies(app, session=session_cookie, remember_token=remember_cookie)
    )


def test_signing_out_one_browser_keeps_the_others_signed_in(app, client, member):
    other = app.test_client()
    _sign_in(client, member.email, expected=302)
    _sign_in(other, member.email, expected=302)
    post_form(client, "/auth/logout", {}, expected=302, page_url="/")
    assert not _is_signed_in(client)
    assert _is_signed_in(other)


# --- password reset ---------------------------------------------------------------------


def test_visitor_can_open_the_reset_request_page(client):
    get_page(client, "auth.reset_request")


def test_reset_request_answers_the_same_for_known_and_unknown_addresses(app, member, outbox):
    known_client, unknown_client = app.test_client(), app.test_client()
    known = _request_reset(known_client, member.email)
    unknown = _request_reset(unknown_client, "nobody@example.org")
    assert known.location == unknown.location == "/auth/login"

    known_page = check_page(known_client.get(known.location))
    unknown_page = check_page(unknown_client.get(unknown.location))
    assert "If an account uses that address, we have sent it a link" in known_page
    assert _without_csrf_tokens(known_page) == _without_csrf_tokens(unknown_page)

    assert [message["To"] for message in outbox] == [member.email]
    assert outbox[0]["Subject"] == "Reset your Playbook password"


def test_reset_request_with_an_invalid_address_shows_a_field_error(client, outbox):
    page = check_page(_request_reset(client, "not-an-email", expected=422))
    assert "Invalid email address." in _field_error(page, "email")
    assert _input_value(page, "email") == "not-an-email"
    assert outbox == []


def test_member_can_reset_password_with_the_emailed_link(app, client, member, outbox):
    path = _reset_link_for(client, outbox, member.email.upper())
    assert outbox[0]["To"] == member.email
    assert "Hello Maria Member" in outbox[0].get_content()

    page = check_page(client.get(path))
    assert "Choose a new password" in page
    response = post_form(
        client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, expected=302
    )
    assert response.location == "/auth/login"
    assert "Your password is changed." in check_page(client.get(response.location))

    _sign_in(app.test_client(), member.email, PASSWORD, expected=422)
    _sign_in(client, member.email, NEW_PASSWORD, expected=302)
    _db.session.refresh(member)
    assert member.password_hash.startswith("$argon2id$")


def test_reset_link_works_only_once(client, member, outbox):
    path = _reset_link_for(client, outbox, member.email)
    post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, expected=302)

    again = client.get(path)
    assert again.status_code == 404
    assert "This link no longer works" in check_page(again)
    _sign_in(client, member.email, NEW_PASSWORD, expected=302)


def test_reset_link_cannot_be_used_twice_even_from_an_open_form(app, member, outbox):
    """Two browsers open the same link; only the first to submit wins."""
    first, second = app.test_client(), app.test_client()
    path = _reset_link_for(first, outbox, member.email)
    second_page = check_page(second.get(path))
    post_form(first, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, expected=302)

    late = second.post(
        path,
        data={
            "csrf_token": csrf_token_from(second_page),
            "password": "the late passphrase wins",
            "confirm": "the late passphrase wins",
        },
    )
    assert late.status_code == 404
    assert "This link no longer works" in check_page(late)
    _sign_in(first, member.email, NEW_PASSWORD, expected=302)


def test_expired_reset_link_is_refused(client, member, outbox):
    path = _reset_link_for(client, outbox, member.email)
    _db.session.execute(
        update(PasswordResetToken).values(expires_at=utcnow() - timedelta(minutes=1))
    )
    _db.session.commit()
    response = client.get(path)
    assert response.status_code == 404
    assert "This link no longer works" in check_page(response)


@pytest.mark.parametrize("token", ["garbage", "x" * 43, "y" * 500, "%00", "%27%20OR%201=1--"])
def test_garbage_reset_token_is_refused(client, member, outbox, token):
    _request_reset(client, member.email)  # a live token exists; a guess must not match it
    response = client.get(f"/auth/reset/{token}")
    assert response.status_code == 404
    assert "This link no longer works" in check_page(response)


def test_a_new_reset_spends_every_outstanding_link(client, member, outbox):
    older = _reset_link_for(client, outbox, member.email)
    newer = _reset_link_for(client, outbox, member.email)
    post_form(client, newer, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, expected=302)
    assert client.get(older).status_code == 404


def test_reset_ends_every_session(app, client, login, member, outbox):
    login(member)
    remembered = app.test_client()
    _sign_in(remembered, member.email, remember="y", expected=302)
    remember_cookie = remembered.get_cookie("remember_token").value

    stranger = app.test_client()
    path = _reset_link_for(stranger, outbox, member.email)
    post_form(stranger, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, expected=302)

    assert not _is_signed_in(client)
    assert not _is_signed_in(remembered)
    assert not _is_signed_in(_fresh_client_with_cookies(app, remember_token=remember_cookie))
    assert _db.session.scalar(select(func.count()).where(LoginSession.user_id == member.id)) == 0


@pytest.mark.parametrize(
    "password, message",
    [
        ("short1", "Use at least 8 characters."),
        ("password123", "one of the most common ones"),
        ("maria member", "should not be your e-mail address or name"),
    ],
)
def test_reset_refuses_a_weak_password_and_keeps_the_link(
    client, member, outbox, password, message
):
    path = _reset_link_for(client, outbox, member.email)
    page = check_page(
        post_form(client, path, {"password": password, "confirm": password}, expected=422)
    )
    assert message in _field_error(page, "password")
    assert client.get(path).status_code == 200
    _sign_in(client, member.email, PASSWORD, expected=302)


def test_reset_refuses_a_password_equal_to_the_email(client, member, outbox):
    path = _reset_link_for(client, outbox, member.email)
    page = check_page(
        post_form(client, path, {"password": member.email, "confirm": member.email}, expected=422)
    )
    assert "should not be your e-mail address or name" in _field_error(page, "password")


def test_reset_without_a_mail_server_writes_the_link_to_the_log(app, client, member, caplog):
    assert not app.config["PLAYBOOK_MAIL_SERVER"]
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        _request_reset(client, member.email)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert member.email in logged
    match = re.search(r"http://localhost(/auth/reset/[A-Za-z0-9_-]+)", logged)
    assert match, logged
    assert client.get(match.group(1)).status_code == 200


def test_unknown_address_writes_no_reset_link_to_the_log(app, client, caplog):
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        _request_reset(client, "nobody@example.org")
    assert "/auth/reset/" not in caplog.text
    assert _count(PasswordResetToken) == 0


def test_disabled_member_gets_no_reset_link(client, member, outbox):
    member.is_active_account = False
    _db.session.commit()
    _request_reset(client, member.email)
    assert outbox == [] and _count(PasswordResetToken) == 0


def test_reset_request_is_throttled_per_account(app, client, member, outbox):
    allowed = app.config["PLAYBOOK_RESETS_PER_ACCOUNT"]
    for _ in range(allowed):
        _request_reset(client, member.email)
    response = _request_reset(client, member.email.upper(), expected=None)
    _assert_throttled(response)
    assert f"Try again in {app.config['PLAYBOOK_RESET_WINDOW_MINUTES']} minutes." in _form_errors(
        response.get_data(as_text=True)
    )
    assert len(outbox) == allowed
    assert throttle.count_attempts("reset", f"account:{member.email}") == allowed


def test_reset_request_is_throttled_per_address(app, client, member, outbox):
    app.config["PLAYBOOK_RESETS_PER_ADDRESS"] = 2
    _request_reset(client, "a@example.org")
    _request_reset(client, "b@example.org")
    _assert_throttled(_request_reset(client, member.email, expected=None))
    assert outbox == []
    assert throttle.count_attempts("reset", "address:127.0.0.1") == 2

    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    _request_reset(elsewhere, member.email)
    assert len(outbox) == 1


def test_member_locked_out_by_failures_can_sign_in_after_a_reset(app, client, member, outbox):
    _fail_sign_ins(client, member.email, app.config["PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT"])
    _assert_throttled(_sign_in(client, member.email))
    path = _reset_link_for(client, outbox, member.email)
    post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, expected=302)
    _sign_in(client, member.email, NEW_PASSWORD, expected=302)


def test_registration_that_loses_a_race_for_the_email_gets_the_field_message(
    client, member, monkeypatch
):
    # The form's uniqueness check passes (as it would for two simultaneous requests),
    # then the database's unique constraint decides.
    from playbook.auth import services

    monkeypatch.setattr(services, "find_user_by_email", lambda email: None)
    response = post_form(
        client,
        "/auth/register",
        {
            "email": member.email,
            "display_name": "Twin",
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
