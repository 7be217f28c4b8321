"""Comment threads: long threads in pages (replies travel with their parent), links
that find a comment on whichever page it is, and a thread page that sends the same
number of SQL statements for 5 comments as for 100."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from sqlalchemy import event, select

from playbook.extensions import db
from playbook.models import CommentStatus, Notification, SubjectKind, Visibility
from playbook.moderation import services as moderation
from tests import factories
from tests.factories import add_comment, latest_comment
from tests.helpers import client_for, comment_on, post, target_url, text_of


@pytest.fixture
def trusting(app):
    """Everyone publishes at once and no gap between posts."""
    app.config.update(
        PLAYBOOK_TRUST_AFTER_APPROVALS=0,
        PLAYBOOK_COMMENT_GAP_SECONDS_NEW=0,
        PLAYBOOK_COMMENT_GAP_SECONDS_TRUSTED=0,
    )


def _targets():
    framework = factories.make_framework()
    return {
        "play": factories.make_play(framework),
        "resource": factories.make_resource(),
        "component": framework.components[0],
    }


# --- long threads -----------------------------------------------------------------------


def test_long_thread_pages_carry_replies_with_their_parent(app, trusting, member, other_member):
    app.config["PLAYBOOK_COMMENTS_PER_PAGE"] = 3
    play = factories.make_play()
    tops = [add_comment(member, play, f"Top number {i}.") for i in range(7)]
    for i, top in enumerate(tops):
        add_comment(other_member, play, f"Reply to number {i}.", parent=top)
    # A reply written later than every top-level comment still travels with its parent.
    add_comment(other_member, play, "Late reply to number 0.", parent=tops[0])
    reader = app.test_client()
    pages = [text_of(reader.get(target_url("play", play.id, comments=n))) for n in (1, 2, 3)]
    for n, page in enumerate(pages):
        shown = [i for i in range(7) if f"Top number {i}." in page]
        assert shown == list(range(3 * n, min(3 * n + 3, 7))), (n, shown)
        assert [i for i in range(7) if f"Reply to number {i}." in page] == shown
    assert "Late reply to number 0." in pages[0]
    assert f'href="/library/plays/{play.id}?comments=2#comments" rel="next"' in pages[0]
    assert 'rel="next"' not in pages[2] and 'rel="prev"' in pages[2]


def test_a_later_page_link_always_leads_to_comments(app, trusting, member):
    """Deleted comments nobody replied to take no place on a page, so "Later
    comments" never leads to an empty page."""
    app.config["PLAYBOOK_COMMENTS_PER_PAGE"] = 2
    play = factories.make_play()
    add_comment(member, play, "Kept one.")
    add_comment(member, play, "Kept two.")
    gone = add_comment(member, play, "Deleted three.")
    url = url_for("comments.delete", comment_id=gone.id)
    post(client_for(app, member), url, {}, url)
    page = text_of(app.test_client().get(target_url("play", play.id)))
    assert "Kept one." in page and "Kept two." in page
    assert 'rel="next"' not in page


# --- links that find a comment on its page -----------------------------------------------


def _follow(client, url: str, hops: int = 3):
    """Follow redirects by hand; the final response and the last location."""
    location = url
    for _ in range(hops):
        response = client.get(location)
        if response.status_code != 302:
            return response, location
        location = response.location
    raise AssertionError(f"more than {hops} redirects from {url}")


def _page_arg(location: str) -> int:
    return int(parse_qs(urlsplit(location).query).get("comments", ["1"])[0])


def test_permalink_opens_the_page_that_holds_the_comment(app, trusting, member, other_member):
    app.config["PLAYBOOK_COMMENTS_PER_PAGE"] = 2
    play = factories.make_play()
    tops = [add_comment(member, play, f"Top {i}.") for i in range(5)]
    reply = add_comment(other_member, play, "Reply on the last page.", parent=tops[4])
    for comment, page in ((tops[0], 1), (tops[2], 2), (tops[4], 3), (reply, 3)):
        response, location = _follow(
            app.test_client(), url_for("comments.detail", comment_id=comment.id)
        )
        assert _page_arg(location) == page and location.endswith(f"#comment-{comment.id}")
        assert f'id="comment-{comment.id}"' in response.get_data(as_text=True)


def test_a_new_comment_on_a_long_thread_lands_on_its_page(app, trusting, member):
    app.config["PLAYBOOK_COMMENTS_PER_PAGE"] = 2
    play = factories.make_play()
    for i in range(4):
        add_comment(member, play, f"Earlier {i}.")
    client = client_for(app, member)
    response = comment_on(client, "play", play.id, "The newest word.")
    page, location = _follow(client, response.location)
    assert "The newest word." in text_of(page) and _page_arg(location) == 3


def test_reply_notification_leads_to_the_reply(app, trusting, member, other_member):
    app.config["PLAYBOOK_COMMENTS_PER_PAGE"] = 1
    play = factories.make_play()
    add_comment(member, play, "First.")
    question = add_comment(other_member, play, "A question on page two.")
    comment_on(client_for(app, member), "play", play.id, "An answer.", parent_id=question.id)
    link = db.session.scalars(
        select(Notification.link).where(Notification.user_id == other_member.id)
    ).one()
    page, location = _follow(client_for(app, other_member), link)
    assert "An answer." in text_of(page) and location.endswith(f"#comment-{latest_comment().id}")


def test_approval_notification_leads_to_the_approved_comment(app, member, moderator):
    app.config["PLAYBOOK_COMMENTS_PER_PAGE"] = 1
    play = factories.make_play()
    add_comment(moderator, play, "Page one.")
    held = add_comment(member, play, "Held, then approved.", status=CommentStatus.PENDING)
    moderation.decide(moderator, [(SubjectKind.COMMENT, held.id)], "approve")
    link = db.session.scalars(
        select(Notification.link).where(Notification.user_id == member.id)
    ).one()
    page, _ = _follow(client_for(app, member), link)
    assert "Held, then approved." in text_of(page)


# --- a constant number of statements ---------------------------------------------------


def _statements_for(client, url: str) -> int:
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(statements)


def _fill(target, count: int) -> None:
    authors = [factories.make_user() for _ in range(5)]
    for i in range(count):
        top = add_comment(authors[i % 5], target, f"Comment {i}.", commit=False)
        if i % 2:
            add_comment(authors[(i + 1) % 5], target, f"Reply {i}.", parent=top, commit=False)
    db.session.commit()


@pytest.mark.parametrize("kind", ["play", "component", "playbook"])
def test_thread_sends_as_many_statements_for_100_comments_as_for_5(app, trusting, member, kind):
    app.config["PLAYBOOK_COMMENTS_PER_PAGE"] = 200
    counts = {}
    for size in (5, 100):
        if kind == "playbook":
            target = factories.make_playbook(factories.make_user())
            target.visibility = Visibility.PUBLIC
            db.session.commit()
        else:
            target = _targets()[kind]
        _fill(target, size)
        url = target_url(kind, target.id)
        counts[size] = {
            "visitor": _statements_for(app.test_client(), url),
            "member": _statements_for(client_for(app, member), url),
        }
        assert text_of(app.test_client().get(url)).count("Comment ") >= size
    assert counts[5] == counts[100], counts
