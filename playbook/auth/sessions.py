"""Server-side sign-in sessions: the cookie holds a token whose hash is a row here."""

from __future__ import annotations

from flask import g
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from playbook import text
from playbook.extensions import db
from playbook.models import LoginSession, User
from playbook.notifications.services import unread_count_subquery
from playbook.tokens import hash_token, new_token


def load_user_from_session_token(token: str) -> User | None:
    """Flask-Login's user loader: the user of a live session row, or None. The
    navigation's unread-notification count comes in the same statement and is kept
    on flask.g for this request (see playbook.jinja)."""
    if not token or len(token) > 100:
        return None
    row = db.session.execute(
        select(LoginSession, unread_count_subquery(LoginSession.user_id))
        .options(joinedload(LoginSession.user))
        .where(LoginSession.token_hash == hash_token(token))
    ).first()
    if row is None or not row[0].user.is_active:
        return None
    login_session, unread = row
    user = login_session.user
    user.current_session_token = token
    g.unread_notifications = (user.id, unread or 0)
    return user


def open_session(user: User, user_agent: str = "") -> str:
    """Add a session row for user (not committed) and return its token."""
    token = new_token()
    db.session.add(
        LoginSession(
            user=user,
            token_hash=hash_token(token),
            user_agent=text.without_controls(user_agent)[:200],
        )
    )
    user.current_session_token = token
    return token


def close_session(token: str | None) -> None:
    """End the sign-in session whose token this is (none: nothing happens). Not committed."""
    if token:
        db.session.execute(delete(LoginSession).where(LoginSession.token_hash == hash_token(token)))


def close_all_sessions(user: User) -> None:
    """End every sign-in session of `user`, on every device. Not committed."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
