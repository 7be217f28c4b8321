"""What an open playbook page asks every few seconds (routes_live.py, static/js/live.js):
the playbook's version, what teammates saved since the page was rendered, and who else
of the team has it open.

A poll costs the same few small statements whatever the size of the playbook, its team
or its history: the head (the columns the permission rules read, the poller's own
membership and the names of the others here, in one statement), one upsert of the
poller's presence, and only once the version has moved, the newest revisions since.
Nothing is kept in a worker: presence is a row per member (PlaybookPresence), so every
worker and machine gives the same answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import Integer, and_, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, load_only
from sqlalchemy.orm.attributes import set_committed_value

from playbook.extensions import db
from playbook.models import Membership, Playbook, PlaybookPresence, Revision, User, utcnow
from playbook.permissions import Action, Actor, can, require

NAMES_SHOWN = 5  # people named in a notice or "Also here"; any more are counted
NAMES_READ = 50  # others here read at most (a team is rarely larger)
SUMMARIES_SHOWN = 3  # the newest summaries of what teammates changed
REVISIONS_READ = 50  # the newest revisions since the page's version, read to name their authors
# Display names are single-line text (playbook/text.py): a newline cannot be part of one.
_SEPARATOR = "\n"
# The upsert of each database we run on (both spell ON CONFLICT ... DO UPDATE alike).
_UPSERTS: dict[str, Callable[..., Any]] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@dataclass(frozen=True)
class Head:
    """The playbook as far as a poll needs it (see load_head) and the display names of
    the other members seen recently (read for signed-in pollers; shown only when
    Action.PLAYBOOK_PRESENCE allows)."""

    playbook: Playbook
    others_here: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class News:
    """The answer to one poll. `notice` and `here` are plain text for the page to show
    as they are (None: nothing to say)."""

    version: int
    changes: int
    notice: str | None
    summaries: list[str]
    here: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "changes": self.changes,
            "notice": self.notice,
            "summaries": self.summaries,
            "here": self.here,
        }


# --- reading --------------------------------------------------------------------------


def _others_here():
    """A scalar subquery: the names of the members of the playbook (bound as
    playbook_id) other than the poller (viewer_id) seen since seen_after, joined by
    _SEPARATOR. Membership is checked so that someone removed from the team stops
    being shown at once."""
    person, member = aliased(User), aliased(Membership)
    names = (
        select(person.display_name.label("name"))
        .join(PlaybookPresence, PlaybookPresence.user_id == person.id)
        .join(
            member,
            and_(member.playbook_id == PlaybookPresence.playbook_id, member.user_id == person.id),
        )
        .where(
            PlaybookPresence.playbook_id == bindparam("playbook_id"),
            PlaybookPresence.seen_at >= bindparam("seen_after"),
            PlaybookPresence.user_id != bindparam("viewer_id", type_=Integer),
        )
        .order_by(person.display_name, person.id)
        .limit(NAMES_READ)
        .subquery()
    )
    return select(func.aggregate_strings(names.c.name, _SEPARATOR)).scalar_subquery()


@cache
def _head_statement(signed_in: bool):
    """Built once per process (the ids are bound parameters)."""
    statement = (
        select(Playbook)
        .where(Playbook.id == bindparam("playbook_id"))
        .options(
            load_only(
                Playbook.visibility,
                Playbook.deleted_at,
                Playbook.link_token_hash,
                Playbook.version,
            )
        )
    )
    if not signed_in:
        return statement
    own = and_(
        Membership.playbook_id == Playbook.id,
        Membership.user_id == bindparam("viewer_id", type_=Integer),
    )
    return statement.outerjoin(Membership, own).add_columns(Membership, _others_here())


def load_head(playbook_id: int, viewer: Actor) -> Head | None:
    """The playbook (only what the permission rules and the poll read: visibility, bin,
    secret link, version) in one statement, with, for a signed-in viewer, their own
    membership and the others here. The playbook's loaded `memberships` hold the
    viewer's own row only: can() answers rightly for this viewer, and must not be asked
    about anyone else."""
    if not getattr(viewer, "is_authenticated", False):
        playbook = db.session.scalars(_head_statement(False), {"playbook_id": playbook_id}).first()
        if playbook is None:
            return None
        set_committed_value(playbook, "memberships", [])
        return Head(playbook)
    params = {
        "playbook_id": playbook_id,
        "viewer_id": viewer.id,
        "seen_after": utcnow() - timedelta(seconds=current_app.config["PLAYBOOK_PRESENCE_SECONDS"]),
    }
    row = db.session.execute(_head_statement(True), params).first()
    if row is None:
        return None
    playbook, membership, names = row
    set_committed_value(playbook, "memberships", [membership] if membership is not None else [])
    return Head(playbook, sorted(names.split(_SEPARATOR)) if names else [])


def _changes_by_others(playbook_id: int, since: int, viewer_id: int) -> tuple[int, list, list]:
    """How many revisions after version `since` someone other than the viewer saved,
    their authors (newest first, None for a deleted account) and the newest summaries,
    in one statement."""
    rows = db.session.execute(
        select(Revision.actor_id, User.display_name, Revision.summary, func.count().over())
        .outerjoin(User, User.id == Revision.actor_id)
        .where(
            Revision.playbook_id == playbook_id,
            Revision.number > since,
            or_(Revision.actor_id.is_(None), Revision.actor_id != viewer_id),
        )
        .order_by(Revision.number.desc())
        .limit(REVISIONS_READ)
    ).all()
    if not rows:
        return 0, [], []
    authors: dict[int | None, str | None] = {}
    for actor_id, name, _summary, _total in rows:
        authors.setdefault(actor_id, name)
    return rows[0][3], list(authors.values()), [r[2] for r in rows[:SUMMARIES_SHOWN]]


# --- wording --------------------------------------------------------------------------


def _people(names: Sequence[str | None]) -> str:
    """'Ana Ortiz', 'Ana Ortiz and Ben Lee', 'A, B, C, D, E and 2 others'."""
    shown = [name or "someone" for name in names[:NAMES_SHOWN]]
    rest = len(names) - len(shown)
    if rest:
        shown.append(f"{rest} other{'s' if rest != 1 else ''}")
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def _changed(names: Sequence[str | None], count: int) -> str:
    text = f"{_people(names)} made {'a change' if count == 1 else f'{count} changes'}"
    return text[0].upper() + text[1:]


def _here(names: list[str]) -> str | None:
    return f"Also here: {_people(names)}" if names else None


# --- the poll -------------------------------------------------------------------------


def _record_presence(user_id: int, playbook_id: int) -> None:
    """Insert the presence row, or move its time on if it is there: one statement that
    two tabs of the same person cannot race (ON CONFLICT on both databases we run on)."""
    upsert = _UPSERTS[db.session.get_bind().dialect.name](PlaybookPresence).values(
        playbook_id=playbook_id, user_id=user_id, seen_at=utcnow()
    )
    db.session.execute(
        upsert.on_conflict_do_update(
            index_elements=[PlaybookPresence.playbook_id, PlaybookPresence.user_id],
            set_={"seen_at": upsert.excluded.seen_at},
        )
    )


def poll(actor: Actor, head: Head, since: int | None) -> News:
    """What the page of head.playbook, rendered at version `since` (None or nonsense:
    the current one), tells `actor`, who must be allowed to view it (404 otherwise):
    the current version and the changes saved since by anyone else. Members see who
    made them and their newest summaries, and who else of the team has the page open,
    and are recorded as here themselves (committed); other readers are told only that
    it changed, and nothing about who is there, and nothing is written for them."""
    playbook = head.playbook
    require(actor, Action.PLAYBOOK_VIEW, playbook)
    viewer_id = actor.id if isinstance(actor, User) else None
    version = playbook.version
    if since is None or not 0 <= since <= version:
        since = version
    changes, notice, summaries = version - since, None, list[str]()
    if changes and viewer_id is not None and can(actor, Action.PLAYBOOK_HISTORY, playbook):
        changes, authors, summaries = _changes_by_others(playbook.id, since, viewer_id)
        notice = _changed(authors, changes) if changes else None
    elif changes:
        # Only members edit, so every change a non-member's page missed is someone else's.
        notice = "This playbook has changed since you opened it"
    here = None
    if viewer_id is not None and can(actor, Action.PLAYBOOK_PRESENCE, playbook):
        here = _here(head.others_here)
        _record_presence(viewer_id, playbook.id)
        db.session.commit()
    return News(version, changes, notice, summaries, here)
