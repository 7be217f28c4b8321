"""The shared part of a page: rendered once per worker for everyone who sees it alike,
and sent again while the database says nothing it shows has changed.

A signed-in person's page carries things of their own (their name in the navigation,
their role, the comments only they may see, a CSRF token of their session), so it is
never kept whole. Most of a playbook's page, though, reads the same for every reader
with the same rights: the vision, the coverage map, the sections and items. That part
is rendered once per playbook and role class ("read" or "edit"), kept in the
visitors' page cache (pagecache.PageCache, bounded by PLAYBOOK_PAGE_CACHE_BYTES) under
the fingerprint of the scopes it shows, and used again while that fingerprint holds.

Who gets which part is decided by the caller through permissions.can() before asking
for it; the key says which rights the part was rendered for, so a reader never gets
the editor's part. The forms in an editor's part need the reader's own CSRF token: the
part is rendered with a marker in its place (a random value per process, which no
stored text can know) and each request puts its own token in.

A notice for one person ("Saved “Family nights”.", next to that item) is never part of
a shared part either: place() puts it into the part each request gets, after the part
was taken from the store, first inside the element it is about."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from flask import current_app, g
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from playbook.pagecache import Fingerprint, PageCache

CSRF_MARK = "csrf-" + secrets.token_urlsafe(24)


def shared(key: str, current: Fingerprint | None, render: Callable[[], str]) -> Markup:
    """The part kept under `key` while `current` is its fingerprint, else `render()`
    (kept for the next request). `current` is None when the database cannot tell
    (not migrated): the part is rendered every time."""
    cache: PageCache | None = current_app.extensions.get("page_cache")
    if cache is None or current is None:
        html = render()
    elif (stored := cache.get("fragment:" + key, current)) is not None:
        html = stored.body.decode()
    else:
        html = _render_with_mark(render)
        cache.put("fragment:" + key, current, html.encode(), "text/html")
    if CSRF_MARK in html:
        html = html.replace(CSRF_MARK, generate_csrf())
    return Markup(html)  # nosec B704 - rendered by our own autoescaping templates


def _render_with_mark(render: Callable[[], str]) -> str:
    """render() with csrf_token() giving the marker: Flask-WTF keeps the request's token
    on `g` under the field's name and hands that out while it is there."""
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    own = g.pop(name, None)
    setattr(g, name, CSRF_MARK)
    try:
        return render()
    finally:
        g.pop(name, None)
        if own is not None:
            setattr(g, name, own)


_ELEMENT_ID = re.compile(r"[a-z]+-[0-9]+")


def place(part: Markup, element_id: str, html: Markup) -> Markup | None:
    """`part` with `html` put first inside the element whose id is `element_id` (of the
    form "item-12"), or None when the part has no such element. The element is found
    by its start tag, which only our templates write: in text a person wrote, "<" is
    always escaped, and inside an attribute value so is '"'."""
    if not _ELEMENT_ID.fullmatch(element_id):
        return None
    tag = re.search(rf'<[a-z]+\b[^<>]* id="{element_id}"[^<>]*>', part)
    if tag is None:
        return None
    return Markup(part[: tag.end()] + html + part[tag.end() :])  # nosec B704 - both are Markup
