"""A playbook's history is the team's: people reading it by secret link or in the
gallery see the current version only, never text removed before it was shared."""

from __future__ import annotations

import pytest

from playbook.extensions import db
from playbook.models import MemberRole
from playbook.playbooks import services, sharing
from tests import factories
from tests.factories import add_members
from tests.helpers import csrf_token_from

SECRET = "Budget cut: close the Lincoln annex"


def _shared_playbook(owner, visibility: str):
    """A playbook whose first version held a secret the owner removed before sharing.
    Returns (playbook id, secret link token or None)."""
    playbook = factories.make_playbook(owner, title="Annex plan", vision=SECRET)
    services.update_playbook(
        owner,
        playbook,
        base_version=playbook.version,
        title="Annex plan",
        scope="school",
        organization="Test School",
        vision="We keep every building open.",
        framework_id=None,
    )
    playbook = services.load_playbook_for_change(playbook.id)
    token = sharing.set_visibility(owner, playbook, visibility)
    db.session.commit()
    return playbook.id, token


HISTORY_PATHS = ("/history", "/history/1", "/history/compare?from=1&to=2")


@pytest.fixture
def owner(app):
    return factories.make_user(display_name="Olga Owner")


@pytest.mark.parametrize("path", HISTORY_PATHS)
def test_visitor_with_the_secret_link_cannot_read_the_history(app, owner, path):
    playbook_id, token = _shared_playbook(owner, "link")
    reader = app.test_client()
    assert reader.get(f"/playbooks/{playbook_id}/s/{token}").status_code == 302
    page = reader.get(f"/playbooks/{playbook_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert SECRET not in html
    assert f"/playbooks/{playbook_id}/history" not in html
    response = reader.get(f"/playbooks/{playbook_id}{path}")
    assert response.status_code == 302 and "/auth/login" in response.location
    assert SECRET not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", HISTORY_PATHS)
def test_signed_in_reader_of_a_public_playbook_cannot_read_the_history(
    app, client, login, owner, intruder, path
):
    playbook_id, _ = _shared_playbook(owner, "public")
    login(intruder)
    page = client.get(f"/playbooks/{playbook_id}")
    assert page.status_code == 200
    assert f"/playbooks/{playbook_id}/history" not in page.get_data(as_text=True)
    response = client.get(f"/playbooks/{playbook_id}{path}")
    assert response.status_code == 403
    assert SECRET not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", HISTORY_PATHS)
def test_visitor_of_a_public_playbook_cannot_read_the_history(app, owner, path):
    playbook_id, _ = _shared_playbook(owner, "public")
    visitor = app.test_client()
    page = visitor.get(f"/playbooks/{playbook_id}")
    assert page.status_code == 200
    assert f"/playbooks/{playbook_id}/history" not in page.get_data(as_text=True)
    response = visitor.get(f"/playbooks/{playbook_id}{path}")
    assert response.status_code == 302 and "/auth/login" in response.location


@pytest.mark.parametrize("path", HISTORY_PATHS)
def test_viewer_member_reads_the_whole_history(client, login, owner, member, path):
    playbook_id, _ = _shared_playbook(owner, "public")
    add_members(playbook_id, member, role=MemberRole.VIEWER)
    login(member)
    page = client.get(f"/playbooks/{playbook_id}").get_data(as_text=True)
    assert f"/playbooks/{playbook_id}/history" in page
    response = client.get(f"/playbooks/{playbook_id}{path}")
    assert response.status_code == 200
    if path != "/history":
        assert SECRET in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["link", "public"])
def test_visibility_confirmation_says_readers_see_the_current_version_only(
    client, login, owner, target
):
    playbook = factories.make_playbook(owner)
    login(owner)
    share = client.get(f"/playbooks/{playbook.id}/share").get_data(as_text=True)
    response = client.post(
        f"/playbooks/{playbook.id}/visibility",
        data={"csrf_token": csrf_token_from(share), "visibility": target},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Readers see the current version only" in html
    assert "stays visible to members only" in html
