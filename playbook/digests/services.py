"""Sending the weekly digest, and turning it off from its unsubscribe link. Services
commit; routes never do.

Each person gets at most one digest per ISO week, from PLAYBOOK_DIGEST_WEEKDAY and
PLAYBOOK_DIGEST_HOUR (in PLAYBOOK_TIMEZONE) on. The message is queued with the key
`digest:<user id>:<ISO week>` in the same transaction that records the week as dealt
with, so a job that runs again, or a worker that dies before the message is sent,
never leads to a second one (the mail queue sends what was queued). A week with
nothing to tell sends nothing, but still counts as dealt with."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError

from playbook import mail
from playbook.digests import queries
from playbook.extensions import db
from playbook.models import (
    Comment,
    Component,
    DigestMode,
    DigestSubscription,
    Item,
    Play,
    Playbook,
    Resource,
    User,
    utcnow,
)
from playbook.notifications import services as notification_services
from playbook.playbooks.schedule import site_zone
from playbook.tokens import read_signed_token, signed_token
from playbook.urls import site_links

UNSUBSCRIBE = "digest-unsubscribe"  # the purpose named in the unsubscribe token
FIRST_PERIOD = timedelta(days=7)  # what a first digest looks back over, at most
EXCERPT = 160  # characters of a comment shown
log = logging.getLogger(__name__)


@dataclass
class CommentNote:
    """A comment as the digest shows it: who, where, the start of what they wrote."""

    comment_id: int
    who: str
    is_reply: bool
    where: str
    excerpt: str


def note_of(comment: Comment) -> CommentNote:
    target = comment.target
    if isinstance(target, Component):
        where = target.name
    else:
        where = target.title if target is not None else "a thread"
    text = mail.one_line(comment.body)
    excerpt = text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"
    return CommentNote(
        comment.id, comment.author.display_name, comment.parent_id is not None, where, excerpt
    )


@dataclass
class Digest:
    """What one person's digest tells them."""

    user: User
    since: datetime
    changes: list[queries.PlaybookChanges] = field(default_factory=list)
    comments: list[CommentNote] = field(default_factory=list)
    overdue: list[tuple[Item, Playbook]] = field(default_factory=list)
    due_soon: list[tuple[Item, Playbook]] = field(default_factory=list)
    plays: list[Play] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.changes
            or self.comments
            or self.overdue
            or self.due_soon
            or self.plays
            or self.resources
        )


def iso_week(day: date) -> str:
    """The ISO week `day` is in, as "2026-W49"."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_key(user_id: int, week: str) -> str:
    return f"digest:{user_id}:{week}"


def send_due_digests(now: datetime | None = None) -> int:
    """Queue this week's digest for everyone who is due one (at most
    PLAYBOOK_DIGEST_BATCH people per run; the next run goes on). Returns how many
    messages were queued. Meant for an hourly periodic job; safe to run any number
    of times."""
    now = now or utcnow()
    config = current_app.config
    local = now.astimezone(site_zone())
    starts = (config["PLAYBOOK_DIGEST_WEEKDAY"], config["PLAYBOOK_DIGEST_HOUR"])
    if (local.isoweekday(), local.hour) < starts:
        return 0
    week = iso_week(local.date())
    user_ids = queries.due_user_ids(week, config["PLAYBOOK_DIGEST_BATCH"])
    db.session.commit()
    queued = 0
    with site_links():
        for user_id in user_ids:
            queued += send_digest(user_id, week, now)
    return queued


def send_digest(user_id: int, week: str, now: datetime) -> bool:
    """Deal with one person's digest for `week`: queue it when there is something to
    tell, and record the week as dealt with, in one transaction. True when a message
    was queued. A person dealt with already (by another worker too) is left alone;
    any failure leaves the week undealt with, for the next run."""
    try:
        user = db.session.get(User, user_id)
        subscription = db.session.get(DigestSubscription, user_id)
        if subscription is None:
            subscription = DigestSubscription(user_id=user_id, mode=DigestMode.EVERYTHING)
            db.session.add(subscription)
        if user is None or subscription.mode is DigestMode.OFF or subscription.last_week == week:
            db.session.rollback()
            return False
        digest = build_digest(user, subscription.mode, _since(user, subscription, now), now)
        queued = not digest.is_empty and not mail.is_queued(digest_key(user_id, week))
        if queued:
            _queue(digest, week)
        subscription.last_week = week
        subscription.covered_until = now
        db.session.commit()
        return queued
    except IntegrityError:  # another worker dealt with this person at the same moment
        db.session.rollback()
        return False
    except Exception:  # one person's problem never stops the others' digests
        db.session.rollback()
        log.exception("Could not build the digest of user %s for %s", user_id, week)
        return False


def _since(user: User, subscription: DigestSubscription, now: datetime) -> datetime:
    """Where this digest starts: where the last one ended, else a week back (or when
    the person joined, if later)."""
    if subscription.covered_until is not None:
        return subscription.covered_until
    return max(now - FIRST_PERIOD, user.created_at)


def build_digest(user: User, mode: DigestMode, since: datetime, until: datetime) -> Digest:
    """What the person's digest for the period tells them, as their choice says."""
    digest = Digest(user=user, since=since)
    if mode in (DigestMode.EVERYTHING, DigestMode.PLAYBOOKS):
        digest.changes = queries.playbook_changes(user.id, since, until)
        digest.comments = [note_of(c) for c in queries.unseen_comments(user, since, until)]
        today = until.astimezone(site_zone()).date()
        digest.overdue, digest.due_soon = queries.items_due(user.id, today)
    if mode in (DigestMode.EVERYTHING, DigestMode.LIBRARY):
        digest.plays = queries.new_plays(since, until)
        digest.resources = queries.new_resources(since, until)
    return digest


def _queue(digest: Digest, week: str) -> None:
    user = digest.user
    unsubscribe_url = url_for(
        "digests.unsubscribe", token=signed_token(UNSUBSCRIBE, user.id), _external=True
    )
    mail.queue_mail(
        user.email,
        "Your week in Playbook",
        "digest",
        key=digest_key(user.id, week),
        html=True,
        unsubscribe_url=unsubscribe_url,
        digest=digest,
        week=week,
        unsubscribe_link=unsubscribe_url,
        settings_url=url_for("notifications.settings", _external=True, _anchor="digest"),
    )


# --- the unsubscribe link ---------------------------------------------------------------


def subscriber_for(token: str) -> User | None:
    """The person an unsubscribe token was made for, or None for a token that was
    changed or made for something else, or whose account is gone."""
    user_id = read_signed_token(UNSUBSCRIBE, token)
    return db.session.get(User, user_id) if user_id is not None else None


def unsubscribe(actor: User) -> None:
    """Turn the person's weekly digest off (the holder of their unsubscribe link acts
    for them). Commits."""
    notification_services.set_digest_mode(actor, DigestMode.OFF)
