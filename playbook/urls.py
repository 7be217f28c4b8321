"""Checks on URLs that come from the request."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context
from werkzeug.routing import IntegerConverter

MAX_DATABASE_ID = 2**31 - 1  # PostgreSQL's integer; SQLite's is larger


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` limited to 0..MAX_DATABASE_ID."""

    def __init__(self, url_map, fixed_digits=0, min=0, max=MAX_DATABASE_ID, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def database_id(value: object) -> int | None:
    """`value` as an id that can exist in the database, or None."""
    if not isinstance(value, (int, float, str, bytes)):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 < number <= MAX_DATABASE_ID else None


def safe_next_path(target: str | None) -> str | None:
    """`target` when it is a path on this site, otherwise None. Protocol-relative
    URLs, backslashes, schemes, hosts and control characters are all refused."""
    if not target or len(target) > 2000:
        return None
    if any(ord(ch) < 33 or ch == "\\" or ord(ch) == 127 for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def site_base_url(config: Mapping[str, Any]) -> str:
    """The site's address for links in mail that no request caused (reminders, the
    digest): PLAYBOOK_BASE_URL, else the first trusted host over https, else where
    `python run.py` serves by default."""
    hosts = [h for h in config.get("TRUSTED_HOSTS") or [] if not h.startswith(".")]
    return (
        config.get("PLAYBOOK_BASE_URL")
        or (f"https://{hosts[0]}" if hosts else "")
        or "http://127.0.0.1:5000"
    )


@contextlib.contextmanager
def site_links() -> Iterator[None]:
    """Somewhere for url_for to take the site's address from when no request caused
    the work (a periodic job, or its command run by an operator): site_base_url,
    unless a request or SERVER_NAME already gives one."""
    config = current_app.config
    if has_request_context() or config.get("SERVER_NAME"):
        yield
        return
    with current_app.test_request_context("/", base_url=site_base_url(config)):
        yield
