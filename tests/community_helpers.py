"""Helpers for comment and moderation tests: signed-in clients and form posts."""

from __future__ import annotations

import re

from flask import url_for

from playbook.auth import sessions
from playbook.extensions import db
from playbook.models import Comment, Submission
from tests.helpers import csrf_token_from


def client_for(app, user):
    """A test client of its own, signed in as `user` through a real server-side session."""
    client = app.test_client()
    token = sessions.open_session(user)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


def post(client, url: str, data: dict, page_url: str):
    """POST as a browser would, with the CSRF token of the page holding the form."""
    page = client.get(page_url)
    assert page.status_code == 200, (page.status_code, page_url)
    return client.post(
        url, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}
    )


def comment_on_play(client, play_id: int, body: str, **extra):
    page = url_for("library.play_detail", play_id=play_id)
    return post(
        client,
        url_for("comments.new", kind="play", target_id=play_id),
        {"body": body, **extra},
        page,
    )


def decide(client, subjects: list[str], decision: str, reason: str = "", **extra):
    page = url_for("moderation.index")
    return post(
        client,
        url_for("moderation.decide"),
        {"subject": subjects, "decision": decision, "reason": reason, **extra},
        page,
    )


def latest_comment() -> Comment:
    db.session.expire_all()
    return db.session.scalars(db.select(Comment).order_by(Comment.id.desc()).limit(1)).one()


def latest_submission() -> Submission:
    db.session.expire_all()
    return db.session.scalars(db.select(Submission).order_by(Submission.id.desc()).limit(1)).one()


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


# --- helpers for the comment, trust, suggestion and moderation suites ---------------

_PAGES = {
    "play": ("library.play_detail", "play_id"),
    "resource": ("library.resource_detail", "resource_id"),
    "component": ("library.component_detail", "component_id"),
    "playbook": ("playbooks.detail", "playbook_id"),
}


def target_url(kind: str, target_id: int, **args) -> str:
    """The page that shows the thread of a play, resource, component or playbook."""
    endpoint, arg = _PAGES[kind]
    return url_for(endpoint, **{arg: target_id}, **args)


def comment_on(client, kind: str, target_id: int, body: str, page_url: str | None = None, **extra):
    """Post the thread's comment form as a browser would (token from `page_url`, by
    default the target's own page)."""
    return post(
        client,
        url_for("comments.new", kind=kind, target_id=target_id),
        {"body": body, **extra},
        page_url or target_url(kind, target_id),
    )


def token_of(client, page_url: str) -> str:
    """The CSRF token of the client's session, read from a page it may open."""
    page = client.get(page_url)
    assert page.status_code == 200, (page.status_code, page_url)
    return csrf_token_from(page.get_data(as_text=True))


def add_comment(
    author, target, body: str, status=None, parent=None, created_at=None, commit=True
) -> Comment:
    """Test data: a comment row written directly (for threads too long to post one by
    one). The HTML comes from the one sanitizer, as the service writes it."""
    from playbook import sanitize
    from playbook.models import CommentStatus, TargetKind, utcnow

    kind = TargetKind(type(target).__name__.lower())
    comment = Comment(
        author_id=author.id,
        target_kind=kind,
        body=body,
        body_html=sanitize.render_markdown(body),
        status=status or CommentStatus.PUBLISHED,
        parent_id=parent.id if parent else None,
        created_at=created_at or utcnow(),
        **{kind.column: target.id},
    )
    db.session.add(comment)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return comment


def flashes_after(client, response) -> str:
    """The text of the page a redirect leads to (where the flashed messages show)."""
    assert response.status_code == 302, (response.status_code, text_of(response)[:500])
    return text_of(client.get(response.location))


# --- the moderation queue ------------------------------------------------------

SUGGESTION_FIELDS = {
    "title": "Choice boards kit",
    "url": "https://example.net/choice-boards",
    "organization": "Lab",
    "resource_type": "Toolkit",
    "ideal_users": ["Teachers"],
    "description": "Boards for choice.",
    "why_use_it": "Students pick how they show learning.",
}


def queue_text(client, **args) -> str:
    """The moderation queue page (a tab, filters) as text."""
    return text_of(client.get(url_for("moderation.index", **args)))


def status_of(comment: Comment):
    db.session.expire_all()
    return db.session.get(Comment, comment.id).status


def logged_actions() -> list:
    from playbook.models import ModerationAction

    return list(db.session.scalars(db.select(ModerationAction).order_by(ModerationAction.id)))
