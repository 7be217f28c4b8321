"""Two moderators deciding the same item at once produce exactly one decision, and
the one who came second is told who decided and how. Real threads, each with its own
application context and database connection, on a SQLite file and (when
TEST_DATABASE_URL is set) on PostgreSQL; then the same through the HTTP interface."""

from __future__ import annotations

import os
import threading

import pytest
from flask import url_for
from sqlalchemy import func, select

from playbook import create_app
from playbook.comments import suggestions
from playbook.extensions import db
from playbook.models import (
    Comment,
    CommentStatus,
    Flag,
    FlagReason,
    ModerationAction,
    Resource,
    SiteRole,
    SubjectKind,
    Submission,
    SubmissionStatus,
    User,
)
from playbook.moderation import services as moderation
from tests import factories
from tests.factories import add_comment
from tests.helpers import client_for, decide, flashes_after

ROUNDS = 20
REASON = "Not for this library."


@pytest.fixture(params=["sqlite-file", "postgresql"])
def shared_app(request, tmp_path):
    """An app on a database that several connections really share."""
    if request.param == "sqlite-file":
        url = f"sqlite:///{tmp_path / 'race.db'}"
    else:
        url = os.environ.get("TEST_DATABASE_URL", "")
        if not url.startswith("postgresql://"):
            pytest.skip("TEST_DATABASE_URL does not point at PostgreSQL")
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        try:
            yield app
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def _at_once(app, moderator_ids, subject, decisions):
    """Each moderator decides `subject` in a thread of its own; they start together."""
    results = _together(
        app,
        moderator_ids,
        lambda moderator, index: moderation.decide(
            moderator, [subject], decisions[index], REASON if decisions[index] == "reject" else ""
        ),
    )
    for result in results:
        assert isinstance(result, moderation.Outcome), repr(result)
    return results


def _together(app, moderator_ids, act):
    """Run act(moderator, index) for each moderator in a thread with its own app
    context (and so its own session and connection), all released at once; the
    results, or the exceptions raised, in moderator order."""
    barrier = threading.Barrier(len(moderator_ids))
    results: list = [None] * len(moderator_ids)

    def work(index):
        with app.app_context():
            try:
                moderator = db.session.get(User, moderator_ids[index])
                barrier.wait(timeout=10)
                results[index] = act(moderator, index)
            except Exception as error:  # reported by the callers' assertions
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(moderator_ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a decision hung"
    return results


def _one_decision(subject, outcomes, names, decisions):
    """Exactly one log row; its moderator's outcome says done, the other one was
    skipped with a message naming the winner and the winner's decision."""
    db.session.expire_all()
    kind, subject_id = subject
    actions = db.session.scalars(
        select(ModerationAction).where(
            ModerationAction.subject_kind == kind, ModerationAction.subject_id == subject_id
        )
    ).all()
    assert len(actions) == 1, [(a.moderator_id, a.decision) for a in actions]
    winner = actions[0]
    done = [i for i, outcome in enumerate(outcomes) if outcome.done]
    assert len(done) == 1, outcomes
    won, lost = done[0], 1 - done[0]
    assert winner.moderator_id == names[won][0] and winner.decision.value == decisions[won]
    assert outcomes[won].skipped == [] and outcomes[lost].done == []
    message = outcomes[lost].skipped[0]
    assert f"{names[won][1]} already {winner.decision.label.lower()} it" in message, message
    return winner


def _moderators():
    first = factories.make_user(SiteRole.MODERATOR, display_name="Mona Moderator")
    second = factories.make_user(SiteRole.MODERATOR, display_name="Max Moderator")
    return [(first.id, first.display_name), (second.id, second.display_name)]


def test_two_moderators_deciding_one_comment_make_one_decision(shared_app):
    names = _moderators()
    author = factories.make_user(display_name="Ann Author")
    play = factories.make_play()
    for round_number in range(ROUNDS):
        decisions = ("approve", "reject") if round_number % 2 else ("reject", "approve")
        comment = add_comment(author, play, f"Round {round_number}.", status=CommentStatus.PENDING)
        subject = (SubjectKind.COMMENT, comment.id)
        outcomes = _at_once(shared_app, [n[0] for n in names], subject, decisions)
        winner = _one_decision(subject, outcomes, names, decisions)
        status = db.session.get(Comment, comment.id).status
        assert status is (
            CommentStatus.PUBLISHED
            if winner.decision.value == "approve"
            else CommentStatus.REJECTED
        )


def test_two_moderators_deciding_one_flagged_comment_make_one_decision(shared_app):
    names = _moderators()
    author, reader = factories.make_user(), factories.make_user()
    play = factories.make_play()
    for round_number in range(ROUNDS):
        decisions = ("approve", "spam") if round_number % 2 else ("spam", "approve")
        comment = add_comment(author, play, f"Flagged round {round_number}.")
        db.session.add(Flag(comment_id=comment.id, user_id=reader.id, reason=FlagReason.SPAM))
        db.session.commit()
        subject = (SubjectKind.COMMENT, comment.id)
        _one_decision(
            subject,
            _at_once(shared_app, [n[0] for n in names], subject, decisions),
            names,
            decisions,
        )


def test_two_moderators_approving_one_suggestion_add_one_resource(shared_app):
    shared_app.config["PLAYBOOK_SUGGESTIONS_PER_HOUR"] = 0
    names = _moderators()
    author = factories.make_user()
    for round_number in range(ROUNDS):
        submission = suggestions.suggest_resource(
            author,
            {
                "title": f"Round {round_number} toolkit",
                "url": f"https://example.org/race/{round_number}",
                "resource_type": "Toolkit",
                "ideal_users": ["Teachers"],
                "description": "A toolkit.",
            },
        )
        subject = (SubjectKind.SUBMISSION, submission.id)
        decisions = ("approve", "approve") if round_number % 3 else ("approve", "reject")
        _one_decision(
            subject,
            _at_once(shared_app, [n[0] for n in names], subject, decisions),
            names,
            decisions,
        )
    db.session.expire_all()
    approved = db.session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(Submission.status == SubmissionStatus.APPROVED)
    )
    assert db.session.scalar(select(func.count()).select_from(Resource)) == approved


@pytest.mark.parametrize("flagged", [False, True], ids=["held", "flagged"])
def test_two_moderators_undoing_one_decision_undo_it_once(shared_app, flagged):
    names = _moderators()
    author, reader = factories.make_user(), factories.make_user()
    play = factories.make_play()
    for round_number in range(ROUNDS // 2):
        status = CommentStatus.PUBLISHED if flagged else CommentStatus.PENDING
        comment = add_comment(author, play, f"Undo round {round_number}.", status=status)
        if flagged:
            db.session.add(Flag(comment_id=comment.id, user_id=reader.id, reason=FlagReason.OTHER))
            db.session.commit()
        moderation.decide(
            db.session.get(User, names[0][0]), [(SubjectKind.COMMENT, comment.id)], "approve"
        )
        action_id = db.session.scalar(select(func.max(ModerationAction.id)))
        results = _together(
            shared_app,
            [n[0] for n in names],
            lambda moderator, _, action_id=action_id: moderation.undo(moderator, action_id),
        )
        assert sorted(type(r).__name__ for r in results) == ["ModerationError", "str"], results
        db.session.expire_all()
        undos = db.session.scalar(
            select(func.count())
            .select_from(ModerationAction)
            .where(ModerationAction.undoes_id == action_id)
        )
        assert undos == 1
        assert db.session.get(Comment, comment.id).status is status


# --- the same, one after the other, through the queue ---------------------------------


@pytest.mark.parametrize("second_decision", ["approve", "reject", "spam"])
def test_second_moderator_is_told_who_decided_first(app, moderator, second_decision):
    other = factories.make_user(SiteRole.MODERATOR, display_name="Max Moderator")
    author = factories.make_user(display_name="Ann Author")
    comment = add_comment(
        author, factories.make_play(), "Decide me once.", status=CommentStatus.PENDING
    )
    first, second = client_for(app, moderator), client_for(app, other)
    # Both have the queue open with the comment on it.
    for client in (first, second):
        assert "Decide me once." in client.get(url_for("moderation.index")).get_data(as_text=True)
    assert "Decided 1" in flashes_after(first, decide(first, [f"comment:{comment.id}"], "approve"))
    page = flashes_after(second, decide(second, [f"comment:{comment.id}"], second_decision, REASON))
    assert "Not changed: Comment by Ann Author: Mona Moderator already approved it." in page
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).status is CommentStatus.PUBLISHED
    assert db.session.scalar(select(func.count()).select_from(ModerationAction)) == 1
    assert db.session.get(User, author.id).posts_held is False
