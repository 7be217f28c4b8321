"""Outgoing e-mail: over SMTP when PLAYBOOK_MAIL_SERVER is set, otherwise to the log.

queue_mail() keeps a message in the outgoing_mail table, in the same transaction as
whatever caused it, and asks for a `deliver_message` job once that commits. The job
(or the sweep that runs every minute, for retries and lost jobs) claims the message,
so no two workers send it, and sends it. A message that cannot be built or sent
stays queued with its error and is retried with backoff, then given up after
MAX_ATTEMPTS; it never holds up the other messages, nor the request that queued it.

A message may carry an HTML alternative of its text (sent as multipart/alternative)
and a List-Unsubscribe address.

Headers are built so that no field can add a header: subjects and names are folded
to one line, the recipient must be one plain address, and the message goes only to
that address."""

from __future__ import annotations

import hashlib
import smtplib
import time
import unicodedata
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, cast

from flask import current_app, render_template
from sqlalchemy import CursorResult, select, update

from playbook import jobs
from playbook.extensions import db
from playbook.models import OutgoingMail, utcnow

MAX_BACKOFF = timedelta(hours=6)
MAX_ATTEMPTS = 12  # about two days of retries; then the message is left for a person to look at
GIVEN_UP = timedelta(days=36500)
SMTP_TIMEOUT_SECONDS = 10


def queue_mail(
    to: str,
    subject: str,
    template: str,
    *,
    key: str,
    html: bool = False,
    unsubscribe_url: str = "",
    **context: Any,
) -> OutgoingMail:
    """Add a message to the outgoing queue (the caller commits) and have it delivered
    after the commit. `key` names what caused the message ("invitation:12"); the
    database refuses a second message with the same key, and a job that may run twice
    checks is_queued(key) first. The text is emails/<template>.txt; with html=True the
    message also has an HTML part, emails/<template>.html (autoescaped, like every .html
    template). `unsubscribe_url` becomes the List-Unsubscribe header."""
    message = OutgoingMail(
        idempotency_key=key,
        to=to,
        subject=subject[:300],
        body=render_template(f"emails/{template}.txt", **context),
        html_body=render_template(f"emails/{template}.html", **context) if html else "",
        unsubscribe_url=unsubscribe_url[:500],
    )
    db.session.add(message)
    db.session.flush()
    jobs.enqueue("deliver_message", message.id)
    return message


def is_queued(key: str) -> bool:
    """Whether a message with this idempotency key was queued already."""
    return (
        db.session.scalar(select(OutgoingMail.id).where(OutgoingMail.idempotency_key == key))
        is not None
    )


def deliver_due(limit: int = 50, seconds: float = 50.0) -> tuple[int, int]:
    """Send queued messages that are due, oldest first, for at most about `seconds`;
    returns (sent, failed). Never raises for a message that cannot be sent."""
    deadline = time.monotonic() + seconds
    due = db.session.scalars(
        select(OutgoingMail.id)
        .where(OutgoingMail.sent_at.is_(None), OutgoingMail.next_attempt_at <= utcnow())
        .order_by(OutgoingMail.id)
        .limit(limit)
    ).all()
    db.session.commit()
    sent = failed = 0
    for message_id in due:
        if time.monotonic() > deadline:
            break
        outcome = deliver_message(message_id)
        sent += outcome is True
        failed += outcome is False
    return sent, failed


def deliver_message(message_id: int) -> bool | None:
    """Claim one due message and send it. True when it was sent, False when it failed
    (it is retried later, or given up), None when it was not ours to send: already
    sent, not due, or claimed by another worker."""
    message = _claim(message_id)
    if message is None:
        return None
    try:
        email = build_message(message)
        _transmit(email, message.to)
    except Exception as error:  # any one message's problem stays with that message
        _record_failure(message, error)
        return False
    message.sent_at = utcnow()
    message.last_error = ""
    db.session.commit()
    return True


def _claim(message_id: int) -> OutgoingMail | None:
    """Make the message ours for one attempt, in one statement, so that of two
    workers only one gets it. The claim moves the next attempt past the time an
    attempt can take; a worker that dies leaves the message due again after that."""
    now = utcnow()
    lease = timedelta(seconds=current_app.config["PLAYBOOK_MAIL_CLAIM_SECONDS"])
    result = db.session.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.id == message_id,
            OutgoingMail.sent_at.is_(None),
            OutgoingMail.next_attempt_at <= now,
        )
        .values(attempts=OutgoingMail.attempts + 1, next_attempt_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    claimed = cast("CursorResult[Any]", result).rowcount
    db.session.commit()
    if claimed != 1:
        return None
    return db.session.get(OutgoingMail, message_id, populate_existing=True)


def _record_failure(message: OutgoingMail, error: Exception) -> None:
    message.last_error = one_line(f"{type(error).__name__}: {error}")[:500]
    if message.attempts >= MAX_ATTEMPTS:
        message.next_attempt_at = utcnow() + GIVEN_UP
        current_app.logger.error(
            "Gave up e-mail %s to %s after %d attempts: %s",
            message.id,
            one_line(message.to),
            message.attempts,
            message.last_error,
        )
    else:
        message.next_attempt_at = utcnow() + min(
            timedelta(minutes=2**message.attempts), MAX_BACKOFF
        )
        current_app.logger.warning(
            "E-mail %s to %s not sent yet (attempt %d of %d: %s); will retry",
            message.id,
            one_line(message.to),
            message.attempts,
            MAX_ATTEMPTS,
            message.last_error,
        )
    db.session.commit()


# --- building and sending ------------------------------------------------------------


def one_line(text: str) -> str:
    """The text on one line: line breaks, tabs and other control characters become
    single spaces, so a title or a name can never end a header and start another."""
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text or "")
    return " ".join(text.split())


def message_id_for(key: str, sender: str) -> str:
    """A Message-ID that stays the same on every attempt, so a receiving server can
    tell a retry of a message it already took."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "playbook.invalid"
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"<{digest}@{one_line(domain).replace(' ', '')}>"


def build_message(message: OutgoingMail) -> EmailMessage:
    """The message as it goes out. Raises ValueError (or another error) when a field
    cannot make a valid message, e.g. a recipient that is not one plain address."""
    config = current_app.config
    sender_name, sender_address = parseaddr(one_line(config["PLAYBOOK_MAIL_SENDER"]))
    email = EmailMessage()
    email["From"] = Address(display_name=one_line(sender_name), addr_spec=sender_address)
    email["To"] = Address(addr_spec=message.to)
    email["Subject"] = one_line(message.subject)
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message_id_for(message.idempotency_key, sender_address)
    if message.unsubscribe_url:
        email["List-Unsubscribe"] = f"<{_header_url(message.unsubscribe_url)}>"
    email.set_content(message.body)
    if message.html_body:
        # multipart/alternative: mail programs show the last part they can, the HTML.
        email.add_alternative(message.html_body, subtype="html")
    return email


def _header_url(url: str) -> str:
    """An http(s) URL that can stand between < and > in a header, or ValueError."""
    url = one_line(url)
    if not url.startswith(("https://", "http://")) or any(ch in url for ch in "<> ,\"'"):
        raise ValueError(f"not a URL for a header: {url[:100]!r}")
    return url


def _plain_text(email: EmailMessage) -> str:
    part = email.get_body(preferencelist=("plain",))
    return part.get_content() if isinstance(part, EmailMessage) else ""


def _transmit(email: EmailMessage, to: str) -> None:
    config = current_app.config
    if not config.get("PLAYBOOK_MAIL_SERVER"):
        if config.get("PLAYBOOK_LOG_MAIL_BODIES"):
            current_app.logger.warning(
                "E-mail (no SMTP server configured) to %s: %s\n%s",
                to,
                email["Subject"],
                _plain_text(email),
            )
        else:
            current_app.logger.error(
                "No SMTP server configured: e-mail to %s (%s) was not sent", to, email["Subject"]
            )
        return
    with smtplib.SMTP(
        config["PLAYBOOK_MAIL_SERVER"], config["PLAYBOOK_MAIL_PORT"], timeout=SMTP_TIMEOUT_SECONDS
    ) as smtp:
        if config.get("PLAYBOOK_MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("PLAYBOOK_MAIL_USERNAME"):
            smtp.login(config["PLAYBOOK_MAIL_USERNAME"], config["PLAYBOOK_MAIL_PASSWORD"])
        # The envelope names the one recipient: no header can add another.
        smtp.send_message(email, to_addrs=[to])
