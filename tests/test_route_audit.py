"""Every endpoint declares who may use it, and no state changes on GET."""

from __future__ import annotations

from playbook.permissions import Action

RULES = {"public", "login"} | {action.value for action in Action}


def test_every_endpoint_declares_an_access_rule(app):
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and getattr(view, "access_rule", None) not in RULES
    ]
    assert missing == []


# Endpoints whose GET only shows a confirmation form (or, for an item's move, the form
# that moves it without JavaScript); the change itself is the POST.
CONFIRM_PAGES = {"playbooks.delete", "comments.delete", "playbooks.item_move", "rounds.delete"}


def test_state_changing_endpoints_refuse_get(app):
    verbs = ("logout", "retire", "role", "delete", "move", "restore", "fork")
    for rule in app.url_map.iter_rules():
        if any(verb in rule.endpoint for verb in verbs) and rule.endpoint not in CONFIRM_PAGES:
            assert "GET" not in rule.methods, rule


def test_confirmation_pages_change_nothing_on_get(client, login, member):
    from playbook.extensions import db
    from playbook.models import Playbook
    from tests import factories

    playbook = factories.make_playbook(member)
    login(member)
    assert client.get(f"/playbooks/{playbook.id}/delete").status_code == 200
    assert db.session.get(Playbook, playbook.id).deleted_at is None
    playbook = factories.make_playbook(member, items=2)
    version, item = playbook.version, playbook.sections[1].items[0]
    assert client.get(f"/playbooks/{playbook.id}/items/{item.id}/move").status_code == 200
    assert db.session.get(Playbook, playbook.id).version == version


def test_url_parameters_are_named_after_their_noun(app):
    for rule in app.url_map.iter_rules():
        assert "id" not in rule.arguments, rule


def test_object_rule_that_is_never_checked_fails_loudly(app, login, member):
    import pytest as _pytest

    from playbook.permissions import access

    @access(Action.PLAYBOOK_VIEW)
    def forgetful(playbook_id):
        return "leaked"

    app.add_url_rule("/test-forgetful/<int:playbook_id>", "test_forgetful", forgetful)
    client = app.test_client()
    with _pytest.raises(RuntimeError, match="never checked"):
        client.get("/test-forgetful/1")
