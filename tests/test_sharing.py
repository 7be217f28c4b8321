"""Sharing a playbook: members and roles, invitations (by e-mail over real SMTP),
visibility with its confirmation and history, and the secret read link."""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from playbook.auth import sessions
from playbook.extensions import db
from playbook.models import (
    Invitation,
    MemberRole,
    Membership,
    Notification,
    NotificationKind,
    Playbook,
    Revision,
    User,
    Visibility,
    utcnow,
)
from playbook.playbooks import services
from tests.factories import (
    PASSWORD,
    add_members,
    add_note,
    latest_revision,
    make_playbook,
    reload,
    revision_count,
    state_of,
)
from tests.fixtures_mail import outbox
from tests.helpers import check_page, form_posting_to, post_form, race, token_for
from tests.helpers import field_error_html as field_error

_INVITE_LINK = re.compile(r"http://localhost(/playbooks/invite/([A-Za-z0-9_-]+))")
_SHARED_LINK = re.compile(r"http://localhost(/playbooks/(\d+)/s/([A-Za-z0-9_-]+))")


# --- helpers ------------------------------------------------------------------------


def signed_in(app, user: User):
    """A browser of its own, signed in as `user` through a real server-side session."""
    browser = app.test_client()
    token = sessions.open_session(user)
    db.session.commit()
    with browser.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return browser


def share_url(playbook_id: int) -> str:
    return f"/playbooks/{playbook_id}/share"


def share_page(browser, playbook_id: int) -> str:
    response = browser.get(share_url(playbook_id))
    assert response.status_code == 200, response.status_code
    return check_page(response)


def invite(browser, playbook_id: int, email: str, role: str = "editor", expected: int | None = 302):
    return post_form(
        browser,
        f"/playbooks/{playbook_id}/invitations",
        {"email": email, "role": role},
        expected,
        page_url=share_url(playbook_id),
    )


def follow(browser, response) -> str:
    """The page a redirect leads to (where the flash message is shown)."""
    assert response.status_code in (301, 302, 303), response.status_code
    page = browser.get(response.location)
    assert page.status_code == 200, (response.location, page.status_code)
    return html_lib.unescape(check_page(page))


def membership_of(playbook_id: int, user: User) -> Membership | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Membership).where(
            Membership.playbook_id == playbook_id, Membership.user_id == user.id
        )
    )


def role_of(playbook_id: int, user: User) -> MemberRole | None:
    found = membership_of(playbook_id, user)
    return found.role if found else None


def invitation_for(playbook_id: int, email: str) -> Invitation:
    db.session.expire_all()
    return db.session.scalar(
        select(Invitation)
        .where(Invitation.playbook_id == playbook_id, Invitation.email == email)
        .order_by(Invitation.id.desc())
        .limit(1)
    )


def invitations_of(playbook_id: int) -> list[Invitation]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Invitation).where(Invitation.playbook_id == playbook_id).order_by(Invitation.id)
        )
    )


def notifications_of(user: User, kind: NotificationKind | None = None) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def mails_to(messages, address: str) -> list:
    return [m for m in messages if m["To"] == address]


def invite_path(message) -> tuple[str, str]:
    """(path, token) of the invitation link in an e-mail."""
    match = _INVITE_LINK.search(message.get_content())
    assert match, message.get_content()
    return match.group(1), match.group(2)


def row_values(model, row_id: int) -> list[str]:
    """Every column of one row, as text (to look for a raw token)."""
    table = model.__table__
    row = db.session.execute(select(table).where(table.c.id == row_id)).one()
    return [str(value) for value in row]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def assert_strong_token(token: str) -> None:
    """URL-safe base64 from a CSPRNG: at least 128 bits means at least 22 characters."""
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token), token
    assert len(token) * 6 >= 128, len(token)


def member_form(html: str, playbook_id: int, membership_id: int, verb: str) -> dict:
    return form_posting_to(html, f"/playbooks/{playbook_id}/members/{membership_id}/{verb}")


def post_member(browser, playbook_id: int, membership_id: int, verb: str, **fields):
    """Submit a member's role / remove / hand-over form from the share page."""
    html = share_page(browser, playbook_id)
    data = member_form(html, playbook_id, membership_id, verb)
    data.update(fields)
    return browser.post(f"/playbooks/{playbook_id}/members/{membership_id}/{verb}", data=data)


def post_with_token(browser, url: str, data: dict | None = None):
    """POST with a valid CSRF token of this browser's session (a hand-made request)."""
    return browser.post(url, data={"csrf_token": token_for(browser), **(data or {})})


def change_visibility(browser, playbook_id: int, visibility: str) -> str:
    """Ask, then confirm, as the two pages do. Returns the page after the change."""
    first = post_form(
        browser,
        f"/playbooks/{playbook_id}/visibility",
        {"visibility": visibility},
        200,
        page_url=share_url(playbook_id),
    )
    confirm = check_page(first)
    data = form_posting_to(confirm, f"/playbooks/{playbook_id}/visibility")
    response = browser.post(f"/playbooks/{playbook_id}/visibility", data=data)
    assert response.status_code == 302, response.status_code
    assert response.location.endswith(share_url(playbook_id))
    return follow(browser, response)


def new_link_on(html: str) -> str | None:
    match = re.search(r'<input id="new-link"[^>]*value="([^"]+)"', html)
    return html_lib.unescape(match.group(1)) if match else None


def make_link(browser, playbook_id: int) -> tuple[str, str]:
    """Switch to link sharing; (path, token) of the secret link shown once."""
    html = change_visibility(browser, playbook_id, "link")
    link = new_link_on(html)
    assert link, "the new secret link is not shown after switching to link sharing"
    match = _SHARED_LINK.fullmatch(link)
    assert match and int(match.group(2)) == playbook_id, link
    return match.group(1), match.group(3)


@pytest.fixture
def team(app, member):
    """A private playbook owned by Maria, with one note."""
    playbook = make_playbook(
        member, title="Reading Across Grades", organization="Lincoln Middle School"
    )
    add_note(member, playbook.id, title="Weekly huddle")
    return reload(playbook.id)


@pytest.fixture
def owner(app, member, team):
    """Maria's browser."""
    return signed_in(app, member)


# --- inviting someone who has an account ---------------------------------------------


@pytest.mark.parametrize("role", ["editor", "commenter", "viewer"])
def test_owner_invites_an_existing_account_who_sees_it_in_app_and_by_email_and_accepts(
    app, owner, team, member, other_member, outbox, role
):
    response = invite(owner, team.id, other_member.email.upper(), role)
    assert response.location.endswith(share_url(team.id))
    html = follow(owner, response)
    assert f"Invitation sent to {other_member.email.upper()}." in html
    assert f"{other_member.email} as {role}" in html  # waiting for an answer

    invitation = invitation_for(team.id, other_member.email)
    assert invitation.role is MemberRole(role) and invitation.is_pending
    assert invitation.invited_by_id == member.id
    assert timedelta(days=13) < invitation.expires_at - utcnow() <= timedelta(days=14)
    assert latest_revision(team.id).summary == f"Invited {other_member.email} as {role}"

    # In the app: a notification and the invitation listed.
    notes = notifications_of(other_member, NotificationKind.INVITED)
    assert len(notes) == 1 and notes[0].playbook_id == team.id and notes[0].read_at is None
    assert "Reading Across Grades" in notes[0].message and "Maria Member" in notes[0].message

    # By e-mail, over SMTP.
    messages = mails_to(outbox, other_member.email)
    assert len(messages) == 1
    body = messages[0].get_content()
    assert "Reading Across Grades" in messages[0]["Subject"]
    assert "Hello Omar Other" in body and "Maria Member invited you" in body
    opened = re.search(r"http://localhost(/notifications/open\?next=\S+)", body)
    assert opened, body

    invitee = signed_in(app, other_member)
    response = invitee.get(opened.group(1))
    assert response.status_code == 302 and response.location.endswith("/playbooks/invitations")
    page = invitee.get("/playbooks/invitations")
    assert page.status_code == 200
    listed = check_page(page)
    assert "Reading Across Grades" in listed and "Maria Member" in listed and f"as {role}" in listed
    assert '<span class="count-badge">1<' in listed  # the unread badge in the nav

    # Not yet a member: the private playbook is hidden.
    assert invitee.get(f"/playbooks/{team.id}").status_code == 404

    data = form_posting_to(listed, f"/playbooks/invitations/{invitation.id}/accept")
    response = invitee.post(f"/playbooks/invitations/{invitation.id}/accept", data=data)
    assert response.status_code == 302 and response.location.endswith(f"/playbooks/{team.id}")
    assert "Welcome to “Reading Across Grades”." in follow(invitee, response)
    assert role_of(team.id, other_member) is MemberRole(role)
    accepted = invitation_for(team.id, other_member.email)
    assert accepted.accepted_at is not None and accepted.accepted_by_id == other_member.id
    assert latest_revision(team.id).summary == f"Omar Other joined as {role}"
    assert "Reading Across Grades" not in check_page(invitee.get("/playbooks/invitations"))


def test_invitee_can_decline(app, owner, team, other_member, outbox):
    invite(owner, team.id, other_member.email, "viewer")
    invitation = invitation_for(team.id, other_member.email)
    invitee = signed_in(app, other_member)
    listed = check_page(invitee.get("/playbooks/invitations"))
    data = form_posting_to(listed, f"/playbooks/invitations/{invitation.id}/decline")
    response = invitee.post(f"/playbooks/invitations/{invitation.id}/decline", data=data)
    assert response.status_code == 302
    assert "Invitation declined." in follow(invitee, response)
    assert role_of(team.id, other_member) is None
    assert not invitation_for(team.id, other_member.email).is_pending
    assert notifications_of(other_member) == []


# --- inviting an address with no account ---------------------------------------------


def test_invitation_to_an_address_without_account_leads_through_registration(
    app, owner, team, outbox
):
    address = "board.member@example.org"
    invite(owner, team.id, address, "commenter")
    messages = mails_to(outbox, address)
    assert len(messages) == 1
    path, token = invite_path(messages[0])
    assert_strong_token(token)
    body = messages[0].get_content()
    assert "Maria Member invited you" in body and "within 14 days" in body
    assert (
        db.session.scalar(select(func.count()).select_from(Notification)) == 0
    )  # nobody to notify in the app

    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200
    html = check_page(page)
    assert "You are invited" in html and "Reading Across Grades" in html and address in html
    register = re.search(r'<a class="button" href="([^"]+)">Create an account', html)
    assert register, html
    register_url = html_lib.unescape(register.group(1))
    assert register_url.startswith("/auth/register?")
    assert f"next={path}" in register_url.replace("%2F", "/")

    form_page = visitor.get(register_url)
    assert form_page.status_code == 200
    assert re.search(
        rf'<input\b[^>]*name="email"[^>]*value="{re.escape(address)}"',
        form_page.get_data(as_text=True),
    )

    response = post_form(
        visitor,
        register_url,
        {"email": address, "display_name": "Bea Board", "password": PASSWORD, "confirm": PASSWORD},
        302,
    )
    assert response.location.endswith(path)
    landing = check_page(visitor.get(path))
    invitation = invitation_for(team.id, address)
    data = form_posting_to(landing, f"/playbooks/invitations/{invitation.id}/accept")
    response = visitor.post(f"/playbooks/invitations/{invitation.id}/accept", data=data)
    assert response.status_code == 302 and response.location.endswith(f"/playbooks/{team.id}")
    bea = db.session.scalar(select(User).where(User.email == address))
    assert role_of(team.id, bea) is MemberRole.COMMENTER

    # Single use: the link is spent.
    spent = visitor.get(path)
    assert "This invitation no longer works" in check_page(spent)
    assert "Accept" not in spent.get_data(as_text=True)


def test_invitation_link_offers_sign_in_with_next_back(app, owner, team, outbox):
    invite(owner, team.id, "someone@example.org", "viewer")
    path, _ = invite_path(mails_to(outbox, "someone@example.org")[0])
    html = html_lib.unescape(check_page(app.test_client().get(path)))
    assert re.search(
        r'href="/auth/login\?next=' + re.escape(path).replace("/", "(?:/|%2F)") + '"', html
    ), html


def test_invitation_token_is_strong_and_stored_hashed(app, owner, team, outbox):
    invite(owner, team.id, "someone@example.org", "viewer")
    _path, token = invite_path(mails_to(outbox, "someone@example.org")[0])
    assert_strong_token(token)
    invitation = invitation_for(team.id, "someone@example.org")
    assert invitation.token_hash == sha256(token)
    assert not any(token in value for value in row_values(Invitation, invitation.id))


def test_unknown_invitation_token_is_404(app, client):
    response = client.get("/playbooks/invite/" + "A" * 43)
    assert response.status_code == 404
    assert "This invitation no longer works" in check_page(response)


# --- single use, expiry, revocation, someone else ------------------------------------


def test_invitation_is_single_use(app, owner, team, other_member, outbox):
    invite(owner, team.id, other_member.email, "editor")
    invitation = invitation_for(team.id, other_member.email)
    invitee = signed_in(app, other_member)
    url = f"/playbooks/invitations/{invitation.id}/accept"
    assert post_with_token(invitee, url).status_code == 302
    assert role_of(team.id, other_member) is MemberRole.EDITOR
    # Lower the role, then try to use the spent invitation again: nothing changes.
    membership = membership_of(team.id, other_member)
    post_member(owner, team.id, membership.id, "role", role="viewer")
    assert role_of(team.id, other_member) is MemberRole.VIEWER
    revisions = revision_count(team.id)
    response = post_with_token(invitee, url)
    assert response.status_code == 302 and response.location.endswith("/playbooks/invitations")
    assert "This invitation has expired, was revoked or was already used." in follow(
        invitee, response
    )
    assert role_of(team.id, other_member) is MemberRole.VIEWER
    assert revision_count(team.id) == revisions


def test_expired_invitation_cannot_be_accepted(app, owner, team, other_member, outbox):
    invite(owner, team.id, "new@example.org", "editor")
    path, _ = invite_path(mails_to(outbox, "new@example.org")[0])
    invite(owner, team.id, other_member.email, "editor")
    db.session.execute(
        update(Invitation)
        .where(Invitation.playbook_id == team.id)
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    invitation = invitation_for(team.id, other_member.email)

    assert "This invitation no longer works" in check_page(app.test_client().get(path))
    assert "Waiting for an answer" not in share_page(owner, team.id)  # nothing pending any more
    invitee = signed_in(app, other_member)
    assert "Reading Across Grades" not in check_page(invitee.get("/playbooks/invitations"))
    response = post_with_token(invitee, f"/playbooks/invitations/{invitation.id}/accept")
    assert response.status_code == 302
    assert "This invitation has expired, was revoked or was already used." in follow(
        invitee, response
    )
    assert role_of(team.id, other_member) is None


def test_revoked_invitation_link_no_longer_works(app, owner, team, other_member, outbox):
    invite(owner, team.id, "new@example.org", "editor")
    path, _ = invite_path(mails_to(outbox, "new@example.org")[0])
    invite(owner, team.id, other_member.email, "viewer")
    assert len(notifications_of(other_member, NotificationKind.INVITED)) == 1

    for address in ("new@example.org", other_member.email):
        invitation = invitation_for(team.id, address)
        html = share_page(owner, team.id)
        url = f"/playbooks/{team.id}/invitations/{invitation.id}/revoke"
        response = owner.post(url, data=form_posting_to(html, url))
        assert response.status_code == 302
        assert f"The invitation of {address} is revoked; its link no longer works." in follow(
            owner, response
        )
        assert invitation_for(team.id, address).revoked_at is not None
    assert latest_revision(team.id).summary == f"Revoked the invitation of {other_member.email}"

    page = app.test_client().get(path)
    assert page.status_code == 200 and "This invitation no longer works" in check_page(page)
    assert "Create an account with" not in page.get_data(as_text=True)
    invitee = signed_in(app, other_member)
    assert "Reading Across Grades" not in check_page(invitee.get("/playbooks/invitations"))
    assert notifications_of(other_member) == []  # the invitation's notification went with it
    invitation = invitation_for(team.id, other_member.email)
    post_with_token(invitee, f"/playbooks/invitations/{invitation.id}/accept")
    assert role_of(team.id, other_member) is None


def test_invitation_cannot_be_accepted_by_an_account_with_another_email(
    app, owner, team, other_member, intruder, outbox
):
    invite(owner, team.id, other_member.email, "editor")
    invitation = invitation_for(team.id, other_member.email)
    stranger = signed_in(app, intruder)
    for verb in ("accept", "decline"):
        response = post_with_token(stranger, f"/playbooks/invitations/{invitation.id}/{verb}")
        assert response.status_code == 404, verb
    assert role_of(team.id, intruder) is None
    assert invitation_for(team.id, other_member.email).is_pending
    assert "Reading Across Grades" not in check_page(stranger.get("/playbooks/invitations"))
    # Nor may they answer an id that does not exist.
    assert post_with_token(stranger, "/playbooks/invitations/999999/accept").status_code == 404


def test_invitation_link_opened_by_another_account_offers_no_accept(
    app, owner, team, intruder, outbox
):
    invite(owner, team.id, "new@example.org", "editor")
    path, _ = invite_path(mails_to(outbox, "new@example.org")[0])
    html = check_page(signed_in(app, intruder).get(path))
    assert f"You are signed in as {intruder.email}" in html
    assert "/accept" not in html


def test_reinviting_replaces_the_pending_invitation(app, owner, team, outbox):
    address = "new@example.org"
    invite(owner, team.id, address, "viewer")
    invite(owner, team.id, address, "editor")
    first, second = invitations_of(team.id)
    assert first.revoked_at is not None and second.is_pending and second.role is MemberRole.EDITOR
    html = share_page(owner, team.id)
    waiting = html.split("Waiting for an answer")[1]
    assert waiting.count(address) == 1 and f"{address} as editor" in waiting

    old_path, _ = invite_path(mails_to(outbox, address)[0])
    new_path, _ = invite_path(mails_to(outbox, address)[1])
    assert old_path != new_path
    visitor = app.test_client()
    assert "This invitation no longer works" in check_page(visitor.get(old_path))
    assert "You are invited" in check_page(visitor.get(new_path))


def test_inviting_an_existing_member_is_refused_with_a_field_message(
    app, owner, team, member, other_member, outbox
):
    add_members(team.id, other_member, role=MemberRole.VIEWER)
    before = state_of(team.id)
    for address in (other_member.email, other_member.email.upper(), member.email):
        response = invite(owner, team.id, address, "editor", expected=422)
        html = html_lib.unescape(check_page(response))
        assert field_error(html, "email") == "That person is already a member."
    assert invitations_of(team.id) == []
    assert state_of(team.id) == before
    assert outbox == []


@pytest.mark.parametrize(
    "email, role, error",
    [
        ("not-an-address", "editor", "Invalid email address."),
        ("", "editor", "This field is required."),
        ("x@example.org", "owner", "Not a valid choice."),
    ],
)
def test_invite_form_rejects_bad_input(app, owner, team, email, role, error, outbox):
    response = invite(owner, team.id, email, role, expected=422)
    html = html_lib.unescape(check_page(response))
    assert error in html
    assert invitations_of(team.id) == [] and outbox == []


def test_only_owners_may_invite(app, team, other_member, intruder, outbox):
    add_members(team.id, other_member, role=MemberRole.EDITOR)
    editor = signed_in(app, other_member)
    assert editor.get(share_url(team.id)).status_code == 403
    response = post_with_token(
        editor, f"/playbooks/{team.id}/invitations", {"email": "x@example.org", "role": "editor"}
    )
    assert response.status_code == 403
    stranger = signed_in(app, intruder)
    response = post_with_token(
        stranger, f"/playbooks/{team.id}/invitations", {"email": "x@example.org", "role": "editor"}
    )
    assert response.status_code == 404
    assert invitations_of(team.id) == [] and outbox == []


# --- roles, removal, hand-over, leaving ----------------------------------------------


def test_owner_changes_a_role_which_holds_from_the_next_request(
    app, owner, team, other_member, outbox
):
    add_members(team.id, other_member, role=MemberRole.EDITOR)
    editor = signed_in(app, other_member)
    item_edit = f"/playbooks/{team.id}/edit"
    assert editor.get(item_edit).status_code == 200
    membership = membership_of(team.id, other_member)
    response = post_member(owner, team.id, membership.id, "role", role="viewer")
    assert response.status_code == 302 and response.location.endswith(share_url(team.id))
    assert "Saved." in follow(owner, response)
    assert role_of(team.id, other_member) is MemberRole.VIEWER
    assert latest_revision(team.id).summary == "Made Omar Other viewer"
    assert editor.get(item_edit).status_code == 403
    assert editor.get(f"/playbooks/{team.id}").status_code == 200
    notes = notifications_of(other_member, NotificationKind.ROLE_CHANGED)
    assert len(notes) == 1 and "viewer" in notes[0].message


def test_setting_the_same_role_changes_nothing(app, owner, team, other_member):
    add_members(team.id, other_member, role=MemberRole.EDITOR)
    before = state_of(team.id)
    post_member(owner, team.id, membership_of(team.id, other_member).id, "role", role="editor")
    assert state_of(team.id) == before
    assert notifications_of(other_member) == []


def test_owner_removes_a_member_who_loses_access_at_once(app, owner, team, other_member):
    add_members(team.id, other_member, role=MemberRole.EDITOR)
    removed = signed_in(app, other_member)
    assert removed.get(f"/playbooks/{team.id}").status_code == 200
    response = post_member(owner, team.id, membership_of(team.id, other_member).id, "remove")
    assert response.status_code == 302
    assert role_of(team.id, other_member) is None
    assert latest_revision(team.id).summary == "Removed Omar Other"
    assert removed.get(f"/playbooks/{team.id}").status_code == 404
    assert removed.get(f"/playbooks/{team.id}/export.json").status_code == 404


def test_removing_a_member_clears_their_items_also_in_the_history(
    app, owner, team, member, other_member
):
    add_members(team.id, other_member, role=MemberRole.EDITOR)
    playbook = reload(team.id)
    item = playbook.sections[0].items[0]
    services.update_item(
        member,
        playbook,
        item,
        base_version=playbook.version,
        title=item.title,
        notes="",
        status="planned",
        owner_id=other_member.id,
    )
    post_member(owner, team.id, membership_of(team.id, other_member).id, "remove")
    playbook = reload(team.id)
    assert playbook.sections[0].items[0].owner_id is None
    snapshot_item = latest_revision(team.id).snapshot["sections"][0]["items"][0]
    assert snapshot_item.get("owner_id") is None and snapshot_item.get("owner") is None, (
        snapshot_item
    )


def test_last_owner_cannot_be_demoted_removed_or_leave(app, owner, team, member, other_member):
    add_members(team.id, other_member, role=MemberRole.EDITOR)
    mine = membership_of(team.id, member)
    before = state_of(team.id)
    message = "A playbook needs at least one owner."

    response = post_member(owner, team.id, mine.id, "role", role="editor")
    assert message in follow(owner, response)
    response = post_with_token(owner, f"/playbooks/{team.id}/members/{mine.id}/remove")
    assert message in follow(owner, response)
    response = post_with_token(owner, f"/playbooks/{team.id}/leave")
    assert response.location.endswith(f"/playbooks/{team.id}")
    assert message in follow(owner, response)

    assert role_of(team.id, member) is MemberRole.OWNER
    assert role_of(team.id, other_member) is MemberRole.EDITOR
    assert state_of(team.id) == before


def test_with_two_owners_one_may_step_down(app, owner, team, member, other_member):
    add_members(team.id, other_member, role=MemberRole.OWNER)
    post_member(owner, team.id, membership_of(team.id, member).id, "role", role="editor")
    assert role_of(team.id, member) is MemberRole.EDITOR
    assert role_of(team.id, other_member) is MemberRole.OWNER
    assert owner.get(share_url(team.id)).status_code == 403


def test_hand_over_makes_the_other_member_owner_and_the_actor_editor(
    app, owner, team, member, other_member
):
    add_members(team.id, other_member, role=MemberRole.VIEWER)
    response = post_member(owner, team.id, membership_of(team.id, other_member).id, "handover")
    assert response.status_code == 302 and response.location.endswith(f"/playbooks/{team.id}")
    assert role_of(team.id, other_member) is MemberRole.OWNER
    assert role_of(team.id, member) is MemberRole.EDITOR
    assert latest_revision(team.id).summary == "Handed ownership to Omar Other"
    assert owner.get(share_url(team.id)).status_code == 403
    assert owner.get(f"/playbooks/{team.id}/edit").status_code == 200
    assert signed_in(app, other_member).get(share_url(team.id)).status_code == 200
    notes = notifications_of(other_member, NotificationKind.ROLE_CHANGED)
    assert len(notes) == 1 and "owner" in notes[0].message


def test_share_page_offers_hand_over_and_removal_on_other_members_rows_only(
    app, owner, team, member, other_member
):
    add_members(team.id, other_member, role=MemberRole.VIEWER)
    html = share_page(owner, team.id)
    theirs = membership_of(team.id, other_member).id
    mine = membership_of(team.id, member).id
    for verb in ("handover", "remove"):
        assert f"/playbooks/{team.id}/members/{theirs}/{verb}" in html
        assert f"/playbooks/{team.id}/members/{mine}/{verb}" not in html
    # Handing over to oneself is refused by the service as well.
    response = post_with_token(owner, f"/playbooks/{team.id}/members/{mine}/handover")
    assert "You already own this playbook." in follow(owner, response)
    assert role_of(team.id, member) is MemberRole.OWNER


def test_a_member_can_leave(app, team, other_member):
    add_members(team.id, other_member, role=MemberRole.COMMENTER)
    leaver = signed_in(app, other_member)
    detail = check_page(leaver.get(f"/playbooks/{team.id}"))
    data = form_posting_to(detail, f"/playbooks/{team.id}/leave")
    response = leaver.post(f"/playbooks/{team.id}/leave", data=data)
    assert response.status_code == 302 and response.location.endswith("/playbooks/")
    assert "You left “Reading Across Grades”." in follow(leaver, response)
    assert role_of(team.id, other_member) is None
    assert latest_revision(team.id).summary == "Omar Other left"
    assert leaver.get(f"/playbooks/{team.id}").status_code == 404


def test_strangers_cannot_touch_members(app, team, member, intruder):
    stranger = signed_in(app, intruder)
    mine = membership_of(team.id, member)
    before = state_of(team.id)
    for verb, data in (("role", {"role": "viewer"}), ("remove", {}), ("handover", {})):
        response = post_with_token(stranger, f"/playbooks/{team.id}/members/{mine.id}/{verb}", data)
        assert response.status_code == 404, verb
    assert post_with_token(stranger, f"/playbooks/{team.id}/leave").status_code == 404
    assert state_of(team.id) == before


def test_member_routes_refuse_a_membership_of_another_playbook(
    app, owner, team, other_member, intruder
):
    theirs = make_playbook(other_member)
    add_members(theirs.id, intruder)
    foreign = membership_of(theirs.id, intruder)
    response = post_with_token(owner, f"/playbooks/{team.id}/members/{foreign.id}/remove")
    assert response.status_code == 404
    assert role_of(theirs.id, intruder) is MemberRole.EDITOR


# --- visibility ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target, label",
    [
        ("public", "Public: listed in the gallery"),
        ("link", "Anyone with the secret link"),
    ],
)
def test_visibility_change_asks_for_confirmation_and_is_recorded(app, owner, team, target, label):
    before = state_of(team.id)
    first = post_form(
        owner,
        f"/playbooks/{team.id}/visibility",
        {"visibility": target},
        200,
        page_url=share_url(team.id),
    )
    confirm = html_lib.unescape(check_page(first))
    assert "Change who can read “Reading Across Grades”?" in confirm
    assert "Private: members only" in confirm and label in confirm
    assert reload(team.id).visibility is Visibility.PRIVATE
    assert state_of(team.id) == before

    data = form_posting_to(confirm, f"/playbooks/{team.id}/visibility")
    assert data["confirmed"] == "yes" and data["visibility"] == target
    response = owner.post(f"/playbooks/{team.id}/visibility", data=data)
    assert response.status_code == 302
    assert f"Visibility: {label}." in follow(owner, response)
    assert reload(team.id).visibility is Visibility(target)
    assert revision_count(team.id) == before["revisions"] + 1
    assert latest_revision(team.id).summary == f"Changed visibility to: {label}"
    history = html_lib.unescape(check_page(owner.get(f"/playbooks/{team.id}/history")))
    assert f"Changed visibility to: {label}" in history


def test_visibility_back_to_private_hides_the_playbook(app, owner, team):
    change_visibility(owner, team.id, "public")
    visitor = app.test_client()
    assert visitor.get(f"/playbooks/{team.id}").status_code == 200
    change_visibility(owner, team.id, "private")
    assert reload(team.id).visibility is Visibility.PRIVATE
    assert latest_revision(team.id).summary == "Changed visibility to: Private: members only"
    assert visitor.get(f"/playbooks/{team.id}").status_code == 404


def test_visibility_change_by_a_non_owner_is_refused(app, team, other_member):
    add_members(team.id, other_member, role=MemberRole.EDITOR)
    editor = signed_in(app, other_member)
    response = post_with_token(
        editor, f"/playbooks/{team.id}/visibility", {"visibility": "public", "confirmed": "yes"}
    )
    assert response.status_code == 403
    assert reload(team.id).visibility is Visibility.PRIVATE


def test_visibility_with_an_unknown_value_is_refused(app, owner, team):
    before = state_of(team.id)
    response = post_form(
        owner,
        f"/playbooks/{team.id}/visibility",
        {"visibility": "everyone", "confirmed": "yes"},
        422,
        page_url=share_url(team.id),
    )
    assert "Not a valid choice." in check_page(response)
    assert state_of(team.id) == before


# --- the secret link -----------------------------------------------------------------


def test_secret_link_is_shown_once_strong_and_stored_hashed(app, owner, team):
    _path, token = make_link(owner, team.id)
    assert_strong_token(token)
    playbook = reload(team.id)
    assert playbook.visibility is Visibility.LINK
    assert playbook.link_token_hash == sha256(token)
    assert not any(token in value for value in row_values(Playbook, team.id))
    assert not any(
        token in str(r.snapshot) + r.summary for r in db.session.scalars(select(Revision))
    )
    again = share_page(owner, team.id)
    assert new_link_on(again) is None and token not in again
    assert "not used yet" in again


def test_visitor_with_the_link_reads_and_exports_but_cannot_edit(app, owner, team):
    path, token = make_link(owner, team.id)
    visitor = app.test_client()
    assert visitor.get(f"/playbooks/{team.id}").status_code == 404
    response = visitor.get(path)
    assert response.status_code == 302 and response.location.endswith(f"/playbooks/{team.id}")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = visitor.get(f"/playbooks/{team.id}")
    assert page.status_code == 200
    html = check_page(page)
    assert "Reading Across Grades" in html and "Weekly huddle" in html
    assert token not in html
    for export in ("export.md", "export.json", "print"):
        response = visitor.get(f"/playbooks/{team.id}/{export}")
        assert response.status_code == 200, export
        assert "Weekly huddle" in response.get_data(as_text=True)

    before = state_of(team.id)
    assert visitor.get(f"/playbooks/{team.id}/edit").status_code == 302  # sign in first
    response = visitor.post(
        f"/playbooks/{team.id}/sections",
        data={
            "csrf_token": token_for(visitor),
            "title": "Hijack",
            "version": str(before["version"]),
        },
    )
    assert response.status_code == 302 and "/auth/login" in response.location
    assert state_of(team.id) == before
    assert f"/playbooks/{team.id}/share" not in html


def test_signed_in_stranger_with_the_link_reads_but_cannot_edit_or_share(
    app, owner, team, intruder
):
    path, _ = make_link(owner, team.id)
    stranger = signed_in(app, intruder)
    stranger.get(path)
    assert stranger.get(f"/playbooks/{team.id}").status_code == 200
    before = state_of(team.id)
    assert stranger.get(f"/playbooks/{team.id}/edit").status_code == 403
    assert stranger.get(share_url(team.id)).status_code == 403
    response = post_with_token(
        stranger,
        f"/playbooks/{team.id}/sections",
        {"title": "Hijack", "version": str(before["version"])},
    )
    assert response.status_code == 403
    assert state_of(team.id) == before
    assert role_of(team.id, intruder) is None


def test_a_wrong_link_is_404(app, owner, team, other_member):
    _path, token = make_link(owner, team.id)
    visitor = app.test_client()
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert visitor.get(f"/playbooks/{team.id}/s/{wrong}").status_code == 404
    assert visitor.get(f"/playbooks/{team.id}/s/{'x' * 200}").status_code == 404
    other = make_playbook(other_member)
    assert (
        visitor.get(f"/playbooks/{other.id}/s/{token}").status_code == 404
    )  # the token opens its own playbook only
    assert visitor.get(f"/playbooks/{team.id}").status_code == 404


def test_link_to_a_private_or_public_playbook_does_not_open(app, owner, team):
    path, _token = make_link(owner, team.id)
    change_visibility(owner, team.id, "private")
    assert app.test_client().get(path).status_code == 404


def test_last_use_of_the_link_is_shown_on_the_share_page(app, owner, team):
    path, _ = make_link(owner, team.id)
    assert "not used yet" in share_page(owner, team.id)
    app.test_client().get(path)
    playbook = reload(team.id)
    assert playbook.link_last_used_at is not None
    assert utcnow() - playbook.link_last_used_at < timedelta(minutes=1)
    html = share_page(owner, team.id)
    assert "last used " + playbook.link_last_used_at.strftime("%-d %b %Y, %H:%M") + " UTC" in html
    assert "not used yet" not in html


def test_using_the_link_makes_no_revision(app, owner, team):
    path, _ = make_link(owner, team.id)
    before = revision_count(team.id)
    app.test_client().get(path)
    assert revision_count(team.id) == before


def test_regenerating_the_link_kills_the_old_one_at_once(app, owner, team):
    old_path, old_token = make_link(owner, team.id)
    holder = app.test_client()
    holder.get(old_path)
    assert holder.get(f"/playbooks/{team.id}").status_code == 200

    html = share_page(owner, team.id)
    url = f"/playbooks/{team.id}/link/regenerate"
    response = owner.post(url, data=form_posting_to(html, url))
    assert response.status_code == 302
    page = follow(owner, response)
    new_link = new_link_on(page)
    assert new_link and "A new secret link is ready; the old one no longer works." in page
    new_path, new_token = (
        _SHARED_LINK.fullmatch(new_link).group(1),
        _SHARED_LINK.fullmatch(new_link).group(3),
    )
    assert new_token != old_token
    assert_strong_token(new_token)
    assert (
        latest_revision(team.id).summary == "Made a new secret link (the old one no longer works)"
    )

    assert holder.get(f"/playbooks/{team.id}").status_code == 404  # the old grant is dead
    assert holder.get(old_path).status_code == 404
    fresh = app.test_client()
    assert fresh.get(new_path).status_code == 302
    assert fresh.get(f"/playbooks/{team.id}").status_code == 200


def test_revoking_the_link_makes_the_playbook_private(app, owner, team):
    path, _ = make_link(owner, team.id)
    holder = app.test_client()
    holder.get(path)
    html = share_page(owner, team.id)
    url = f"/playbooks/{team.id}/link/revoke"
    response = owner.post(url, data=form_posting_to(html, url))
    assert response.status_code == 302
    assert "The secret link is off; the playbook is private." in follow(owner, response)
    playbook = reload(team.id)
    assert playbook.visibility is Visibility.PRIVATE and playbook.link_token_hash is None
    assert latest_revision(team.id).summary == "Turned the secret link off"
    assert holder.get(f"/playbooks/{team.id}").status_code == 404
    assert app.test_client().get(path).status_code == 404


def test_link_management_is_for_owners_only(app, owner, team, other_member):
    path, _ = make_link(owner, team.id)
    add_members(team.id, other_member, role=MemberRole.EDITOR)
    editor = signed_in(app, other_member)
    for verb in ("regenerate", "revoke"):
        assert post_with_token(editor, f"/playbooks/{team.id}/link/{verb}").status_code == 403
    anonymous = app.test_client()
    response = anonymous.post(
        f"/playbooks/{team.id}/link/revoke", data={"csrf_token": token_for(anonymous)}
    )
    assert response.status_code == 302 and "/auth/login" in response.location
    assert app.test_client().get(path).status_code == 302  # still works


def test_reopening_link_sharing_after_private_does_not_revive_the_old_link(app, owner, team):
    """Making the playbook private cuts link holders off; sharing by link again must not
    silently let the old link back in (the owner can no longer see that token), and
    the owner needs a link to hand out."""
    old_path, _ = make_link(owner, team.id)
    change_visibility(owner, team.id, "private")
    assert app.test_client().get(old_path).status_code == 404
    html = change_visibility(owner, team.id, "link")
    assert app.test_client().get(old_path).status_code == 404, "the old secret link works again"
    assert new_link_on(html), "no secret link is shown after sharing by link again"


# --- sharing changes racing a teammate's save ----------------------------------------


def _teammate_adds_a_note(member):
    def change(playbook_id):
        playbook = services.load_playbook_for_change(playbook_id)
        services.add_item(
            member, playbook, playbook.sections[0], kind="note", title="Written meanwhile"
        )

    return change


def _note_titles(playbook_id: int) -> list[str]:
    return [i.title for s in reload(playbook_id).sections for i in s.items]


@pytest.mark.parametrize(
    "action",
    [
        "role",
        "remove",
        "handover",
        "invite",
        "visibility",
        "regenerate",
        "revoke-link",
        "revoke-invitation",
        "leave",
    ],
)
def test_sharing_change_while_a_teammate_saves_is_not_a_server_error(
    app, owner, team, member, other_member, monkeypatch, outbox, action
):
    """Sharing changes overwrite no one's text; a teammate saving at the same moment
    must not turn them into a 500 (apply them, or at worst answer with a conflict)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    add_members(team.id, other_member, role=MemberRole.EDITOR)
    mid = membership_of(team.id, other_member).id
    if action in ("regenerate", "revoke-link"):
        make_link(owner, team.id)
    if action == "revoke-invitation":
        invite(owner, team.id, "new@example.org", "viewer")
    browser = signed_in(app, other_member) if action == "leave" else owner
    csrf = token_for(browser)
    url, data = {
        "role": (f"/playbooks/{team.id}/members/{mid}/role", {"role": "viewer"}),
        "remove": (f"/playbooks/{team.id}/members/{mid}/remove", {}),
        "handover": (f"/playbooks/{team.id}/members/{mid}/handover", {}),
        "invite": (
            f"/playbooks/{team.id}/invitations",
            {"email": "new@example.org", "role": "viewer"},
        ),
        "visibility": (
            f"/playbooks/{team.id}/visibility",
            {"visibility": "public", "confirmed": "yes"},
        ),
        "regenerate": (f"/playbooks/{team.id}/link/regenerate", {}),
        "revoke-link": (f"/playbooks/{team.id}/link/revoke", {}),
        "revoke-invitation": (
            f"/playbooks/{team.id}/invitations/"
            f"{invitations_of(team.id)[-1].id if action == 'revoke-invitation' else 0}/revoke",
            {},
        ),
        "leave": (f"/playbooks/{team.id}/leave", {}),
    }[action]
    race(monkeypatch, app, _teammate_adds_a_note(member))
    response = browser.post(url, data={"csrf_token": csrf, **data})
    assert response.status_code in (302, 409), response.status_code
    assert "Written meanwhile" in _note_titles(team.id)


def test_accepting_an_invitation_while_a_teammate_saves_is_not_a_server_error(
    app, owner, team, member, other_member, monkeypatch, outbox
):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    invite(owner, team.id, other_member.email, "viewer")
    invitation = invitation_for(team.id, other_member.email)
    invitee = signed_in(app, other_member)
    csrf = token_for(invitee)
    load, pending = services.load_playbook_for_change, [_teammate_adds_a_note(member)]

    def racing_load(playbook_id):
        playbook = load(playbook_id)
        if pending:
            with app.app_context():
                pending.pop()(playbook_id)
        return playbook

    monkeypatch.setattr(services, "load_playbook_for_change", racing_load)
    response = invitee.post(
        f"/playbooks/invitations/{invitation.id}/accept", data={"csrf_token": csrf}
    )
    assert response.status_code in (302, 409), response.status_code
    assert "Written meanwhile" in _note_titles(team.id)


def test_invitation_and_link_pages_keep_tokens_out_of_cross_site_referers(app, owner, team, outbox):
    invite(owner, team.id, "new@example.org", "viewer")
    path, _ = invite_path(mails_to(outbox, "new@example.org")[0])
    response = app.test_client().get(path)
    assert response.headers["Referrer-Policy"] in ("no-referrer", "same-origin")
    link_path, _ = make_link(owner, team.id)
    assert app.test_client().get(link_path).headers["Referrer-Policy"] == "no-referrer"
    assert owner.get(share_url(team.id)).headers["Referrer-Policy"] in (
        "no-referrer",
        "same-origin",
    )
