"""Every endpoint declares who may use it, and no state changes on GET."""
from __future__ import annotations

from playbook.permissions import Action

RULES = {"public", "login"} | {action.value for action in Action}


def test_every_endpoint_declares_an_access_rule(app):
    missing = [endpoint for endpoint, view in app.view_functions.items()
               if endpoint != "static" and getattr(view, "access_rule", None) not in RULES]
    assert missing == []


def test_state_changing_endpoints_accept_post_only_or_render_forms_on_get(app):
    # An endpoint that accepts GET must be a page; any endpoint whose name says it
    # changes state must refuse GET.
    verbs = ("logout", "retire", "role", "delete")
    for rule in app.url_map.iter_rules():
        if any(verb in rule.endpoint for verb in verbs):
            assert "GET" not in rule.methods, rule


def test_url_parameters_are_named_after_their_noun(app):
    for rule in app.url_map.iter_rules():
        assert "id" not in rule.arguments, rule
