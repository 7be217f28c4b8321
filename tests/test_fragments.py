"""The shared part of a playbook's page (playbook/fragments.py): kept per playbook and
role class for signed-in people, it must never show one person what another may not
see, nor what has changed since, and the forms in it carry each reader's own CSRF
token. Also: a thread's rights decided once (permissions.thread_rights) answer as
can() does for every comment."""

from __future__ import annotations

import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from playbook import fragments
from playbook.comments import services as comments
from playbook.database import count_statements
from playbook.extensions import db
from playbook.models import CommentStatus, FlagReason, MemberRole, Membership, Play, SiteRole, User
from playbook.models.user import AnonymousUser
from playbook.permissions import Action, can, thread_rights
from playbook.playbooks import sharing
from tests import factories
from tests.helpers import client_for


@pytest.fixture
def team(app, library):
    """A private playbook with an owner, an editor, a commenter and a viewer."""
    people = {role: factories.make_user(display_name=f"{role.label} Person") for role in MemberRole}
    playbook = factories.make_playbook(
        people[MemberRole.OWNER], 6, framework=factories.seeded_framework(), title="Team plan"
    )
    for role in (MemberRole.EDITOR, MemberRole.COMMENTER, MemberRole.VIEWER):
        factories.add_members(playbook.id, people[role], role=role)
    return playbook.id, people


def _page(client, playbook_id: int) -> str:
    response = client.get(f"/playbooks/{playbook_id}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _stored_parts(app) -> list[str]:
    return [key for key in app.extensions["page_cache"].pages if key.startswith("fragment:")]


def _has_editing_controls(html: str) -> bool:
    document = html.split('id="comments"')[0]
    return 'data-move-url="' in document or "Remove section" in document


def test_each_role_gets_the_part_for_its_rights_whoever_came_first(app, team):
    playbook_id, people = team
    clients = {role: client_for(app, user) for role, user in people.items()}
    # A viewer renders first, then the editor, then the others reuse what is stored.
    order = [MemberRole.VIEWER, MemberRole.EDITOR, MemberRole.COMMENTER, MemberRole.OWNER]
    pages = {role: _page(clients[role], playbook_id) for role in order}
    assert not _has_editing_controls(pages[MemberRole.VIEWER])
    assert not _has_editing_controls(pages[MemberRole.COMMENTER])
    assert _has_editing_controls(pages[MemberRole.EDITOR])
    assert _has_editing_controls(pages[MemberRole.OWNER])
    assert sorted(k for k in _stored_parts(app) if ":playbook-document:" in k) == [
        f"fragment:playbook-document:{playbook_id}:edit:0",
        f"fragment:playbook-document:{playbook_id}:read:0",
    ]
    # The thread is kept for each reader of their own.
    assert len([k for k in _stored_parts(app) if ":playbook-thread:" in k]) == len(order)
    hits = app.extensions["page_cache"].hits
    for role in order:
        again = _page(clients[role], playbook_id)
        assert _has_editing_controls(again) == (role in (MemberRole.EDITOR, MemberRole.OWNER))
    assert app.extensions["page_cache"].hits == hits + 2 * len(order)  # the part and the thread


def test_every_form_in_a_stored_part_carries_the_readers_own_token(app, team):
    playbook_id, people = team
    owner, editor = (
        client_for(app, people[MemberRole.OWNER]),
        client_for(app, people[MemberRole.EDITOR]),
    )
    first, second = _page(owner, playbook_id), _page(editor, playbook_id)
    for html, client in ((first, owner), (second, editor)):
        tokens = set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', html))
        with client.session_transaction() as session:
            raw = session["csrf_token"]
        assert len(tokens) == 1, tokens
        token = tokens.pop()
        assert URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").loads(token) == raw
        assert fragments.CSRF_MARK not in html
    # A form from the stored part works for the second editor: add a section.
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', second).group(1)
    version = re.search(r'name="version"[^>]*value="(\d+)"', second).group(1)
    response = editor.post(
        f"/playbooks/{playbook_id}/sections",
        data={"csrf_token": token, "version": version, "title": "Added from a stored part"},
    )
    assert response.status_code == 302, response.status_code
    assert "Added from a stored part" in _page(editor, playbook_id)


def test_a_role_changed_shows_the_new_rights_at_once(app, team):
    playbook_id, people = team
    editor = client_for(app, people[MemberRole.EDITOR])
    viewer = client_for(app, people[MemberRole.VIEWER])
    assert _has_editing_controls(_page(editor, playbook_id))
    assert not _has_editing_controls(_page(viewer, playbook_id))
    playbook = factories.reload(playbook_id)
    owner = people[MemberRole.OWNER]
    by_user = {m.user_id: m for m in playbook.memberships}
    sharing.change_role(owner, playbook, by_user[people[MemberRole.EDITOR].id], "viewer")
    playbook = factories.reload(playbook_id)
    by_user = {m.user_id: m for m in playbook.memberships}
    sharing.change_role(owner, playbook, by_user[people[MemberRole.VIEWER].id], "editor")
    assert not _has_editing_controls(_page(editor, playbook_id))
    assert _has_editing_controls(_page(viewer, playbook_id))


def test_a_removed_member_gets_nothing_of_a_private_playbook(app, team):
    playbook_id, people = team
    viewer = client_for(app, people[MemberRole.VIEWER])
    assert "Team plan" in _page(viewer, playbook_id)
    playbook = factories.reload(playbook_id)
    membership = next(m for m in playbook.memberships if m.user_id == people[MemberRole.VIEWER].id)
    sharing.remove_member(people[MemberRole.OWNER], playbook, membership)
    response = viewer.get(f"/playbooks/{playbook_id}")
    assert response.status_code == 404
    assert "Team plan" not in response.get_data(as_text=True)
    stranger = client_for(app, factories.make_user())
    assert stranger.get(f"/playbooks/{playbook_id}").status_code == 404


def test_a_teammates_edit_shows_at_once_in_a_private_playbook(app, team):
    playbook_id, people = team
    viewer = client_for(app, people[MemberRole.VIEWER])
    _page(viewer, playbook_id)
    factories.add_note(people[MemberRole.EDITOR], playbook_id, title="Fresh from the editor")
    assert "Fresh from the editor" in _page(viewer, playbook_id)


def test_a_library_or_member_rename_shows_in_the_stored_part(app, team):
    playbook_id, people = team
    play = db.session.scalars(db.select(Play).order_by(Play.id).limit(1)).one()
    factories.add_play(people[MemberRole.OWNER], playbook_id, play)
    item = factories.reload(playbook_id).sections[1].items[-1]
    item.owner_id = people[MemberRole.VIEWER].id
    db.session.commit()
    viewer = client_for(app, people[MemberRole.VIEWER])
    assert play.title in _page(viewer, playbook_id)
    play = db.session.get(Play, play.id)
    play.title = "A play renamed in the library"
    db.session.commit()
    assert "A play renamed in the library" in _page(viewer, playbook_id)
    user = db.session.get(User, people[MemberRole.VIEWER].id)
    user.display_name = "Viewer Renamed"
    db.session.commit()
    assert "Owner: Viewer Renamed" in _page(viewer, playbook_id)


def test_a_hidden_comment_goes_from_every_readers_page(app, team):
    playbook_id, people = team
    playbook = factories.reload(playbook_id)
    comment = factories.add_comment(people[MemberRole.COMMENTER], playbook, "Soon to be hidden")
    readers = [client_for(app, people[r]) for r in (MemberRole.VIEWER, MemberRole.EDITOR)]
    for reader in readers:
        assert "Soon to be hidden" in _page(reader, playbook_id)
    for flagger in (MemberRole.OWNER, MemberRole.EDITOR, MemberRole.VIEWER):
        comments.flag_comment(
            db.session.get(User, people[flagger].id),
            db.session.get(type(comment), comment.id),
            FlagReason.SPAM,
        )
    assert factories.status_of(comment) is CommentStatus.HIDDEN
    for reader in readers:
        assert "Soon to be hidden" not in _page(reader, playbook_id)
    # Its author still sees it, marked, as on any page of theirs.
    assert "Soon to be hidden" in _page(client_for(app, people[MemberRole.COMMENTER]), playbook_id)


def test_a_signed_in_page_from_the_stored_part_sends_fewer_statements(app, team):
    playbook_id, people = team
    viewer = client_for(app, people[MemberRole.VIEWER])
    with count_statements() as rendered:
        _page(viewer, playbook_id)
    with count_statements() as stored:
        _page(viewer, playbook_id)
    # No sections and items, no plays' components, no framework components, no thread.
    assert len(stored) == len(rendered) - 4


def test_thread_rights_answer_as_can_for_every_comment_and_reader(app, team, moderator):
    playbook_id, people = team
    playbook = factories.reload(playbook_id)
    author = people[MemberRole.COMMENTER]
    made = [
        factories.add_comment(author, playbook, "Published"),
        factories.add_comment(author, playbook, "Pending", status=CommentStatus.PENDING),
        factories.add_comment(author, playbook, "Rejected", status=CommentStatus.REJECTED),
        factories.add_comment(people[MemberRole.OWNER], playbook, "The owner's"),
    ]
    deleted = factories.add_comment(author, playbook, "Deleted")
    comments.delete_comment(db.session.get(User, author.id), deleted)
    made.append(deleted)
    playbook = factories.reload(playbook_id)
    threads = [db.session.get(type(m), m.id) for m in made]
    readers = [*people.values(), moderator, factories.make_user()]
    for reader in [*readers, AnonymousUser()]:
        rights = thread_rights(reader, playbook, threads)
        assert rights.may_post == can(reader, Action.COMMENT_POST, playbook)
        for comment in threads:
            for action in (Action.COMMENT_EDIT, Action.COMMENT_DELETE, Action.COMMENT_FLAG):
                assert rights.allows(action, comment) == can(reader, action, comment), (
                    reader,
                    comment.body,
                    action,
                )


def test_membership_rows_of_the_test_are_real(team):
    """The fixture's people hold the roles the tests above rely on."""
    playbook_id, people = team
    roles = {
        m.user_id: m.role
        for m in db.session.scalars(
            db.select(Membership).where(Membership.playbook_id == playbook_id)
        )
    }
    assert roles == {user.id: role for role, user in people.items()}


def test_each_reader_keeps_a_thread_of_their_own(app, team, moderator):
    playbook_id, people = team
    factories.add_members(playbook_id, moderator, role=MemberRole.VIEWER)
    playbook = factories.reload(playbook_id)
    author = people[MemberRole.COMMENTER]
    factories.add_comment(author, playbook, "Waiting for a moderator", status=CommentStatus.PENDING)
    factories.add_comment(
        people[MemberRole.OWNER], playbook, "Hidden by flags", status=CommentStatus.HIDDEN
    )
    authors, viewers, moderators = (
        client_for(app, user) for user in (author, people[MemberRole.VIEWER], moderator)
    )
    for _ in range(2):  # rendered, then from the store: the same for each of them
        mine, theirs, moderated = (_page(c, playbook_id) for c in (authors, viewers, moderators))
        assert "Waiting for a moderator" in mine and "only you and the moderators" in mine
        assert "Waiting for a moderator" not in theirs and "Hidden by flags" not in theirs
        assert "Hidden by flags" not in mine
        assert "Waiting for a moderator" in moderated and "Hidden by flags" in moderated
        assert "only you and the moderators" not in moderated
    # Each reader's own actions: the author may edit theirs, the viewer may only flag.
    assert ">Edit<span" in mine and ">Edit<span" not in theirs


def test_a_new_comment_shows_at_once_in_a_kept_thread(app, team):
    playbook_id, people = team
    viewer = client_for(app, people[MemberRole.VIEWER])
    assert "Just posted" not in _page(viewer, playbook_id)
    factories.add_comment(people[MemberRole.EDITOR], factories.reload(playbook_id), "Just posted")
    assert "Just posted" in _page(viewer, playbook_id)


def test_a_commenter_made_viewer_loses_the_comment_form_at_once(app, team):
    playbook_id, people = team
    commenter = client_for(app, people[MemberRole.COMMENTER])
    assert 'class="form comment-form"' in _page(commenter, playbook_id)
    playbook = factories.reload(playbook_id)
    membership = next(
        m for m in playbook.memberships if m.user_id == people[MemberRole.COMMENTER].id
    )
    sharing.change_role(people[MemberRole.OWNER], playbook, membership, "viewer")
    page = _page(commenter, playbook_id)
    assert 'class="form comment-form"' not in page
    assert "Only members of this playbook with the commenter role" in page


def test_a_member_made_moderator_sees_hidden_comments_at_once(app, team):
    playbook_id, people = team
    factories.add_comment(
        people[MemberRole.OWNER],
        factories.reload(playbook_id),
        "Hidden from members",
        status=CommentStatus.HIDDEN,
    )
    viewer = client_for(app, people[MemberRole.VIEWER])
    assert "Hidden from members" not in _page(viewer, playbook_id)
    user = db.session.get(User, people[MemberRole.VIEWER].id)
    user.site_role = SiteRole.MODERATOR
    db.session.commit()
    assert "Hidden from members" in _page(viewer, playbook_id)
