"""Tests for /accounts: a member's own profile and password."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import func, select

from playbook.auth.passwords import verify_password
from playbook.extensions import db as _db
from playbook.models import LoginSession, PasswordResetToken, SiteRole
from tests.factories import PASSWORD
from tests.helpers import check_page, get_page, post_form
from tests.helpers import field_error as _field_error
from tests.helpers import input_value as _input_value

NEW_PASSWORD = "a brand new passphrase for spring"


def _is_signed_in(client) -> bool:
    """Whether the client's cookies open the member-only profile page."""
    response = client.get("/accounts/profile")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def _sessions_of(user) -> int:
    return _db.session.scalar(select(func.count()).where(LoginSession.user_id == user.id))


def _change_password(
    client, current: str, new: str, confirm: str | None = None, expected: int | None = None
):
    data = {
        "current_password": current,
        "new_password": new,
        "confirm": new if confirm is None else confirm,
    }
    return post_form(client, "/accounts/password", data, expected)


PROFILE = {
    "display_name": "Maria Montes",
    "organization": "Lakeside Unified",
    "role_title": "Instructional coach",
}


# --- who may open the pages ------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint, path",
    [("accounts.profile", "/accounts/profile"), ("accounts.password", "/accounts/password")],
)
def test_visitor_is_sent_to_sign_in(client, endpoint, path):
    response = get_page(client, endpoint, expected=302)
    assert response.location == "/auth/login?next=" + path.replace("/", "%2F")
    assert "Please sign in to continue." in check_page(client.get(response.location))


@pytest.mark.parametrize("path", ["/accounts/profile", "/accounts/password"])
def test_visitor_cannot_post_to_account_pages(client, member, path):
    response = post_form(
        client,
        path,
        {
            "display_name": "Hijacked",
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        page_url="/auth/login",
    )
    assert response.status_code == 302 and response.location.startswith("/auth/login?next=")
    _db.session.refresh(member)
    assert member.display_name == "Maria Member"
    assert verify_password(member.password_hash, PASSWORD)


def test_visitor_returns_to_profile_after_signing_in(client, member):
    to_login = client.get("/accounts/profile").location
    page = check_page(client.get(to_login))
    assert _input_value(page, "next") == "/accounts/profile"
    response = post_form(
        client,
        "/auth/login",
        {"email": member.email, "password": PASSWORD, "next": "/accounts/profile"},
        expected=302,
        page_url=to_login,
    )
    assert response.location == "/accounts/profile"
    assert "Maria Member" in check_page(client.get(response.location))


@pytest.mark.parametrize(
    "endpoint, heading",
    [
        ("accounts.profile", "<h1>Your profile</h1>"),
        ("accounts.password", "<h1>Change your password</h1>"),
    ],
)
def test_member_can_open_account_pages(client, login, member, endpoint, heading):
    login(member)
    page = get_page(client, endpoint).get_data(as_text=True)
    assert heading in page
    assert f"Signed in as {member.email}" in page or "signs out every other device" in page


# --- profile ----------------------------------------------------------------------------


def test_member_can_edit_profile(client, login, member):
    login(member)
    data = {
        "display_name": "  Maria Montes ",
        "organization": " Lakeside Unified",
        "role_title": "Instructional coach ",
    }
    response = post_form(client, "/accounts/profile", data, expected=302)
    assert response.location == "/accounts/profile"

    _db.session.refresh(member)
    assert (member.display_name, member.organization, member.role_title) == tuple(PROFILE.values())
    page = check_page(client.get(response.location))
    assert "Your profile is saved." in page
    for name, value in PROFILE.items():
        assert _input_value(page, name) == value


def test_member_can_clear_organization_and_role_title(client, login, member):
    member.organization, member.role_title = "Old School", "Old role"
    _db.session.commit()
    login(member)
    post_form(
        client,
        "/accounts/profile",
        {"display_name": "Maria Member", "organization": "", "role_title": ""},
        expected=302,
    )
    _db.session.refresh(member)
    assert (member.organization, member.role_title) == ("", "")


@pytest.mark.parametrize(
    "field, limit", [("display_name", 80), ("organization", 120), ("role_title", 120)]
)
def test_member_cannot_save_too_long_profile_values(client, login, member, field, limit):
    login(member)
    data = {**PROFILE, field: "x" * (limit + 1)}
    page = check_page(post_form(client, "/accounts/profile", data, expected=422))

    assert f"Field cannot be longer than {limit} characters." in _field_error(page, field)
    for name, value in data.items():
        assert _input_value(page, name) == value  # everything typed is kept
    _db.session.refresh(member)
    assert (member.display_name, member.organization, member.role_title) == ("Maria Member", "", "")


def test_member_can_save_profile_values_at_the_limit(client, login, member):
    login(member)
    data = {"display_name": "n" * 80, "organization": "o" * 120, "role_title": "r" * 120}
    post_form(client, "/accounts/profile", data, expected=302)
    _db.session.refresh(member)
    assert (member.display_name, member.organization, member.role_title) == tuple(data.values())


def test_member_cannot_blank_their_name(client, login, member):
    login(member)
    page = check_page(
        post_form(client, "/accounts/profile", {**PROFILE, "display_name": "   "}, expected=422)
    )
    assert "This field is required." in _field_error(page, "display_name")
    assert _input_value(page, "organization") == PROFILE["organization"]
    _db.session.refresh(member)
    assert member.display_name == "Maria Member"


def test_member_cannot_change_email_role_or_status_through_the_profile_form(client, login, member):
    login(member)
    data = {
        **PROFILE,
        "email": "taken.over@example.org",
        "site_role": "admin",
        "is_active_account": "",
        "password_hash": "x",
        "id": "999",
    }
    post_form(client, "/accounts/profile", data, expected=302)
    _db.session.refresh(member)
    assert member.display_name == PROFILE["display_name"]
    assert member.email.endswith("@example.org") and member.email != "taken.over@example.org"
    assert member.site_role is SiteRole.MEMBER and member.is_active_account
    assert verify_password(member.password_hash, PASSWORD)


def test_intruder_editing_their_profile_changes_nobody_else(client, login, intruder, member):
    login(intruder)
    post_form(client, "/accounts/profile", PROFILE, expected=302)
    _db.session.refresh(member)
    _db.session.refresh(intruder)
    assert member.display_name == "Maria Member"
    assert intruder.display_name == PROFILE["display_name"]


def test_markup_in_profile_values_is_shown_escaped(client, login, member):
    login(member)
    payload = "<img src=x onerror=alert(1)>"
    post_form(
        client,
        "/accounts/profile",
        {"display_name": payload, "organization": payload, "role_title": payload},
        expected=302,
    )
    _db.session.refresh(member)
    assert member.display_name == payload
    page = check_page(client.get("/accounts/profile"))
    assert payload not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_profile_post_without_csrf_token_is_refused(client, login, member):
    login(member)
    response = client.post("/accounts/profile", data=PROFILE)
    assert response.status_code == 400
    check_page(response)
    _db.session.refresh(member)
    assert member.display_name == "Maria Member"


# --- password ---------------------------------------------------------------------------


def test_member_cannot_change_password_without_the_current_one(client, login, member):
    login(member)
    page = check_page(_change_password(client, "not my password", NEW_PASSWORD, expected=422))
    assert "That is not your current password." in _field_error(page, "current_password")
    _db.session.refresh(member)
    assert verify_password(member.password_hash, PASSWORD)
    assert _is_signed_in(client) and _sessions_of(member) == 1


def test_member_cannot_change_password_with_current_password_left_empty(client, login, member):
    login(member)
    page = check_page(_change_password(client, "", NEW_PASSWORD, expected=422))
    assert "This field is required." in _field_error(page, "current_password")
    _db.session.refresh(member)
    assert verify_password(member.password_hash, PASSWORD)


@pytest.mark.parametrize(
    "new, confirm, field, message",
    [
        ("short1", None, "new_password", "Use at least 8 characters."),
        ("password123", None, "new_password", "one of the most common ones"),
        ("zzzzzzzzzz", None, "new_password", "too easy to guess"),
        ("MARIA MEMBER", None, "new_password", "should not be your e-mail address or name"),
        ("", None, "new_password", "This field is required."),
        (NEW_PASSWORD, "a different passphrase", "confirm", "The two passwords do not match."),
    ],
    ids=["too-short", "common", "one-letter", "equal-to-name", "empty", "mismatched-confirmation"],
)
def test_member_cannot_choose_a_weak_new_password(
    client, login, member, new, confirm, field, message
):
    login(member)
    page = check_page(_change_password(client, PASSWORD, new, confirm, expected=422))
    assert message in _field_error(page, field)
    assert not _input_value(page, "new_password")  # passwords are never sent back
    _db.session.refresh(member)
    assert verify_password(member.password_hash, PASSWORD)


@pytest.mark.parametrize(
    "new", ["margaretha.jones@example.org", "Margaretha.Jones"], ids=["email", "local-part"]
)
def test_member_cannot_choose_their_email_as_new_password(client, login, make_user, new):
    login(make_user(email="margaretha.jones@example.org"))
    page = check_page(_change_password(client, PASSWORD, new, expected=422))
    assert "should not be your e-mail address or name" in _field_error(page, "new_password")


def test_member_can_change_password(app, client, member):
    post_form(client, "/auth/login", {"email": member.email, "password": PASSWORD}, expected=302)
    old_session_cookie = client.get_cookie("session").value
    other_browser = app.test_client()
    post_form(
        other_browser, "/auth/login", {"email": member.email, "password": PASSWORD}, expected=302
    )
    assert _sessions_of(member) == 2

    response = _change_password(client, PASSWORD, NEW_PASSWORD, expected=302)
    assert response.location == "/accounts/profile"
    assert "Your password is changed." in check_page(client.get(response.location))

    _db.session.refresh(member)
    assert verify_password(member.password_hash, NEW_PASSWORD)
    assert not verify_password(member.password_hash, PASSWORD)
    assert _is_signed_in(client)  # this browser stays signed in...
    copy = app.test_client()
    copy.set_cookie("session", old_session_cookie, domain="localhost")
    assert not _is_signed_in(copy)  # ...but a copy of its old cookie does not
    assert not _is_signed_in(other_browser)  # and other browsers are signed out
    assert _sessions_of(member) == 1

    fresh = app.test_client()
    post_form(fresh, "/auth/login", {"email": member.email, "password": PASSWORD}, expected=422)
    post_form(fresh, "/auth/login", {"email": member.email, "password": NEW_PASSWORD}, expected=302)


def test_copied_remember_cookie_stops_working_after_password_change(app, client, member):
    post_form(
        client,
        "/auth/login",
        {"email": member.email, "password": PASSWORD, "remember": "y"},
        expected=302,
    )
    old_remember_cookie = client.get_cookie("remember_token").value
    _change_password(client, PASSWORD, NEW_PASSWORD, expected=302)

    copy = app.test_client()
    copy.set_cookie("remember_token", old_remember_cookie, domain="localhost")
    assert not _is_signed_in(copy)


def test_password_change_keeps_remember_me_on_this_browser(app, client, member):
    """A member who ticked "keep me signed in" stays so after changing the password:
    the browser gets a new remember cookie for its new session."""
    post_form(
        client,
        "/auth/login",
        {"email": member.email, "password": PASSWORD, "remember": "y"},
        expected=302,
    )
    old_remember_cookie = client.get_cookie("remember_token").value
    _change_password(client, PASSWORD, NEW_PASSWORD, expected=302)

    new_remember_cookie = client.get_cookie("remember_token")
    assert new_remember_cookie is not None and new_remember_cookie.value != old_remember_cookie
    client.delete_cookie("session", domain="localhost")  # the browser restarts
    assert _is_signed_in(client)


def test_password_change_sets_no_remember_cookie_when_none_was_asked_for(client, login, member):
    login(member)
    _change_password(client, PASSWORD, NEW_PASSWORD, expected=302)
    assert client.get_cookie("remember_token") is None


def test_password_change_spends_outstanding_reset_links(app, client, login, member, caplog):
    """A reset link mailed before the change must not undo it afterwards."""
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        post_form(client, "/auth/reset", {"email": member.email}, expected=302)
    link = re.search(r"http://localhost(/auth/reset/[A-Za-z0-9_-]+)", caplog.text).group(1)
    assert client.get(link).status_code == 200

    login(member)
    _change_password(client, PASSWORD, NEW_PASSWORD, expected=302)
    response = client.get(link)
    assert response.status_code == 404
    assert "This link no longer works" in check_page(response)
    assert (
        _db.session.scalar(
            select(func.count())
            .select_from(PasswordResetToken)
            .where(PasswordResetToken.used_at.is_(None))
        )
        == 0
    )


def test_password_change_without_csrf_token_is_refused(client, login, member):
    login(member)
    response = client.post(
        "/accounts/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 400
    check_page(response)
    _db.session.refresh(member)
    assert verify_password(member.password_hash, PASSWORD)
