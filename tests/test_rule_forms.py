"""Rules that have a Python form (for one row) and an SQL form (for queries) give the
same answer: comment visibility, "open to all" playbooks, team-only comments and the
retirement of a framework's components."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from playbook.extensions import db
from playbook.models import (
    AnonymousUser,
    Comment,
    CommentStatus,
    Playbook,
    TargetKind,
    Visibility,
    utcnow,
)
from playbook.permissions import (
    Action,
    can,
    comment_audience,
    comment_is_visible,
    comment_visible_clause,
    playbook_readable_clause,
)
from playbook.playbooks import services as playbook_services
from tests import factories


def _comment(author, status: CommentStatus, **target) -> Comment:
    comment = Comment(
        author_id=author.id, body="Hi", body_html="<p>Hi</p>", status=status, **target
    )
    db.session.add(comment)
    db.session.flush()
    return comment


@pytest.mark.parametrize("viewer", ["visitor", "author", "other_member", "moderator"])
def test_comment_visibility_is_the_same_in_python_and_in_sql(app, viewer):
    author = factories.make_user()
    people = {
        "visitor": AnonymousUser(),
        "author": author,
        "other_member": factories.make_user(),
        "moderator": factories.make_user("moderator"),
    }
    user = people[viewer]
    play = factories.make_play()
    comments = [
        _comment(author, status, target_kind=TargetKind.PLAY, play_id=play.id)
        for status in CommentStatus
    ]
    clause = comment_visible_clause(comment_audience(user), user.id)
    in_sql = set(db.session.scalars(select(Comment.id).where(clause)))
    in_python = {c.id for c in comments if comment_is_visible(user, c)}
    assert in_sql == in_python
    # And the rule itself: published for all, the rest for the author and moderators.
    expected = (
        {c.id for c in comments}
        if viewer in ("author", "moderator")
        else {c.id for c in comments if c.status is CommentStatus.PUBLISHED}
    )
    assert in_python == expected


@pytest.mark.parametrize("visibility", list(Visibility))
@pytest.mark.parametrize("binned", [False, True])
def test_open_to_all_and_team_only_agree_in_python_and_in_sql(app, visibility, binned):
    owner = factories.make_user()
    playbook = factories.make_playbook(owner)
    playbook.visibility = visibility
    if binned:
        playbook.deleted_at = utcnow()
    comment = _comment(
        owner, CommentStatus.PUBLISHED, target_kind=TargetKind.PLAYBOOK, playbook_id=playbook.id
    )
    open_in_sql = db.session.scalar(
        select(Playbook.id).where(Playbook.id == playbook.id, Playbook.open_to_all_clause())
    )
    queued_in_sql = db.session.scalar(
        select(Comment.id).where(Comment.id == comment.id, Comment.open_to_moderators_clause())
    )
    expected_open = visibility is Visibility.PUBLIC and not binned
    assert playbook.is_open_to_all is expected_open
    assert (open_in_sql is not None) is expected_open
    assert comment.is_team_only is not expected_open
    assert (queued_in_sql is not None) is expected_open


def test_a_comment_on_the_library_is_never_team_only(app):
    author = factories.make_user()
    play = factories.make_play()
    comment = _comment(
        author, CommentStatus.PUBLISHED, target_kind=TargetKind.PLAY, play_id=play.id
    )
    assert not comment.is_team_only
    assert db.session.scalar(
        select(Comment.id).where(Comment.id == comment.id, Comment.open_to_moderators_clause())
    )


def test_a_component_is_retired_with_its_framework(app):
    framework = factories.make_framework()
    component = framework.components[0]
    assert not component.is_retired
    framework.retired_at = utcnow()
    assert component.is_retired
    with pytest.raises(playbook_services.PlaybookError):
        playbook_services.load_target("component", component.id)


@pytest.mark.parametrize("viewer", ["visitor", "member", "stranger"])
def test_playbook_readability_is_the_same_in_python_and_in_sql(app, viewer):
    owner, stranger = factories.make_user(), factories.make_user()
    user = {"visitor": AnonymousUser(), "member": owner, "stranger": stranger}[viewer]
    playbooks = []
    for visibility in Visibility:
        for binned in (False, True):
            playbook = factories.make_playbook(owner)
            playbook.visibility = visibility
            playbook.deleted_at = utcnow() if binned else None
            playbooks.append(playbook)
    db.session.flush()
    ids = [p.id for p in playbooks]
    in_sql = set(
        db.session.scalars(
            select(Playbook.id).where(Playbook.id.in_(ids), playbook_readable_clause(user.id))
        )
    )
    # Nobody here holds a secret link, so the SQL form (which cannot see links) and
    # can() must agree on every playbook.
    in_python = {p.id for p in playbooks if can(user, Action.PLAYBOOK_VIEW, p)}
    assert in_sql == in_python
    live_public = {p.id for p in playbooks if p.is_open_to_all}
    assert in_python == (
        {p.id for p in playbooks if not p.is_deleted} if viewer == "member" else live_public
    )
