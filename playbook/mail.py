"""Outgoing e-mail: over SMTP when PLAYBOOK_MAIL_SERVER is set, otherwise to the log.

send_mail() sends at once (password resets). queue_mail() keeps the message in the
outgoing_mail table, in the same transaction as whatever caused it; deliver_due()
then sends what is due, and a message the server refuses stays queued with its
error and is tried again later (by the next delivery or `flask deliver-mail`)."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, render_template
from sqlalchemy import select

from playbook.extensions import db
from playbook.models import OutgoingMail, utcnow

MAX_BACKOFF = timedelta(hours=6)
MAX_ATTEMPTS = 12  # about two days of retries; then the message is left for a person to look at
GIVEN_UP = timedelta(days=36500)


def send_mail(to: str, subject: str, template: str, **context) -> bool:
    """Render templates/emails/<template>.txt and send it. Returns False (and logs)
    when sending fails, so the action that triggered the mail still succeeds."""
    try:
        _transmit(to, subject, render_template(f"emails/{template}.txt", **context))
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("Could not send e-mail to %s", to)
        return False
    return True


def queue_mail(to: str, subject: str, template: str, **context) -> OutgoingMail:
    """Add a message to the outgoing queue (the caller commits)."""
    message = OutgoingMail(
        to=to, subject=subject[:300], body=render_template(f"emails/{template}.txt", **context)
    )
    db.session.add(message)
    return message


def deliver_due(limit: int = 50) -> tuple[int, int]:
    """Send queued messages that are due; returns (sent, failed). Never raises for
    a mail server problem: the message stays queued and is retried with backoff."""
    now = utcnow()
    due = db.session.scalars(
        select(OutgoingMail)
        .where(OutgoingMail.sent_at.is_(None), OutgoingMail.next_attempt_at <= now)
        .order_by(OutgoingMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    sent = failed = 0
    for message in due:
        message.attempts += 1
        try:
            _transmit(message.to, message.subject, message.body)
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            message.last_error = f"{type(error).__name__}: {error}"[:500]
            if message.attempts >= MAX_ATTEMPTS:
                message.next_attempt_at = utcnow() + GIVEN_UP
                current_app.logger.error(
                    "Gave up e-mail %s to %s after %d attempts: %s",
                    message.id,
                    message.to,
                    message.attempts,
                    message.last_error,
                )
            else:
                message.next_attempt_at = utcnow() + min(
                    timedelta(minutes=2**message.attempts), MAX_BACKOFF
                )
                current_app.logger.warning(
                    "E-mail to %s not sent yet (%s); will retry", message.to, message.last_error
                )
        else:
            sent += 1
            message.sent_at = utcnow()
    db.session.commit()
    return sent, failed


def _transmit(to: str, subject: str, body: str) -> None:
    config = current_app.config
    if not config.get("PLAYBOOK_MAIL_SERVER"):
        if config.get("PLAYBOOK_LOG_MAIL_BODIES"):
            current_app.logger.warning(
                "E-mail (no SMTP server configured) to %s: %s\n%s", to, subject, body
            )
        else:
            current_app.logger.error(
                "No SMTP server configured: e-mail to %s (%s) was not sent", to, subject
            )
        return
    message = EmailMessage()
    message["From"] = config["PLAYBOOK_MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(
        config["PLAYBOOK_MAIL_SERVER"], config["PLAYBOOK_MAIL_PORT"], timeout=10
    ) as smtp:
        if config.get("PLAYBOOK_MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("PLAYBOOK_MAIL_USERNAME"):
            smtp.login(config["PLAYBOOK_MAIL_USERNAME"], config["PLAYBOOK_MAIL_PASSWORD"])
        smtp.send_message(message)
