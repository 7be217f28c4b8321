"""Rendered pages for visitors, kept per worker and checked against the database.

A visitor (not signed in, no session) sees the same public page as every other
visitor, so a worker may keep the HTML it rendered and send it again, as long as
nothing that page shows has changed since. "Changed" is decided in the database, so
every worker and machine agrees.

Scopes: what a page shows, and which writes retire it
-----------------------------------------------------
Every cached page shows one or more scopes; a committed write that changes a scope
retires every page that shows it, in every worker, and nothing else.

- ``all``: every page. A member's display name (on comments, items, credits), a
  user deleted (their comments go), raw SQL through the session that returns no
  rows, an insert statement into a visible table, a model the registry below does
  not know.
- ``library``: the front page, every /library page, the gallery (its framework and
  component filters) and every playbook page (play, resource and component titles,
  the framework's coverage). Frameworks, components, elements, plays, resources,
  their audiences and ideal users, the search index, and comments on a play, a
  resource or a component (their threads; a library edit is rare).
- ``gallery``: the gallery. Any change to a public playbook (its row, sections,
  items, team, revisions; a playbook made public or private, binned or restored).
- ``playbook:<id>``: that playbook's page (/playbooks/<id>, the only playbook page
  visitors get from the cache; print, export and history are not cached). The same
  changes as for the gallery, and comments on it (its thread). A public playbook's
  title or visibility also retires its forks' pages (they name it), and a fork made
  public or private retires its parent's page (its count of public forks).
- ``document:<id>``: the part of that playbook's page its team reads and edits, kept
  for signed-in people too (playbook/fragments.py): the playbook row, its sections,
  items, team and revisions, whatever its visibility. Comments are not part of it.
- ``moderation``: the moderation queue's pending, flagged and suggestion tabs, kept for
  moderators (the same for each of them; playbook/moderation/routes.py). Any comment,
  flag, suggestion or reason template written; any playbook changed (its visibility
  decides whether moderators may read its comments, its title names them); a
  person's name or e-mail address changed.
- ``surveys:<id>``: the latest survey scores on that playbook's page (its coverage
  map): a round of that playbook opened, changed (made public, its raw answers
  removed), deleted. Responses are not recorded here: a row written per response
  would tell when it came, finer than the day (see playbook/surveys/scores.py); the
  page's head statement reads the shown round's groups' response counts instead
  (SurveyGroup.response_count), so a member's page never lags. A visitor's stored copy shows public scores up to
  PLAYBOOK_PAGE_CACHE_SECONDS behind the last response.
- ``play:<id>`` / ``resource:<id>``: the "who is using it" part of that play's or
  resource's page: the public playbooks using it (title, order by last change) and
  how many other live playbooks do. An item added, removed or pointed elsewhere in
  any playbook, even a private one (the count), a playbook binned, restored or
  deleted, and any change to a public playbook using it.

A private playbook's edits retire nothing visitors can see (but adding or removing a
library entry changes the count on that entry's page). Where the resolvers below
cannot know (a bulk statement's new values, an attribute not loaded), they assume
the row was or becomes public: a needless retirement costs a render, a missed one
would send a stale or no-longer-public page.

How a change is recorded
------------------------
Session events see every ORM change: ``before_flush`` (rows about to be deleted,
while what they point to is still there), ``after_flush`` (new and changed rows,
with their keys and their attribute history) and ``do_orm_execute`` (bulk update()
and delete() statements: the rows they match are read first). The scopes collect on
the session; ``before_commit`` inserts one page_invalidation row per scope, with a
random token, as part of the same transaction. Rows are only inserted, so writers
never queue on one another; now and then a write also deletes the older rows of its
scope (skipping rows another pruner holds), which keeps the table small.

Writes outside the session (migrations, restores) set site_state's generation to a
new random value when they finish (new_generation): a database restored from a
backup can never come back to a value some worker still holds pages for.

The check
---------
A page's fingerprint is (site generation, count of its scopes' rows, sum of their
tokens), read in one small statement before the page is rendered, so a page is
never stored under a fingerprint newer than its data. Any committed row added or
deleted in a scope changes it, whatever order transactions commit in. A stored page
is sent only while its fingerprint is the current one, and for
PLAYBOOK_PAGE_CACHE_SECONDS at most.

The cache only ever holds pages that a visitor was allowed to see when they were
rendered; any change to who may see what (a playbook made private, a comment
hidden) retires them. Requests with a session (a secret link, a flashed message, a
CSRF token) or a signed-in person are never served from, nor stored in, the cache.
Its size is bounded in bytes; the least recently used pages go first. A page whose
address has a query (a search, a page number) is kept only once it was asked for
twice within PLAYBOOK_PAGE_CACHE_SECONDS: most searches are asked once.
PLAYBOOK_PAGE_CACHE_BYTES=0 turns it off."""

from __future__ import annotations

import secrets
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any

from flask import Flask, Response, current_app, request, session
from flask_login import current_user
from sqlalchemy import (
    Select,
    bindparam,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session

from playbook.extensions import db
from playbook.models import (
    AuthAttempt,
    CalendarFeed,
    Comment,
    Component,
    DigestSubscription,
    Element,
    EmailOptOut,
    Flag,
    Framework,
    Huddle,
    HuddleAttendee,
    Instrument,
    InstrumentItem,
    Invitation,
    Item,
    LoginSession,
    Membership,
    ModerationAction,
    Notification,
    OutgoingMail,
    PasswordResetToken,
    Play,
    PlayAudience,
    Playbook,
    PlaybookPresence,
    ReasonTemplate,
    Resource,
    ResourceIdealUser,
    ResponseCode,
    Revision,
    SearchDocument,
    Section,
    SentReminder,
    SiteState,
    Submission,
    SurveyAnswer,
    SurveyGroup,
    SurveyResponse,
    SurveyRound,
    TargetKind,
    User,
    Visibility,
)
from playbook.models.base import Base
from playbook.models.site import PageInvalidation

ALL, LIBRARY, GALLERY, MODERATION = "all", "library", "gallery", "moderation"
TOKEN_BITS = 48  # sums of a few thousand tokens stay within SQLite's 64-bit integers
PRUNE_ONE_IN = 16  # a write deletes its scope's older rows once in this many, on average
BULK_ROWS = 500  # a bulk statement matching more rows than this retires every page

_SCOPES = "playbook_page_scopes"  # session.info: scopes changed by the open transaction
_UNKNOWN: Any = object()
_NEW, _CHANGED, _DELETED, _BULK = "new", "changed", "deleted", "bulk"
# Engines whose database is known to hold page_invalidation (an app may write to a
# database that is not migrated yet, or is mid-downgrade).
_READY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def playbook_scope(playbook_id: int) -> str:
    return f"playbook:{playbook_id}"


def document_scope(playbook_id: int) -> str:
    return f"document:{playbook_id}"


def surveys_scope(playbook_id: int) -> str:
    return f"surveys:{playbook_id}"


def document_scopes(playbook_id: int) -> set[str]:
    """What the shared part of a playbook's page shows (see playbook/fragments.py):
    the playbook itself, the library entries it names, members' names, its latest
    survey round (its groups' response counts are read by the page's head statement)."""
    return {ALL, LIBRARY, document_scope(playbook_id), surveys_scope(playbook_id)}


def thread_scopes(playbook_id: int) -> set[str]:
    """What a playbook's comment thread shows, as one reader sees it: its comments
    (recorded under playbook:<id> whatever the visibility), names, and the team (the
    reader's role decides whether they may comment)."""
    return {ALL, playbook_scope(playbook_id), document_scope(playbook_id)}


def play_scope(play_id: int) -> str:
    return f"play:{play_id}"


def resource_scope(resource_id: int) -> str:
    return f"resource:{resource_id}"


# --- which pages show which scopes ------------------------------------------------------

_LIBRARY_PAGES = frozenset(
    {
        "home.index",
        "library.index",
        "library.play_index",
        "library.resource_index",
        "library.framework_index",
        "library.framework_detail",
        "library.component_detail",
        "library.search",
    }
)


def page_scopes(endpoint: str | None, view_args: dict) -> set[str] | None:
    """The scopes the page at this endpoint shows; None for a page this module has
    not been told about (it is then never cached: decide here what it shows first)."""
    scopes = {ALL, LIBRARY}
    if endpoint in _LIBRARY_PAGES:
        return scopes
    if endpoint == "library.play_detail":
        return scopes | {play_scope(view_args["play_id"])}
    if endpoint == "library.resource_detail":
        return scopes | {resource_scope(view_args["resource_id"])}
    if endpoint == "gallery.index":
        return scopes | {GALLERY}
    if endpoint == "playbooks.detail":
        playbook_id = view_args["playbook_id"]
        return scopes | {playbook_scope(playbook_id), surveys_scope(playbook_id)}
    return None


# --- which writes change which scopes ---------------------------------------------------


def _values(obj, attr: str, change: str) -> tuple[Any, Any]:
    """(before, after) of a column attribute in this flush; _UNKNOWN where the session
    does not know (not loaded, or a bulk statement's new value)."""
    history = inspect(obj).attrs[attr].history
    now = history.added or history.unchanged
    after = now[0] if now else _UNKNOWN
    if change == _NEW:
        return None, after
    if history.deleted:
        before = history.deleted[0]
    elif history.unchanged:
        before = history.unchanged[0]
    else:
        before = _UNKNOWN
    if change == _DELETED:
        return before, None
    if change == _BULK:
        return before, _UNKNOWN
    return before, after


def _differs(before, after) -> bool:
    return before is _UNKNOWN or after is _UNKNOWN or before != after


def _maybe_public(visibility, deleted_at) -> bool:
    if visibility is None:  # not there before (new) or after (deleted)
        return False
    return (visibility is _UNKNOWN or visibility == Visibility.PUBLIC) and (
        deleted_at is None or deleted_at is _UNKNOWN
    )


def _playbook_is_public(session: Session, playbook_id: int | None) -> bool:
    if playbook_id is None:
        return True
    playbook = session.get(Playbook, playbook_id)
    return playbook is None or _maybe_public(playbook.visibility, playbook.deleted_at)


def _loaded_items(playbook: Playbook) -> list[Item] | None:
    """The playbook's items as the session holds them, if it holds all of them (an
    item this flush adds or removes is seen by its own resolver)."""
    if "sections" not in inspect(playbook).dict:
        return None
    items = []
    for section in playbook.sections:
        if "items" not in inspect(section).dict:
            return None
        items.extend(section.items)
    return items


def _usage_scopes(session: Session, playbook: Playbook) -> set[str]:
    """The pages of the plays and resources the playbook uses."""
    items = _loaded_items(playbook)
    rows: Sequence[tuple[int | None, int | None]]
    if items is not None:
        rows = [(item.play_id, item.resource_id) for item in items]
    else:
        rows = session.execute(
            select(Item.play_id, Item.resource_id).where(Item.playbook_id == playbook.id)
        ).all()
    scopes = set()
    for play_id, resource_id in rows:
        if play_id is not None:
            scopes.add(play_scope(play_id))
        if resource_id is not None:
            scopes.add(resource_scope(resource_id))
    return scopes


def _playbook(session: Session, playbook: Playbook, change: str) -> set[str]:
    visibility = _values(playbook, "visibility", change)
    deleted_at = _values(playbook, "deleted_at", change)
    was_public = _maybe_public(visibility[0], deleted_at[0])
    is_public = _maybe_public(visibility[1], deleted_at[1])
    seen_by_visitors = _differs(*visibility) or _differs(*deleted_at)
    scopes: set[str] = {document_scope(playbook.id), MODERATION}
    if was_public or is_public:
        scopes |= {playbook_scope(playbook.id), GALLERY}
        title = _values(playbook, "title", change)
        if seen_by_visitors or _differs(*title):
            forks = session.scalars(
                select(Playbook.id).where(Playbook.forked_from_id == playbook.id)
            )
            scopes |= {playbook_scope(fork) for fork in forks}
        if seen_by_visitors and playbook.forked_from_id is not None:
            scopes.add(playbook_scope(playbook.forked_from_id))
    if was_public or is_public or _differs(*deleted_at):
        scopes |= _usage_scopes(session, playbook)
    return scopes


def _playbook_part(session: Session, part, change: str) -> set[str]:
    """A section, membership or revision: what its playbook shows."""
    if part.playbook_id is None:
        return {ALL}  # not known which playbook it was part of
    scopes = {document_scope(part.playbook_id)}
    if _playbook_is_public(session, part.playbook_id):
        scopes |= {playbook_scope(part.playbook_id), GALLERY}
    return scopes


def _item(session: Session, item: Item, change: str) -> set[str]:
    scopes = _playbook_part(session, item, change)
    for attr, scope in (("play_id", play_scope), ("resource_id", resource_scope)):
        before, after = _values(item, attr, change)
        if _differs(before, after) or change in (_NEW, _DELETED):
            current = getattr(item, attr)
            scopes |= {scope(value) for value in (before, after, current) if isinstance(value, int)}
    return scopes


def _comment(session: Session, comment: Comment, change: str) -> set[str]:
    if comment.target_kind is TargetKind.PLAYBOOK and comment.playbook_id is not None:
        # Its thread is on the playbook's page only; a private playbook's page is
        # never cached, so retiring it costs nothing.
        return {playbook_scope(comment.playbook_id), MODERATION}
    return {LIBRARY, MODERATION}


def _flag(session: Session, flag: Flag, change: str) -> set[str]:
    comment = session.get(Comment, flag.comment_id)
    return {ALL} if comment is None else _comment(session, comment, change)


def _moderation(session: Session, row, change: str) -> set[str]:
    """A suggestion or a reason template: only the moderation queue shows it."""
    return {MODERATION}


def _survey_round(session: Session, survey_round: SurveyRound, change: str) -> set[str]:
    """A round's title, dates, publicity or purge, or the round itself, show in its
    playbook's coverage map."""
    if survey_round.playbook_id is None:
        return {ALL}
    return {surveys_scope(survey_round.playbook_id)}


def _user(session: Session, user: User, change: str) -> set[str]:
    name = _values(user, "display_name", change)
    if change == _DELETED or _differs(*name):
        return {ALL}
    return {MODERATION} if _differs(*_values(user, "email", change)) else set()


def _library(session: Session, entry, change: str) -> set[str]:
    return {LIBRARY}


Resolver = Callable[[Session, Any, str], set[str]]
# What each mapped class visitors can see changes. Every other mapped class must be
# in PRIVATE (no visitor's page shows it); a class in neither retires every page.
RESOLVERS: dict[type, Resolver] = {
    Playbook: _playbook,
    Section: _playbook_part,
    Membership: _playbook_part,
    Revision: _playbook_part,
    Item: _item,
    Comment: _comment,
    Flag: _flag,
    User: _user,
    Framework: _library,
    Component: _library,
    Element: _library,
    Play: _library,
    PlayAudience: _library,
    Resource: _library,
    ResourceIdealUser: _library,
    SearchDocument: _library,
    SurveyRound: _survey_round,
    Submission: _moderation,
    ReasonTemplate: _moderation,
}
PRIVATE: frozenset[type] = frozenset(
    {
        AuthAttempt,
        DigestSubscription,
        CalendarFeed,  # a secret address's hash: nobody's page shows it
        EmailOptOut,
        # Huddles are the team's: the huddle page and the history are members-only and
        # never cached; the print view (not cached either) shows them to members only.
        Huddle,
        HuddleAttendee,
        # Survey instruments are read by signed-in people only (Action.INSTRUMENT_VIEW);
        # no visitor's page shows them, so their edits retire no cached page.
        Instrument,
        InstrumentItem,
        # Survey groups, codes, responses and answers: the playbook page's head statement
        # reads the response counts of the round its coverage map shows (see
        # surveys:<id>); the rest only the team's pages (never cached) show.
        ResponseCode,
        SurveyAnswer,
        SurveyGroup,
        SurveyResponse,
        Invitation,
        LoginSession,
        ModerationAction,
        Notification,
        OutgoingMail,
        PageInvalidation,
        PasswordResetToken,
        PlaybookPresence,  # who has a page open: shown only to members, never cached
        SentReminder,  # which reminders went out: never shown
        SiteState,
    }
)


def _scopes_of(session: Session, obj, change: str) -> set[str]:
    cls = type(obj)
    if cls in PRIVATE:
        return set()
    resolver = RESOLVERS.get(cls)
    return {ALL} if resolver is None else resolver(session, obj, change)


def _note(session: Session, scopes: Iterable[str]) -> None:
    session.info.setdefault(_SCOPES, set()).update(scopes)


def _before_flush(session: Session, flush_context, instances) -> None:
    """Rows about to be deleted, while the rows they point to are still there."""
    with session.no_autoflush:
        for obj in list(session.deleted):
            _note(session, _scopes_of(session, obj, _DELETED))


def _after_flush(session: Session, flush_context) -> None:
    """New and changed rows: their keys are set and their history is still there."""
    for obj in list(session.new):
        _note(session, _scopes_of(session, obj, _NEW))
    for obj in list(session.dirty):
        if session.is_modified(obj):
            _note(session, _scopes_of(session, obj, _CHANGED))


def _mapped_class(state: ORMExecuteState) -> type | None:
    if state.bind_mapper is not None:
        return state.bind_mapper.class_
    table = getattr(state.statement, "table", None)
    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    return None


def _on_execute(state: ORMExecuteState):
    """Bulk statements through the session: read the rows they will change first."""
    if state.is_select:
        return None
    session = state.session
    if state.is_update or state.is_delete:
        cls = _mapped_class(state)
        if cls in PRIVATE:
            return None
        if cls not in RESOLVERS:
            _note(session, {ALL})
            return None
        if RESOLVERS[cls] is _library:
            _note(session, {LIBRARY})
            return None
        if state.is_update and cls is User and not _sets(state.statement, {"display_name"}):
            return None
        if state.is_update and cls is Item and _sets(state.statement, {"play_id", "resource_id"}):
            _note(session, {ALL})  # which play's page it now counts on is not known
        where = getattr(state.statement, "whereclause", None)  # update() and delete() have one
        query: Select[tuple[Any]] = select(cls) if where is None else select(cls).where(where)
        rows = session.scalars(query.limit(BULK_ROWS + 1)).all()
        if len(rows) > BULK_ROWS:
            _note(session, {ALL})
        for row in rows[:BULK_ROWS]:
            _note(session, _scopes_of(session, row, _BULK))
        return None
    if state.is_insert:
        if _mapped_class(state) not in PRIVATE:
            _note(session, {ALL})
        return None
    # Raw SQL (or anything else that is not a select): a statement that returned no
    # rows may have written anything.
    result = state.invoke_statement()
    if not getattr(result, "returns_rows", True):  # a CursorResult says; others return rows
        _note(session, {ALL})
    return result


def _sets(statement, columns: set[str]) -> bool:
    """Whether an update statement may set one of these columns."""
    values = getattr(statement, "_values", None)
    if not values:
        return True  # values given some other way (per row parameters): assume so
    return any(getattr(key, "key", key) in columns for key in values)


def _before_commit(session: Session) -> None:
    session.flush()  # so that every change of the transaction has been seen
    scopes = session.info.pop(_SCOPES, None)
    if not scopes:
        return
    connection = session.connection()
    if not _ready(connection):
        return
    if ALL in scopes:
        scopes = {ALL}
    _prune(session, [scope for scope in sorted(scopes) if secrets.randbelow(PRUNE_ONE_IN) == 0])
    session.execute(
        insert(PageInvalidation),
        [{"scope": scope, "token": secrets.randbits(TOKEN_BITS)} for scope in sorted(scopes)],
    )


def _prune(session: Session, scopes: list[str]) -> None:
    """Delete these scopes' committed rows (their pages retire at this commit anyway);
    rows another transaction is deleting are skipped rather than waited for."""
    if not scopes:
        return
    older = (
        select(PageInvalidation.id)
        .where(PageInvalidation.scope.in_(scopes))
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(PageInvalidation)
        .where(PageInvalidation.id.in_(older))
        .execution_options(synchronize_session=False)
    )


def _ready(connection) -> bool:
    if connection.engine not in _READY:
        if not inspect(connection).has_table(PageInvalidation.__tablename__):
            return False  # not migrated yet: nothing can be cached from this database
        _READY[connection.engine] = True
    return True


def _forget(session: Session, transaction) -> None:
    """The outermost transaction ended (committed, or rolled back: its writes are gone)."""
    if transaction.parent is None:
        session.info.pop(_SCOPES, None)


def _look_again(context) -> None:
    """A statement failed: the table may be gone (a downgrade), look before the next write.
    A failed pre-ping (the pool testing a connection before handing it out) has no
    engine to name, and a handler that raised here would turn the pool's quiet
    reconnect into a 500, so every engine looks again."""
    if context.engine is None:
        _READY.clear()
    else:
        _READY.pop(context.engine, None)


def track_writes(engine: Engine) -> None:
    """Record, at the commit of every session transaction, the scopes it changed."""
    for name, listener in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("do_orm_execute", _on_execute),
        ("before_commit", _before_commit),
        ("after_transaction_end", _forget),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    if not event.contains(engine, "handle_error", _look_again):
        event.listen(engine, "handle_error", _look_again)


def retire(scopes: Iterable[str]) -> None:
    """Retire these scopes at the next commit of the current session, for a change the
    session events cannot see."""
    _note(db.session(), scopes)


def new_generation(connection) -> None:
    """Retire every worker's stored pages now, on `connection`'s transaction (after
    migrations and restores, which change data outside the sessions): a new random
    value rather than +1, so a database restored from a backup can never come back to
    a value some worker still holds pages for."""
    _READY.pop(connection.engine, None)
    if not inspect(connection).has_table(SiteState.__tablename__):
        return  # downgraded below the table
    connection.execute(
        update(SiteState).where(SiteState.id == 1).values(content_generation=secrets.randbits(62))
    )


def current_generation() -> int | None:
    return db.session.execute(
        select(SiteState.content_generation).where(SiteState.id == 1)
    ).scalar()


def fingerprint_columns(scopes: Any) -> list:
    """fingerprint() as three scalar subqueries, to be added to a statement a page
    sends anyway (`scopes`: a list, or an expanding bind parameter)."""
    matching = PageInvalidation.scope.in_(scopes)
    return [
        select(SiteState.content_generation).where(SiteState.id == 1).scalar_subquery(),
        select(func.count(PageInvalidation.id)).where(matching).scalar_subquery(),
        select(func.coalesce(func.sum(PageInvalidation.token), 0))
        .where(matching)
        .scalar_subquery(),
    ]


def fingerprint_of(values: Sequence[Any]) -> tuple[int, int, int] | None:
    """The fingerprint read through fingerprint_columns(); None while the database
    has no generation (not migrated)."""
    generation, count, total = values
    return None if generation is None else (int(generation), int(count), int(total))


@cache
def _fingerprint_statement():
    # Built once per process (the scopes are bound): every visitor's page asks for it.
    return (
        select(
            SiteState.content_generation,
            func.count(PageInvalidation.id),
            func.coalesce(func.sum(PageInvalidation.token), 0),
        )
        .select_from(SiteState)
        .outerjoin(
            PageInvalidation, PageInvalidation.scope.in_(bindparam("scopes", expanding=True))
        )
        .where(SiteState.id == 1)
        .group_by(SiteState.content_generation)
    )


def fingerprint(scopes: Iterable[str], connection=None) -> tuple[int, int, int] | None:
    """What a page showing these scopes is checked against, in one statement (on the
    session, or on `connection`); None while the database has no generation (not
    migrated)."""
    reader = db.session if connection is None else connection
    row = reader.execute(_fingerprint_statement(), {"scopes": sorted(scopes)}).first()
    return None if row is None else (int(row[0]), int(row[1]), int(row[2]))


def _visitor_fingerprint(scopes: Iterable[str]) -> tuple[int, int, int] | None:
    """fingerprint() for a visitor's page. On PostgreSQL it is read outside any
    transaction, on a connection of its own (given back before the view runs): a page
    served from the cache then costs one round trip, not three (BEGIN, the statement,
    COMMIT). The view, if it runs, reads after it, so a stored page is never older
    than the fingerprint it is kept under. SQLite has no round trips to save."""
    if db.engine.dialect.name != "postgresql":
        return fingerprint(scopes)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return fingerprint(scopes, connection)


# --- the pages, kept in each worker ----------------------------------------------------

Fingerprint = Any  # what fingerprint() returns; the store only compares them


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    content_type: str
    stored_at: float
    fingerprint: Fingerprint


class PageCache:
    """Pages, each with the fingerprint it was rendered under, least recently used
    first, at most max_bytes of them."""

    # How many addresses put() on probation remembers having seen (a few hundred KB).
    SEEN_KEYS = 4096

    def __init__(self, max_bytes: int, max_age: float, clock: Callable[[], float] = time.monotonic):
        self.max_bytes, self.max_age, self.clock = max_bytes, max_age, clock
        self.pages: OrderedDict[str, CachedPage] = OrderedDict()
        self.size = 0
        self.hits = self.misses = 0
        self.seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _cost(key: str, page: CachedPage) -> int:
        return len(page.body) + len(key) + 200

    def get(self, key: str, fingerprint: Fingerprint, *, exact: bool = False) -> CachedPage | None:
        """The page kept under `key` if it was kept under `fingerprint`, and no longer ago
        than max_age, unless `exact`: the caller's fingerprint alone says whether what
        it keeps still holds (survey counts, which only more responses change)."""
        with self._lock:
            page = self.pages.get(key)
            if page is not None and (
                page.fingerprint != fingerprint
                or (not exact and self.clock() - page.stored_at > self.max_age)
            ):
                self.size -= self._cost(key, self.pages.pop(key))
                page = None
            if page is None:
                self.misses += 1
                return None
            self.pages.move_to_end(key)
            self.hits += 1
            return page

    def put(
        self,
        key: str,
        fingerprint: Fingerprint,
        body: bytes,
        content_type: str,
        *,
        probation: bool = False,
    ) -> None:
        """Keep `body` under `key`. On probation (an address with a query: a search, a
        page number, of which most are asked once) only when the same key was put
        within max_age before: one-off searches would otherwise fill the store, push
        out pages that are asked again and keep the worker's memory at its bound."""
        page = CachedPage(body, content_type, self.clock(), fingerprint)
        cost = self._cost(key, page)
        with self._lock:
            if cost > self.max_bytes:
                return
            if probation and not self._seen_before(key, page.stored_at):
                return
            if key in self.pages:
                self.size -= self._cost(key, self.pages.pop(key))
            self.pages[key] = page
            self.size += cost
            while self.size > self.max_bytes:
                old_key, old_page = self.pages.popitem(last=False)
                self.size -= self._cost(old_key, old_page)

    def _seen_before(self, key: str, now: float) -> bool:
        """Whether `key` was put on probation within max_age; remembers it if not."""
        seen_at = self.seen.pop(key, None)
        if seen_at is not None and now - seen_at <= self.max_age:
            return True
        self.seen[key] = now
        while len(self.seen) > self.SEEN_KEYS:
            self.seen.popitem(last=False)
        return False


def init_app(app: Flask) -> None:
    if app.config.get("PLAYBOOK_PAGE_CACHE_BYTES", 0) > 0:
        app.extensions["page_cache"] = PageCache(
            app.config["PLAYBOOK_PAGE_CACHE_BYTES"], app.config["PLAYBOOK_PAGE_CACHE_SECONDS"]
        )


def _is_visitor() -> bool:
    return not session and not current_user.is_authenticated


def _storable(response: Response) -> bool:
    return (
        response.status_code == 200
        and response.mimetype == "text/html"
        and not response.is_streamed
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        and not session.modified
        and _is_visitor()
    )


def cached_for_visitors(view: Callable) -> Callable:
    """Serve this GET view to visitors from the page cache while it is current. Put it
    above the view's access decorator: a page is stored only after the view (and its
    permission checks) produced it for a visitor, and it is retired by any write to
    the scopes page_scopes() says it shows."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        cache: PageCache | None = current_app.extensions.get("page_cache")
        if cache is None or request.method != "GET" or not _is_visitor():
            return view(*args, **kwargs)
        scopes = page_scopes(request.endpoint, request.view_args or {})
        current = _visitor_fingerprint(scopes) if scopes is not None else None
        if current is None:
            return view(*args, **kwargs)
        key = request.url
        page = cache.get(key, current)
        if page is not None:
            return Response(page.body, content_type=page.content_type)
        response = current_app.make_response(view(*args, **kwargs))
        if _storable(response):
            cache.put(
                key,
                current,
                response.get_data(),
                response.content_type,
                probation=bool(request.query_string),
            )
        return response

    wrapper.cached_for_visitors = True  # type: ignore[attr-defined]
    return wrapper
