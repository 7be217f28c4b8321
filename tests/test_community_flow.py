"""The issue's walk-through, through the HTTP interface: a new educator's comment and
suggestion wait, a moderator approves both in bulk, the comment appears, the
resource enters the library with credit, the educator hears about it; a comment
flagged by enough members disappears and comes back when a moderator approves it."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import func, select

from playbook.extensions import db
from playbook.models import (
    CommentStatus,
    Decision,
    ModerationAction,
    Notification,
    NotificationKind,
    OutgoingMail,
    Resource,
    SubmissionStatus,
)
from tests import factories
from tests.factories import latest_comment, latest_submission
from tests.helpers import client_for, comment_on_play, decide, post, text_of

SUGGESTION = {
    "title": "Student voice survey kit",
    "url": "https://example.org/voice-kit",
    "organization": "Example Learning Lab",
    "resource_type": "Toolkit",
    "ideal_users": ["Teachers"],
    "description": "Short surveys that ask students how they learn best.",
    "why_use_it": "It gives a team real data before it picks plays.",
}


def test_new_educator_is_held_then_approved_in_bulk(app, moderator):
    play = factories.make_play()
    educator = factories.make_user(display_name="Eli Educator")
    reader = app.test_client()
    teacher = client_for(app, educator)

    # The comment is held, and says so; a visitor does not see it.
    response = comment_on_play(
        teacher, play.id, "We used this with **grade 7** and it worked.", suggest="y"
    )
    assert response.status_code == 302 and "/comments/suggest?comment_id=" in response.location
    comment = latest_comment()
    assert comment.status is CommentStatus.PENDING
    assert "grade 7" in text_of(teacher.get(url_for("library.play_detail", play_id=play.id)))
    assert "grade 7" not in text_of(reader.get(url_for("library.play_detail", play_id=play.id)))

    # The suggestion from the comment box is linked to the comment and held.
    response = post(
        teacher,
        url_for("comments.suggest"),
        {**SUGGESTION, "comment_id": comment.id},
        url_for("comments.suggest", comment_id=comment.id),
    )
    assert response.status_code == 302, text_of(response)[:800]
    submission = latest_submission()
    assert (submission.status, submission.comment_id) == (SubmissionStatus.PENDING, comment.id)
    mine = text_of(teacher.get(url_for("comments.mine")))
    assert mine.count("Waiting for a moderator") == 2

    # The moderator sees both, counted, and approves them in one go.
    mod = client_for(app, moderator)
    queue = text_of(mod.get(url_for("moderation.index")))
    assert "grade 7" in queue and "Moderation" in queue
    suggestions = text_of(mod.get(url_for("moderation.index", tab="suggestions")))
    assert "Student voice survey kit" in suggestions
    response = decide(mod, [f"comment:{comment.id}", f"submission:{submission.id}"], "approve")
    assert response.status_code == 302

    # The comment is public now, the resource is in the library with credit.
    assert "grade 7" in text_of(reader.get(url_for("library.play_detail", play_id=play.id)))
    resource = db.session.scalars(
        select(Resource).where(Resource.title == SUGGESTION["title"])
    ).one()
    assert resource.suggested_by_id == educator.id
    page = text_of(reader.get(url_for("library.resource_detail", resource_id=resource.id)))
    assert "Suggested for the library by Eli Educator" in page
    search = text_of(reader.get(url_for("library.search", q="voice survey")))
    assert f'href="/library/resources/{resource.id}"' in search and "1 result" in search

    # The decision is posted back into the thread and logged; the educator is told.
    thread = text_of(reader.get(url_for("library.play_detail", play_id=play.id)))
    assert "is now in the library, credited to Eli Educator" in thread
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == educator.id)
    ).all()
    assert kinds.count(NotificationKind.CONTRIBUTION_APPROVED) == 2
    assert (
        db.session.scalar(
            select(func.count()).select_from(OutgoingMail).where(OutgoingMail.to == educator.email)
        )
        == 2
    )
    log = db.session.scalars(select(ModerationAction).order_by(ModerationAction.id)).all()
    assert [(a.decision, a.moderator_id, a.author_id) for a in log] == [
        (Decision.APPROVE, moderator.id, educator.id)
    ] * 2


def test_flags_hide_a_comment_and_approval_brings_it_back(app, moderator):
    app.config["PLAYBOOK_FLAGS_TO_HIDE"] = 3
    play = factories.make_play()
    writer = factories.make_user(display_name="Wendy Writer")
    db.session.commit()
    comment_on_play(client_for(app, moderator), play.id, "A frank opinion about rubrics.")
    comment = latest_comment()
    assert comment.status is CommentStatus.PUBLISHED  # moderators publish at once
    reader = app.test_client()
    page_url = url_for("library.play_detail", play_id=play.id)
    flaggers = [factories.make_user() for _ in range(3)]
    db.session.commit()
    for number, flagger in enumerate(flaggers, start=1):
        client = client_for(app, flagger)
        response = post(
            client,
            url_for("comments.flag", comment_id=comment.id),
            {"reason": "off_topic"},
            url_for("comments.flag", comment_id=comment.id),
        )
        assert response.status_code == 302
        visible = "A frank opinion" in text_of(reader.get(page_url))
        assert visible is (number < 3), number
    assert latest_comment().status is CommentStatus.HIDDEN

    mod = client_for(app, moderator)
    assert "A frank opinion" in text_of(mod.get(url_for("moderation.index", tab="flagged")))
    decide(mod, [f"comment:{comment.id}"], "approve")
    assert latest_comment().status is CommentStatus.PUBLISHED
    assert "A frank opinion" in text_of(reader.get(page_url))
    assert "A frank opinion" not in text_of(mod.get(url_for("moderation.index", tab="flagged")))
    assert writer  # an unrelated member exists; nothing else to check


def test_a_rejected_suggestion_tells_its_thread_only_that_it_was_decided(app, moderator):
    play = factories.make_play()
    educator = factories.make_user(display_name="Eli Educator")
    db.session.commit()
    teacher = client_for(app, educator)
    comment_on_play(teacher, play.id, "Here is a kit we liked.", suggest="y")
    comment = latest_comment()
    post(
        teacher,
        url_for("comments.suggest"),
        {**SUGGESTION, "title": "Secret sauce kit", "comment_id": comment.id},
        url_for("comments.suggest", comment_id=comment.id),
    )
    mod = client_for(app, moderator)
    decide(mod, [f"comment:{comment.id}"], "approve")
    decide(mod, [f"submission:{latest_submission().id}"], "reject", reason="Behind a paywall.")
    thread = text_of(app.test_client().get(url_for("library.play_detail", play_id=play.id)))
    assert "did not add it to the library" in thread
    assert "Secret sauce kit" not in thread and "paywall" not in thread
    mine = text_of(teacher.get(url_for("comments.mine")))
    assert "Secret sauce kit" in mine and "Behind a paywall." in mine
