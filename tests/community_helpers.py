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
    token = sessions._open_session(user)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


def post(client, url: str, data: dict, page_url: str):
    """POST as a browser would, with the CSRF token of the page holding the form."""
    page = client.get(page_url)
    assert page.status_code == 200, (page.status_code, page_url)
    return client.post(url, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data})


def comment_on_play(client, play_id: int, body: str, **extra):
    page = url_for("library.play_detail", play_id=play_id)
    return post(client, url_for("comments.new", kind="play", target_id=play_id), {"body": body, **extra}, page)


def decide(client, subjects: list[str], decision: str, reason: str = "", **extra):
    page = url_for("moderation.index")
    return post(client, url_for("moderation.decide"),
                {"subject": subjects, "decision": decision, "reason": reason, **extra}, page)


def latest_comment() -> Comment:
    db.session.expire_all()
    return db.session.scalars(db.select(Comment).order_by(Comment.id.desc()).limit(1)).one()


def latest_submission() -> Submission:
    db.session.expire_all()
    return db.session.scalars(db.select(Submission).order_by(Submission.id.desc()).limit(1)).one()


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))
