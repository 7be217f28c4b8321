"""The authorization matrix for every route outside `playbooks` (which
tests/test_access_matrix.py covers): library browsing and the admin edit routes,
survey instruments and rounds, admin, accounts, notifications, My work, calendars, the digest,
gallery, home, auth and static files, × persona, with
the expected outcome of each cell written down as data.

RULES says what each kind of route answers to each persona; MATRIX says which rule
each (endpoint, method[ state]) follows. An endpoint, method or URL verb missing from
MATRIX fails test_every_route_outside_playbooks_is_in_the_matrix, except those of
PENDING_BLUEPRINTS. Refusals, redirects elsewhere and every GET must leave every
table as it was; allowed POSTs send only the browser's CSRF token (the form may then
be refused as incomplete, 422, which still shows the access check let it through)."""

from __future__ import annotations

import pytest

from playbook import create_app
from tests.helpers import check_page
from tests.matrix import LOGIN, MOVED, OK, routes_in_matrix, routes_in_url_map, row_maker
from tests.matrix import problem_with as _judge
from tests.security.support import browser, build_world, changed_tables, database_snapshot

# Blueprints whose routes are not in MATRIX yet (none).
PENDING_BLUEPRINTS: set[str] = set()

# LOGIN: 302 to the sign-in page. OK: allowed, 200, 302 or 422, never 403/404/sign-in;
# the database may change. MOVED: 302 somewhere other than sign-in, nothing changed
# (e.g. signed in on the sign-in page).
REFUSALS = {LOGIN, MOVED, 403, 404}

# "owner" owns the object of the cell where there is one (the notification); elsewhere
# they are one more member. Refused cells run first, so allowed changes cannot hide them.
PERSONAS = ("visitor", "member", "moderator", "owner", "admin")


_row = row_maker(PERSONAS)


RULES = {
    #                                 visitor  member  moderator owner  admin
    "public": _row(200, 200, 200, 200, 200),
    # Retired library entries: only admins (who may restore them) still see them.
    "retired_read": _row(404, 404, 404, 404, 200),
    "admin_page": _row(LOGIN, 403, 403, 403, 200),
    "admin": _row(LOGIN, 403, 403, 403, OK),
    # An admin changing their own site role: nobody (no self-lockout).
    "nobody": _row(LOGIN, 403, 403, 403, 403),
    "signed_in_page": _row(LOGIN, 200, 200, 200, 200),
    # An instrument of a retired framework: only admins still see it.
    "retired_signed_in_page": _row(LOGIN, 404, 404, 404, 200),
    "signed_in": _row(LOGIN, OK, OK, OK, OK),
    "signed_in_moved": _row(LOGIN, MOVED, MOVED, MOVED, MOVED),
    # Marking a notification read: its owner; for anyone else it changes nothing.
    "owner_only": _row(LOGIN, MOVED, MOVED, OK, MOVED),
    # Sign-in and register: for visitors; a signed-in person is sent on.
    "visitor_page": _row(200, MOVED, MOVED, MOVED, MOVED),
    "visitor_only": _row(OK, MOVED, MOVED, MOVED, MOVED),
    # Signing out: a visitor has nothing to end and is sent home.
    "sign_out": _row(MOVED, OK, OK, OK, OK),
    # Password reset: the token (or the e-mail address) is the key, whoever asks.
    "anyone": _row(OK, OK, OK, OK, OK),
    # Comments. "owner" wrote the world's comments and suggestions; the playbook
    # target is admin's private playbook.
    "everyone_moved": _row(MOVED, MOVED, MOVED, MOVED, MOVED),
    "author_or_mod_moved": _row(404, 404, MOVED, MOVED, MOVED),
    "members_only_page": _row(LOGIN, 404, 404, 404, 200),
    # A page visitors may be shown (public survey results), of a private playbook:
    # nobody outside its team learns it exists.
    "team_page": _row(404, 404, 404, 404, 200),
    "members_only": _row(LOGIN, 404, 404, 404, OK),
    "author_page": _row(LOGIN, 403, 403, 200, 403),
    "author": _row(LOGIN, 403, 403, OK, 403),
    "not_author_page": _row(LOGIN, 200, 200, 403, 200),
    "not_author": _row(LOGIN, OK, OK, 403, OK),
    # A suggestion is the suggester's and the moderators' to know about.
    "suggester_page": _row(LOGIN, 404, 403, 200, 403),
    "suggester": _row(LOGIN, 404, 403, OK, 403),
    "moderator_page": _row(LOGIN, 403, 200, 403, 200),
    "moderator": _row(LOGIN, 403, OK, 403, OK),
    # A calendar feed: the token is the credential; a wrong one is a 404 for anyone.
    "wrong_token": _row(404, 404, 404, 404, 404),
    # A private playbook's survey rounds listed: its members only; a visitor who
    # cannot see the playbook is not told it exists.
    "members_read_page": _row(404, 404, 404, 404, 200),
}

_EDIT = {"GET": "admin_page", "POST": "admin", "GET retired": "admin_page", "POST retired": "admin"}
_NEW = {"GET": "admin_page", "POST": "admin"}
_DETAIL = {"GET": "public", "GET retired": "retired_read"}

# endpoint[/value of each <any(...)> URL part, in order] -> "METHOD[ state]" -> rule.
MATRIX = {
    "static": {"GET": "public"},
    "home.index": {"GET": "public"},
    "gallery.index": {"GET": "public"},
    "library.index": {"GET": "public"},
    "library.play_index": {"GET": "public"},
    "library.resource_index": {"GET": "public"},
    "library.framework_index": {"GET": "public"},
    "library.search": {"GET": "public"},
    "library.play_detail": _DETAIL,
    "library.resource_detail": _DETAIL,
    "library.framework_detail": _DETAIL,
    "library.component_detail": _DETAIL,
    "library.play_new": _NEW,
    "library.resource_new": _NEW,
    "library.framework_new": _NEW,
    "library.component_new": {**_NEW, "GET retired": "admin_page", "POST retired": "admin"},
    "library.play_edit": _EDIT,
    "library.resource_edit": _EDIT,
    "library.framework_edit": _EDIT,
    "library.component_edit": _EDIT,
    "library.retire/plays/retire": {"POST": "admin"},
    "library.retire/plays/restore": {"POST retired": "admin"},
    "library.retire/resources/retire": {"POST": "admin"},
    "library.retire/resources/restore": {"POST retired": "admin"},
    "library.retire/frameworks/retire": {"POST": "admin"},
    "library.retire/frameworks/restore": {"POST retired": "admin"},
    "admin.user_index": {"GET": "admin_page"},
    "admin.user_role": {"POST": "admin", "POST self": "nobody"},
    "accounts.profile": {"GET": "signed_in_page", "POST": "signed_in"},
    "accounts.password": {"GET": "signed_in_page", "POST": "signed_in"},
    "notifications.index": {"GET": "signed_in_page"},
    "notifications.open_link": {"GET": "signed_in_moved"},
    "notifications.read": {"POST": "owner_only"},
    "notifications.read_all": {"POST": "signed_in"},
    "notifications.settings": {"GET": "signed_in_page", "POST": "signed_in"},
    "notifications.digest": {"POST": "signed_in"},
    # The digest's unsubscribe link: the signed token is the credential.
    "digests.unsubscribe": {"GET": "wrong_token", "POST": "wrong_token"},
    "auth.login": {"GET": "visitor_page", "POST": "visitor_only"},
    "auth.register": {"GET": "visitor_page", "POST": "visitor_only"},
    "auth.logout": {"POST": "sign_out"},
    "auth.reset_request": {"GET": "public", "POST": "anyone"},
    "auth.reset_password": {"GET": "public", "POST": "anyone"},
    **{
        f"comments.new/{kind}": {"GET": "signed_in_page", "POST": "signed_in"}
        for kind in ("component", "play", "resource")
    },
    "comments.new/playbook": {"GET": "members_only_page", "POST": "members_only"},
    "comments.detail": {"GET": "everyone_moved", "GET pending": "author_or_mod_moved"},
    "comments.edit": {"GET": "author_page", "POST": "author"},
    "comments.delete": {"GET": "author_page", "POST": "author"},
    "comments.flag": {"GET": "not_author_page", "POST": "not_author"},
    "comments.mine": {"GET": "signed_in_page"},
    "comments.suggest": {"GET": "signed_in_page", "POST": "signed_in"},
    "comments.revise": {"GET": "suggester_page", "POST": "suggester"},
    "moderation.index": {"GET": "moderator_page"},
    "moderation.decide": {"POST": "moderator"},
    "moderation.undo": {"POST": "moderator"},
    "moderation.edit_suggestion": {"GET": "moderator_page", "POST": "moderator"},
    "moderation.reasons": {"GET": "moderator_page", "POST": "moderator"},
    "moderation.edit_reason": {"GET": "moderator_page", "POST": "moderator"},
    "moderation.delete_reason": {"POST": "moderator"},
    "calendars.index": {"GET": "signed_in_page"},
    "calendars.mine_new": {"POST": "signed_in"},
    # A playbook's calendar address, for admin's private playbook: its members only.
    "calendars.playbook_feed_new": {"POST": "members_only"},
    "calendars.feed": {"GET": "wrong_token"},
    "work.index": {"GET": "signed_in_page"},
    # A status changed from My work: those who may edit the item's playbook (admin
    # owns it; the others are not in its team).
    "work.status": {"POST": "members_only"},
    "surveys.index": {"GET": "signed_in_page"},
    "surveys.detail": {"GET": "signed_in_page", "GET retired": "retired_signed_in_page"},
    "surveys.new": _NEW,
    "surveys.edit": _NEW,
    "surveys.item_new": _NEW,
    "surveys.item_edit": _NEW,
    "surveys.item_move/up": {"POST": "admin"},
    "surveys.item_move/down": {"POST": "admin"},
    "surveys.item_delete": {"POST": "admin"},
    "surveys.export_json": {"GET": "admin_page"},
    "surveys.import_file": _NEW,
    # Survey rounds of admin's private playbook (admin owns it): its members read the
    # list, its owners and editors run rounds; the parent preview is public.
    "rounds.index": {"GET": "members_read_page"},
    "rounds.new": {"GET": "members_only_page", "POST": "members_only"},
    "rounds.detail": {"GET": "members_only_page"},
    "rounds.edit": {"GET": "members_only_page", "POST": "members_only"},
    "rounds.delete": {"GET": "members_only_page", "POST": "members_only"},
    "rounds.groups_new": {"POST": "members_only"},
    "rounds.codes_new": {"POST": "members_only"},
    "rounds.link_new": {"POST": "members_only"},
    "rounds.preview": {"GET": "public"},
    # Answering a survey: no account; the code or the shared link is the key.
    "respond.index": {"GET": "public", "POST": "anyone"},
    "respond.survey": {"POST": "anyone"},
    "respond.link": {"GET": "wrong_token"},
    "respond.thanks": {"GET": "public"},
    # Survey results of a round of admin's private playbook: its members read them
    # (admin owns it); the owner alone exports raw answers and makes them public.
    "results.detail": {"GET": "team_page"},
    "results.export": {"GET": "team_page"},
    "results.raw_export": {"GET": "members_only_page"},
    "results.publish": {"POST": "members_only"},
    "results.trend": {"GET": "team_page"},
}


def _pick(w, state, live, retired):
    return getattr(w, retired if state == "retired" else live)


# The path of each key: a function of the world (support.build_world) and the state.
PATHS = {
    "static": lambda w, s: "/static/css/app.css",
    "home.index": lambda w, s: "/",
    "gallery.index": lambda w, s: "/gallery/",
    "library.index": lambda w, s: "/library/",
    "library.play_index": lambda w, s: "/library/plays/",
    "library.resource_index": lambda w, s: "/library/resources/",
    "library.framework_index": lambda w, s: "/library/frameworks/",
    "library.search": lambda w, s: "/library/search?q=play",
    "library.play_detail": lambda w, s: (
        f"/library/plays/{_pick(w, s, 'play_id', 'retired_play_id')}"
    ),
    "library.resource_detail": lambda w, s: (
        f"/library/resources/{_pick(w, s, 'resource_id', 'retired_resource_id')}"
    ),
    "library.framework_detail": lambda w, s: (
        f"/library/frameworks/{_pick(w, s, 'framework_id', 'retired_framework_id')}"
    ),
    "library.component_detail": lambda w, s: (
        f"/library/components/{_pick(w, s, 'component_id', 'retired_component_id')}"
    ),
    "library.play_new": lambda w, s: "/library/plays/new",
    "library.resource_new": lambda w, s: "/library/resources/new",
    "library.framework_new": lambda w, s: "/library/frameworks/new",
    "library.component_new": lambda w, s: (
        f"/library/frameworks/{_pick(w, s, 'framework_id', 'retired_framework_id')}/components/new"
    ),
    "library.play_edit": lambda w, s: (
        f"/library/plays/{_pick(w, s, 'play_id', 'retired_play_id')}/edit"
    ),
    "library.resource_edit": lambda w, s: (
        f"/library/resources/{_pick(w, s, 'resource_id', 'retired_resource_id')}/edit"
    ),
    "library.framework_edit": lambda w, s: (
        f"/library/frameworks/{_pick(w, s, 'framework_id', 'retired_framework_id')}/edit"
    ),
    "library.component_edit": lambda w, s: (
        f"/library/components/{_pick(w, s, 'component_id', 'retired_component_id')}/edit"
    ),
    "admin.user_index": lambda w, s: "/admin/users/",
    "admin.user_role": lambda w, s: (
        f"/admin/users/{w.users['admin' if s == 'self' else 'member'].id}/role"
    ),
    "accounts.profile": lambda w, s: "/accounts/profile",
    "accounts.password": lambda w, s: "/accounts/password",
    "notifications.index": lambda w, s: "/notifications/",
    "notifications.open_link": lambda w, s: "/notifications/open?next=/library/",
    "notifications.read": lambda w, s: f"/notifications/{w.notification_ids['owner']}/read",
    "notifications.read_all": lambda w, s: "/notifications/read-all",
    "notifications.settings": lambda w, s: "/notifications/settings",
    "notifications.digest": lambda w, s: "/notifications/settings/digest",
    "digests.unsubscribe": lambda w, s: "/digest/unsubscribe/not-a-signed-token",
    "auth.login": lambda w, s: "/auth/login",
    "auth.register": lambda w, s: "/auth/register",
    "auth.logout": lambda w, s: "/auth/logout",
    "auth.reset_request": lambda w, s: "/auth/reset",
    "auth.reset_password": lambda w, s: f"/auth/reset/{w.reset_token}",
    "comments.new/component": lambda w, s: f"/comments/component/{w.component_id}/new",
    "comments.new/play": lambda w, s: f"/comments/play/{w.play_id}/new",
    "comments.new/resource": lambda w, s: f"/comments/resource/{w.resource_id}/new",
    "comments.new/playbook": lambda w, s: f"/comments/playbook/{w.playbook_id}/new",
    "comments.detail": lambda w, s: (
        f"/comments/{w.pending_comment_id if s == 'pending' else w.comment_id}"
    ),
    "comments.edit": lambda w, s: f"/comments/{w.comment_id}/edit",
    "comments.delete": lambda w, s: f"/comments/{w.comment_id}/delete",
    "comments.flag": lambda w, s: f"/comments/{w.comment_id}/flag",
    "comments.mine": lambda w, s: "/comments/mine",
    "comments.suggest": lambda w, s: "/comments/suggest",
    "comments.revise": lambda w, s: f"/comments/suggestions/{w.submission_id}/revise",
    "moderation.index": lambda w, s: "/moderation/",
    "moderation.decide": lambda w, s: "/moderation/decide",
    "moderation.undo": lambda w, s: f"/moderation/actions/{w.action_id}/undo",
    "moderation.edit_suggestion": lambda w, s: (
        f"/moderation/suggestions/{w.pending_submission_id}/edit"
    ),
    "moderation.reasons": lambda w, s: "/moderation/reasons",
    "moderation.edit_reason": lambda w, s: f"/moderation/reasons/{w.template_id}/edit",
    "moderation.delete_reason": lambda w, s: f"/moderation/reasons/{w.template_id}/delete",
    "calendars.index": lambda w, s: "/calendars/",
    "calendars.mine_new": lambda w, s: "/calendars/mine/new",
    "calendars.playbook_feed_new": lambda w, s: f"/calendars/playbooks/{w.playbook_id}/new",
    "calendars.feed": lambda w, s: "/calendars/not-a-valid-token.ics",
    "work.index": lambda w, s: "/work/",
    "results.detail": lambda w, s: f"/results/{w.round_id}",
    "results.export": lambda w, s: f"/results/{w.round_id}/results.csv",
    "results.raw_export": lambda w, s: f"/results/{w.round_id}/answers.csv",
    "results.publish": lambda w, s: f"/results/{w.round_id}/public",
    "results.trend": lambda w, s: f"/results/playbooks/{w.playbook_id}",
    "work.status": lambda w, s: f"/work/{w.playbook_id}/items/{w.item_id}/status",
    "surveys.index": lambda w, s: "/surveys/instruments",
    "surveys.detail": lambda w, s: (
        f"/surveys/instruments/{_pick(w, s, 'instrument_id', 'retired_instrument_id')}"
    ),
    "surveys.new": lambda w, s: "/surveys/instruments/new",
    "surveys.edit": lambda w, s: f"/surveys/instruments/{w.instrument_id}/edit",
    "surveys.item_new": lambda w, s: f"/surveys/instruments/{w.instrument_id}/items/new",
    "surveys.item_edit": lambda w, s: f"/surveys/items/{w.instrument_item_id}/edit",
    "surveys.item_move/up": lambda w, s: f"/surveys/items/{w.instrument_item_id}/move/up",
    "surveys.item_move/down": lambda w, s: f"/surveys/items/{w.instrument_item_id}/move/down",
    "surveys.item_delete": lambda w, s: f"/surveys/items/{w.instrument_item_id}/delete",
    "surveys.export_json": lambda w, s: f"/surveys/instruments/{w.instrument_id}/export.json",
    "surveys.import_file": lambda w, s: "/surveys/instruments/import",
    "rounds.index": lambda w, s: f"/rounds/playbooks/{w.playbook_id}",
    "rounds.new": lambda w, s: f"/rounds/playbooks/{w.playbook_id}/new",
    "rounds.detail": lambda w, s: f"/rounds/{w.round_id}",
    "rounds.edit": lambda w, s: f"/rounds/{w.round_id}/edit",
    "rounds.delete": lambda w, s: f"/rounds/{w.round_id}/delete",
    "rounds.groups_new": lambda w, s: f"/rounds/{w.round_id}/groups",
    "rounds.codes_new": lambda w, s: f"/rounds/groups/{w.group_id}/codes",
    "rounds.link_new": lambda w, s: f"/rounds/groups/{w.group_id}/link",
    "rounds.preview": lambda w, s: f"/rounds/{w.round_id}/preview",
    "respond.index": lambda w, s: "/respond/",
    "respond.survey": lambda w, s: "/respond/survey",
    "respond.link": lambda w, s: "/respond/link/not-a-shared-link",
    "respond.thanks": lambda w, s: "/respond/thanks",
}
for _kind, _live, _retired in (
    ("plays", "play_id", "retired_play_id"),
    ("resources", "resource_id", "retired_resource_id"),
    ("frameworks", "framework_id", "retired_framework_id"),
):
    for _verb in ("retire", "restore"):
        PATHS[f"library.retire/{_kind}/{_verb}"] = (
            lambda w, s, kind=_kind, verb=_verb, live=_live, retired=_retired: (
                f"/library/{kind}/{_pick(w, s, live, retired)}/{verb}"
            )
        )

# --- running a cell ------------------------------------------------------------------------


def problem_with(response, expected) -> str | None:
    """None when the response is the expected outcome, else what is wrong; an expected
    status page must pass the page checks."""
    return _judge(response, expected, page_check=check_page)


@pytest.mark.parametrize("key", list(MATRIX))
def test_authorization_matrix(app, key):
    """Every method and state of one route, on one world: GETs first, and in each the
    refusals first, so an allowed change made earlier cannot mask a refusal (allowed
    POSTs carry only the CSRF token, so they rarely change anything)."""
    world = build_world(app)
    failures = []
    for spec in sorted(MATRIX[key], key=lambda spec: (not spec.startswith("GET"), spec)):
        method, _, state = spec.partition(" ")
        expected_by_persona = RULES[MATRIX[key][spec]]
        path = PATHS[key](world, state)
        for persona in sorted(PERSONAS, key=lambda p: expected_by_persona[p] == OK):
            expected = expected_by_persona[persona]
            problem = run_cell(app, world, persona, method, path, expected)
            if problem:
                failures.append(f"{persona}: {spec}: {method} {path}: {problem}")
    assert failures == []


def run_cell(app, world, persona: str, method: str, path: str, expected) -> str | None:
    client, token = browser(app, None if persona == "visitor" else world.users[persona])
    before = database_snapshot()
    response = (
        client.get(path) if method == "GET" else client.post(path, data={"csrf_token": token})
    )
    problem = problem_with(response, expected)
    response.close()  # static files are streamed from an open file
    if problem is None and (expected in REFUSALS or method == "GET"):
        changed = changed_tables(before, database_snapshot())
        if changed:
            problem = f"{expected} as expected, but {changed} changed"
    return problem


# --- the matrix covers every route ------------------------------------------------------------


def routes_outside_playbooks(app) -> set[tuple[str, str]]:
    return routes_in_url_map(
        app, lambda blueprint: blueprint != "playbooks" and blueprint not in PENDING_BLUEPRINTS
    )


def test_every_route_outside_playbooks_is_in_the_matrix():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    in_map = routes_outside_playbooks(app)
    in_matrix = routes_in_matrix(MATRIX)
    assert sorted(in_map - in_matrix) == [], "routes without a row in MATRIX: add them"
    assert sorted(in_matrix - in_map) == [], "rows in MATRIX for routes that no longer exist"


def test_the_matrix_tables_are_complete():
    for name, row in RULES.items():
        assert set(row) == set(PERSONAS), name
    assert {rule for specs in MATRIX.values() for rule in specs.values()} <= set(RULES)
    assert set(PATHS) == set(MATRIX)
    for specs in MATRIX.values():
        for spec in specs:
            method, _, state = spec.partition(" ")
            assert method in ("GET", "POST") and state in ("", "retired", "self", "pending"), spec


# --- what list pages show each persona ----------------------------------------------------------


def test_notification_list_shows_each_person_only_their_own(app):
    world = build_world(app)
    names = {persona: world.users[persona].display_name for persona in ("owner", "admin")}
    for persona in ("member", "moderator", "owner", "admin"):
        client, _ = browser(app, world.users[persona])
        html = check_page(client.get("/notifications/"))
        for whose, name in names.items():
            assert (f"A notification for {name}." in html) == (whose == persona), (persona, whose)


def test_gallery_and_library_never_list_a_private_playbook(app):
    world = build_world(app)
    from playbook.extensions import db
    from playbook.models import Playbook

    private_title = db.session.get(Playbook, world.playbook_id).title
    for persona in PERSONAS:
        client, _ = browser(app, None if persona == "visitor" else world.users[persona])
        for path in (
            "/gallery/",
            f"/library/plays/{world.play_id}",
            f"/library/resources/{world.resource_id}",
            "/",
            "/library/search?q=note",
        ):
            response = client.get(path)
            assert response.status_code == 200, (persona, path, response.status_code)
            assert private_title not in response.get_data(as_text=True), (persona, path)
