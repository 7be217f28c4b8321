"""Undo from the decided tab: the subject returns to where it was (a comment to the
queue it came from, an approved suggestion's resource out of the library), only the
latest decision on an item can be undone, and only once."""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import func, select

from playbook.comments import suggestions
from playbook.extensions import db
from playbook.models import (
    Comment,
    CommentStatus,
    Decision,
    Resource,
    Submission,
    SubmissionStatus,
)
from tests import factories
from tests.factories import SUGGESTION_FIELDS, add_comment, logged_actions, status_of
from tests.helpers import client_for, decide, flashes_after, post, queue_text, text_of

FIELDS = SUGGESTION_FIELDS
PENDING = CommentStatus.PENDING
_queue, _status, _actions = queue_text, status_of, logged_actions


@pytest.fixture
def mod(app, moderator):
    return client_for(app, moderator)


def _undo(client, action_id: int) -> str:
    page = url_for("moderation.index", tab="decided")
    return flashes_after(
        client, post(client, url_for("moderation.undo", action_id=action_id), {}, page)
    )


def test_undo_puts_a_comment_back_in_the_queue(app, mod, member, moderator):
    comment = add_comment(member, factories.make_play(), "Undo me.", status=PENDING)
    decide(mod, [f"comment:{comment.id}"], "approve")
    assert _status(comment) is CommentStatus.PUBLISHED
    assert "Undone" in _undo(mod, _actions()[-1].id)
    assert _status(comment) is PENDING
    assert "Undo me." in _queue(mod, tab="pending")
    assert [a.decision for a in _actions()] == [Decision.APPROVE, Decision.UNDO]
    assert _actions()[-1].undoes_id == _actions()[0].id


def test_undoing_an_approved_suggestion_retires_its_resource(app, mod, member, moderator):
    submission = suggestions.suggest_resource(member, FIELDS)
    decide(mod, [f"submission:{submission.id}"], "approve")
    db.session.expire_all()
    resource_id = db.session.get(Submission, submission.id).resource_id
    link = f'href="/library/resources/{resource_id}"'
    reader = app.test_client()
    assert link in text_of(reader.get(url_for("library.search", q="choice boards")))
    _undo(mod, _actions()[-1].id)
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).status is SubmissionStatus.PENDING
    assert db.session.get(Resource, resource_id).retired_at is not None
    for url in (url_for("library.search", q="choice boards"), url_for("library.resource_index")):
        assert link not in text_of(reader.get(url)), url
    assert (
        reader.get(url_for("library.resource_detail", resource_id=resource_id)).status_code == 404
    )
    # Approving again brings the same entry back rather than a second copy.
    decide(mod, [f"submission:{submission.id}"], "approve")
    assert (
        db.session.scalar(
            select(func.count()).select_from(Resource).where(Resource.title == FIELDS["title"])
        )
        == 1
    )
    assert link in text_of(reader.get(url_for("library.search", q="choice boards")))


def test_only_the_latest_decision_can_be_undone_and_only_once(app, mod, member, moderator):
    comment = add_comment(member, factories.make_play(), "Back and forth.", status=PENDING)
    decide(mod, [f"comment:{comment.id}"], "reject", "No.")
    reject = _actions()[-1]
    _undo(mod, reject.id)
    undo_row = _actions()[-1]
    assert "only once" in _undo(mod, reject.id)
    assert "only once" in _undo(mod, undo_row.id)
    decide(mod, [f"comment:{comment.id}"], "approve")
    assert "only once" in _undo(mod, reject.id)
    assert [a.decision for a in _actions()] == [Decision.REJECT, Decision.UNDO, Decision.APPROVE]
    assert _status(comment) is CommentStatus.PUBLISHED
    # The decided tab offers Undo on the latest decision only.
    page = _queue(mod, tab="decided")
    assert page.count('/undo"') == 1 and f"/moderation/actions/{_actions()[-1].id}/undo" in page


# --- flagged comments go back to the flagged tab ------------------------------------


def _flagged(app, author, body: str, flags: int = 1) -> Comment:
    comment = add_comment(author, factories.make_play(), body)
    url = url_for("comments.flag", comment_id=comment.id)
    for _ in range(flags):
        post(
            client_for(app, factories.make_user()), url, {"reason": "harmful", "note": "Look"}, url
        )
    return comment


@pytest.mark.parametrize(
    "decision, reason", [("approve", ""), ("reject", "Harmful."), ("spam", "")]
)
def test_undoing_a_decision_on_a_flagged_comment_puts_it_back_with_its_flags(
    app, mod, member, decision, reason
):
    app.config["PLAYBOOK_FLAGS_TO_HIDE"] = 3
    comment = _flagged(app, member, "Flagged words.")
    decide(mod, [f"comment:{comment.id}"], decision, reason)
    assert "Flagged words." not in _queue(mod, tab="flagged")
    assert "Undone" in _undo(mod, _actions()[-1].id)
    assert _status(comment) is CommentStatus.PUBLISHED
    page = _queue(mod, tab="flagged")
    assert "Flagged words." in page and "Harmful or abusive" in page
    # Decided again, it leaves the tab again: the flags it reopened are the ones it resolves.
    decide(mod, [f"comment:{comment.id}"], "approve")
    assert "Flagged words." not in _queue(mod, tab="flagged")


def test_undoing_the_approval_of_a_hidden_comment_hides_it_again(app, mod, member):
    app.config["PLAYBOOK_FLAGS_TO_HIDE"] = 2
    comment = _flagged(app, member, "Hidden words.", flags=2)
    assert _status(comment) is CommentStatus.HIDDEN
    decide(mod, [f"comment:{comment.id}"], "approve")
    assert _status(comment) is CommentStatus.PUBLISHED
    _undo(mod, _actions()[-1].id)
    assert _status(comment) is CommentStatus.HIDDEN
    assert "Hidden words." in _queue(mod, tab="flagged")
    assert "Hidden words." not in text_of(
        app.test_client().get(url_for("library.play_detail", play_id=comment.play_id))
    )
