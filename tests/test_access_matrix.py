"""The access matrix of issue 4: every route of the `playbooks` blueprint × persona ×
visibility, with the expected outcome of each cell written down as data.

Read the tables first: RULES says what each kind of route answers, MATRIX says which
rule each (endpoint, method) follows. A `playbooks.*` endpoint, method or URL verb
that is missing from MATRIX fails test_every_playbooks_route_is_in_the_matrix.

Each cell runs on a fresh playbook, made with the services: the owner, a viewer, a
commenter and an editor, one note, and a secret link that was opened by the
"…_link" persona (if that is the persona of the cell) while the playbook was shared by
link. For "private" and "public" the owner then switched the visibility, so there the
"…_link" personas are people who held the link before the switch: for a private
playbook they must be treated exactly like everyone else outside the team. SETUP adds
what a few routes need (the bin, an open invitation, an export to import).

Allowed POSTs send plausible form data with the CSRF token of that browser's session;
refused cells (and every GET) must also leave the database as it was."""

from __future__ import annotations

import io
import itertools
import json
import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from playbook.extensions import db
from playbook.models import (
    Invitation,
    Item,
    MemberRole,
    Membership,
    Playbook,
    Revision,
    Section,
    SiteRole,
    utcnow,
)
from playbook.playbooks import document, services, sharing
from playbook.tokens import hash_token, new_token
from tests import factories
from tests.helpers import session_token as csrf_of
from tests.helpers import sign_in
from tests.matrix import (
    LOGIN,
    OK,
    is_sign_in_redirect,
    routes_in_matrix,
    routes_in_url_map,
    row_maker,
    share_compiled_templates,
)
from tests.matrix import problem_with as _judge

# --- the data ------------------------------------------------------------------------

# LOGIN: 302 to the sign-in page. OK: allowed; a state-changing POST may answer
# 200/302/409/422, never 403/404/sign-in.
# Outcomes after which nothing in the database may have changed.
REFUSALS = {LOGIN, 400, 403, 404, 422}

VISIBILITIES = ("private", "link", "public")
# visitor_link / stranger_link opened the secret link in their browser; moderator and
# admin are site roles without a membership.
PERSONAS = (
    "visitor",
    "visitor_link",
    "stranger",
    "stranger_link",
    "viewer",
    "commenter",
    "editor",
    "owner",
    "moderator",
    "admin",
)


_row = row_maker(PERSONAS)


# Each rule: visibility -> the outcome for each persona, in PERSONAS order.
RULES = {
    # Reading: members always; anyone when public; link holders while it is shared by link.
    #                     visitor  v_link  stranger s_link  viewer commenter editor owner  moderator admin
    "read": {
        "private": _row(404, 404, 404, 404, 200, 200, 200, 200, 404, 404),
        "link": _row(404, 200, 404, 200, 200, 200, 200, 200, 404, 404),
        "public": _row(200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    },
    # The history (list, a version, a comparison): members in any role. Readers by link
    # or in the gallery see the current version only: visitors who can read it are sent
    # to sign in, signed-in readers get 403, anyone who cannot read it 404.
    "history": {
        "private": _row(404, 404, 404, 404, 200, 200, 200, 200, 404, 404),
        "link": _row(404, LOGIN, 404, 403, 200, 200, 200, 200, 404, 404),
        "public": _row(LOGIN, LOGIN, 403, 403, 200, 200, 200, 200, 403, 403),
    },
    # An editing page (GET): owners and editors; sign-in first for any visitor (reveals
    # nothing); 403 only to someone who can see the playbook, 404 to anyone else.
    "edit_page": {
        "private": _row(LOGIN, LOGIN, 404, 404, 403, 403, 200, 200, 404, 404),
        "link": _row(LOGIN, LOGIN, 404, 403, 403, 403, 200, 200, 404, 404),
        "public": _row(LOGIN, LOGIN, 403, 403, 403, 403, 200, 200, 403, 403),
    },
    "edit": {
        "private": _row(LOGIN, LOGIN, 404, 404, 403, 403, OK, OK, 404, 404),
        "link": _row(LOGIN, LOGIN, 404, 403, 403, 403, OK, OK, 404, 404),
        "public": _row(LOGIN, LOGIN, 403, 403, 403, 403, OK, OK, 403, 403),
    },
    # Owner only: the share page, invitations, roles, visibility, the link, the bin.
    "owner_page": {
        "private": _row(LOGIN, LOGIN, 404, 404, 403, 403, 403, 200, 404, 404),
        "link": _row(LOGIN, LOGIN, 404, 403, 403, 403, 403, 200, 404, 404),
        "public": _row(LOGIN, LOGIN, 403, 403, 403, 403, 403, 200, 403, 403),
    },
    "owner": {
        "private": _row(LOGIN, LOGIN, 404, 404, 403, 403, 403, OK, 404, 404),
        "link": _row(LOGIN, LOGIN, 404, 403, 403, 403, 403, OK, 404, 404),
        "public": _row(LOGIN, LOGIN, 403, 403, 403, 403, 403, OK, 403, 403),
    },
    # Restore from the bin (the cell's playbook is in the bin): nobody but the owner can
    # even see a binned playbook.
    "restore": {
        "private": _row(LOGIN, LOGIN, 404, 404, 404, 404, 404, OK, 404, 404),
        "link": _row(LOGIN, LOGIN, 404, 404, 404, 404, 404, OK, 404, 404),
        "public": _row(LOGIN, LOGIN, 404, 404, 404, 404, 404, OK, 404, 404),
    },
    # Fork: signed in, and able to read it.
    "fork": {
        "private": _row(LOGIN, LOGIN, 404, 404, OK, OK, OK, OK, 404, 404),
        "link": _row(LOGIN, LOGIN, 404, OK, OK, OK, OK, OK, 404, 404),
        "public": _row(LOGIN, LOGIN, OK, OK, OK, OK, OK, OK, OK, OK),
    },
    # Leave: members (the only owner is told to hand over first: a redirect, no change).
    "leave": {
        "private": _row(LOGIN, LOGIN, 404, 404, OK, OK, OK, OK, 404, 404),
        "link": _row(LOGIN, LOGIN, 404, 403, OK, OK, OK, OK, 404, 404),
        "public": _row(LOGIN, LOGIN, 403, 403, OK, OK, OK, OK, 403, 403),
    },
    # Pages of one's own (list, bin, new, import, invitations, "Add to playbook").
    "signed_in_page": {
        "private": _row(LOGIN, LOGIN, 200, 200, 200, 200, 200, 200, 200, 200),
        "link": _row(LOGIN, LOGIN, 200, 200, 200, 200, 200, 200, 200, 200),
        "public": _row(LOGIN, LOGIN, 200, 200, 200, 200, 200, 200, 200, 200),
    },
    "signed_in": {
        "private": _row(LOGIN, LOGIN, OK, OK, OK, OK, OK, OK, OK, OK),
        "link": _row(LOGIN, LOGIN, OK, OK, OK, OK, OK, OK, OK, OK),
        "public": _row(LOGIN, LOGIN, OK, OK, OK, OK, OK, OK, OK, OK),
    },
    # "Add to playbook" into a section of the cell's playbook: only its editors are
    # offered that section; for anyone else it is not a valid choice (422, nothing added).
    "add_to_playbook": {
        "private": _row(LOGIN, LOGIN, 422, 422, 422, 422, OK, OK, 422, 422),
        "link": _row(LOGIN, LOGIN, 422, 422, 422, 422, OK, OK, 422, 422),
        "public": _row(LOGIN, LOGIN, 422, 422, 422, 422, OK, OK, 422, 422),
    },
    # The secret link itself (a token that was valid while the playbook was shared by
    # link): it opens the playbook only while the visibility is "link".
    "secret_link": {
        "private": _row(404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
        "link": _row(302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
        "public": _row(404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    # The invitation page: the token is the key, whoever holds it.
    "invitation_page": {
        "private": _row(200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
        "link": _row(200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
        "public": _row(200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    },
    # Answering an invitation (addressed to the stranger): only its addressee; to anyone
    # else it does not exist.
    "invitation_answer": {
        "private": _row(LOGIN, LOGIN, OK, 404, 404, 404, 404, 404, 404, 404),
        "link": _row(LOGIN, LOGIN, OK, 404, 404, 404, 404, 404, 404, 404),
        "public": _row(LOGIN, LOGIN, OK, 404, 404, 404, 404, 404, 404, 404),
    },
}

# endpoint[/verb of an <any(...)> URL part] -> method -> rule.
MATRIX = {
    "playbooks.index": {"GET": "signed_in_page"},
    "playbooks.bin": {"GET": "signed_in_page"},
    "playbooks.new": {"GET": "signed_in_page", "POST": "signed_in"},
    "playbooks.import_file": {"GET": "signed_in_page", "POST": "signed_in"},
    "playbooks.item_add": {"GET": "signed_in_page", "POST": "add_to_playbook"},
    "playbooks.invitations": {"GET": "signed_in_page"},
    "playbooks.detail": {"GET": "read"},
    "playbooks.live": {"GET": "read"},
    "playbooks.history_index": {"GET": "history"},
    "playbooks.revision": {"GET": "history"},
    "playbooks.compare": {"GET": "history"},
    "playbooks.export_markdown": {"GET": "read"},
    "playbooks.export_json": {"GET": "read"},
    "playbooks.print_view": {"GET": "read"},
    # The huddle is the team's, like the history; recording and planning are edits.
    "playbooks.huddle": {"GET": "history"},
    "playbooks.huddle_agenda": {"GET": "history"},
    "playbooks.huddle_record": {"POST": "edit"},
    "playbooks.huddle_plan": {"POST": "edit"},
    "playbooks.huddle_plan_cancel": {"POST": "edit"},
    "playbooks.edit": {"GET": "edit_page", "POST": "edit"},
    "playbooks.section_new": {"POST": "edit"},
    "playbooks.section_edit": {"GET": "edit_page", "POST": "edit"},
    "playbooks.section_delete": {"POST": "edit"},
    "playbooks.section_move": {"POST": "edit"},
    "playbooks.item_move": {"GET": "edit_page", "POST": "edit"},
    "playbooks.note_new": {"GET": "edit_page", "POST": "edit"},
    "playbooks.item_edit": {"GET": "edit_page", "POST": "edit"},
    "playbooks.item_delete": {"POST": "edit"},
    "playbooks.revision_restore": {"POST": "edit"},
    "playbooks.delete": {"GET": "owner_page", "POST": "owner"},
    "playbooks.restore": {"POST": "restore"},
    "playbooks.fork": {"POST": "fork"},
    "playbooks.share": {"GET": "owner_page"},
    "playbooks.invite": {"POST": "owner"},
    "playbooks.invitation_revoke": {"POST": "owner"},
    "playbooks.member/role": {"POST": "owner"},
    "playbooks.member/remove": {"POST": "owner"},
    "playbooks.member/handover": {"POST": "owner"},
    "playbooks.visibility": {"POST": "owner"},
    "playbooks.link/regenerate": {"POST": "owner"},
    "playbooks.link/revoke": {"POST": "owner"},
    "playbooks.leave": {"POST": "leave"},
    "playbooks.shared_link": {"GET": "secret_link"},
    "playbooks.invitation": {"GET": "invitation_page"},
    "playbooks.invitation_answer/accept": {"POST": "invitation_answer"},
    "playbooks.invitation_answer/decline": {"POST": "invitation_answer"},
}

# What a cell's playbook needs besides the usual team and link.
SETUP = {
    "playbooks.restore": {"binned": True},
    "playbooks.import_file": {"exported": True},
    "playbooks.invitation_revoke": {"invite": "newcomer"},
    "playbooks.invitation": {"invite": "newcomer"},
    "playbooks.invitation_answer/accept": {"invite": "stranger"},
    "playbooks.invitation_answer/decline": {"invite": "stranger"},
}


def _edited_playbook(c):
    return {
        "title": "Renamed playbook",
        "scope": "district",
        "organization": "Elsewhere",
        "vision": "New vision",
        "framework_id": "",
        "version": c.version,
    }


# The request of each key: (path, form data; None for GET). Plausible data that an
# allowed persona's request would save.
REQUESTS = {
    "playbooks.index": lambda c: ("/playbooks/", None),
    "playbooks.bin": lambda c: ("/playbooks/bin", None),
    "playbooks.new": {
        "GET": lambda c: ("/playbooks/new", None),
        "POST": lambda c: (
            "/playbooks/new",
            {
                "title": "A new playbook",
                "scope": "school",
                "organization": "",
                "vision": "",
                "framework_id": "",
            },
        ),
    },
    "playbooks.import_file": {
        "GET": lambda c: ("/playbooks/import", None),
        "POST": lambda c: ("/playbooks/import", {"file": (io.BytesIO(c.export), "playbook.json")}),
    },
    "playbooks.item_add": {
        "GET": lambda c: (f"/playbooks/add?kind=play&ref_id={c.play_id}", None),
        "POST": lambda c: (
            "/playbooks/add",
            {"kind": "play", "ref_id": str(c.play_id), "section_id": str(c.sections[0])},
        ),
    },
    "playbooks.invitations": lambda c: ("/playbooks/invitations", None),
    "playbooks.detail": lambda c: (f"/playbooks/{c.pid}", None),
    "playbooks.live": lambda c: (f"/playbooks/{c.pid}/live?since=1", None),
    "playbooks.history_index": lambda c: (f"/playbooks/{c.pid}/history", None),
    "playbooks.revision": lambda c: (f"/playbooks/{c.pid}/history/1", None),
    "playbooks.compare": lambda c: (
        f"/playbooks/{c.pid}/history/compare?from=1&to={c.version}",
        None,
    ),
    "playbooks.export_markdown": lambda c: (f"/playbooks/{c.pid}/export.md", None),
    "playbooks.export_json": lambda c: (f"/playbooks/{c.pid}/export.json", None),
    "playbooks.print_view": lambda c: (f"/playbooks/{c.pid}/print", None),
    "playbooks.huddle": lambda c: (f"/playbooks/{c.pid}/huddle", None),
    "playbooks.huddle_agenda": lambda c: (f"/playbooks/{c.pid}/huddle/agenda", None),
    "playbooks.huddle_record": lambda c: (
        f"/playbooks/{c.pid}/huddle",
        {
            "held_on": "2026-12-07",
            "time_zone": "America/Chicago",
            "decisions": "We keep going.",
            "changes-0-item_id": str(c.item_id),
            "changes-0-status": "piloting",
            "version": c.version,
        },
    ),
    "playbooks.huddle_plan": lambda c: (
        f"/playbooks/{c.pid}/huddle/plan",
        {"held_on": "2027-01-12", "starts_at": "15:30", "time_zone": "America/Chicago"},
    ),
    "playbooks.huddle_plan_cancel": lambda c: (f"/playbooks/{c.pid}/huddle/plan/cancel", {}),
    "playbooks.edit": {
        "GET": lambda c: (f"/playbooks/{c.pid}/edit", None),
        "POST": lambda c: (f"/playbooks/{c.pid}/edit", _edited_playbook(c)),
    },
    "playbooks.section_new": lambda c: (
        f"/playbooks/{c.pid}/sections",
        {"title": "New section", "version": c.version},
    ),
    "playbooks.section_edit": {
        "GET": lambda c: (f"/playbooks/{c.pid}/sections/{c.sections[0]}/edit", None),
        "POST": lambda c: (
            f"/playbooks/{c.pid}/sections/{c.sections[0]}/edit",
            {"title": "Renamed section", "version": c.version},
        ),
    },
    "playbooks.section_delete": lambda c: (
        f"/playbooks/{c.pid}/sections/{c.sections[-1]}/delete",
        {"version": c.version},
    ),
    "playbooks.section_move": lambda c: (
        f"/playbooks/{c.pid}/sections/{c.sections[0]}/move",
        {"position": "2", "version": c.version},
    ),
    "playbooks.item_move": {
        "GET": lambda c: (f"/playbooks/{c.pid}/items/{c.item_id}/move", None),
        "POST": lambda c: (
            f"/playbooks/{c.pid}/items/{c.item_id}/move",
            {"position": "0", "section_id": str(c.sections[1]), "version": c.version},
        ),
    },
    "playbooks.note_new": {
        "GET": lambda c: (f"/playbooks/{c.pid}/sections/{c.sections[0]}/notes/new", None),
        "POST": lambda c: (
            f"/playbooks/{c.pid}/sections/{c.sections[0]}/notes/new",
            {"title": "Another note", "notes": "Some *notes*."},
        ),
    },
    "playbooks.item_edit": {
        "GET": lambda c: (f"/playbooks/{c.pid}/items/{c.item_id}/edit", None),
        "POST": lambda c: (
            f"/playbooks/{c.pid}/items/{c.item_id}/edit",
            {
                "title": "Edited note",
                "notes": "Changed.",
                "status": "planned",
                "owner_id": "",
                "target_date": "",
                "element_id": "",
                "version": c.version,
            },
        ),
    },
    "playbooks.item_delete": lambda c: (
        f"/playbooks/{c.pid}/items/{c.item_id}/delete",
        {"version": c.version},
    ),
    "playbooks.revision_restore": lambda c: (
        f"/playbooks/{c.pid}/history/1/restore",
        {"version": c.version},
    ),
    "playbooks.delete": {
        "GET": lambda c: (f"/playbooks/{c.pid}/delete", None),
        "POST": lambda c: (f"/playbooks/{c.pid}/delete", {}),
    },
    "playbooks.restore": lambda c: (f"/playbooks/{c.pid}/restore", {}),
    "playbooks.fork": lambda c: (f"/playbooks/{c.pid}/fork", {}),
    "playbooks.share": lambda c: (f"/playbooks/{c.pid}/share", None),
    "playbooks.invite": lambda c: (
        f"/playbooks/{c.pid}/invitations",
        {"email": f"invitee-{c.pid}@example.org", "role": "commenter"},
    ),
    "playbooks.invitation_revoke": lambda c: (
        f"/playbooks/{c.pid}/invitations/{c.invitation_id}/revoke",
        {},
    ),
    "playbooks.member/role": lambda c: (
        f"/playbooks/{c.pid}/members/{c.viewer_membership}/role",
        {"role": "commenter"},
    ),
    "playbooks.member/remove": lambda c: (
        f"/playbooks/{c.pid}/members/{c.viewer_membership}/remove",
        {},
    ),
    "playbooks.member/handover": lambda c: (
        f"/playbooks/{c.pid}/members/{c.editor_membership}/handover",
        {},
    ),
    "playbooks.visibility": lambda c: (
        f"/playbooks/{c.pid}/visibility",
        {"visibility": "private" if c.visibility == "public" else "public", "confirmed": "yes"},
    ),
    "playbooks.link/regenerate": lambda c: (f"/playbooks/{c.pid}/link/regenerate", {}),
    "playbooks.link/revoke": lambda c: (f"/playbooks/{c.pid}/link/revoke", {}),
    "playbooks.leave": lambda c: (f"/playbooks/{c.pid}/leave", {}),
    "playbooks.shared_link": lambda c: (f"/playbooks/{c.pid}/s/{c.link_token}", None),
    "playbooks.invitation": lambda c: (f"/playbooks/invite/{c.invitation_token}", None),
    "playbooks.invitation_answer/accept": lambda c: (
        f"/playbooks/invitations/{c.invitation_id}/accept",
        {},
    ),
    "playbooks.invitation_answer/decline": lambda c: (
        f"/playbooks/invitations/{c.invitation_id}/decline",
        {},
    ),
}

CASES = [
    (key, method, visibility)
    for key, methods in MATRIX.items()
    for method in methods
    for visibility in VISIBILITIES
]


# --- personas and playbooks ------------------------------------------------------------

_USERS = {
    "stranger": SiteRole.MEMBER,
    "stranger_link": SiteRole.MEMBER,
    "viewer": SiteRole.MEMBER,
    "commenter": SiteRole.MEMBER,
    "editor": SiteRole.MEMBER,
    "owner": SiteRole.MEMBER,
    "moderator": SiteRole.MODERATOR,
    "admin": SiteRole.ADMIN,
}


_numbers = itertools.count(1)


@pytest.fixture
def people(app):
    """Every persona once: a user (none for visitors), a browser of their own, signed in
    with a real server-side session, and a CSRF token read from a page's form."""
    share_compiled_templates(app)
    users = {
        name: factories.make_user(role, display_name=f"{name.replace('_', ' ').title()} Persona")
        for name, role in _USERS.items()
    }
    clients, tokens = {}, {}
    for persona in PERSONAS:
        client = app.test_client()
        user = users.get(persona)
        if user is not None:
            sign_in(client, user)
        clients[persona] = client
        tokens[persona] = csrf_of(client, signed_in=user is not None)
    play = factories.make_play()
    return SimpleNamespace(users=users, clients=clients, tokens=tokens, play_id=play.id)


def fresh_playbook(
    people, visibility: str, holder=None, *, binned=False, invite=None, exported=False
):
    """A new playbook with its team, shared by link (opened by `holder`'s browser), then
    set to `visibility`; in the bin and/or with an open invitation when asked."""
    users = people.users
    owner = users["owner"]
    # The services, as make_playbook uses them, without its reloads and library look-ups:
    # this runs for each of the ~1,300 cells.
    playbook = services.create_playbook(
        owner, title=f"Team playbook {next(_numbers)}", scope="school", organization="Test School"
    )
    pid = playbook.id
    services.add_item(
        owner, playbook, playbook.sections[0], kind="note", title="A note", notes="Our *notes*."
    )
    for role in ("viewer", "commenter", "editor"):
        playbook.memberships.append(Membership(user_id=users[role].id, role=MemberRole(role)))
    link_token = sharing.set_visibility(owner, playbook, "link")  # saves the memberships too
    assert link_token
    if holder is not None:
        response = holder.get(f"/playbooks/{pid}/s/{link_token}")
        assert response.status_code == 302, response.status_code
    if visibility != "link":
        sharing.set_visibility(owner, playbook, visibility)
    invitation_id = invitation_token = None
    if invite is not None:
        # Made as sharing.invite makes it, but keeping the token (the service only mails it).
        invitation_token = new_token()
        email = users[invite].email if invite in users else f"newcomer-{pid}@example.org"
        invitation = Invitation(
            playbook_id=pid,
            email=email,
            role=MemberRole.VIEWER,
            token_hash=hash_token(invitation_token),
            invited_by_id=owner.id,
            expires_at=utcnow() + timedelta(days=sharing.INVITATION_DAYS),
        )
        db.session.add(invitation)
        db.session.commit()
        invitation_id = invitation.id
    export = (
        json.dumps(document.strip_internal(document.snapshot(playbook))).encode()
        if exported
        else None
    )
    if binned:
        services.delete_playbook(owner, playbook)
    membership = {m.user_id: m.id for m in playbook.memberships}
    return SimpleNamespace(
        pid=pid,
        title=playbook.title,
        version=playbook.version,
        visibility=visibility,
        sections=[s.id for s in playbook.sections],
        item_id=playbook.sections[0].items[0].id,
        viewer_membership=membership[users["viewer"].id],
        editor_membership=membership[users["editor"].id],
        link_token=link_token,
        invitation_id=invitation_id,
        invitation_token=invitation_token,
        play_id=people.play_id,
        export=export,
    )


def state_of(pid: int) -> dict:
    """What a refused request (or any GET) must leave alone."""
    db.session.expire_all()
    playbook = db.session.get(Playbook, pid)

    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return {
        "version": playbook.version,
        "visibility": playbook.visibility.value,
        "deleted": playbook.deleted_at is not None,
        "link": playbook.link_token_hash,
        "members": sorted((m.user_id, m.role.value) for m in playbook.memberships),
        "sections": count(Section, Section.playbook_id == pid),
        "items": count(Item, Item.playbook_id == pid),
        "revisions": count(Revision, Revision.playbook_id == pid),
        "invitations": sorted(
            (i.id, i.accepted_at is None, i.revoked_at is None)
            for i in db.session.scalars(select(Invitation).where(Invitation.playbook_id == pid))
        ),
        "playbooks": count(Playbook),
    }


def problem_with(response, expected, playbook_title: str) -> str | None:
    """None when the response is the expected outcome, else what is wrong (a 404 must
    not name the playbook)."""
    return _judge(response, expected, allowed=(200, 302, 409, 422), not_shown=playbook_title)


def request_for(key: str, method: str):
    builder = REQUESTS[key]
    return builder[method] if isinstance(builder, dict) else builder


def send(client, token: str, method: str, path: str, data: dict | None):
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": token, **data})


# --- the matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("key,method,visibility", CASES, ids=[f"{k}:{m}:{v}" for k, m, v in CASES])
def test_access_matrix(people, key, method, visibility):
    expected_by_persona = RULES[MATRIX[key][method]][visibility]
    build = request_for(key, method)
    failures = []
    for persona in PERSONAS:
        expected = expected_by_persona[persona]
        client = people.clients[persona]
        holder = client if persona.endswith("_link") else None
        cell = fresh_playbook(people, visibility, holder, **SETUP.get(key, {}))
        path, data = build(cell)
        before = state_of(cell.pid)
        response = send(client, people.tokens[persona], method, path, data)
        problem = problem_with(response, expected, cell.title)
        if (
            problem is None
            and (expected in REFUSALS or method == "GET")
            and state_of(cell.pid) != before
        ):
            problem = f"{expected} as expected, but the database changed"
        if problem:
            failures.append(f"{persona}: {method} {path}: {problem}")
    assert failures == []


# --- the matrix covers every route -----------------------------------------------------


def test_every_playbooks_route_is_in_the_matrix(app):
    in_map = routes_in_url_map(app, lambda blueprint: blueprint == "playbooks")
    in_matrix = routes_in_matrix(MATRIX)
    assert sorted(in_map - in_matrix) == [], "routes without a row in MATRIX"
    assert sorted(in_matrix - in_map) == [], "rows in MATRIX for routes that no longer exist"


def test_the_matrix_tables_are_complete():
    for name, rule in RULES.items():
        assert set(rule) == set(VISIBILITIES), name
        for visibility, row in rule.items():
            assert set(row) == set(PERSONAS), (name, visibility)
    assert {rule for methods in MATRIX.values() for rule in methods.values()} <= set(RULES)
    assert set(REQUESTS) == set(MATRIX)
    for key, methods in MATRIX.items():
        builder = REQUESTS[key]
        # One request per method: a dict of them, or a single one for a single method.
        assert (set(builder) if isinstance(builder, dict) else {next(iter(methods))}) == set(
            methods
        ), key
    assert set(SETUP) <= set(MATRIX)


def test_private_playbooks_are_never_403_to_outsiders():
    """The rule the whole matrix rests on, checked on the data itself."""
    outsiders = ("visitor", "visitor_link", "stranger", "stranger_link", "moderator", "admin")
    for name, rule in RULES.items():
        for persona in outsiders:
            assert rule["private"][persona] != 403, (name, persona)


# --- changes take effect on the very next request --------------------------------------


def owner_posts(people, path: str, data: dict | None = None):
    response = people.clients["owner"].post(
        path, data={"csrf_token": people.tokens["owner"], **(data or {})}
    )
    assert response.status_code == 302 and not is_sign_in_redirect(response), response.status_code
    return response


def test_removed_member_loses_access_on_their_very_next_request(people):
    cell = fresh_playbook(people, "private")
    editor, token = people.clients["editor"], people.tokens["editor"]
    assert editor.get(f"/playbooks/{cell.pid}").status_code == 200
    assert editor.get(f"/playbooks/{cell.pid}/edit").status_code == 200  # the form is open
    owner_posts(people, f"/playbooks/{cell.pid}/members/{cell.editor_membership}/remove")
    before = state_of(cell.pid)
    assert people.users["editor"].id not in [user_id for user_id, _ in before["members"]]
    response = editor.post(
        f"/playbooks/{cell.pid}/edit", data={"csrf_token": token, **_edited_playbook(cell)}
    )
    assert response.status_code == 404
    assert state_of(cell.pid) == before
    for path in ("", "/history", "/export.json", "/print"):
        assert editor.get(f"/playbooks/{cell.pid}{path}").status_code == 404, path


def test_lowering_editor_to_viewer_stops_edits_on_the_next_request(people):
    cell = fresh_playbook(people, "private")
    editor, token = people.clients["editor"], people.tokens["editor"]
    assert editor.get(f"/playbooks/{cell.pid}/items/{cell.item_id}/edit").status_code == 200
    owner_posts(
        people, f"/playbooks/{cell.pid}/members/{cell.editor_membership}/role", {"role": "viewer"}
    )
    before = state_of(cell.pid)
    assert (people.users["editor"].id, "viewer") in before["members"]
    version = str(before["version"])
    for path, data in (
        (
            f"/playbooks/{cell.pid}/items/{cell.item_id}/edit",
            {"title": "Late edit", "notes": "", "status": "adopted", "version": version},
        ),
        (f"/playbooks/{cell.pid}/sections", {"title": "Late section", "version": version}),
        (f"/playbooks/{cell.pid}/edit", {**_edited_playbook(cell), "version": version}),
    ):
        response = editor.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 403, (path, response.status_code)
    assert state_of(cell.pid) == before
    assert editor.get(f"/playbooks/{cell.pid}/edit").status_code == 403
    assert editor.get(f"/playbooks/{cell.pid}").status_code == 200  # still reads it, as a viewer


def new_link_on_share_page(people, pid: int) -> str:
    html = people.clients["owner"].get(f"/playbooks/{pid}/share").get_data(as_text=True)
    match = re.search(rf"/playbooks/{pid}/s/([A-Za-z0-9_-]+)", html)
    assert match, "the share page does not show the new link"
    return match.group(1)


def test_regenerated_link_stops_the_old_link_and_its_browsers_at_once(app, people):
    cell = fresh_playbook(people, "link", people.clients["visitor_link"])
    holder = people.clients["visitor_link"]
    assert holder.get(f"/playbooks/{cell.pid}").status_code == 200
    owner_posts(people, f"/playbooks/{cell.pid}/link/regenerate")
    new = new_link_on_share_page(people, cell.pid)
    assert new != cell.link_token
    assert state_of(cell.pid)["visibility"] == "link"
    # The browser that held the old link: out at once, on every read route.
    for path in ("", "/export.json", "/export.md", "/print"):
        assert holder.get(f"/playbooks/{cell.pid}{path}").status_code == 404, path
    # The old link itself, in a new browser: 404 (and it grants nothing).
    newcomer = app.test_client()
    assert newcomer.get(f"/playbooks/{cell.pid}/s/{cell.link_token}").status_code == 404
    assert newcomer.get(f"/playbooks/{cell.pid}").status_code == 404
    # The new link works, for the old holder too once they open it.
    for browser in (app.test_client(), holder):
        response = browser.get(f"/playbooks/{cell.pid}/s/{new}")
        assert (
            response.status_code == 302
            and urlsplit(response.location).path == f"/playbooks/{cell.pid}"
        )
        assert browser.get(f"/playbooks/{cell.pid}").status_code == 200


def test_revoked_link_makes_the_playbook_private(app, people):
    cell = fresh_playbook(people, "link", people.clients["stranger_link"])
    holder = people.clients["stranger_link"]
    assert holder.get(f"/playbooks/{cell.pid}").status_code == 200
    owner_posts(people, f"/playbooks/{cell.pid}/link/revoke")
    state = state_of(cell.pid)
    assert (state["visibility"], state["link"]) == ("private", None)
    assert holder.get(f"/playbooks/{cell.pid}").status_code == 404
    response = holder.post(
        f"/playbooks/{cell.pid}/fork", data={"csrf_token": people.tokens["stranger_link"]}
    )
    assert response.status_code == 404
    assert app.test_client().get(f"/playbooks/{cell.pid}/s/{cell.link_token}").status_code == 404
    for member in ("viewer", "owner"):
        assert people.clients[member].get(f"/playbooks/{cell.pid}").status_code == 200
    assert state_of(cell.pid) == state


def test_secret_link_redirect_sends_no_referrer(app, people):
    cell = fresh_playbook(people, "link")
    response = app.test_client().get(f"/playbooks/{cell.pid}/s/{cell.link_token}")
    assert response.status_code == 302
    assert response.headers.get("Referrer-Policy") == "no-referrer"
    assert cell.link_token not in response.location
