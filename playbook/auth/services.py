"""Registration, sign-in, sign-out and password reset. Services commit; routes never do."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from flask import current_app, url_for
from sqlalchemy import CursorResult, Executable, select, update
from sqlalchemy.exc import IntegrityError

from playbook import jobs, mail, throttle
from playbook.auth import passwords, sessions
from playbook.extensions import db
from playbook.models import PasswordResetToken, User, utcnow
from playbook.throttle import Limit
from playbook.tokens import hash_token, new_token


def _rowcount(statement: Executable) -> int:
    """Run an UPDATE and say how many rows it changed."""
    return cast("CursorResult[Any]", db.session.execute(statement)).rowcount


class Throttled(Exception):
    """Too many attempts; `minutes` says when to try again. `account_locked` when the
    account's own limit is full: then even the right password is refused until the
    lock ends or the password is reset."""

    def __init__(self, minutes: int, account_locked: bool = False):
        super().__init__(
            f"Too many attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        self.minutes = minutes
        self.account_locked = account_locked


class EmailTaken(Exception):
    """Another account uses this e-mail address (also when two registrations race)."""


class InvalidCredentials(Exception):
    """The one answer for an unknown e-mail, a wrong password or a disabled account."""


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def register_user(
    email: str, display_name: str, password: str, user_agent: str = "", *, open_session: bool = True
) -> User:
    """Create a member account. With open_session, also sign it in: the caller hands
    the returned user (which carries its session token) to Flask-Login."""
    user = User(
        email=normalize_email(email),
        display_name=display_name.strip(),
        password_hash=passwords.hash_password(password),
    )
    db.session.add(user)
    if open_session:
        sessions.open_session(user, user_agent)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise EmailTaken() from None
    return user


def _login_limits(email: str, address: str) -> list[Limit]:
    config = current_app.config
    window = timedelta(minutes=config["PLAYBOOK_LOGIN_WINDOW_MINUTES"])
    return [
        Limit(
            "login",
            f"account:{normalize_email(email)}",
            config["PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT"],
            window,
        ),
        Limit("login", f"address:{address}", config["PLAYBOOK_LOGIN_FAILURES_PER_ADDRESS"], window),
    ]


def sign_in(email: str, password: str, address: str, user_agent: str = "") -> User:
    """Check the credentials and open a session. Raises Throttled when this account or
    address has failed too often (even for the right password), InvalidCredentials for
    any other failure (the same answer, after the same work, whether or not the account
    exists). The attempt counts before the password is checked, so parallel requests
    get no more checks than the limit allows; a successful one is taken back."""
    limits = _login_limits(email, address)
    try:
        attempt_ids = throttle.claim(limits)
    except throttle.LimitReached as reached:
        raise Throttled(reached.minutes, account_locked=limits[0] in reached.full) from None
    user = find_user_by_email(email)
    if user is None:
        passwords.burn_verification_time(password)
    if (
        user is None
        or not passwords.verify_password(user.password_hash, password)
        or not user.is_active
    ):
        throttle.prune_attempts(max(limits[0].window, limits[1].window, timedelta(days=1)))
        db.session.commit()
        raise InvalidCredentials()
    throttle.forget_attempts(limits[0])
    throttle.release(attempt_ids)
    sessions.open_session(user, user_agent)
    db.session.commit()
    return user


def sign_out(user: User) -> None:
    """End this browser's session: its session and remember cookies stop working."""
    sessions.close_session(getattr(user, "current_session_token", None))
    db.session.commit()


def change_password(actor: User, new_password: str, user_agent: str = "") -> None:
    """Set a new password and end every session of the account, including copies of
    this browser's cookies; this browser gets a fresh session (its token is on actor).
    Reset links mailed earlier stop working, so none can undo the change."""
    actor.password_hash = passwords.hash_password(new_password)
    actor.password_changed_at = utcnow()
    _spend_reset_tokens(actor)
    sessions.close_all_sessions(actor)
    sessions.open_session(actor, user_agent)
    db.session.commit()


def _reset_limits(email: str, address: str) -> list[Limit]:
    config = current_app.config
    window = timedelta(minutes=config["PLAYBOOK_RESET_WINDOW_MINUTES"])
    return [
        Limit(
            "reset",
            f"account:{normalize_email(email)}",
            config["PLAYBOOK_RESETS_PER_ACCOUNT"],
            window,
        ),
        Limit("reset", f"address:{address}", config["PLAYBOOK_RESETS_PER_ADDRESS"], window),
    ]


def request_password_reset(email: str, address: str) -> None:
    """Have a single-use reset link e-mailed when the account exists; say nothing
    either way. The request only enqueues a job, which looks the account up, so it
    answers in the same time for any address. Raises Throttled when this address or
    account asked too often."""
    limits = _reset_limits(email, address)
    try:
        throttle.claim(limits)
    except throttle.LimitReached as reached:
        raise Throttled(reached.minutes) from None
    jobs.enqueue("send_password_reset", normalize_email(email), new_token())
    db.session.commit()


def send_password_reset(email: str, request_key: str) -> None:
    """The job of a reset request: a new reset token and its e-mail, when an active
    account uses `email`. `request_key` names the request, so running the job again
    sends nothing new."""
    key = f"password-reset:{request_key}"
    user = find_user_by_email(email)
    if user is None or not user.is_active or mail.is_queued(key):
        return
    token = new_token()
    lifetime = timedelta(minutes=current_app.config["PLAYBOOK_PASSWORD_RESET_MINUTES"])
    db.session.add(
        PasswordResetToken(user=user, token_hash=hash_token(token), expires_at=utcnow() + lifetime)
    )
    mail.queue_mail(
        user.email,
        "Reset your Playbook password",
        "reset_password",
        key=key,
        user=user,
        link=url_for("auth.reset_password", token=token, _external=True),
        minutes=current_app.config["PLAYBOOK_PASSWORD_RESET_MINUTES"],
    )
    db.session.commit()


def _spend_reset_tokens(user: User) -> None:
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def find_reset_token(token: str) -> PasswordResetToken | None:
    """The live (unused, unexpired) reset token row for this token, or None."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def reset_password(token: str, new_password: str) -> User | None:
    """Use a reset token once: set the password, end every session, and spend all
    of the account's outstanding reset tokens. None when the token is not valid."""
    row = find_reset_token(token)
    if row is None:
        return None
    user = row.user
    # Claim the token atomically so two simultaneous uses cannot both succeed.
    claimed = _rowcount(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed != 1:
        db.session.rollback()
        return None
    _spend_reset_tokens(user)
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    sessions.close_all_sessions(user)
    throttle.forget_attempts(_login_limits(user.email, "")[0])
    db.session.commit()
    return user
