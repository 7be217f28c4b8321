"""Copied cookies: a session or "remember me" cookie taken by another browser stops
working when the sign-in it came from ends, by signing out (from either browser) or
by a password change made anywhere, and a signed-out copy can change nothing.

tests/test_auth.py and tests/test_accounts.py cover a copy made after the fact and
the browser that changes the password; these are the cases they leave out: a copy
that is in use by a second browser, a change made from a third session, a copy
restored from the remember cookie, signing in again, and a planted pre-sign-in cookie."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import func, select

from playbook.extensions import db
from playbook.models import LoginSession, Playbook
from tests.factories import PASSWORD, make_user
from tests.helpers import csrf_token_from, post_form
from tests.security.support import changed_tables, database_snapshot

NEW_PASSWORD = "a brand new passphrase for autumn"


def sign_in_with_form(client, user, remember: bool = False):
    data = {"email": user.email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    response = post_form(client, "/auth/login", data, expected=302)
    assert urlsplit(response.location).path == "/"


def cookie(client, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def copy_of(app, **cookies):
    """Another browser holding copies of these cookies and nothing else."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value, domain="localhost")
    return other


def is_signed_in(client) -> bool:
    response = client.get("/accounts/profile")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def change_password_with_form(client):
    post_form(
        client,
        "/accounts/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        expected=302,
    )


def sign_out_with_form(client):
    post_form(client, "/auth/logout", {}, expected=302, page_url="/")


def new_playbook_form(client) -> dict:
    page = client.get("/playbooks/new")
    assert page.status_code == 200
    return {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "title": "Made by the copy",
        "scope": "school",
        "organization": "",
        "vision": "",
        "framework_id": "",
    }


def test_copy_in_use_by_a_second_browser_stops_when_the_original_signs_out(app):
    member = make_user()
    original = app.test_client()
    sign_in_with_form(original, member)
    thief = copy_of(app, session=cookie(original, "session"))
    # The copy works, is used, and even has a form open with its own token.
    assert is_signed_in(thief)
    form = new_playbook_form(thief)

    sign_out_with_form(original)

    assert not is_signed_in(thief)
    before = database_snapshot()
    response = thief.post("/playbooks/new", data=form)
    assert response.status_code == 302 and urlsplit(response.location).path == "/auth/login"
    assert changed_tables(before, database_snapshot()) == []
    assert db.session.scalar(select(func.count()).select_from(Playbook)) == 0


def test_signing_out_from_the_copy_signs_the_original_out_too(app):
    """The copy is the same sign-in: ending it anywhere ends it everywhere."""
    member = make_user()
    original = app.test_client()
    sign_in_with_form(original, member, remember=True)
    thief = copy_of(app, session=cookie(original, "session"))
    sign_out_with_form(thief)
    assert not is_signed_in(original)
    assert not is_signed_in(copy_of(app, remember_token=cookie(original, "remember_token")))


def test_password_changed_from_a_third_session_ends_the_original_and_every_copy(app):
    member = make_user()
    original = app.test_client()
    sign_in_with_form(original, member, remember=True)
    session_copy = copy_of(app, session=cookie(original, "session"))
    remember_copy = copy_of(app, remember_token=cookie(original, "remember_token"))
    both_copy = copy_of(
        app, session=cookie(original, "session"), remember_token=cookie(original, "remember_token")
    )
    assert is_signed_in(session_copy) and is_signed_in(remember_copy)
    third = app.test_client()
    sign_in_with_form(third, member)

    change_password_with_form(third)

    for browser in (
        original,
        session_copy,
        remember_copy,
        both_copy,
        copy_of(app, remember_token=cookie(original, "remember_token")),
    ):
        assert not is_signed_in(browser)
    assert is_signed_in(third)  # the browser that made the change stays signed in
    assert (
        db.session.scalar(
            select(func.count()).select_from(LoginSession).where(LoginSession.user_id == member.id)
        )
        == 1
    )


def test_session_restored_from_a_copied_remember_cookie_ends_with_the_sign_in(app):
    member = make_user()
    original = app.test_client()
    sign_in_with_form(original, member, remember=True)
    thief = copy_of(app, remember_token=cookie(original, "remember_token"))
    assert is_signed_in(thief)  # Flask-Login restored a session from the remember cookie
    restored_session = cookie(thief, "session")

    sign_out_with_form(original)

    assert not is_signed_in(thief)
    assert not is_signed_in(copy_of(app, session=restored_session))


def test_signing_in_again_does_not_revive_an_old_copy(app):
    member = make_user()
    original = app.test_client()
    sign_in_with_form(original, member, remember=True)
    old_session, old_remember = cookie(original, "session"), cookie(original, "remember_token")
    sign_out_with_form(original)
    sign_in_with_form(original, member, remember=True)
    assert is_signed_in(original)
    assert not is_signed_in(copy_of(app, session=old_session))
    assert not is_signed_in(copy_of(app, remember_token=old_remember))


def test_copies_made_before_a_password_change_stay_out_after_signing_in_with_the_new_password(app):
    member = make_user()
    original = app.test_client()
    sign_in_with_form(original, member, remember=True)
    old_session, old_remember = cookie(original, "session"), cookie(original, "remember_token")
    change_password_with_form(original)
    fresh = app.test_client()
    post_form(fresh, "/auth/login", {"email": member.email, "password": NEW_PASSWORD}, expected=302)
    assert not is_signed_in(copy_of(app, session=old_session))
    assert not is_signed_in(copy_of(app, remember_token=old_remember))


def test_a_cookie_planted_before_sign_in_is_not_signed_in_afterwards(app):
    """Session fixation: an attacker's visitor cookie, planted in the victim's browser,
    does not become a signed-in cookie when the victim signs in."""
    member = make_user()
    attacker = app.test_client()
    attacker.get("/auth/login")
    planted = cookie(attacker, "session")
    victim = copy_of(app, session=planted)
    sign_in_with_form(victim, member)
    assert is_signed_in(victim)
    assert cookie(victim, "session") != planted
    assert not is_signed_in(attacker)
    assert not is_signed_in(copy_of(app, session=planted))
