"""CSRF: every state-changing route in the URL map, sent by someone allowed to use it,
is refused with 400 (the friendly page, or JSON for scripts) and leaves every table
as it was when the token is missing, empty, made up, or taken from another session:
another person's, a visitor's, or the same person's other browser. The same request
with the browser's own token gets past the check, so the refusals mean something.
POST-only routes also refuse GET with 405 and change nothing.

URL_ARGUMENTS is the one table to extend: a route whose URL has an argument it does
not name fails test_every_url_argument_has_a_value (and its own cases)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask import url_for

from playbook import create_app
from playbook.digests import services as digest_services
from playbook.tokens import signed_token
from tests.helpers import check_page
from tests.security.support import (
    CSRF_MESSAGE,
    browser,
    build_world,
    changed_tables,
    database_snapshot,
    is_sign_in_redirect,
)

# URL argument name -> how to get a valid value: a function of the world
# (support.build_world) and of the arguments chosen so far (the <any(...)> parts of
# the URL are chosen first, so `entry_id` can depend on `kind`). Add new names here.
URL_ARGUMENTS = {
    "playbook_id": lambda w, args: w.playbook_id,
    "section_id": lambda w, args: w.section_id,
    "item_id": lambda w, args: w.item_id,
    "membership_id": lambda w, args: w.editor_membership_id,
    "invitation_id": lambda w, args: w.invitation_id,
    "number": lambda w, args: 1,
    "user_id": lambda w, args: w.users["member"].id,
    "notification_id": lambda w, args: w.notification_ids["admin"],
    "framework_id": lambda w, args: w.framework_id,
    "component_id": lambda w, args: w.component_id,
    "play_id": lambda w, args: w.play_id,
    "resource_id": lambda w, args: w.resource_id,
    "instrument_id": lambda w, args: w.instrument_id,
    "round_id": lambda w, args: w.round_id,
    "entry_id": lambda w, args: {
        "plays": w.play_id,
        "resources": w.resource_id,
        "frameworks": w.framework_id,
    }[args["kind"]],
    "token": lambda w, args: w.reset_token,
    "comment_id": lambda w, args: w.comment_id,
    "target_id": lambda w, args: {
        "play": w.play_id,
        "resource": w.resource_id,
        "component": w.component_id,
        "playbook": w.playbook_id,
    }[args["kind"]],
    "submission_id": lambda w, args: w.submission_id,
    "action_id": lambda w, args: w.action_id,
    "template_id": lambda w, args: w.template_id,
}
# Routes that need another value for an argument than URL_ARGUMENTS gives.
ROUTE_ARGUMENTS = {
    "playbooks.restore": {"playbook_id": lambda w, args: w.binned_playbook_id},
    "playbooks.invitation_answer": {"invitation_id": lambda w, args: w.invitation_to_admin_id},
    "moderation.edit_suggestion": {"submission_id": lambda w, args: w.pending_submission_id},
    "digests.unsubscribe": {
        "token": lambda w, args: signed_token(digest_services.UNSUBSCRIBE, w.users["admin"].id)
    },
    **{
        f"surveys.item_{verb}": {"item_id": lambda w, args: w.instrument_item_id}
        for verb in ("edit", "move", "delete")
    },
}
# Query-string values a route needs besides its URL arguments.
ROUTE_QUERY = {
    "playbooks.item_add": lambda w: {"kind": "play", "ref_id": w.play_id},
}
# Who sends the requests: someone the route would serve. By default the site admin,
# who also owns the world's playbook; sign-in and friends are for visitors.
DEFAULT_PERSONA = "admin"
PERSONA = {
    "auth.login": "visitor",
    "auth.register": "visitor",
    "auth.reset_request": "visitor",
    "auth.reset_password": "visitor",
    "comments.edit": "owner",
    "comments.delete": "owner",
    "comments.revise": "owner",
}

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
_ANY = re.compile(r"<any\(([^)]*)\):(\w+)>")


def _cases(app) -> list[SimpleNamespace]:
    """One case per state-changing (rule, method, choice of each <any(...)> part)."""
    cases = []
    for rule in app.url_map.iter_rules():
        choices = [{}]
        for options, name in _ANY.findall(rule.rule):
            values = sorted(v.strip().strip("'\"") for v in options.split(","))
            choices = [{**chosen, name: value} for chosen in choices for value in values]
        for method in sorted(rule.methods & STATE_CHANGING):
            for chosen in choices:
                suffix = "".join(f"/{chosen[k]}" for k in sorted(chosen))
                cases.append(
                    SimpleNamespace(
                        endpoint=rule.endpoint,
                        method=method,
                        fixed=chosen,
                        arguments=set(rule.arguments),
                        rule=rule.rule,
                        id=f"{method} {rule.endpoint}{suffix}",
                    )
                )
    return sorted(cases, key=lambda case: case.id)


CASES = _cases(create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}))


def url_of(case, world) -> str:
    args = dict(case.fixed)
    overrides = ROUTE_ARGUMENTS.get(case.endpoint, {})
    for name in sorted(case.arguments - set(args)):
        value_of = overrides.get(name) or URL_ARGUMENTS.get(name)
        if value_of is None:
            pytest.fail(
                f"{case.id}: the URL argument {name!r} of {case.rule} has no value; add it to "
                f"URL_ARGUMENTS (or ROUTE_ARGUMENTS) at the top of {__name__.replace('.', '/')}.py"
            )
        args[name] = value_of(world, args)
    query = ROUTE_QUERY[case.endpoint](world) if case.endpoint in ROUTE_QUERY else {}
    return url_for(case.endpoint, **args, **query)


def sender(app, world, endpoint: str):
    persona = PERSONA.get(endpoint, DEFAULT_PERSONA)
    return browser(app, None if persona == "visitor" else world.users[persona])


# --- the tables are sound -------------------------------------------------------------------


def test_csrf_protection_is_on_in_the_tests(app):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    assert app.config.get("WTF_CSRF_CHECK_DEFAULT", True) is True
    assert "csrf" in app.extensions
    assert len(CASES) >= 40, [case.id for case in CASES]


def test_every_url_argument_has_a_value(app):
    missing = sorted(
        {
            f"{name} (in {case.rule})"
            for case in CASES
            for name in case.arguments
            - set(case.fixed)
            - set(URL_ARGUMENTS)
            - set(ROUTE_ARGUMENTS.get(case.endpoint, {}))
        }
    )
    assert missing == [], f"add these URL arguments to URL_ARGUMENTS in {__file__}: {missing}"


def test_the_route_tables_name_only_existing_routes(app):
    endpoints = {case.endpoint for case in CASES}
    assert set(ROUTE_ARGUMENTS) <= endpoints
    assert set(ROUTE_QUERY) <= endpoints
    assert set(PERSONA) <= endpoints


# --- every state-changing route -------------------------------------------------------------


def _refused(response) -> str | None:
    """None when the response is the CSRF refusal, else what it was."""
    if response.status_code != 400:
        return f"{response.status_code} {response.location or ''}".strip()
    if response.mimetype == "application/json":
        return None if response.get_json().get("ok") is False else "a JSON 400 without ok: false"
    return None if CSRF_MESSAGE in check_page(response) else "a 400 that is not the CSRF page"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_state_change_without_this_sessions_token_is_refused_and_changes_nothing(app, case):
    world = build_world(app)
    url = url_of(case, world)
    client, own_token = sender(app, world, case.endpoint)
    persona = PERSONA.get(case.endpoint, DEFAULT_PERSONA)
    _, someone_elses = browser(app, world.users["member"])
    _, a_visitors = browser(app)
    attempts = {
        "no token": ({}, {}),
        "an empty token": ({"csrf_token": ""}, {}),
        "a made-up token": (
            {"csrf_token": "IjAwMDAwMDAwIg.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb"},
            {},
        ),
        "another person's token": ({"csrf_token": someone_elses}, {}),
        "a visitor's token": ({"csrf_token": a_visitors}, {}),
        "another person's token in the header": ({}, {"X-CSRFToken": someone_elses}),
        "no token, from a script": ({}, {"Accept": "application/json"}),
    }
    if persona != "visitor":
        _, same_person_other_browser = browser(app, world.users[persona])
        attempts["the same person's token from another browser"] = (
            {"csrf_token": same_person_other_browser},
            {},
        )

    before = database_snapshot()
    failures = []
    for name, (data, headers) in attempts.items():
        problem = _refused(client.open(url, method=case.method, data=data, headers=headers))
        if problem:
            failures.append(f"{name}: expected the CSRF 400, got {problem}")
    changed = changed_tables(before, database_snapshot())
    assert (failures, changed) == ([], []), f"{case.method} {url}"

    # The browser's own token passes the check, and the sender is allowed: the
    # refusals above were the token's doing.
    response = client.open(url, method=case.method, data={"csrf_token": own_token})
    assert _refused(response) is not None, (
        f"{case.method} {url}: refused even with this browser's token"
    )
    assert response.status_code not in (403, 404, 405) and not is_sign_in_redirect(response), (
        f"{case.method} {url} as {persona}: {response.status_code} {response.location}"
    )


def _page_at(app, rule_text: str) -> bool:
    """Another rule serves GET at exactly this rule's address."""
    return any(r.rule == rule_text and "GET" in r.methods for r in app.url_map.iter_rules())


def test_post_only_routes_refuse_get_and_nothing_changes_on_get(app):
    """A GET never changes anything (so one world serves every route): POST-only
    routes answer 405 with the site's page, form pages show their form."""
    world = build_world(app)
    failures = []
    for case in (c for c in CASES if c.method == "POST"):
        url = url_of(case, world)
        rule = next(r for r in app.url_map.iter_rules(case.endpoint) if r.rule == case.rule)
        client, _ = sender(app, world, case.endpoint)
        before = database_snapshot()
        response = client.get(url)
        # A page may take its form's POST at its own address (the huddle page).
        if "GET" in rule.methods or _page_at(app, rule.rule):
            if response.status_code not in (200, 302):
                failures.append(f"GET {url}: the form page answered {response.status_code}")
        elif response.status_code != 405 or "Not allowed here" not in check_page(response):
            failures.append(f"GET {url}: expected the 405 page, got {response.status_code}")
        changed = changed_tables(before, database_snapshot())
        if changed:
            failures.append(f"GET {url} changed {changed}")
    assert failures == []


def test_refused_post_shows_a_friendly_page_not_a_stack_trace(app):
    world = build_world(app)
    client, _ = browser(app, world.users["admin"])
    response = client.post(f"/playbooks/{world.playbook_id}/edit", data={"title": "Hijacked"})
    html = check_page(response)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert CSRF_MESSAGE in html and "Bad request" in html
    for leak in ("Traceback", "CSRFError", "werkzeug", "The CSRF token is missing", 'File "'):
        assert leak not in html
    assert "Location" not in response.headers
