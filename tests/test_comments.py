"""Comments through the HTTP interface: who may post where, preview, replies one level
deep, edit and delete, and the sanitizer on real posts. Long threads, permalinks and
statements per thread page are in test_comment_threads.py."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import url_for
from sqlalchemy import func, select

from playbook.extensions import db
from playbook.models import Comment, CommentStatus, MemberRole, SubjectKind, TargetKind, Visibility
from playbook.moderation import services as moderation
from tests import factories
from tests.factories import add_comment, add_members, latest_comment
from tests.helpers import client_for, comment_on, csrf_token_from, post, target_url, text_of
from tests.test_sanitize import CORPUS_PAYLOADS, _parse, assert_inert


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Comment))


def _targets():
    framework = factories.make_framework()
    return {
        "play": factories.make_play(framework),
        "resource": factories.make_resource(),
        "component": framework.components[0],
    }


@pytest.fixture
def trusting(app):
    """Everyone publishes at once and no gap between posts: the tests about where and
    how comments show are not about trust or limits."""
    app.config.update(
        PLAYBOOK_TRUST_AFTER_APPROVALS=0,
        PLAYBOOK_COMMENT_GAP_SECONDS_NEW=0,
        PLAYBOOK_COMMENT_GAP_SECONDS_TRUSTED=0,
    )


# --- who may post where --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["play", "resource", "component"])
def test_member_can_comment_on_each_library_entry(app, trusting, member, kind):
    target = _targets()[kind]
    response = comment_on(client_for(app, member), kind, target.id, f"Notes on this {kind}.")
    assert response.status_code == 302
    comment = latest_comment()
    assert (
        response.location == urlsplit(target_url(kind, target.id)).path + f"#comment-{comment.id}"
    )
    assert (comment.target_kind, comment.target_id, comment.status) == (
        TargetKind(kind),
        target.id,
        CommentStatus.PUBLISHED,
    )
    assert f"Notes on this {kind}." in text_of(app.test_client().get(target_url(kind, target.id)))


def test_member_cannot_comment_on_a_retired_play(app, trusting, member):
    play = factories.make_play(retired=True)
    client = client_for(app, member)
    token_page = target_url("play", factories.make_play().id)
    response = post(
        client, url_for("comments.new", kind="play", target_id=play.id), {"body": "hi"}, token_page
    )
    assert response.status_code == 404 and _count() == 0


@pytest.mark.parametrize(
    "role, expected",
    [
        (MemberRole.OWNER, 302),
        (MemberRole.EDITOR, 302),
        (MemberRole.COMMENTER, 302),
        (MemberRole.VIEWER, 403),
    ],
)
def test_private_playbook_takes_comments_from_commenters_and_above(
    app, trusting, member, role, expected
):
    owner = factories.make_user()
    playbook = factories.make_playbook(owner)
    if role is not MemberRole.OWNER:
        add_members(playbook.id, member, role=role)
    author = owner if role is MemberRole.OWNER else member
    response = comment_on(client_for(app, author), "playbook", playbook.id, "Team note.")
    assert response.status_code == expected
    assert _count() == (1 if expected == 302 else 0)


def test_viewer_is_not_offered_the_comment_form(app, trusting, member):
    owner = factories.make_user()
    playbook = factories.make_playbook(owner)
    add_members(playbook.id, member, role=MemberRole.VIEWER)
    page = text_of(client_for(app, member).get(target_url("playbook", playbook.id)))
    assert (
        "Only members of this playbook with the commenter role or above can comment here." in page
    )
    assert url_for("comments.new", kind="playbook", target_id=playbook.id) not in page


def test_stranger_gets_404_on_a_private_playbook_and_visitor_is_sent_to_sign_in(
    app, trusting, member
):
    playbook = factories.make_playbook(factories.make_user())
    url = url_for("comments.new", kind="playbook", target_id=playbook.id)
    response = post(client_for(app, member), url, {"body": "Hello?"}, url_for("accounts.profile"))
    assert response.status_code == 404
    visitor = app.test_client()
    for response in (
        visitor.get(url),
        post(visitor, url, {"body": "Hello?"}, url_for("auth.login")),
    ):
        assert response.status_code == 302 and "/auth/login" in response.location
    assert _count() == 0


def test_any_member_comments_on_a_public_playbook(app, trusting, member):
    playbook = factories.make_playbook(factories.make_user())
    playbook.visibility = Visibility.PUBLIC
    db.session.commit()
    assert (
        comment_on(client_for(app, member), "playbook", playbook.id, "Nice plan.").status_code
        == 302
    )
    assert "Nice plan." in text_of(app.test_client().get(target_url("playbook", playbook.id)))


# --- preview --------------------------------------------------------------------------


def test_preview_saves_nothing_and_shows_sanitized_html(app, trusting, member):
    play = factories.make_play()
    body = (
        "**Bold** <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    )
    response = comment_on(client_for(app, member), "play", play.id, body, preview="Preview")
    assert response.status_code == 200 and _count() == 0
    html = response.get_data(as_text=True)
    preview = re.search(r'<section class="comment-preview".*?</section>', html, re.S).group(0)
    assert "<strong>Bold</strong>" in preview
    assert_inert(re.search(r'<div class="prose">(.*?)</div>', preview, re.S).group(1))
    assert "<script>alert" not in html and "onerror=alert" not in html.replace(
        "onerror=alert(3)&gt;", ""
    )
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    )  # the typed text is still in the box, escaped


# --- replies ----------------------------------------------------------------------------


def test_reply_is_kept_one_level_deep(app, trusting, member, other_member):
    play = factories.make_play()
    top = add_comment(other_member, play, "Top-level thought.")
    client = client_for(app, member)
    assert comment_on(client, "play", play.id, "A reply.", parent_id=top.id).status_code == 302
    reply = latest_comment()
    assert reply.parent_id == top.id
    page = text_of(app.test_client().get(target_url("play", play.id)))
    assert re.search(r'class="comment-replies".*A reply\.', page)

    response = comment_on(client, "play", play.id, "A reply to a reply.", parent_id=reply.id)
    assert response.status_code == 422 and "only reply to a comment in this thread" in text_of(
        response
    )
    assert "A reply to a reply." in text_of(response)  # the text is kept
    assert _count() == 2


def test_reply_to_a_comment_of_another_target_is_refused(app, trusting, member):
    here, there = factories.make_play(), factories.make_play()
    elsewhere = add_comment(member, there, "Over there.")
    response = comment_on(
        client_for(app, member), "play", here.id, "Misplaced.", parent_id=elsewhere.id
    )
    assert response.status_code == 422 and _count() == 1


def test_reply_to_a_comment_that_does_not_exist_is_refused(app, trusting, member):
    play = factories.make_play()
    response = comment_on(
        client_for(app, member), "play", play.id, "Into the void.", parent_id="999999"
    )
    assert response.status_code == 422 and "no longer exists" in text_of(response)
    assert _count() == 0


def test_reply_to_a_comment_the_member_cannot_see_is_refused(app, trusting, member, other_member):
    play = factories.make_play()
    held = add_comment(other_member, play, "Held back text.", status=CommentStatus.PENDING)
    response = comment_on(
        client_for(app, member), "play", play.id, "Replying blind.", parent_id=held.id
    )
    assert response.status_code in (404, 422) and _count() == 1


def test_reply_page_never_quotes_a_comment_the_reader_cannot_see(
    app, trusting, member, other_member
):
    play = factories.make_play()
    held = add_comment(other_member, play, "Held back text.", status=CommentStatus.PENDING)
    owner = factories.make_user()
    private = add_comment(owner, factories.make_playbook(owner), "Private team talk.")
    client = client_for(app, member)
    for parent in (held, private):
        page = client.get(
            url_for("comments.new", kind="play", target_id=play.id, reply_to=parent.id)
        )
        assert parent.body not in text_of(page)


# --- edit -------------------------------------------------------------------------------


def test_author_edits_and_the_edited_mark_shows(app, trusting, member):
    play = factories.make_play()
    comment = add_comment(member, play, "First words.")
    url = url_for("comments.edit", comment_id=comment.id)
    response = post(client_for(app, member), url, {"body": "Better words."}, url)
    assert response.status_code == 302
    page = text_of(app.test_client().get(target_url("play", play.id)))
    assert "Better words." in page and "First words." not in page and "(edited)" in page


def test_only_the_author_edits(app, trusting, member, other_member):
    comment = add_comment(member, factories.make_play(), "Mine.")
    url = url_for("comments.edit", comment_id=comment.id)
    other = client_for(app, other_member)
    assert other.get(url).status_code == 403
    response = other.post(url, data={"body": "Hijacked."})
    assert response.status_code in (400, 403)
    visitor = app.test_client().get(url)
    assert visitor.status_code == 302 and "/auth/login" in visitor.location
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body == "Mine."


def test_untrusted_authors_edit_of_a_published_comment_waits_again(app, member, moderator):
    app.config.update(PLAYBOOK_TRUST_AFTER_APPROVALS=3)
    play = factories.make_play()
    comment_on(client_for(app, member), "play", play.id, "Approved words.")
    comment = latest_comment()
    assert comment.status is CommentStatus.PENDING
    moderation.decide(moderator, [(SubjectKind.COMMENT, comment.id)], "approve")
    url = url_for("comments.edit", comment_id=comment.id)
    response = post(client_for(app, member), url, {"body": "Something else entirely."}, url)
    assert response.status_code == 302
    assert latest_comment().status is CommentStatus.PENDING
    page = text_of(app.test_client().get(target_url("play", play.id)))
    assert "Something else entirely." not in page and "Approved words." not in page


def test_trusted_authors_edit_stays_published(app, trusting, member):
    comment = add_comment(member, factories.make_play(), "Fine words.")
    url = url_for("comments.edit", comment_id=comment.id)
    post(client_for(app, member), url, {"body": "Finer words."}, url)
    assert latest_comment().status is CommentStatus.PUBLISHED


# --- delete -----------------------------------------------------------------------------


def test_deleted_comment_with_a_visible_reply_leaves_a_placeholder(
    app, trusting, member, other_member
):
    play = factories.make_play()
    top = add_comment(member, play, "Going away soon.")
    add_comment(other_member, play, "A reply that stays.", parent=top)
    url = url_for("comments.delete", comment_id=top.id)
    assert post(client_for(app, member), url, {}, url).status_code == 302
    page = text_of(app.test_client().get(target_url("play", play.id)))
    assert "Going away soon." not in page
    assert "This comment was deleted." in page and "A reply that stays." in page


def test_deleted_comment_without_visible_replies_is_gone(app, trusting, member, other_member):
    play = factories.make_play()
    top = add_comment(member, play, "Going away soon.")
    add_comment(other_member, play, "Still waiting.", parent=top, status=CommentStatus.PENDING)
    url = url_for("comments.delete", comment_id=top.id)
    assert post(client_for(app, member), url, {}, url).status_code == 302
    page = text_of(app.test_client().get(target_url("play", play.id)))
    assert "Going away soon." not in page and "This comment was deleted." not in page
    assert "No comments yet." in page


def test_only_the_author_deletes(app, trusting, member, other_member):
    comment = add_comment(member, factories.make_play(), "Mine to delete.")
    url = url_for("comments.delete", comment_id=comment.id)
    assert client_for(app, other_member).get(url).status_code == 403
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).deleted_at is None


# --- the sanitizer on real posts --------------------------------------------------------


def test_every_corpus_payload_posted_through_the_form_renders_inert(app, trusting, member):
    app.config.update(
        PLAYBOOK_COMMENTS_PER_PAGE=1000,
        PLAYBOOK_COMMENTS_PER_HOUR=0,
        PLAYBOOK_REPEAT_TEXT_MINUTES=0,
    )
    play = factories.make_play()
    client = client_for(app, member)
    page_url = target_url("play", play.id)
    baseline = client.get(page_url).get_data(as_text=True)
    token = csrf_token_from(baseline)
    payloads = [p for _, p in CORPUS_PAYLOADS] + [
        "[ok](https://example.org/ok) and <mailto:a@example.org>",
        "[bad](ftp://example.org/x) [worse](data:text/html,<script>alert(1)</script>)",
    ]
    for payload in payloads:
        response = client.post(
            url_for("comments.new", kind="play", target_id=play.id),
            data={"csrf_token": token, "body": payload},
        )
        assert response.status_code == 302, (payload, response.status_code)
    html = client.get(page_url).get_data(as_text=True)
    bodies = re.findall(r'<div class="prose comment-body">(.*?)</div>', html, re.S)
    assert len(bodies) == len(payloads)
    for body in bodies:
        assert_inert(body)
    # The page as a whole gained no element, handler or link beyond the comments' own.
    assert _live_parts(html) == _live_parts(baseline)
    assert '<a href="https://example.org/ok" rel="nofollow noopener">ok</a>' in html
    assert '<a href="mailto:a@example.org" rel="nofollow noopener">' in html
    assert 'href="ftp:' not in html and 'href="data:' not in html


def _live_parts(html: str) -> dict:
    """What could run on a page: script and frame elements, event-handler attributes,
    and links to anything but http(s), mailto or a relative path."""
    parsed = _parse(html)
    scripts = sorted(
        str(attrs) for tag, attrs in parsed.starts if tag in ("script", "iframe", "object", "embed")
    )
    handlers = [name for _, attrs in parsed.starts for name, _ in attrs if name.startswith("on")]
    links = [
        value
        for _, attrs in parsed.starts
        for name, value in attrs
        if name in ("href", "src", "action")
        and ":" in (value or "")
        and not (value or "").lower().startswith(("http://", "https://", "mailto:"))
    ]
    return {"scripts": scripts, "handlers": handlers, "links": links}


# --- length and flags -----------------------------------------------------------------


def test_too_long_a_comment_is_refused_and_kept(app, trusting, member):
    play = factories.make_play()
    body = "word " * 1001
    response = comment_on(client_for(app, member), "play", play.id, body)
    assert response.status_code == 422 and _count() == 0
    assert body.strip() in response.get_data(as_text=True)


def test_a_member_flags_a_comment_once_and_never_their_own_or_a_held_one(
    app, trusting, member, other_member
):
    play = factories.make_play()
    theirs = add_comment(other_member, play, "Flag me.")
    mine = add_comment(member, play, "My own.")
    held = add_comment(other_member, play, "Held.", status=CommentStatus.PENDING)
    client = client_for(app, member)
    url = url_for("comments.flag", comment_id=theirs.id)
    assert post(client, url, {"reason": "spam"}, url).status_code == 302
    again = post(client, url, {"reason": "spam"}, url_for("comments.mine"))
    assert again.status_code == 422 and "already flagged" in text_of(again)
    assert client.get(url_for("comments.flag", comment_id=mine.id)).status_code == 403
    assert client.get(url_for("comments.flag", comment_id=held.id)).status_code == 404
    page = text_of(client.get(target_url("play", play.id)))
    assert f"/comments/{theirs.id}/flag" in page and f"/comments/{mine.id}/flag" not in page
