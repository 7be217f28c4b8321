"""Rendered pages for visitors, kept per worker and checked against the database.

A visitor (not signed in, no session) sees the same public page as every other
visitor, so a worker may keep the HTML it rendered and send it again, as long as
nothing a visitor can see has changed since. "Changed" is decided in the database,
so every worker and machine agrees:

- Every transaction that writes to a table visitors can see (anything but the
  private bookkeeping in PRIVATE_TABLES; SQL it cannot classify counts as such a
  write) sets site_state.content_generation to a new random value just before it
  commits, as its last statement: the engine's cursor hook notices the write, its
  commit hook does the bump on the same connection. Whatever path wrote (the ORM,
  a Core statement, the CLI), the bump follows. Migrations and restores set a new
  generation when they finish.
- On PostgreSQL the bump takes the row lock of site_state last, right before
  COMMIT, so content-writing commits pass that row one at a time (for the length
  of a commit, not of the transaction) and it cannot close a deadlock cycle with
  locks taken earlier. This relies on the app's defaults: READ COMMITTED, and no
  deferred constraints or commit-time triggers.
- A cached page is sent only if the generation it was rendered under is the one
  the database holds now (one small SELECT per request), and only for
  PLAYBOOK_PAGE_CACHE_SECONDS at most. The generation is read before the page is
  rendered, so a page is never stored under a generation newer than its data.

The cache only ever holds pages that a visitor was allowed to see when they were
rendered; any change to who may see what (a playbook made private, a comment
hidden) is a write, so it retires them. Requests with a session (a secret link, a
flashed message, a CSRF token) or a signed-in person are never served from, nor
stored in, the cache. Its size is bounded in bytes; the least recently used pages
go first. PLAYBOOK_PAGE_CACHE_BYTES=0 turns it off."""

from __future__ import annotations

import re
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import Flask, Response, current_app, request, session
from flask_login import current_user
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

from playbook.extensions import db
from playbook.models import SiteState

# Tables whose rows no visitor's page ever shows; writing them leaves cached pages valid.
PRIVATE_TABLES = frozenset(
    {
        "login_session",
        "auth_attempt",
        "password_reset_token",
        "notification",
        "email_opt_out",
        "outgoing_mail",
        "invitation",
        "site_state",
        "alembic_version",
    }
)
_LEADING_COMMENTS = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
_TARGET = re.compile(
    r"^(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r'\s+"?(\w+)"?',
    re.IGNORECASE,
)
_READ_ONLY = frozenset(
    {
        "select",
        "pragma",
        "set",
        "show",
        "explain",
        "savepoint",
        "release",
        "rollback",
        "begin",
        "commit",
        "values",
        "analyze",
    }
)
# Schema changes come from migrations (which end by setting a new generation) and tests.
_SCHEMA = frozenset({"create", "drop", "alter"})
_DML_WORD = re.compile(r"\b(?:INSERT|UPDATE|DELETE|REPLACE|MERGE)\b", re.IGNORECASE)
_BUMP = "UPDATE site_state SET content_generation = {value} WHERE id = 1"
_WRITTEN = "playbook_content_written"
_SKIP = "playbook_no_generation"  # an execution option of the migration connection
_EXISTS = {
    "sqlite": "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'site_state'",
    "postgresql": "SELECT to_regclass('site_state')",
}
# Engines whose database is known to hold site_state (an app may write to a database
# that is not migrated yet; once the table is there it stays, but for a downgrade).
_READY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def writes_content(statement: str) -> bool:
    """Whether SQL text may change what visitors see. Anything not known to be a read,
    or a write to a private table, counts: a needless new generation costs a render,
    a missed one would serve a stale page."""
    text = _LEADING_COMMENTS.sub("", statement, count=1)
    first = text.split(None, 1)[0].lower() if text.strip() else ""
    if first in _READ_ONLY or first in _SCHEMA:
        return False
    if first == "with":  # a CTE in front of a SELECT, or of a write to an unnamed table
        return bool(_DML_WORD.search(text))
    target = _TARGET.match(text)
    return target is None or target.group(1).lower() not in PRIVATE_TABLES


# --- the generation, kept in the database ------------------------------------------------


def _forget_writes(conn) -> None:
    """A transaction begins or rolls back: nothing it wrote will be seen."""
    conn.info.pop(_WRITTEN, None)


def _after_cursor_execute(conn, cursor, statement, parameters, context, executemany) -> None:
    if not conn.info.get(_WRITTEN) and _changes_content(statement, context):
        conn.info[_WRITTEN] = True


def _changes_content(statement: str, context) -> bool:
    compiled = getattr(context, "compiled", None)
    if compiled is not None and getattr(context, "isddl", False):
        return (
            False  # schema changes: create_all, or migrations (which set a generation at the end)
        )
    if compiled is not None and isinstance(getattr(compiled, "statement", None), UpdateBase):
        table = getattr(compiled.statement, "table", None)
        return getattr(table, "name", "").lower() not in PRIVATE_TABLES
    return writes_content(statement)


def _on_commit(conn) -> None:
    if not conn.info.pop(_WRITTEN, False) or conn.get_execution_options().get(_SKIP):
        return
    _bump(conn)


def _bump(conn) -> None:
    """Set a new generation on conn's open transaction, through the DBAPI cursor (this
    runs inside the commit). A driver error is raised as SQLAlchemy's DBAPIError, as
    the statement's own would be, so a lost database still answers 503."""
    dbapi_connection = conn.connection.dbapi_connection
    cursor = dbapi_connection.cursor()
    statement = _EXISTS.get(conn.dialect.name, _EXISTS["postgresql"])
    try:
        if conn.engine not in _READY:
            cursor.execute(statement)
            row = cursor.fetchone()
            if not row or row[0] is None:
                return  # not migrated yet: nothing can be cached from this database
            _READY[conn.engine] = True
        # A fresh random value rather than +1: a database restored from a backup can
        # never come back to a value some worker still holds pages for.
        statement = _BUMP.format(value=secrets.randbits(62))
        cursor.execute(statement)
    except conn.dialect.loaded_dbapi.Error as error:
        _READY.pop(
            conn.engine, None
        )  # look again next time (the table may be gone after a downgrade)
        raise DBAPIError.instance(
            statement,
            None,
            error,
            conn.dialect.loaded_dbapi.Error,
            dialect=conn.dialect,
            connection_invalidated=conn.dialect.is_disconnect(error, dbapi_connection, cursor),
        ) from error
    finally:
        cursor.close()


def new_generation(connection) -> None:
    """Retire every worker's stored pages now, on `connection`'s transaction (after
    migrations and restores, which change data outside the app's write tracking)."""
    _READY.pop(connection.engine, None)
    _bump(connection)


def track_writes(engine: Engine) -> None:
    """Bump the content generation at the commit of every transaction on `engine`
    that wrote to a table visitors can see."""
    event.listen(engine, "begin", _forget_writes)
    event.listen(engine, "after_cursor_execute", _after_cursor_execute)
    event.listen(engine, "commit", _on_commit)
    event.listen(engine, "rollback", _forget_writes)


def skip_generation(connection) -> None:
    """For the migration connection, whose writes may come before site_state exists
    (or, downgrading, after it is gone). Only this Connection object is marked."""
    connection.execution_options(**{_SKIP: True})
    _READY.pop(connection.engine, None)  # a downgrade may drop the table


def current_generation() -> int | None:
    return db.session.execute(
        select(SiteState.content_generation).where(SiteState.id == 1)
    ).scalar()


# --- the pages, kept in each worker ----------------------------------------------------


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    content_type: str
    stored_at: float


class PageCache:
    """Pages of one generation, least recently used first, at most max_bytes of them."""

    def __init__(self, max_bytes: int, max_age: float, clock: Callable[[], float] = time.monotonic):
        self.max_bytes, self.max_age, self.clock = max_bytes, max_age, clock
        self.generation: int | None = None
        self.pages: OrderedDict[str, CachedPage] = OrderedDict()
        self.size = 0
        self.hits = self.misses = 0
        self._lock = threading.Lock()

    @staticmethod
    def _cost(key: str, page: CachedPage) -> int:
        return len(page.body) + len(key) + 200

    def _switch(self, generation: int) -> None:
        if generation != self.generation:
            self.pages.clear()
            self.size = 0
            self.generation = generation

    def get(self, key: str, generation: int) -> CachedPage | None:
        with self._lock:
            self._switch(generation)
            page = self.pages.get(key)
            if page is not None and self.clock() - page.stored_at > self.max_age:
                self.size -= self._cost(key, self.pages.pop(key))
                page = None
            if page is None:
                self.misses += 1
                return None
            self.pages.move_to_end(key)
            self.hits += 1
            return page

    def put(self, key: str, generation: int, body: bytes, content_type: str) -> None:
        page = CachedPage(body, content_type, self.clock())
        cost = self._cost(key, page)
        with self._lock:
            if generation != self.generation or cost > self.max_bytes:
                return  # rendered under a generation this worker has already moved past
            if key in self.pages:
                self.size -= self._cost(key, self.pages.pop(key))
            self.pages[key] = page
            self.size += cost
            while self.size > self.max_bytes:
                old_key, old_page = self.pages.popitem(last=False)
                self.size -= self._cost(old_key, old_page)


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
    permission checks) produced it for a visitor, and it is retired by any write that
    could change what a visitor may see."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        cache: PageCache | None = current_app.extensions.get("page_cache")
        if cache is None or request.method != "GET" or not _is_visitor():
            return view(*args, **kwargs)
        generation = current_generation()
        if generation is None:
            return view(*args, **kwargs)
        key = request.url
        page = cache.get(key, generation)
        if page is not None:
            return Response(page.body, content_type=page.content_type)
        response = current_app.make_response(view(*args, **kwargs))
        if _storable(response):
            cache.put(key, generation, response.get_data(), response.content_type)
        return response

    return wrapper
