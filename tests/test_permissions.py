"""The permission matrix, run against can() directly: persona × action × object state."""
from __future__ import annotations

import pytest

from playbook.models import AnonymousUser, Visibility, utcnow
from playbook.permissions import Action, can
from tests import factories

PERSONAS = ["visitor", "member", "moderator", "admin", "owner"]


@pytest.fixture
def people(app):
    return {
        "visitor": AnonymousUser(),
        "member": factories.make_user("member"),
        "moderator": factories.make_user("moderator"),
        "admin": factories.make_user("admin"),
        "owner": factories.make_user("member"),
    }


# (action, object state) -> personas allowed
MATRIX = {
    (Action.LIBRARY_VIEW, "none"): {"visitor", "member", "moderator", "admin"},
    (Action.LIBRARY_VIEW, "live"): {"visitor", "member", "moderator", "admin"},
    (Action.LIBRARY_VIEW, "retired"): {"admin"},
    (Action.LIBRARY_EDIT, "none"): {"admin"},
    (Action.LIBRARY_EDIT, "live"): {"admin"},
    (Action.LIBRARY_EDIT, "retired"): {"admin"},
    (Action.ADMIN_ACCESS, "none"): {"admin"},
    (Action.ACCOUNT_EDIT, "self"): {"member", "moderator", "admin"},
    (Action.ACCOUNT_EDIT, "someone_else"): set(),
    (Action.USER_MANAGE, "someone_else"): {"admin"},
    (Action.USER_MANAGE, "self"): set(),
    (Action.PLAYBOOK_CREATE, "none"): {"member", "moderator", "admin", "owner"},
    (Action.PLAYBOOK_VIEW, "playbook"): {"owner"},
    (Action.PLAYBOOK_VIEW, "binned_playbook"): set(),
    (Action.PLAYBOOK_EDIT, "playbook"): {"owner"},
    (Action.PLAYBOOK_EDIT, "binned_playbook"): set(),
    (Action.PLAYBOOK_DELETE, "playbook"): {"owner"},
    (Action.PLAYBOOK_DELETE, "binned_playbook"): set(),
    (Action.PLAYBOOK_RESTORE, "playbook"): set(),
    (Action.PLAYBOOK_RESTORE, "binned_playbook"): {"owner"},
    (Action.PLAYBOOK_FORK, "playbook"): {"owner"},
    (Action.PLAYBOOK_FORK, "binned_playbook"): set(),
    (Action.PLAYBOOK_SHARE, "playbook"): {"owner"},
    (Action.PLAYBOOK_SHARE, "binned_playbook"): set(),
    (Action.PLAYBOOK_LEAVE, "playbook"): {"owner"},
    (Action.PLAYBOOK_LEAVE, "binned_playbook"): set(),
    (Action.PLAYBOOK_VIEW, "public_playbook"): {"visitor", "member", "moderator", "admin", "owner"},
    (Action.PLAYBOOK_EDIT, "public_playbook"): {"owner"},
    (Action.PLAYBOOK_FORK, "public_playbook"): {"member", "moderator", "admin", "owner"},
    (Action.PLAYBOOK_VIEW, "link_playbook"): {"owner"},
}


def _object(state, people, persona):
    if state == "none":
        return None
    if state in ("live", "retired"):
        return factories.make_play(retired=state == "retired")
    if state.endswith("playbook"):
        playbook = factories.make_playbook(people["owner"])
        if state == "binned_playbook":
            playbook.deleted_at = utcnow()
        if state in ("public_playbook", "link_playbook"):
            # A link-shared playbook is readable only with the link in hand, which
            # nobody in this matrix holds (the HTTP matrix covers link holders).
            playbook.visibility = Visibility.PUBLIC if state == "public_playbook" else Visibility.LINK
            playbook.link_token_hash = "0" * 64
        return playbook
    if state == "self":
        return people[persona] if persona != "visitor" else None
    return factories.make_user()


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action,state", list(MATRIX))
def test_permission_matrix(people, persona, action, state):
    obj = _object(state, people, persona)
    if state == "self" and persona in ("visitor", "owner"):
        if persona == "owner":
            return

        assert can(people[persona], action, obj) is False
        return
    allowed = MATRIX[(action, state)]
    if "playbook" not in state and persona == "owner":
        persona_rule = "member"  # owning a playbook changes nothing outside it
    else:
        persona_rule = persona
    assert can(people[persona], action, obj) is (persona_rule in allowed)


def test_every_action_is_in_the_matrix():
    assert {action for action, _ in MATRIX} == set(Action)
