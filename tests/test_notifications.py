"""Notifications: in-app list, unread badge, marking read, per-kind e-mail choices,
e-mail over a real local SMTP server, and the retry when that server is down."""

from __future__ import annotations

import html as html_lib
import re
import socket
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from playbook import mail
from playbook.extensions import db
from playbook.models import (
    EmailOptOut,
    Invitation,
    MemberRole,
    Notification,
    NotificationKind,
    OutgoingMail,
    Playbook,
    utcnow,
)
from tests.factories import add_members, add_note, make_playbook, reload
from tests.fixtures_mail import SMTPServer, outbox
from tests.helpers import check_page, form_posting_to, token_for
from tests.test_sharing import invite, membership_of, post_member, role_of, signed_in

_BADGE = re.compile(
    r'<span class="count-badge">(\d+)<span class="visually-hidden"> unread</span></span>'
)


# --- helpers ------------------------------------------------------------------------


def notifications_of(user, kind: NotificationKind | None = None) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def queued_mail() -> list[OutgoingMail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def mails_to(messages, address: str) -> list:
    return [m for m in messages if m["To"] == address]


def badge(browser) -> int:
    """The unread count in the navigation (0 when there is no badge)."""
    html = check_page(browser.get("/playbooks/"))
    match = _BADGE.search(html)
    return int(match.group(1)) if match else 0


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mail_down(app):
    """PLAYBOOK_MAIL_SERVER points at a closed port; start() brings a server up on it."""
    port = closed_port()
    app.config.update(PLAYBOOK_MAIL_SERVER="127.0.0.1", PLAYBOOK_MAIL_PORT=port)
    started = []

    class Control:
        def start(self) -> SMTPServer:
            server = SMTPServer(port)
            started.append(server)
            return server

    yield Control()
    for server in started:
        server.stop()


def make_due_now() -> None:
    """Time passes: the backoff of every queued message is over."""
    db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.sent_at.is_(None))
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


@pytest.fixture
def team(app, member, other_member):
    """Maria owns a playbook with a note; Omar is an editor of it."""
    playbook = make_playbook(
        member, title="Reading Across Grades", organization="Lincoln Middle School"
    )
    add_note(member, playbook.id, title="Weekly huddle")
    add_members(playbook.id, other_member, role=MemberRole.EDITOR)
    return reload(playbook.id)


@pytest.fixture
def owner(app, member, team):
    return signed_in(app, member)


@pytest.fixture
def omar(app, other_member, team):
    return signed_in(app, other_member)


def assign_item_to(browser, playbook_id: int, user) -> None:
    """The owner makes `user` the owner of the playbook's first item, through the edit form."""
    item_id = reload(playbook_id).sections[0].items[0].id
    url = f"/playbooks/{playbook_id}/items/{item_id}/edit"
    page = browser.get(url)
    assert page.status_code == 200
    data = form_posting_to(check_page(page), url)
    data["owner_id"] = str(user.id)
    response = browser.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def change_role(browser, playbook_id: int, user, role: str) -> None:
    response = post_member(
        browser, playbook_id, membership_of(playbook_id, user).id, "role", role=role
    )
    assert response.status_code == 302


def fork(browser, playbook_id: int):
    page = browser.get(f"/playbooks/{playbook_id}")
    assert page.status_code == 200
    data = form_posting_to(check_page(page), f"/playbooks/{playbook_id}/fork")
    response = browser.post(f"/playbooks/{playbook_id}/fork", data=data)
    assert response.status_code == 302
    return int(re.search(r"/playbooks/(\d+)$", response.location).group(1))


def make_public(playbook_id: int) -> None:
    db.session.execute(
        update(Playbook).where(Playbook.id == playbook_id).values(visibility="public")
    )
    db.session.commit()


# --- each kind: in-app and by e-mail -------------------------------------------------


def test_invited_notification_in_app_and_by_email(app, owner, team, intruder, outbox):
    invite(owner, team.id, intruder.email, "viewer")
    notes = notifications_of(intruder)
    assert [n.kind for n in notes] == [NotificationKind.INVITED]
    assert notes[0].link == "/playbooks/invitations" and notes[0].playbook_id == team.id
    [message] = mails_to(outbox, intruder.email)
    assert "Maria Member invited you to “Reading Across Grades” as viewer." in message.get_content()
    assert re.search(
        r"http://localhost/notifications/open\?next=(/|%2F)playbooks(/|%2F)invitations",
        message.get_content(),
    )


def test_role_changed_notification_in_app_and_by_email(app, owner, team, other_member, outbox):
    change_role(owner, team.id, other_member, "commenter")
    [note] = notifications_of(other_member)
    assert note.kind is NotificationKind.ROLE_CHANGED
    assert note.message == "You are now commenter of “Reading Across Grades”."
    assert note.link == f"/playbooks/{team.id}"
    [message] = mails_to(outbox, other_member.email)
    assert "You are now commenter of “Reading Across Grades”." in message.get_content()
    assert "Hello Omar Other" in message.get_content()


def test_item_assigned_notification_in_app_and_by_email(
    app, owner, omar, team, member, other_member, outbox
):
    assign_item_to(owner, team.id, other_member)
    [note] = notifications_of(other_member)
    assert note.kind is NotificationKind.ITEM_ASSIGNED
    assert (
        note.message
        == "Maria Member made you the owner of “Weekly huddle” in “Reading Across Grades”."
    )
    assert note.link.startswith(f"/playbooks/{team.id}#item-")
    [message] = mails_to(outbox, other_member.email)
    link = re.search(
        r"http://localhost(/notifications/open\?next=\S+)", message.get_content()
    ).group(1)
    response = omar.get(link)
    assert response.status_code == 302 and f"/playbooks/{team.id}" in response.location
    # Saving the item again with the same owner does not notify again, nor does
    # assigning an item to oneself.
    assign_item_to(owner, team.id, other_member)
    assign_item_to(owner, team.id, member)
    assert len(notifications_of(other_member)) == 1 and notifications_of(member) == []


def test_forked_notification_when_someone_forks_a_public_playbook_you_own(
    app, team, member, intruder, outbox
):
    make_public(team.id)
    forker = signed_in(app, intruder)
    fork(forker, team.id)
    [note] = notifications_of(member)
    assert note.kind is NotificationKind.FORKED
    assert note.message == "Fred Intruder made a copy (fork) of “Reading Across Grades”."
    assert note.playbook_id == team.id
    [message] = mails_to(outbox, member.email)
    assert "Fred Intruder made a copy (fork)" in message.get_content()
    # Forking your own playbook tells nobody.
    fork(signed_in(app, member), team.id)
    assert len(notifications_of(member)) == 1


# --- the list, the badge, marking read -----------------------------------------------


def test_unread_badge_list_and_mark_read(app, owner, omar, team, other_member, outbox):
    assert badge(omar) == 0
    change_role(owner, team.id, other_member, "viewer")
    change_role(owner, team.id, other_member, "editor")
    assign_item_to(owner, team.id, other_member)
    assert badge(omar) == 3

    page = omar.get("/notifications/")
    assert page.status_code == 200
    html = html_lib.unescape(check_page(page))
    assert html.count('<span class="badge">New</span>') == 3
    assert (
        html.index("made you the owner")
        < html.index("You are now editor")
        < html.index("You are now viewer")
    )

    first = notifications_of(other_member)[0]
    url = f"/notifications/{first.id}/read"
    data = form_posting_to(html, url)
    assert data["next"] == first.link
    response = omar.post(url, data=data)
    assert response.status_code == 302 and response.location.endswith(first.link)
    assert notifications_of(other_member)[0].read_at is not None
    assert badge(omar) == 2

    html = check_page(omar.get("/notifications/"))
    data = form_posting_to(html, "/notifications/read-all")
    response = omar.post("/notifications/read-all", data=data)
    assert response.status_code == 302
    page = html_lib.unescape(check_page(omar.get(response.location)))
    assert "All notifications are marked as read." in page
    assert all(n.read_at is not None for n in notifications_of(other_member))
    assert badge(omar) == 0
    assert '<span class="badge">New</span>' not in page


def test_marking_someone_elses_notification_does_nothing(app, owner, team, other_member, intruder):
    change_role(owner, team.id, other_member, "viewer")
    [note] = notifications_of(other_member)
    stranger = signed_in(app, intruder)
    response = stranger.post(
        f"/notifications/{note.id}/read", data={"csrf_token": token_for(stranger)}
    )
    assert response.status_code == 302
    assert (
        stranger.post(
            "/notifications/read-all", data={"csrf_token": token_for(stranger)}
        ).status_code
        == 302
    )
    assert notifications_of(other_member)[0].read_at is None
    assert "You are now viewer" not in check_page(stranger.get("/notifications/"))


def test_mark_read_needs_csrf_and_never_redirects_off_site(app, owner, omar, team, other_member):
    change_role(owner, team.id, other_member, "viewer")
    [note] = notifications_of(other_member)
    assert omar.post(f"/notifications/{note.id}/read").status_code == 400
    assert notifications_of(other_member)[0].read_at is None
    response = omar.post(
        f"/notifications/{note.id}/read",
        data={"csrf_token": token_for(omar), "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response.location.endswith("/notifications/")
    response = omar.get("/notifications/open?next=//evil.example/x")
    assert response.status_code == 302 and response.location.endswith("/notifications/")


def test_notifications_are_for_signed_in_people(app, client):
    for url in ("/notifications/", "/notifications/settings"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.location
    response = client.get("/notifications/open?next=/playbooks/invitations")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_notifications_list_is_empty_at_first(app, omar):
    html = check_page(omar.get("/notifications/"))
    assert "No notifications yet." in html


# --- e-mail choices ------------------------------------------------------------------


def save_choices(browser, kinds: list[str]):
    page = check_page(browser.get("/notifications/settings"))
    data = {
        "csrf_token": form_posting_to(page, "/notifications/settings")["csrf_token"],
        "kinds": kinds,
    }
    response = browser.post("/notifications/settings", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return html_lib.unescape(check_page(browser.get(response.location)))


def checked_kinds(html: str) -> set[str]:
    return {
        m.group(1)
        for m in re.finditer(
            r'<input\b(?=[^>]*\bchecked)[^>]*name="kinds"[^>]*value="([^"]+)"', html
        )
    } | {
        m.group(1)
        for m in re.finditer(
            r'<input\b(?=[^>]*\bchecked)[^>]*value="([^"]+)"[^>]*name="kinds"', html
        )
    }


def test_email_choices_are_all_on_by_default(app, omar):
    html = check_page(omar.get("/notifications/settings"))
    assert checked_kinds(html) == {k.value for k in NotificationKind}
    for kind in NotificationKind:
        assert kind.label in html_lib.unescape(html)


def test_opting_out_of_one_kind_stops_its_email_but_keeps_the_notification(
    app, owner, omar, team, other_member, outbox
):
    keep = {kind.value for kind in NotificationKind} - {"role_changed"}
    page = save_choices(omar, sorted(keep))
    assert "Your e-mail choices are saved." in page
    assert checked_kinds(page) == keep
    db.session.expire_all()
    assert [
        row.kind
        for row in db.session.scalars(
            select(EmailOptOut).where(EmailOptOut.user_id == other_member.id)
        )
    ] == [NotificationKind.ROLE_CHANGED]

    change_role(owner, team.id, other_member, "viewer")
    assert [n.kind for n in notifications_of(other_member)] == [NotificationKind.ROLE_CHANGED]
    assert mails_to(outbox, other_member.email) == []
    assert badge(omar) == 1

    change_role(owner, team.id, other_member, "editor")
    assign_item_to(owner, team.id, other_member)  # still on: e-mailed
    assert len(mails_to(outbox, other_member.email)) == 1
    assert "made you the owner" in mails_to(outbox, other_member.email)[0].get_content()


def test_turning_every_email_off_and_back_on(app, owner, omar, team, other_member, outbox):
    page = save_choices(omar, [])
    assert checked_kinds(page) == set()
    change_role(owner, team.id, other_member, "viewer")
    assert len(notifications_of(other_member)) == 1 and outbox == []
    page = save_choices(omar, [k.value for k in NotificationKind])
    assert checked_kinds(page) == {k.value for k in NotificationKind}
    change_role(owner, team.id, other_member, "editor")
    assert len(mails_to(outbox, other_member.email)) == 1


def test_email_choices_reject_unknown_kinds(app, omar, other_member):
    page = check_page(omar.get("/notifications/settings"))
    data = {
        "csrf_token": form_posting_to(page, "/notifications/settings")["csrf_token"],
        "kinds": ["spam"],
    }
    response = omar.post("/notifications/settings", data=data)
    assert response.status_code != 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(EmailOptOut)) == 0


def test_choices_of_one_person_do_not_touch_anothers(
    app, owner, omar, team, member, other_member, outbox
):
    save_choices(omar, [])
    make_public(team.id)
    fork(signed_in(app, other_member), team.id)
    assert len(mails_to(outbox, member.email)) == 1


# --- a failing mail server -----------------------------------------------------------


def test_mail_server_down_keeps_the_action_and_the_notification_and_retries(
    app, owner, team, intruder, mail_down
):
    response = invite(owner, team.id, intruder.email, "editor")
    assert response.status_code == 302
    db.session.expire_all()
    invitation = db.session.scalar(select(Invitation).where(Invitation.email == intruder.email))
    assert invitation is not None and invitation.is_pending
    assert [n.kind for n in notifications_of(intruder)] == [NotificationKind.INVITED]
    [queued] = queued_mail()
    assert queued.to == intruder.email and queued.sent_at is None
    assert queued.attempts == 1 and queued.last_error
    assert "Connection" in queued.last_error or "refused" in queued.last_error.lower(), (
        queued.last_error
    )
    assert queued.next_attempt_at > utcnow()

    # Before its backoff is over, nothing is tried.
    assert mail.deliver_due() == (0, 0)
    assert queued_mail()[0].attempts == 1

    # Still down when due: a second failure, a longer wait.
    make_due_now()
    assert mail.deliver_due() == (0, 1)
    retry = queued_mail()[0]
    assert retry.attempts == 2 and retry.sent_at is None
    assert retry.next_attempt_at - utcnow() > timedelta(minutes=3)

    server = mail_down.start()
    make_due_now()
    assert mail.deliver_due() == (1, 0)
    sent = queued_mail()[0]
    assert sent.sent_at is not None and sent.attempts == 3
    [message] = server.messages
    assert message["To"] == intruder.email
    assert "Maria Member invited you to “Reading Across Grades” as editor." in message.get_content()
    assert mail.deliver_due() == (0, 0)  # sent once only
    assert len(server.messages) == 1


def test_invitation_to_a_new_address_is_delivered_by_the_deliver_mail_command(
    app, runner, owner, team, mail_down
):
    invite(owner, team.id, "board@example.org", "viewer")
    [queued] = queued_mail()
    assert queued.attempts == 1 and queued.sent_at is None and queued.last_error
    assert "/playbooks/invite/" in queued.body

    server = mail_down.start()
    make_due_now()
    result = runner.invoke(args=["deliver-mail"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 message; 0 still waiting for a retry." in result.output
    [message] = server.messages
    assert message["To"] == "board@example.org"
    path = re.search(
        r"http://localhost(/playbooks/invite/[A-Za-z0-9_-]+)", message.get_content()
    ).group(1)
    assert "You are invited" in check_page(app.test_client().get(path))
    assert queued_mail()[0].sent_at is not None


def test_mail_server_down_while_assigning_an_item(app, owner, team, other_member, mail_down):
    assign_item_to(owner, team.id, other_member)
    assert reload(team.id).sections[0].items[0].owner_id == other_member.id
    assert [n.kind for n in notifications_of(other_member)] == [NotificationKind.ITEM_ASSIGNED]
    [queued] = queued_mail()
    assert queued.sent_at is None and queued.attempts == 1 and queued.last_error


def test_mail_server_down_while_forking(app, team, member, intruder, mail_down):
    make_public(team.id)
    fork(signed_in(app, intruder), team.id)
    assert [n.kind for n in notifications_of(member)] == [NotificationKind.FORKED]
    [queued] = queued_mail()
    assert queued.sent_at is None and queued.attempts == 1


def test_without_an_smtp_server_mail_is_logged_not_lost(app, owner, team, other_member, caplog):
    app.config.update(PLAYBOOK_MAIL_SERVER="")
    change_role(owner, team.id, other_member, "viewer")
    assert len(notifications_of(other_member)) == 1
    assert any("You are now viewer" in r.getMessage() for r in caplog.records)


# --- a removed member's notifications ------------------------------------------------


def test_removed_members_notifications_about_that_playbook_disappear(
    app, owner, omar, team, member, other_member, outbox
):
    elsewhere = make_playbook(member, title="Other Team Book")
    add_members(elsewhere.id, other_member, role=MemberRole.VIEWER)
    change_role(owner, elsewhere.id, other_member, "commenter")
    assign_item_to(owner, team.id, other_member)
    change_role(owner, team.id, other_member, "viewer")
    assert badge(omar) == 3

    post_member(owner, team.id, membership_of(team.id, other_member).id, "remove")
    assert role_of(team.id, other_member) is None
    notes = notifications_of(other_member)
    assert [n.playbook_id for n in notes] == [elsewhere.id]
    assert badge(omar) == 1
    html = html_lib.unescape(check_page(omar.get("/notifications/")))
    assert "Reading Across Grades" not in html and "Other Team Book" in html


def test_a_member_who_leaves_loses_notifications_about_that_playbook(
    app, owner, omar, team, other_member
):
    change_role(owner, team.id, other_member, "viewer")
    detail = check_page(omar.get(f"/playbooks/{team.id}"))
    omar.post(
        f"/playbooks/{team.id}/leave", data=form_posting_to(detail, f"/playbooks/{team.id}/leave")
    )
    assert role_of(team.id, other_member) is None
    assert notifications_of(other_member) == []
    assert badge(omar) == 0


def test_mail_that_keeps_failing_is_given_up_after_the_last_attempt(app, mail_down):
    from playbook import mail
    from playbook.extensions import db
    from playbook.models import OutgoingMail, utcnow

    message = OutgoingMail(
        to="x@example.org", subject="S", body="B", attempts=mail.MAX_ATTEMPTS - 1
    )
    db.session.add(message)
    db.session.commit()
    assert mail.deliver_due() == (0, 1)
    db.session.refresh(message)
    assert message.attempts == mail.MAX_ATTEMPTS and message.sent_at is None
    assert message.next_attempt_at > utcnow() + mail.MAX_BACKOFF * 100
