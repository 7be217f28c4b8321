"""Template globals and filters: the permission check, sanitized HTML, dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, g, has_request_context, request, url_for
from flask_login import current_user

from playbook import sanitize
from playbook.models import TargetKind
from playbook.moderation.queries import counts as queue_counts
from playbook.notifications.services import unread_count
from playbook.permissions import Action, can, thread_rights
from playbook.urls import MAX_DATABASE_ID


def format_date(value: datetime | None) -> str:
    return value.strftime("%-d %b %Y") if value else ""


def url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [value]
    # The query string is built here, not by url_for, so arguments named like
    # url_for's own options (_anchor, _external, ...) stay plain query arguments.
    query = urlencode([(key, value) for key, values in args.items() for value in values])
    path = (
        url_for(request.endpoint, **(request.view_args or {})) if request.endpoint else request.path
    )
    return f"{path}?{query}" if query else path


_ID_MARK = MAX_DATABASE_ID - 1  # an id no URL argument of ours takes by chance


def id_url(endpoint: str, name: str, **values: Any) -> Callable[[int], str]:
    """url_for(endpoint, **{name: id}, **values) for many ids, the URL built once: a
    thread's page builds several links per comment, and each url_for call walks the
    URL map again."""
    marker = str(_ID_MARK)
    arguments: dict[str, Any] = {**values, name: _ID_MARK}
    head, found, tail = url_for(endpoint, **arguments).partition(marker)
    if not found or marker in tail:
        return lambda ref: url_for(endpoint, **{**arguments, name: ref})
    return lambda ref: f"{head}{int(ref)}{tail}"


def field_attrs(field, **extra) -> dict:
    """HTML attributes that tie a form field to its hint and error text."""
    described = [f"{field.id}-hint"] if field.description else []
    if field.errors:
        described.append(f"{field.id}-error")
    attrs = {key: value for key, value in extra.items() if value is not None}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    if field.flags.required:
        attrs["required"] = True
    return attrs


def _nav_counts() -> dict:
    """Counts the navigation shows: unread notifications of the signed-in person,
    as counted when their session was loaded for this request (no second query)."""
    if (
        not has_request_context()
        or request.endpoint in (None, "static")
        or g.get("page_without_database")
        or not current_user.is_authenticated
    ):
        return {}
    user_id, count = g.get("unread_notifications", (None, 0))
    if user_id != current_user.id:
        count = unread_count(current_user)
        g.unread_notifications = (current_user.id, count)
    counts = {"unread_notifications": count}
    if can(current_user, Action.MODERATE):
        # Moderators also see how many items wait in the queue (one more statement).
        counts["moderation_waiting"] = queue_counts()["total"]
    return counts


def register(app: Flask) -> None:
    app.context_processor(_nav_counts)
    app.jinja_env.globals.update(
        can=can,
        thread_rights=thread_rights,
        id_url=id_url,
        Action=Action,
        TargetKind=TargetKind,
        url_with=url_with,
        field_attrs=field_attrs,
    )
    app.jinja_env.filters["safe_html"] = sanitize.safe_html
    app.jinja_env.filters["highlight"] = sanitize.highlight
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
