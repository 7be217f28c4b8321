"""Making and finding the secret addresses of calendar feeds.

Only a token's SHA-256 hash is stored (as for the playbook's secret link); making a
new address deletes the person's old one for the same calendar, so the old one
answers 404 at once. Services commit; routes never do."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload, selectinload

from playbook.extensions import db
from playbook.models import CalendarFeed, Playbook, User
from playbook.permissions import Action, can, require
from playbook.tokens import hash_token, new_token

MAX_TOKEN_LENGTH = 100


def new_feed(actor: User, playbook: Playbook | None = None) -> str:
    """A new secret address of the actor's own calendar (no playbook) or of a
    playbook's (members only); the previous one stops working. Returns the token,
    which is shown once and never stored."""
    require(actor, Action.CALENDAR_SUBSCRIBE, playbook)
    playbook_id = playbook.id if playbook is not None else None
    db.session.execute(
        delete(CalendarFeed).where(
            CalendarFeed.user_id == actor.id,
            CalendarFeed.playbook_id.is_(None)
            if playbook_id is None
            else CalendarFeed.playbook_id == playbook_id,
        )
    )
    token = new_token()
    db.session.add(
        CalendarFeed(user_id=actor.id, playbook_id=playbook_id, token_hash=hash_token(token))
    )
    db.session.commit()
    return token


@dataclass(frozen=True)
class Subscription:
    """Whose calendar a working address is, and of which playbook (None: their own)."""

    user: User
    playbook: Playbook | None


def subscription_for(token: str) -> Subscription | None:
    """What the address with this token shows, or None (a 404): unknown or replaced
    tokens, people whose account is off, and a playbook's address once its person is
    no longer a member or the playbook is in the bin (Action.CALENDAR_SUBSCRIBE,
    asked for the address's person at every request)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    feed = db.session.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.token_hash == hash_token(token))
        .options(
            joinedload(CalendarFeed.user),
            joinedload(CalendarFeed.playbook).selectinload(Playbook.memberships),
        )
    )
    if feed is None or not can(feed.user, Action.CALENDAR_SUBSCRIBE, feed.playbook):
        return None
    return Subscription(feed.user, feed.playbook)


def my_feeds(user: User) -> list[CalendarFeed]:
    """The person's addresses that still work (their own, and those of playbooks they
    are still in), with each playbook: two statements."""
    feeds = db.session.scalars(
        select(CalendarFeed)
        .where(CalendarFeed.user_id == user.id)
        .options(selectinload(CalendarFeed.playbook).selectinload(Playbook.memberships))
        .order_by(CalendarFeed.playbook_id.is_not(None), CalendarFeed.created_at)
    )
    return [f for f in feeds if can(user, Action.CALENDAR_SUBSCRIBE, f.playbook)]
