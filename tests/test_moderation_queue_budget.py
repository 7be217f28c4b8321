"""Statements per moderation queue page: every tab sends a fixed number of SQL
statements however long its queue is (the comments' authors, targets and flags, the
suggestions' authors and the decisions' names come in the page's own statements),
counted around one real request with playbook.database.count_statements."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from playbook.database import count_statements
from playbook.extensions import db
from playbook.models import (
    CommentStatus,
    Decision,
    Flag,
    FlagReason,
    ModerationAction,
    ResourceType,
    SiteRole,
    SubjectKind,
    Submission,
    Visibility,
)
from playbook.moderation import services as moderation
from tests import factories
from tests.factories import add_comment
from tests.helpers import client_for

# What each tab sends to render, signed in as a moderator. Every tab: the session with
# the moderator and their unread notifications, the queue's counts (the tabs and the
# navigation badge share them), the reason templates. Pending and flagged: the page of
# comments with their authors and targets, their open flags with who raised them (the
# total is the tab's count). Suggestions: the page with its authors. Decided: the page
# of decisions with the names in it and which are still the latest word, its total.
# One more on every tab: the fingerprint the counts (and the pending, flagged and
# suggestion tabs' body, the same for every moderator) are kept under; served again
# while nothing they show changed, that and the session are all those tabs send.
QUEUE_STATEMENTS = {"pending": 6, "flagged": 6, "suggestions": 5, "decided": 6}
QUEUE_STATEMENTS_KEPT = 2
# A filter makes the tab's total a count of its own.
FILTERED_EXTRA = 1

SMALL, LARGE = 3, 40


def _targets():
    """Something of every kind a comment hangs on: a play, a resource, a framework
    component and a public playbook."""
    framework = factories.make_framework(components=1)
    playbook = factories.make_playbook(factories.make_user())
    playbook.visibility = Visibility.PUBLIC
    db.session.commit()
    return [
        factories.make_play(framework),
        factories.make_resource(),
        framework.components[0],
        playbook,
    ]


def _grow_queue(rows: int, tab: str, moderator, targets) -> None:
    """Add to `tab` until it holds at least `rows` items, each by its own author: comments
    on every kind of target (flagged ones by two readers, some hidden), suggestions
    (some revised), decisions (an undo among them)."""
    readers = [factories.make_user(), factories.make_user()]

    def tab_size(status) -> int:
        return len(moderation_queue_ids(status))

    n = tab_size(CommentStatus.PENDING) if tab == "pending" else rows
    while n < rows:
        add_comment(factories.make_user(), targets[n % 4], f"Pending {n}.", CommentStatus.PENDING)
        n += 1
    n = tab_size(CommentStatus.PUBLISHED) if tab == "flagged" else rows
    while n < rows:
        status = CommentStatus.HIDDEN if n % 3 == 0 else CommentStatus.PUBLISHED
        comment = add_comment(factories.make_user(), targets[n % 4], f"Flagged {n}.", status)
        for reader, reason in zip(readers, (FlagReason.SPAM, FlagReason.OTHER), strict=True):
            db.session.add(
                Flag(comment_id=comment.id, user_id=reader.id, reason=reason, note=f"Note {n}")
            )
        db.session.commit()
        n += 1
    n = _count(Submission) if tab == "suggestions" else rows
    while n < rows:
        db.session.add(
            Submission(
                author_id=factories.make_user().id,
                title=f"Suggestion {n}",
                url=f"https://example.net/s/{n}",
                normalized_url=f"example.net/s/{n}",
                organization="Lab" if n % 2 else "",
                resource_type=ResourceType.TOOLKIT,
                description="Boards for choice.",
                why_use_it="Students pick." if n % 2 else "",
                times_submitted=1 + n % 3,
            )
        )
        db.session.commit()
        n += 1
    n = _count(ModerationAction) if tab == "decided" else rows
    while n < rows:
        comment = add_comment(
            factories.make_user(), targets[n % 4], f"Decided {n}.", CommentStatus.PENDING
        )
        decision = (Decision.APPROVE, Decision.SPAM)[n % 2]
        moderation.decide(moderator, [(SubjectKind.COMMENT, comment.id)], decision)
        n += 1
        if n % 10 == 1:
            moderation.undo(moderator, db.session.scalar(select(func.max(ModerationAction.id))))
            n += 1


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def moderation_queue_ids(status) -> list[int]:
    """Comments the test added for the pending tab (status PENDING) or the flagged tab
    (PUBLISHED: those with flags, hidden ones included)."""
    from playbook.models import Comment

    if status is CommentStatus.PENDING:
        where = [Comment.status == CommentStatus.PENDING, Comment.body.like("Pending %")]
    else:
        where = [Comment.body.like("Flagged %")]
    return list(db.session.scalars(select(Comment.id).where(*where)))


def _statements(client, url: str) -> tuple[int, str]:
    with count_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(statements), response.get_data(as_text=True)


@pytest.fixture
def queue(app):
    """A moderator's client and a function that grows every tab's queue."""
    moderator = factories.make_user(SiteRole.MODERATOR, display_name="Mona Moderator")
    targets = _targets()
    return client_for(app, moderator), lambda rows, tab: _grow_queue(rows, tab, moderator, targets)


@pytest.mark.parametrize("tab", list(QUEUE_STATEMENTS))
def test_queue_tab_sends_the_same_statements_for_a_short_or_long_queue(queue, tab):
    client, grow = queue
    counts, rows = [], []
    for size in (SMALL, LARGE):
        grow(size, tab)
        count, html = _statements(client, f"/moderation/?tab={tab}")
        counts.append(count)
        rows.append(html.count("<tr>") - 1)  # less the table's heading
    assert rows[0] >= SMALL and rows[1] >= LARGE
    assert counts == [QUEUE_STATEMENTS[tab]] * 2


@pytest.mark.parametrize("tab", ["pending", "flagged", "suggestions"])
def test_filtered_queue_tab_sends_the_same_statements_for_a_short_or_long_queue(queue, tab):
    client, grow = queue
    counts = []
    for size in (SMALL, LARGE):
        grow(size, tab)
        count, html = _statements(client, f"/moderation/?tab={tab}&author=example&age=")
        assert "Nothing is waiting here." not in html
        counts.append(count)
    assert counts == [QUEUE_STATEMENTS[tab] + FILTERED_EXTRA] * 2


def test_other_moderator_pages_count_the_queue_once(queue):
    """The navigation's badge is the queue's counts: one statement on any page."""
    client, grow = queue
    counts = []
    for size in (SMALL, LARGE):
        grow(size, "flagged")
        counts.append(_statements(client, "/moderation/reasons")[0])
    assert counts[0] == counts[1]


@pytest.mark.parametrize("tab", ["pending", "flagged", "suggestions"])
def test_a_kept_queue_tab_sends_two_statements_whatever_its_length(queue, tab):
    client, grow = queue
    for size in (SMALL, LARGE):
        grow(size, tab)
        first = _statements(client, f"/moderation/?tab={tab}")[1]
        count, again = _statements(client, f"/moderation/?tab={tab}")
        assert count == QUEUE_STATEMENTS_KEPT
        strip = lambda html: re.sub(r'name="csrf_token"[^>]*>', "", html)  # noqa: E731
        assert strip(again) == strip(first)


def test_a_kept_queue_shows_every_change_at_once(app, queue):
    """Whatever changes what the kept tabs show retires them: a new comment, a flag, a
    decision, a playbook made private (its comments leave the queue), an author's
    e-mail address, a reason template, a suggestion."""
    from playbook.models import ReasonTemplate

    client, grow = queue
    grow(SMALL, "pending")
    targets = _targets()
    playbook = targets[3]

    def pending() -> str:
        client.get("/moderation/?tab=pending")  # kept from here on
        return _statements(client, "/moderation/?tab=pending")[1]

    # everyone is made first: a new account retires every page
    author, other_moderator, reader = (
        factories.make_user(),
        factories.make_user(SiteRole.MODERATOR),
        factories.make_user(),
    )
    assert "On the playbook." not in pending()
    comment = add_comment(author, playbook, "On the playbook.", CommentStatus.PENDING)
    assert "On the playbook." in pending()
    author.email = "renamed-author@example.org"
    db.session.commit()
    assert "renamed-author@example.org" in pending()
    db.session.add(ReasonTemplate(title="Off topic here", body="Please stay on topic."))
    db.session.commit()
    assert "Off topic here" in pending()
    playbook.visibility = Visibility.PRIVATE
    db.session.commit()
    assert "On the playbook." not in pending()
    playbook.visibility = Visibility.PUBLIC
    db.session.commit()
    assert "On the playbook." in pending()
    moderation.decide(other_moderator, [(SubjectKind.COMMENT, comment.id)], Decision.APPROVE)
    assert "On the playbook." not in pending()
    # flagged: a reader's flag puts a published comment there
    client.get("/moderation/?tab=flagged")
    db.session.add(Flag(comment_id=comment.id, user_id=reader.id, reason=FlagReason.SPAM))
    db.session.commit()
    assert "On the playbook." in _statements(client, "/moderation/?tab=flagged")[1]
    # suggestions
    client.get("/moderation/?tab=suggestions")
    db.session.add(
        Submission(
            author_id=reader.id,
            title="Choice boards kit",
            url="https://example.net/kit",
            normalized_url="example.net/kit",
            resource_type=ResourceType.TOOLKIT,
            description="Boards for choice.",
        )
    )
    db.session.commit()
    assert "Choice boards kit" in _statements(client, "/moderation/?tab=suggestions")[1]
    # the counts in the tabs follow too
    assert re.search(r"Flagged comments <span class=\"count-badge\">1<", pending())


def test_kept_tabs_are_told_apart_by_every_value_in_the_address(queue):
    """The key names each value the page echoes; values holding '&' or '=' cannot make
    two addresses share a kept page."""
    client, grow = queue
    grow(SMALL, "pending")
    # joined naively, both would read "…&age=a&author=b&author=&page="
    first = client.get("/moderation/?tab=pending&age=a%26author%3Db&author=").get_data(as_text=True)
    second = client.get("/moderation/?tab=pending&age=a&author=b%26author%3D").get_data(
        as_text=True
    )

    def author_field(html: str) -> str:
        field = re.search(r'<input[^>]*name="author"[^>]*>', html)
        assert field is not None
        return re.search(r'value="([^"]*)"', field.group(0)).group(1)

    assert author_field(first) == ""
    assert author_field(second) == "b&amp;author="
