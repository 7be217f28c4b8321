"""Outgoing e-mail: over SMTP when PLAYBOOK_MAIL_SERVER is set, otherwise to the log."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app, render_template


def send_mail(to: str, subject: str, template: str, **context) -> bool:
    """Render templates/emails/<template>.txt and send it. Returns False (and logs)
    when sending fails, so the action that triggered the mail still succeeds."""
    body = render_template(f"emails/{template}.txt", **context)
    config = current_app.config
    if not config.get("PLAYBOOK_MAIL_SERVER"):
        if config.get("PLAYBOOK_LOG_MAIL_BODIES"):
            current_app.logger.warning("E-mail (no SMTP server configured) to %s: %s\n%s", to, subject, body)
        else:
            current_app.logger.error("No SMTP server configured: e-mail to %s (%s) was not sent", to, subject)
        return True
    message = EmailMessage()
    message["From"] = config["PLAYBOOK_MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(config["PLAYBOOK_MAIL_SERVER"], config["PLAYBOOK_MAIL_PORT"], timeout=10) as smtp:
            if config.get("PLAYBOOK_MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("PLAYBOOK_MAIL_USERNAME"):
                smtp.login(config["PLAYBOOK_MAIL_USERNAME"], config["PLAYBOOK_MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("Could not send e-mail to %s", to)
        return False
    return True
