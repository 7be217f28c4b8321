"""Throttling of attempts (signing in, password resets, comments, suggestions),
stored in the database so that every worker and machine counts the same attempts.

Checking a limit and recording an attempt is one step (claim): the attempt is
recorded before the password is checked, under a lock that serializes claims on the
same keys, so parallel requests cannot all pass the check before any of them counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, false, func, select, text, update

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


class LimitReached(Exception):
    """A limit is full: `minutes` until every limit has room again; `full` lists the
    limits that are full."""

    def __init__(self, minutes: int, full: list[Limit]):
        super().__init__(minutes)
        self.minutes = minutes
        self.full = full


def claim(limits: list[Limit]) -> list[int]:
    """Record one attempt against every limit, unless one of them is already full, as
    one atomic step; commits. Returns the ids of the recorded attempts (give them back
    with release() when the attempt turns out not to count). Raises LimitReached."""
    db.session.commit()  # the lock must be the first thing the transaction does
    _lock(limits)
    full = [limit for limit in limits if retry_after([limit]) is not None]
    if full:
        db.session.rollback()  # let the lock go
        raise LimitReached(retry_after_minutes(full) or 1, full)
    rows = [AuthAttempt(scope=limit.scope, key=limit.key) for limit in limits]
    db.session.add_all(rows)
    db.session.flush()
    ids = [row.id for row in rows]
    db.session.commit()
    return ids


def _lock(limits: list[Limit]) -> None:
    """Hold, until the transaction ends, a lock that every claim on these keys takes.
    PostgreSQL: a transaction-level advisory lock per key, taken in a fixed order so
    two claims never wait on each other. SQLite: the database's single write lock,
    which the first write of a transaction takes (this one changes nothing)."""
    if db.session.get_bind().dialect.name == "postgresql":
        for key in sorted({f"{limit.scope}:{limit.key}" for limit in limits}):
            db.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
            )
    else:
        db.session.execute(update(AuthAttempt).where(false()).values(key=AuthAttempt.key))


def release(attempt_ids: list[int]) -> None:
    """Take back attempts recorded by claim (a sign-in that succeeded); no commit."""
    if attempt_ids:
        db.session.execute(delete(AuthAttempt).where(AuthAttempt.id.in_(attempt_ids)))


def record_attempts(limits: list[Limit]) -> None:
    """Record an attempt against each limit without a check (for counters that need
    no race-free check, such as posting limits); no commit."""
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
