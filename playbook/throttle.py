"""Throttling of attempts (signing in, password resets, comments, suggestions),
stored in the database so that every worker and machine counts the same attempts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select

from playbook.extensions import db
from playbook.models import AuthAttempt, utcnow


@dataclass(frozen=True)
class Limit:
    scope: str
    key: str
    allowed: int
    window: timedelta


def retry_after_minutes(limits: list[Limit]) -> int | None:
    """None when every limit has room left; otherwise minutes until the earliest
    moment all of them do (rounded up, at least 1)."""
    wait = retry_after(limits)
    if wait is None:
        return None
    return max(1, math.ceil(wait.total_seconds() / 60))


def retry_after(limits: list[Limit]) -> timedelta | None:
    """None when every limit has room left; otherwise how long until all of them do."""
    now = utcnow()
    wait = timedelta(0)
    for limit in limits:
        since = now - limit.window
        times = db.session.scalars(
            select(AuthAttempt.created_at)
            .where(
                AuthAttempt.scope == limit.scope,
                AuthAttempt.key == limit.key,
                AuthAttempt.created_at > since,
            )
            .order_by(AuthAttempt.created_at.desc())
            .limit(limit.allowed)
        ).all()
        if len(times) >= limit.allowed:
            # The oldest of the last `allowed` attempts must leave the window.
            wait = max(wait, times[-1] + limit.window - now)
    return wait if wait > timedelta(0) else None


def record_attempts(limits: list[Limit]) -> None:
    """Count one attempt against each limit (for example a failed sign-in). Not
    committed: the caller commits with the rest of its change."""
    for limit in limits:
        db.session.add(AuthAttempt(scope=limit.scope, key=limit.key))


def forget_attempts(limit: Limit) -> None:
    """Drop the attempts counted against one limit (after a success). Not committed."""
    db.session.execute(
        delete(AuthAttempt).where(AuthAttempt.scope == limit.scope, AuthAttempt.key == limit.key)
    )


def prune_attempts(older_than: timedelta) -> None:
    """Drop attempts older than `older_than`, past every window. Not committed."""
    db.session.execute(delete(AuthAttempt).where(AuthAttempt.created_at < utcnow() - older_than))


def count_attempts(scope: str, key: str) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AuthAttempt)
            .where(AuthAttempt.scope == scope, AuthAttempt.key == key)
        )
        or 0
    )
