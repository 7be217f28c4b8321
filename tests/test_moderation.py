"""The moderation queue through the HTTP interface: tabs, filters and order, counts,
single and bulk decisions, reasons and their templates, editing a suggestion,
notifications, the append-only log (on the models' schema and the migrated one)
and who may reach any of it. Undo has its own file."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from flask import url_for
from flask_migrate import upgrade
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from playbook import create_app
from playbook.comments import suggestions
from playbook.extensions import db
from playbook.models import (
    Comment,
    CommentStatus,
    Decision,
    ModerationAction,
    Notification,
    NotificationKind,
    OutgoingMail,
    ReasonTemplate,
    Resource,
    SiteRole,
    SubjectKind,
    Submission,
    SubmissionStatus,
    utcnow,
)
from playbook.moderation import services as moderation
from tests import factories
from tests.factories import SUGGESTION_FIELDS, add_comment, logged_actions, status_of
from tests.helpers import client_for, decide, flashes_after, post, queue_text, text_of, token_of

FIELDS = SUGGESTION_FIELDS
PENDING = CommentStatus.PENDING
_queue, _status, _actions = queue_text, status_of, logged_actions


@pytest.fixture
def mod(app, moderator):
    return client_for(app, moderator)


# --- tabs, filters, order, counts --------------------------------------------------


def test_each_tab_lists_what_waits_there(app, mod, member, moderator):
    app.config["PLAYBOOK_FLAGS_TO_HIDE"] = 2
    play = factories.make_play()
    add_comment(member, play, "Waiting comment.", status=PENDING)
    add_comment(member, play, "Hidden comment.", status=CommentStatus.HIDDEN)
    flagged = add_comment(member, play, "Flagged once comment.")
    flag_url = url_for("comments.flag", comment_id=flagged.id)
    post(
        client_for(app, factories.make_user()),
        flag_url,
        {"reason": "off_topic", "note": "Odd"},
        flag_url,
    )
    add_comment(member, play, "Quiet published comment.")
    suggestions.suggest_resource(member, FIELDS)
    decided = add_comment(member, play, "Decided comment.", status=PENDING)
    moderation.decide(moderator, [(SubjectKind.COMMENT, decided.id)], "approve")

    tabs = {tab: _queue(mod, tab=tab) for tab in ("pending", "flagged", "suggestions", "decided")}
    everything = (
        "Waiting comment.",
        "Hidden comment.",
        "Flagged once comment.",
        "Choice boards kit",
    )
    expected = {
        "pending": {"Waiting comment."},
        "flagged": {"Hidden comment.", "Flagged once comment."},
        "suggestions": {"Choice boards kit"},
        "decided": set(),
    }
    for tab, page in tabs.items():
        assert {text for text in everything if text in page} == expected[tab], tab
        assert "Quiet published comment." not in page
    assert "Off-topic" in tabs["flagged"] and "Odd" in tabs["flagged"]
    assert "Decided comment." in tabs["decided"] and "Approved" in tabs["decided"]
    for name, label, count in (
        ("pending", "Pending comments", 1),
        ("flagged", "Flagged comments", 2),
        ("suggestions", "Resource suggestions", 1),
    ):
        assert f'{label} <span class="count-badge">{count}</span>' in tabs["pending"], name


def test_filters_by_kind_age_and_author_and_oldest_first(app, mod, moderator):
    alice = factories.make_user(display_name="Alice Able", email="alice@district.example")
    bob = factories.make_user(display_name="Bob Baker")
    carol = factories.make_user(display_name="Carol Cole")
    framework = factories.make_framework()
    now = utcnow()
    add_comment(carol, framework.components[0], "Carol on a component.", status=PENDING)
    add_comment(
        bob,
        factories.make_resource(),
        "Bob on a resource.",
        status=PENDING,
        created_at=now - timedelta(days=2),
    )
    add_comment(
        alice,
        factories.make_play(framework),
        "Alice on a play.",
        status=PENDING,
        created_at=now - timedelta(days=10),
    )

    def shown(**filters):
        page = _queue(mod, tab="pending", **filters)
        found = [
            (page.index(t), t.split()[0]) for t in ("Alice on", "Bob on", "Carol on") if t in page
        ]
        return [name for _, name in sorted(found)]

    assert shown() == ["Alice", "Bob", "Carol"]  # oldest first
    assert shown(kind="resource") == ["Bob"]
    assert shown(kind="component") == ["Carol"]
    assert shown(age="1d") == ["Alice", "Bob"]
    assert shown(age="7d") == ["Alice"]
    assert shown(author="BAKER") == ["Bob"]
    assert shown(author="district.example") == ["Alice"]
    assert shown(author="nobody-like-this") == []

    suggestions.suggest_resource(bob, FIELDS)
    suggestions.suggest_resource(
        alice, {**FIELDS, "title": "Exit tickets", "url": "https://example.net/exit"}
    )
    page = _queue(mod, tab="suggestions")
    assert page.index("Choice boards kit") < page.index("Exit tickets")
    page = _queue(mod, tab="suggestions", author="alice")
    assert "Exit tickets" in page and "Choice boards kit" not in page


def test_navigation_counts_waiting_items_for_moderators_only(app, member, moderator, admin):
    play = factories.make_play()
    for n in range(3):
        add_comment(member, play, f"Waiting {n}.", status=PENDING)
    suggestions.suggest_resource(member, FIELDS)
    home = url_for("library.index")
    for person in (moderator, admin):
        page = text_of(client_for(app, person).get(home))
        assert (
            'Moderation <span class="count-badge">4<span class="visually-hidden"> waiting</span>'
            in page
        )
    for client in (client_for(app, member), app.test_client()):
        page = text_of(client.get(home))
        assert (
            url_for("moderation.index").split("localhost")[-1] not in page
            and 'count-badge">4' not in page
        )


# --- decisions ---------------------------------------------------------------------


def test_single_row_button_decides_only_that_row(app, mod, member):
    play = factories.make_play()
    one, two = (add_comment(member, play, f"Row {n}.", status=PENDING) for n in (1, 2))
    response = decide(
        mod,
        [f"comment:{one.id}", f"comment:{two.id}"],
        "approve",
        single=f"approve:comment:{one.id}",
    )
    assert "Decided 1" in flashes_after(mod, response)
    assert (_status(one), _status(two)) == (CommentStatus.PUBLISHED, PENDING)


def test_bulk_reject_and_spam_over_comments_and_suggestions(
    app, mod, member, other_member, moderator
):
    play = factories.make_play()
    first, second = (add_comment(member, play, f"Bulk {n}.", status=PENDING) for n in (1, 2))
    submission = suggestions.suggest_resource(other_member, FIELDS)
    subjects = [f"comment:{first.id}", f"comment:{second.id}", f"submission:{submission.id}"]
    response = decide(mod, subjects, "reject", "Not about this play.")
    assert "Decided 3" in flashes_after(mod, response)
    assert (_status(first), _status(second)) == (CommentStatus.REJECTED,) * 2
    assert db.session.get(Submission, submission.id).status is SubmissionStatus.REJECTED
    assert [(a.decision, a.reason, a.moderator_id) for a in _actions()] == [
        (Decision.REJECT, "Not about this play.", moderator.id)
    ] * 3

    spam = [add_comment(other_member, play, f"Spam {n}.", status=PENDING) for n in (1, 2)]
    decide(mod, [f"comment:{c.id}" for c in spam], "spam")
    assert [_status(c) for c in spam] == [CommentStatus.REJECTED] * 2
    db.session.expire_all()
    assert db.session.get(type(member), other_member.id).posts_held is True
    assert db.session.get(type(member), member.id).posts_held is False


def test_reject_needs_a_reason_and_a_template_fills_an_empty_box(app, mod, member, moderator):
    template = moderation.save_reason_template(
        moderator, None, "Off topic", "Please keep to the play's topic."
    )
    play = factories.make_play()
    comments = [add_comment(member, play, f"Maybe {n}.", status=PENDING) for n in range(3)]
    response = decide(mod, [f"comment:{comments[0].id}"], "reject", "")
    assert "Give a reason" in flashes_after(mod, response)
    assert _status(comments[0]) is PENDING and _actions() == []

    decide(mod, [f"comment:{comments[1].id}"], "reject", "", template=str(template.id))
    decide(mod, [f"comment:{comments[2].id}"], "reject", "My own words.", template=str(template.id))
    assert [a.reason for a in _actions()] == ["Please keep to the play's topic.", "My own words."]
    db.session.expire_all()
    assert db.session.get(Comment, comments[1].id).reason == "Please keep to the play's topic."


def test_moderator_edits_a_suggestion_then_saves_or_saves_and_approves(app, mod, member):
    submission = suggestions.suggest_resource(member, FIELDS)
    url = url_for("moderation.edit_suggestion", submission_id=submission.id)
    assert 'value="Choice boards kit"' in text_of(mod.get(url))
    edited = {
        **FIELDS,
        "title": "Choice boards starter kit",
        "organization": "Example Learning Lab",
    }
    assert post(mod, url, edited, url).status_code == 302
    db.session.expire_all()
    submission = db.session.get(Submission, submission.id)
    assert (submission.title, submission.status) == (
        "Choice boards starter kit",
        SubmissionStatus.PENDING,
    )

    response = post(
        mod, url, {**edited, "url": "https://example.net/choice-boards-v2", "then": "approve"}, url
    )
    assert response.status_code == 302
    db.session.expire_all()
    submission = db.session.get(Submission, submission.id)
    resource = db.session.get(Resource, submission.resource_id)
    assert submission.status is SubmissionStatus.APPROVED
    assert (resource.title, resource.url, resource.organization, resource.suggested_by_id) == (
        "Choice boards starter kit",
        "https://example.net/choice-boards-v2",
        "Example Learning Lab",
        member.id,
    )
    assert (
        post(mod, url, {**edited, "title": "Too late"}, url_for("moderation.index")).status_code
        == 422
    )


# --- the log is append-only ----------------------------------------------------------


def _refused(statement) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(statement)
        db.session.flush()
    db.session.rollback()


def _log_row(moderator) -> int:
    row = ModerationAction(
        moderator_id=moderator.id,
        author_id=moderator.id,
        subject_kind=SubjectKind.COMMENT,
        subject_id=1,
        decision=Decision.APPROVE,
        from_status="pending",
        to_status="published",
        reason="Fine.",
        summary="A comment",
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def _assert_append_only(moderator) -> None:
    row_id = _log_row(moderator)
    _refused(
        update(ModerationAction).where(ModerationAction.id == row_id).values(reason="Rewritten.")
    )
    _refused(delete(ModerationAction).where(ModerationAction.id == row_id))
    _refused(text("DELETE FROM moderation_action"))
    db.session.expire_all()
    assert db.session.get(ModerationAction, row_id).reason == "Fine."


def test_the_log_refuses_updates_and_deletes_in_the_database(app, moderator):
    _assert_append_only(moderator)


def test_the_migrated_database_refuses_updates_and_deletes_of_the_log(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path}/migrated.sqlite"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        try:
            upgrade()
            _assert_append_only(factories.make_user(SiteRole.MODERATOR))
        finally:
            db.session.remove()
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.engine.dispose()


# --- notifications ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["comment", "submission"])
@pytest.mark.parametrize(
    "decision, expected",
    [
        ("approve", NotificationKind.CONTRIBUTION_APPROVED),
        ("reject", NotificationKind.CONTRIBUTION_REJECTED),
        ("spam", NotificationKind.CONTRIBUTION_REJECTED),
    ],
)
def test_every_decision_tells_the_author_in_the_app_and_by_email(
    app, mod, member, kind, decision, expected
):
    if kind == "comment":
        subject_id = add_comment(member, factories.make_play(), "Tell me.", status=PENDING).id
    else:
        subject_id = suggestions.suggest_resource(member, FIELDS).id
    decide(
        mod,
        [f"{kind}:{subject_id}"],
        decision,
        "Because of the rules." if decision == "reject" else "",
    )
    notes = db.session.scalars(select(Notification).where(Notification.user_id == member.id)).all()
    assert [n.kind for n in notes] == [expected]
    if decision == "reject":
        assert "Because of the rules." in notes[0].message
    mails = db.session.scalars(select(OutgoingMail).where(OutgoingMail.to == member.email)).all()
    assert len(mails) == 1 and notes[0].message[:60] in mails[0].body


# --- who may reach the queue -------------------------------------------------------------


def _moderation_urls(app) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("moderation."):
            args = dict.fromkeys(rule.arguments, 1)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                urls.append((method, url_for(rule.endpoint, **args)))
    return urls


def test_members_get_403_and_visitors_sign_in_on_every_moderation_route(app, member, moderator):
    moderation.save_reason_template(moderator, None, "Spam", "Looks like spam.")
    suggestions.suggest_resource(member, FIELDS)
    urls = _moderation_urls(app)
    assert len(urls) >= 10
    signed_in, visitor = client_for(app, member), app.test_client()
    member_token = token_of(signed_in, url_for("accounts.profile"))
    visitor_token = token_of(visitor, url_for("auth.login"))
    for method, url in urls:
        data = {
            "csrf_token": member_token,
            "decision": "approve",
            "subject": "comment:1",
            "title": "x",
            "body": "x",
        }
        response = signed_in.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 403, (method, url, response.status_code)
        data["csrf_token"] = visitor_token
        response = visitor.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 302 and "/auth/login" in response.location, (method, url)
    assert (
        _actions() == []
        and db.session.scalar(select(func.count()).select_from(ReasonTemplate)) == 1
    )


# --- reason templates ------------------------------------------------------------------


def test_moderator_adds_edits_and_deletes_reason_templates(app, mod, member):
    url = url_for("moderation.reasons")
    assert (
        post(mod, url, {"title": "Off topic", "body": "Please stay on topic."}, url).status_code
        == 302
    )
    assert (
        post(mod, url, {"title": "Duplicate", "body": "We already list it."}, url).status_code
        == 302
    )
    page = text_of(mod.get(url))
    assert "Off topic" in page and "Please stay on topic." in page
    response = post(mod, url, {"title": "Off topic", "body": "Again."}, url)
    assert response.status_code == 422 and "already a reason with that title" in text_of(response)

    off_topic = db.session.scalars(
        select(ReasonTemplate).where(ReasonTemplate.title == "Off topic")
    ).one()
    edit_url = url_for("moderation.edit_reason", template_id=off_topic.id)
    assert (
        post(
            mod, edit_url, {"title": "Off topic", "body": "Keep to the play."}, edit_url
        ).status_code
        == 302
    )
    assert (
        post(mod, edit_url, {"title": "Duplicate", "body": "Clash."}, edit_url).status_code == 422
    )
    add_comment(member, factories.make_play(), "Something to decide.", status=PENDING)
    queue_page = text_of(mod.get(url_for("moderation.index")))
    assert (
        f'<option value="{off_topic.id}" data-body="Keep to the play.">Off topic</option>'
        in queue_page
    )

    delete_url = url_for("moderation.delete_reason", template_id=off_topic.id)
    assert post(mod, delete_url, {}, url).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(ReasonTemplate.title)).all() == ["Duplicate"]
