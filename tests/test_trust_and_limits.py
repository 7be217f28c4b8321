"""Who publishes at once (trust, spam holds, moderators, team talk on playbooks that
are not public) and the per-member limits on commenting, suggesting and flagging,
counted in the database so every worker and machine sees the same attempts."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from playbook import create_app
from playbook.comments import suggestions
from playbook.extensions import db
from playbook.models import (
    AuthAttempt,
    Comment,
    CommentStatus,
    MemberRole,
    SiteRole,
    SubjectKind,
    User,
    Visibility,
)
from playbook.moderation import queries as queue
from playbook.moderation import services as moderation
from tests import factories
from tests.factories import add_comment, add_members, latest_comment, latest_submission
from tests.helpers import client_for, comment_on, post, text_of

SUGGESTION = {
    "title": "Learner profile templates",
    "url": "https://example.org/profiles",
    "organization": "Example Lab",
    "resource_type": "Toolkit",
    "ideal_users": ["Teachers"],
    "description": "Templates for learner profiles.",
    "why_use_it": "They save time.",
}


@pytest.fixture
def no_gaps(app):
    app.config.update(PLAYBOOK_COMMENT_GAP_SECONDS_NEW=0, PLAYBOOK_COMMENT_GAP_SECONDS_TRUSTED=0)


def _approve(moderator, comment_or_kind, subject_id=None):
    kind, subject_id = (
        (SubjectKind.COMMENT, comment_or_kind.id)
        if subject_id is None
        else (comment_or_kind, subject_id)
    )
    outcome = moderation.decide(moderator, [(kind, subject_id)], "approve")
    assert outcome.done, outcome.skipped


def _post_and_status(client, play, body) -> CommentStatus:
    assert comment_on(client, "play", play.id, body).status_code == 302
    return latest_comment().status


def _latest_action_id():
    from playbook.models import ModerationAction

    return db.session.scalar(select(func.max(ModerationAction.id)))


# --- trust -------------------------------------------------------------------------------


def test_member_publishes_at_once_after_the_configured_approvals(app, no_gaps, member, moderator):
    app.config["PLAYBOOK_TRUST_AFTER_APPROVALS"] = 2
    play = factories.make_play()
    client = client_for(app, member)
    assert _post_and_status(client, play, "First.") is CommentStatus.PENDING
    _approve(moderator, latest_comment())
    assert _post_and_status(client, play, "Second.") is CommentStatus.PENDING
    _approve(moderator, latest_comment())
    assert _post_and_status(client, play, "Third.") is CommentStatus.PUBLISHED
    # Taking one approval back lowers the count below the threshold again.
    moderation.undo(moderator, _latest_action_id())
    assert _post_and_status(client, play, "Fourth.") is CommentStatus.PENDING


def test_approved_suggestions_count_towards_trust_and_rejections_do_not(
    app, no_gaps, member, moderator
):
    app.config["PLAYBOOK_TRUST_AFTER_APPROVALS"] = 1
    play = factories.make_play()
    client = client_for(app, member)
    rejected = suggestions.suggest_resource(
        member, {**SUGGESTION, "url": "https://example.org/other"}
    )
    moderation.decide(moderator, [(SubjectKind.SUBMISSION, rejected.id)], "reject", "Not a fit.")
    assert _post_and_status(client, play, "Still new.") is CommentStatus.PENDING
    approved = suggestions.suggest_resource(member, SUGGESTION)
    _approve(moderator, SubjectKind.SUBMISSION, approved.id)
    assert _post_and_status(client, play, "Now trusted.") is CommentStatus.PUBLISHED


def test_spam_holds_a_trusted_members_future_posts_until_undone(app, no_gaps, member, moderator):
    app.config["PLAYBOOK_TRUST_AFTER_APPROVALS"] = 0
    play = factories.make_play()
    client = client_for(app, member)
    assert _post_and_status(client, play, "Trusted words.") is CommentStatus.PUBLISHED
    spam = suggestions.suggest_resource(member, SUGGESTION)
    moderation.decide(moderator, [(SubjectKind.SUBMISSION, spam.id)], "spam")
    assert _post_and_status(client, play, "Held now.") is CommentStatus.PENDING
    moderation.undo(moderator, _latest_action_id())
    assert _post_and_status(client, play, "Free again.") is CommentStatus.PUBLISHED


def test_spam_on_a_flagged_comment_holds_the_authors_next_posts(app, no_gaps, member, moderator):
    app.config.update(PLAYBOOK_TRUST_AFTER_APPROVALS=0, PLAYBOOK_FLAGS_TO_HIDE=5)
    play = factories.make_play()
    client = client_for(app, member)
    assert _post_and_status(client, play, "Buy cheap pills.") is CommentStatus.PUBLISHED
    comment = latest_comment()
    flagger = client_for(app, factories.make_user())
    flag_url = url_for("comments.flag", comment_id=comment.id)
    assert post(flagger, flag_url, {"reason": "spam"}, flag_url).status_code == 302
    outcome = moderation.decide(moderator, [(SubjectKind.COMMENT, comment.id)], "spam")
    assert outcome.done
    assert _post_and_status(client, play, "More pills.") is CommentStatus.PENDING


def test_undoing_one_spam_decision_keeps_the_author_held_while_another_stands(
    app, no_gaps, member, moderator
):
    app.config["PLAYBOOK_TRUST_AFTER_APPROVALS"] = 0
    app.config["PLAYBOOK_SUGGESTIONS_PER_HOUR"] = 0
    play = factories.make_play()
    first = suggestions.suggest_resource(member, SUGGESTION)
    second = suggestions.suggest_resource(
        member, {**SUGGESTION, "title": "Other", "url": "https://example.org/o"}
    )
    moderation.decide(moderator, [(SubjectKind.SUBMISSION, first.id)], "spam")
    first_spam = _latest_action_id()
    moderation.decide(moderator, [(SubjectKind.SUBMISSION, second.id)], "spam")
    moderation.undo(moderator, first_spam)
    client = client_for(app, member)
    assert _post_and_status(client, play, "Still held by the other one.") is CommentStatus.PENDING
    moderation.undo(moderator, _latest_action_id() - 1)
    assert _post_and_status(client, play, "Free now.") is CommentStatus.PUBLISHED


@pytest.mark.parametrize("role", [SiteRole.MODERATOR, SiteRole.ADMIN])
def test_moderators_and_admins_publish_at_once_and_skip_limits(app, role):
    app.config.update(PLAYBOOK_TRUST_AFTER_APPROVALS=50, PLAYBOOK_COMMENT_GAP_SECONDS_TRUSTED=300)
    play = factories.make_play()
    client = client_for(app, factories.make_user(role))
    assert _post_and_status(client, play, "One.") is CommentStatus.PUBLISHED
    assert _post_and_status(client, play, "Two.") is CommentStatus.PUBLISHED
    assert "One." in text_of(app.test_client().get(url_for("library.play_detail", play_id=play.id)))


@pytest.mark.parametrize("visibility", [Visibility.PRIVATE, Visibility.LINK])
def test_team_talk_on_a_playbook_that_is_not_public_never_waits(
    app, no_gaps, member, moderator, visibility
):
    owner = factories.make_user()
    playbook = factories.make_playbook(owner)
    playbook.visibility = visibility
    db.session.commit()
    add_members(playbook.id, member, role=MemberRole.COMMENTER)
    response = comment_on(client_for(app, member), "playbook", playbook.id, "Our own discussion.")
    assert response.status_code == 302
    assert latest_comment().status is CommentStatus.PUBLISHED
    assert queue.counts()["total"] == 0
    page = text_of(client_for(app, moderator).get(url_for("moderation.index")))
    assert "Our own discussion." not in page and "Nothing is waiting here." in page


def test_held_comments_leave_the_queue_when_their_playbook_stops_being_public(
    app, no_gaps, member, moderator
):
    playbook = factories.make_playbook(factories.make_user())
    playbook.visibility = Visibility.PUBLIC
    db.session.commit()
    comment_on(client_for(app, member), "playbook", playbook.id, "Said in public.")
    comment = latest_comment()
    assert comment.status is CommentStatus.PENDING and queue.counts()["pending"] == 1
    playbook.visibility = Visibility.PRIVATE
    db.session.commit()
    assert queue.counts()["pending"] == 0
    outcome = moderation.decide(moderator, [(SubjectKind.COMMENT, comment.id)], "approve")
    assert not outcome.done and "no longer public" in outcome.skipped[0]


# --- limits on comments ------------------------------------------------------------------


def _age(model, seconds: int) -> None:
    """Move every row's created_at `seconds` into the past (as if time had passed)."""
    for row in db.session.scalars(select(model)):
        row.created_at -= timedelta(seconds=seconds)
    db.session.commit()


def _age_attempts(seconds: int) -> None:
    _age(AuthAttempt, seconds)


def test_new_member_waits_30_seconds_between_comments_and_keeps_the_text(app, member):
    assert app.config["PLAYBOOK_COMMENT_GAP_SECONDS_NEW"] == 30
    play = factories.make_play()
    client = client_for(app, member)
    assert comment_on(client, "play", play.id, "First thought.").status_code == 302
    response = comment_on(client, "play", play.id, "A second thought, typed with care.")
    assert response.status_code == 429
    page = text_of(response)
    assert (
        "faster than we allow" in page and "A second thought, typed with care.</textarea>" in page
    )
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 1
    # 20 s later (a wide margin: a busy machine takes a while between requests) it is
    # still too soon; past 30 s it is not.
    _age_attempts(20)
    assert comment_on(client, "play", play.id, "Still too soon.").status_code == 429
    _age_attempts(11)
    assert (
        comment_on(client, "play", play.id, "A second thought, typed with care.").status_code == 302
    )


def test_trusted_member_has_a_shorter_gap(app, member):
    app.config.update(PLAYBOOK_TRUST_AFTER_APPROVALS=0, PLAYBOOK_COMMENT_GAP_SECONDS_TRUSTED=5)
    play = factories.make_play()
    client = client_for(app, member)
    assert comment_on(client, "play", play.id, "One.").status_code == 302
    assert comment_on(client, "play", play.id, "Two.").status_code == 429
    _age_attempts(6)
    assert comment_on(client, "play", play.id, "Two.").status_code == 302


def test_hourly_comment_limit(app, no_gaps, member):
    app.config["PLAYBOOK_COMMENTS_PER_HOUR"] = 2
    play = factories.make_play()
    client = client_for(app, member)
    assert [comment_on(client, "play", play.id, f"Number {n}.").status_code for n in range(3)] == [
        302,
        302,
        429,
    ]


def test_hourly_limit_counts_each_comment_once_alongside_the_gap(app, member):
    app.config.update(
        PLAYBOOK_TRUST_AFTER_APPROVALS=0,
        PLAYBOOK_COMMENT_GAP_SECONDS_TRUSTED=5,
        PLAYBOOK_COMMENTS_PER_HOUR=4,
    )
    play = factories.make_play()
    client = client_for(app, member)
    statuses = []
    for n in range(5):
        statuses.append(comment_on(client, "play", play.id, f"Spaced out {n}.").status_code)
        _age_attempts(6)
    assert statuses == [302, 302, 302, 302, 429]


def test_same_text_twice_within_five_minutes_is_refused_and_kept(app, no_gaps, member):
    play, other = factories.make_play(), factories.make_play()
    client = client_for(app, member)
    assert comment_on(client, "play", play.id, "Great play!").status_code == 302
    response = comment_on(client, "play", other.id, "Great play!")
    assert response.status_code == 422
    assert "same text" in text_of(response) and "Great play!</textarea>" in text_of(response)
    assert comment_on(client, "play", other.id, "Great play, again!").status_code == 302
    _age(Comment, 6 * 60)
    assert comment_on(client, "play", other.id, "Great play!").status_code == 302


def test_limits_are_shared_by_two_signed_in_browsers(app, member):
    play = factories.make_play()
    first, second = client_for(app, member), client_for(app, member)
    assert comment_on(first, "play", play.id, "From the laptop.").status_code == 302
    assert comment_on(second, "play", play.id, "From the phone.").status_code == 429


def _shared_url(tmp_path) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'shared.db'}"
    return (
        "postgresql+psycopg://" + url[len("postgresql://") :]
        if url.startswith("postgresql://")
        else url
    )


def test_limits_hold_across_two_app_instances_on_one_database(tmp_path):
    """Two workers: two applications made by the factory on the same database."""
    url = _shared_url(tmp_path)
    first_app, second_app = (
        create_app({"SQLALCHEMY_DATABASE_URI": url}),
        create_app({"SQLALCHEMY_DATABASE_URI": url}),
    )
    with first_app.app_context():
        db.drop_all()
        db.create_all()
        try:
            user, play = factories.make_user(), factories.make_play()
            first = client_for(first_app, user)
            with second_app.app_context():
                second = client_for(second_app, db.session.get(User, user.id))
            assert comment_on(first, "play", play.id, "Worker one.").status_code == 302
            with second_app.app_context():
                response = comment_on(second, "play", play.id, "Worker two.")
                db.session.remove()
            assert response.status_code == 429
            assert db.session.scalar(select(func.count()).select_from(Comment)) == 1
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    with second_app.app_context():
        db.engine.dispose()


# --- limits on suggestions and flags ---------------------------------------------------


def test_suggestion_limit_keeps_the_typed_suggestion(app, member):
    app.config["PLAYBOOK_SUGGESTIONS_PER_HOUR"] = 2
    client = client_for(app, member)
    url = url_for("comments.suggest")
    for n, title in enumerate(("Family night agenda", "Rubric for student voice")):
        fields = {**SUGGESTION, "title": title, "url": f"https://example.org/distinct/{n}"}
        assert post(client, url, fields, url).status_code == 302
    third = {
        **SUGGESTION,
        "title": "Carefully typed third title",
        "url": "https://example.org/third",
    }
    response = post(client, url, third, url)
    assert response.status_code == 429
    assert 'value="Carefully typed third title"' in text_of(response)
    assert latest_submission().title == "Rubric for student voice"


def test_flag_limit(app, member):
    app.config.update(PLAYBOOK_FLAGS_PER_HOUR=2, PLAYBOOK_FLAGS_TO_HIDE=10)
    play = factories.make_play()
    writer = factories.make_user()
    comments = [add_comment(writer, play, f"Opinion {n}.") for n in range(3)]
    client = client_for(app, member)
    statuses = []
    for comment in comments:
        url = url_for("comments.flag", comment_id=comment.id)
        statuses.append(post(client, url, {"reason": "other", "note": "Check it"}, url).status_code)
    assert statuses == [302, 302, 429]


def test_moderators_flag_without_a_limit(app, moderator):
    app.config.update(PLAYBOOK_FLAGS_PER_HOUR=1, PLAYBOOK_FLAGS_TO_HIDE=10)
    play = factories.make_play()
    writer = factories.make_user()
    client = client_for(app, moderator)
    for n in range(3):
        comment = add_comment(writer, play, f"Opinion {n}.")
        url = url_for("comments.flag", comment_id=comment.id)
        assert post(client, url, {"reason": "other"}, url).status_code == 302
