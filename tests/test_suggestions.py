"""Resource suggestions: the duplicate check, link validation, revising a rejected
suggestion, "My contributions", and what others never see of pending or rejected
contributions."""

from __future__ import annotations

import re

import pytest
from flask import url_for
from sqlalchemy import func, select

from playbook.comments import suggestions
from playbook.extensions import db
from playbook.library.queries import library_counts
from playbook.models import (
    CommentStatus,
    Notification,
    SubjectKind,
    Submission,
    SubmissionStatus,
)
from playbook.moderation import services as moderation
from tests import factories
from tests.factories import add_comment, latest_comment, latest_submission
from tests.helpers import client_for, comment_on, post, text_of

FIELDS = {
    "title": "Completely new survey",
    "url": "https://example.net/new-survey",
    "organization": "Lab",
    "resource_type": "Toolkit",
    "ideal_users": ["Teachers", "Families"],
    "description": "Short surveys for students.",
    "why_use_it": "Real data before choosing plays.",
}


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Submission))


def _suggest(client, **changes):
    url = url_for("comments.suggest")
    return post(client, url, {**FIELDS, **changes}, url)


# --- the duplicate check ------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "http://example.org/Toolkits/Voice",  # http instead of https, no www
        "https://example.org/toolkits/voice",  # different case
        "HTTPS://WWW.EXAMPLE.ORG/toolkits/voice/",  # scheme and host in capitals, trailing slash
        "https://www.example.org/toolkits/voice/#top",  # a fragment
    ],
)
def test_same_normalized_link_as_a_library_resource_is_shown_before_sending(app, member, variant):
    resource = factories.make_resource(
        title="Voice toolkit", url="https://www.example.org/Toolkits/Voice/"
    )
    client = client_for(app, member)
    response = _suggest(client, url=variant)
    page = text_of(response)
    assert response.status_code == 200 and _count() == 0
    assert "Is it one of these?" in page and "same link" in page
    assert f'href="/library/resources/{resource.id}"' in page
    # The page now offers "Send anyway"; sending it again with its hidden mark sends it.
    assert "Send anyway" in page
    confirmed = re.search(
        r'name="confirmed"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="confirmed"',
        response.get_data(as_text=True),
    )
    value = confirmed.group(1) or confirmed.group(2)
    response = post(
        client,
        url_for("comments.suggest"),
        {**FIELDS, "url": variant, "confirmed": value},
        url_for("comments.suggest"),
    )
    assert response.status_code == 302 and _count() == 1


def test_another_page_on_the_same_site_is_not_a_duplicate(app, member):
    factories.make_resource(title="Voice toolkit", url="https://www.example.org/toolkits/voice")
    response = _suggest(client_for(app, member), url="https://example.org/toolkits/choice")
    assert response.status_code == 302 and _count() == 1


def test_similar_title_is_shown_and_an_unrelated_one_is_not(app, member):
    factories.make_resource(title="Student Voice Survey Kit", url="https://example.org/kit")
    client = client_for(app, member)
    response = _suggest(
        client, title="Student voice survey kit!", url="https://other.example.net/x"
    )
    assert response.status_code == 200 and "similar title" in text_of(response) and _count() == 0
    response = _suggest(client, title="Family engagement night", url="https://other.example.net/y")
    assert response.status_code == 302 and _count() == 1


def test_pending_suggestions_count_as_duplicates_but_rejected_and_retired_do_not(
    app, member, other_member, moderator
):
    waiting = suggestions.suggest_resource(
        other_member, {**FIELDS, "title": "Waiting one", "url": "https://example.com/waiting"}
    )
    refused = suggestions.suggest_resource(
        other_member, {**FIELDS, "title": "Refused one", "url": "https://example.com/refused"}
    )
    moderation.decide(moderator, [(SubjectKind.SUBMISSION, refused.id)], "reject", "Off topic.")
    factories.make_resource(title="Retired one", url="https://example.com/retired", retired=True)
    client = client_for(app, member)
    response = _suggest(client, title="Mine", url="http://www.example.com/waiting/")
    assert response.status_code == 200 and "already suggested, waiting for a moderator" in text_of(
        response
    )
    assert waiting.title in text_of(response)
    for title, url in (
        ("Alpha handbook", "https://example.com/refused"),
        ("Omega workbook", "https://example.com/retired"),
    ):
        assert _suggest(client, title=title, url=url).status_code == 302
    assert _count() == 4


# --- link validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript://example.org/%0Aalert(1)",
        "data:text/html,<b>x</b>",
        "http://",
        "https:///no-host",
        "ftp://example.org/file",
        "example.org/no-scheme",
        "http://localhost/x",
        "https://exa mple.org/",
    ],
)
def test_links_that_are_not_web_addresses_are_refused(app, member, url):
    response = _suggest(client_for(app, member), url=url)
    assert response.status_code == 422 and _count() == 0
    assert FIELDS["description"] in text_of(response)  # what was typed stays


# --- revise and resubmit --------------------------------------------------------------


def _rejected(author, moderator, reason="The link is broken.") -> Submission:
    submission = suggestions.suggest_resource(author, FIELDS)
    moderation.decide(moderator, [(SubjectKind.SUBMISSION, submission.id)], "reject", reason)
    return submission


def test_author_revises_a_rejected_suggestion_and_it_waits_again(app, member, moderator):
    submission = _rejected(member, moderator)
    client = client_for(app, member)
    url = url_for("comments.revise", submission_id=submission.id)
    page = text_of(client.get(url))
    assert "The link is broken." in page and 'value="Completely new survey"' in page
    response = post(client, url, {**FIELDS, "url": "https://example.net/fixed-survey"}, url)
    assert response.status_code == 302
    revised = latest_submission()
    assert (revised.id, revised.status, revised.reason, revised.times_submitted, revised.url) == (
        submission.id,
        SubmissionStatus.PENDING,
        "",
        2,
        "https://example.net/fixed-survey",
    )
    queue = text_of(client_for(app, moderator).get(url_for("moderation.index", tab="suggestions")))
    assert "fixed-survey" in queue and "Revised and sent 2 times" in queue


def test_only_the_author_revises_and_only_a_rejected_suggestion(
    app, member, other_member, moderator
):
    submission = _rejected(member, moderator)
    url = url_for("comments.revise", submission_id=submission.id)
    assert client_for(app, other_member).get(url).status_code == 404
    assert client_for(app, moderator).get(url).status_code == 403
    visitor = app.test_client().get(url)
    assert visitor.status_code == 302 and "/auth/login" in visitor.location
    pending = suggestions.suggest_resource(
        member, {**FIELDS, "title": "Another", "url": "https://example.net/b"}
    )
    approved = suggestions.suggest_resource(
        member, {**FIELDS, "title": "Third", "url": "https://example.net/c"}
    )
    moderation.decide(moderator, [(SubjectKind.SUBMISSION, approved.id)], "approve")
    author = client_for(app, member)
    for other in (pending, approved):
        other_url = url_for("comments.revise", submission_id=other.id)
        assert author.get(other_url).status_code == 403
        assert post(author, other_url, FIELDS, url_for("comments.mine")).status_code == 403
    db.session.expire_all()
    assert db.session.get(Submission, approved.id).status is SubmissionStatus.APPROVED


# --- my contributions -----------------------------------------------------------------


def test_my_contributions_show_every_state_with_reasons(app, member, moderator):
    app.config.update(PLAYBOOK_FLAGS_TO_HIDE=1)
    play = factories.make_play()
    waiting = add_comment(member, play, "Comment that waits.", status=CommentStatus.PENDING)
    refused = add_comment(member, play, "Comment that is refused.", status=CommentStatus.PENDING)
    moderation.decide(
        moderator, [(SubjectKind.COMMENT, refused.id)], "reject", "Please stay on topic."
    )
    add_comment(member, play, "Comment that is live.")
    hidden = add_comment(member, play, "Comment that gets hidden.")
    flag_url = url_for("comments.flag", comment_id=hidden.id)
    post(client_for(app, factories.make_user()), flag_url, {"reason": "harmful"}, flag_url)
    gone = add_comment(member, play, "Comment that is deleted.")
    delete_url = url_for("comments.delete", comment_id=gone.id)
    client = client_for(app, member)
    post(client, delete_url, {}, delete_url)
    rejected = _rejected(member, moderator, "We already list this.")
    suggestions.suggest_resource(
        member, {**FIELDS, "title": "Pending pick", "url": "https://example.net/p"}
    )
    approved = suggestions.suggest_resource(
        member, {**FIELDS, "title": "Approved pick", "url": "https://example.net/a"}
    )
    moderation.decide(moderator, [(SubjectKind.SUBMISSION, approved.id)], "approve")

    page = text_of(client.get(url_for("comments.mine")))
    assert (
        waiting.body in page
        and "Comment that is live." in page
        and "Comment that gets hidden." in page
    )
    assert "Comment that is deleted." not in page
    assert "Hidden while a moderator reviews flags" in page
    assert "Reason: Please stay on topic." in page and "Reason: We already list this." in page
    assert page.count("Waiting for a moderator") == 2 and page.count("Rejected") >= 2
    assert "Approved: in the library" in page and "See it in the library" in page
    assert url_for("comments.revise", submission_id=rejected.id).split("localhost")[-1] in page
    assert page.count("Revise and send again") == 1
    # Newest first: the approved suggestion (decided last) leads.
    assert (
        page.index("Approved pick") < page.index("Pending pick") < page.index("Comment that waits.")
    )


def test_my_contributions_are_mine_alone(app, member, other_member):
    add_comment(member, factories.make_play(), "Only mine.", status=CommentStatus.PENDING)
    assert "Only mine." not in text_of(client_for(app, other_member).get(url_for("comments.mine")))
    visitor = app.test_client().get(url_for("comments.mine"))
    assert visitor.status_code == 302 and "/auth/login" in visitor.location


# --- nothing pending or rejected reaches anyone else -----------------------------------


def test_pending_and_rejected_suggestions_stay_out_of_the_library(
    app, member, other_member, moderator
):
    before = library_counts()
    suggestions.suggest_resource(
        member, {**FIELDS, "title": "Quokka pending guide", "url": "https://example.net/q"}
    )
    refused = suggestions.suggest_resource(
        member, {**FIELDS, "title": "Wombat refused guide", "url": "https://example.net/w"}
    )
    moderation.decide(
        moderator, [(SubjectKind.SUBMISSION, refused.id)], "reject", "Not for schools."
    )
    for reader in (app.test_client(), client_for(app, other_member)):
        for url in (
            url_for("library.resource_index"),
            url_for("library.index"),
            url_for("library.search", q="quokka"),
            url_for("library.search", q="wombat"),
        ):
            page = text_of(reader.get(url))
            assert "Quokka" not in page and "Wombat" not in page, url
    assert library_counts() == before
    assert (
        db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.user_id != member.id)
        )
        == 0
    )

    # Once approved it is everywhere (the checks above can see a resource when it is there).
    approved = suggestions.suggest_resource(
        member, {**FIELDS, "title": "Kookaburra guide", "url": "https://example.net/k"}
    )
    moderation.decide(moderator, [(SubjectKind.SUBMISSION, approved.id)], "approve")
    resource_id = latest_submission().resource_id
    for url in (url_for("library.search", q="kookaburra"), url_for("library.resource_index")):
        assert f'href="/library/resources/{resource_id}"' in text_of(app.test_client().get(url)), (
            url
        )
    assert library_counts()["resources"] == before["resources"] + 1


def test_held_and_rejected_comments_stay_hidden_and_tell_no_one(
    app, member, other_member, moderator
):
    play = factories.make_play()
    top = add_comment(other_member, play, "A published question.")
    client = client_for(app, member)
    comment_on(client, "play", play.id, "A held reply.", parent_id=top.id)
    held = latest_comment()
    assert held.status is CommentStatus.PENDING
    page_url = url_for("library.play_detail", play_id=play.id)
    for reader in (app.test_client(), client_for(app, other_member)):
        assert "A held reply." not in text_of(reader.get(page_url))
        assert reader.get(url_for("comments.detail", comment_id=held.id)).status_code in (302, 404)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == other_member.id)
        )
        == 0
    )

    moderation.decide(moderator, [(SubjectKind.COMMENT, held.id)], "reject", "Rude.")
    assert "A held reply." not in text_of(client_for(app, other_member).get(page_url))
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == other_member.id)
        )
        == 0
    )
    assert "A held reply." in text_of(client.get(page_url))  # its author still sees it, marked
    assert "Reason: Rude." in text_of(client.get(page_url))


def test_approved_reply_tells_the_parent_author_once(app, member, other_member, moderator):
    play = factories.make_play()
    top = add_comment(other_member, play, "A published question.")
    comment_on(client_for(app, member), "play", play.id, "An answer.", parent_id=top.id)
    reply = latest_comment()
    moderation.decide(moderator, [(SubjectKind.COMMENT, reply.id)], "approve")
    messages = db.session.scalars(
        select(Notification.message).where(Notification.user_id == other_member.id)
    ).all()
    assert messages == [f"{member.display_name} replied to your comment."]


def test_a_suggestion_links_only_to_the_suggesters_own_comment(app, member, other_member):
    play = factories.make_play()
    theirs = add_comment(other_member, play, "Their comment.")
    mine = add_comment(member, play, "My comment.")
    client = client_for(app, member)
    url = url_for("comments.suggest")
    assert post(client, url, {**FIELDS, "comment_id": theirs.id}, url).status_code == 302
    assert latest_submission().comment_id is None
    assert (
        post(
            client,
            url,
            {
                **FIELDS,
                "title": "Other pick",
                "url": "https://example.net/other",
                "comment_id": mine.id,
            },
            url,
        ).status_code
        == 302
    )
    assert latest_submission().comment_id == mine.id
