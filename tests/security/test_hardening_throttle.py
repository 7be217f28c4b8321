"""Sign-in throttling cannot be raced: parallel wrong passwords against one account get
exactly the limit of real password checks, on a shared SQLite file and on PostgreSQL;
the owner who types the right password during a lockout is told why, and how out."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta

import pytest

from playbook import create_app, throttle
from playbook.auth import passwords, services
from playbook.extensions import db
from playbook.models import PasswordResetToken, utcnow
from playbook.tokens import hash_token, new_token
from tests import factories
from tests.helpers import post_form

LIMIT = 5
CLIENTS = 8


@pytest.fixture
def shared_app(request, tmp_path):
    """An app whose database every thread reaches through a connection of its own:
    the PostgreSQL test database, or a SQLite file (an in-memory one is per connection)."""
    if os.environ.get("TEST_DATABASE_URL"):
        app = request.getfixturevalue("app")
        app.config["PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT"] = LIMIT
        app.config["PLAYBOOK_LOGIN_FAILURES_PER_ADDRESS"] = 100
        yield app
        return
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.db'}",
            "PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT": LIMIT,
            "PLAYBOOK_LOGIN_FAILURES_PER_ADDRESS": 100,
        }
    )
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def _race(app, email: str, password: str, monkeypatch) -> tuple[list[str], int]:
    """CLIENTS threads sign in at once, each from its own address; returns their
    outcomes and how many password checks really ran."""
    checks = []
    real_verify = passwords.verify_password

    def counting_verify(password_hash, password):
        checks.append(1)
        time.sleep(0.2)  # a slow hash: every racer is inside the window at once
        return real_verify(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting_verify)
    barrier = threading.Barrier(CLIENTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                services.sign_in(email, password, f"10.0.{n}.1")
                outcome = "signed in"
            except services.Throttled:
                outcome = "throttled"
            except services.InvalidCredentials:
                outcome = "invalid"
            except Exception as error:
                outcome = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes, len(checks)


def test_parallel_wrong_passwords_get_exactly_the_limit_of_checks(shared_app, monkeypatch):
    user = factories.make_user()
    email = user.email
    db.session.remove()
    outcomes, checks = _race(shared_app, email, "not the password", monkeypatch)
    assert sorted(outcomes) == sorted(["invalid"] * LIMIT + ["throttled"] * (CLIENTS - LIMIT))
    assert checks == LIMIT
    with shared_app.app_context():
        assert throttle.count_attempts("login", f"account:{email}") == LIMIT


def test_parallel_right_passwords_are_not_counted_as_failures(shared_app, monkeypatch):
    user = factories.make_user()
    email = user.email
    db.session.remove()
    outcomes, checks = _race(shared_app, email, factories.PASSWORD, monkeypatch)
    # At most LIMIT sign-ins are in flight at once; the rest wait for no one and are
    # told to try again, and none of those that got in leaves an attempt behind.
    assert outcomes.count("signed in") == checks
    assert LIMIT <= checks <= CLIENTS
    assert set(outcomes) <= {"signed in", "throttled"}
    with shared_app.app_context():
        assert throttle.count_attempts("login", f"account:{email}") == 0


def _fail(client, email: str, times: int) -> None:
    for _ in range(times):
        post_form(client, "/auth/login", {"email": email, "password": "wrong one"}, 422)


def test_owner_with_the_right_password_is_told_the_account_is_locked(app, client, member):
    allowed = app.config["PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT"]
    window = app.config["PLAYBOOK_LOGIN_WINDOW_MINUTES"]
    _fail(client, member.email, allowed)
    response = post_form(
        client, "/auth/login", {"email": member.email, "password": factories.PASSWORD}, 429
    )
    html = response.get_data(as_text=True)
    assert (
        f"This account is locked for {window} minutes after too many failed attempts, "
        "even with the right password." in html
    )
    assert '<a href="/auth/reset">Reset your password</a> to get in now.' in html


def test_password_reset_ends_the_lockout(app, client, member):
    allowed = app.config["PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT"]
    _fail(client, member.email, allowed)
    token = new_token()
    db.session.add(
        PasswordResetToken(
            user=member, token_hash=hash_token(token), expires_at=utcnow() + timedelta(hours=1)
        )
    )
    db.session.commit()
    new_password = "a brand new passphrase for spring"
    assert services.reset_password(token, new_password) is not None
    response = post_form(client, "/auth/login", {"email": member.email, "password": new_password})
    assert response.status_code == 302


def test_lockout_of_an_address_does_not_claim_the_account_is_locked(app, client, member):
    app.config["PLAYBOOK_LOGIN_FAILURES_PER_ADDRESS"] = 2
    other = factories.make_user()
    _fail(client, other.email, 2)
    response = post_form(
        client, "/auth/login", {"email": member.email, "password": factories.PASSWORD}, 429
    )
    assert "This account is locked" not in response.get_data(as_text=True)
