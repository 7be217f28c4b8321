"""Headers no field can break, and one bad message never stops the others: what the
SMTP server receives when a subject or a title holds CR/LF, and what happens to a
message that cannot even be built."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlalchemy import select, update

from playbook import mail
from playbook.extensions import db
from playbook.models import Notification, NotificationKind, OutgoingMail, Playbook, utcnow
from tests.factories import make_playbook
from tests.fixtures_mail import smtp_server
from tests.helpers import check_page, form_posting_to
from tests.test_sharing import signed_in

INJECTED = "Plan\r\nBcc: victim@example.org"


def queue_row(to: str, subject: str = "Hello", body: str = "Body", key: str | None = None):
    message = OutgoingMail(to=to, subject=subject, body=body)
    if key:
        message.idempotency_key = key
    db.session.add(message)
    db.session.commit()
    return message.id


def make_due_now() -> None:
    db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.sent_at.is_(None))
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def row(message_id: int) -> OutgoingMail:
    db.session.expire_all()
    return db.session.get(OutgoingMail, message_id)


def test_one_line_folds_every_kind_of_line_break_and_control_character():
    assert mail.one_line(INJECTED) == "Plan Bcc: victim@example.org"
    assert (
        mail.one_line("a\nb\rc\x0bd\x0ce\x1cf\x85g\u2028h\u2029i\tj\x00k")
        == "a b c d e f g h i j k"
    )
    assert mail.one_line("  Reading   Across\n\nGrades ") == "Reading Across Grades"


def test_a_subject_with_cr_lf_goes_out_folded_and_adds_no_header(app, smtp_server):
    message_id = queue_row("ana@example.org", subject=INJECTED)
    assert mail.deliver_due() == (1, 0)
    [received] = smtp_server.messages
    assert received["Subject"] == "Plan Bcc: victim@example.org"
    assert received["Bcc"] is None
    assert [name for name in received if name.lower() == "bcc"] == []
    assert b"\nBcc:" not in received.as_bytes()
    assert smtp_server.recipients == [["ana@example.org"]]
    assert row(message_id).sent_at is not None


def test_a_message_that_cannot_be_built_is_retried_then_given_up_and_the_next_goes_out(
    app,
    smtp_server,
    caplog,
):
    bad = queue_row("victim@example.org\r\nBcc: other@example.org", subject="First")
    good = queue_row("ana@example.org", subject="Second")

    assert mail.deliver_due() == (1, 1)
    assert [m["Subject"] for m in smtp_server.messages] == ["Second"]
    failed = row(bad)
    assert failed.sent_at is None and failed.attempts == 1
    assert failed.last_error.startswith("ValueError") and "CR or LF" in failed.last_error
    assert failed.next_attempt_at > utcnow() + timedelta(minutes=1)  # backoff
    assert row(good).sent_at is not None

    # A third message queued behind the bad one still goes out, every time.
    later = queue_row("ben@example.org", subject="Third")
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        while row(bad).attempts < mail.MAX_ATTEMPTS:
            make_due_now()
            mail.deliver_due()
    assert row(later).sent_at is not None
    given_up = row(bad)
    assert given_up.attempts == mail.MAX_ATTEMPTS and given_up.sent_at is None
    assert given_up.next_attempt_at > utcnow() + timedelta(days=3650)
    logged = [r.getMessage() for r in caplog.records]
    assert any("not sent yet" in m and "ValueError" in m for m in logged)
    assert any(m.startswith(f"Gave up e-mail {bad} ") and "CR or LF" in m for m in logged)
    assert mail.deliver_due() == (0, 0)  # given up: not tried again
    assert all("\n" not in m and "\r" not in m for m in logged)  # one line each
    assert [m["Subject"] for m in smtp_server.messages] == ["Second", "Third"]
    assert all(r == [r[0]] for r in smtp_server.recipients)


def test_deliver_mail_command_exits_0_with_a_message_that_cannot_be_built(
    app,
    runner,
    smtp_server,
):
    queue_row("not an address", subject="First")
    queue_row("ana@example.org", subject=INJECTED)
    result = runner.invoke(args=["deliver-mail"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 message; 1 still waiting for a retry." in result.output
    [received] = smtp_server.messages
    assert received["Subject"] == "Plan Bcc: victim@example.org" and received["Bcc"] is None


def test_every_attempt_carries_the_same_message_id(app, smtp_server):
    message_id = queue_row("ana@example.org", key="notification:7.abcd")
    first = mail.build_message(row(message_id))["Message-ID"]
    db.session.execute(update(OutgoingMail).values(attempts=OutgoingMail.attempts + 3))
    db.session.commit()
    assert mail.build_message(row(message_id))["Message-ID"] == first
    assert re.fullmatch(r"<[0-9a-f]{40}@localhost>", first)
    mail.deliver_due()
    assert smtp_server.messages[0]["Message-ID"] == first
    other = queue_row("ana@example.org", key="notification:8.abcd")
    assert mail.build_message(row(other))["Message-ID"] != first


def test_forking_a_public_playbook_whose_title_holds_cr_lf_redirects_and_mails_the_owner(
    app,
    member,
    intruder,
    smtp_server,
):
    playbook = make_playbook(member, title="Plan")
    db.session.execute(
        update(Playbook)
        .where(Playbook.id == playbook.id)
        .values(title=INJECTED, visibility="public")
    )
    db.session.commit()

    forker = signed_in(app, intruder)
    page = forker.get(f"/playbooks/{playbook.id}")
    assert page.status_code == 200
    data = form_posting_to(check_page(page), f"/playbooks/{playbook.id}/fork")
    response = forker.post(f"/playbooks/{playbook.id}/fork", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert re.search(r"/playbooks/\d+$", response.location)

    db.session.expire_all()
    [note] = db.session.scalars(select(Notification).where(Notification.user_id == member.id))
    assert note.kind is NotificationKind.FORKED
    [received] = smtp_server.messages
    assert received["To"] == member.email
    assert received["Subject"] == (
        "Fred Intruder made a copy (fork) of “Plan Bcc: victim@example.org”."
    )
    assert received["Bcc"] is None
    assert smtp_server.recipients == [[member.email]]
