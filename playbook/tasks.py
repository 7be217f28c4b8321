"""Every background job and every schedule, in one place.

A job is a small function that calls a service; services enqueue it by name with
playbook.jobs.enqueue("name", *args), which queues it when their transaction
commits. Arguments are plain values (ids, strings), and the job looks up what it
needs afresh: by the time it runs, things may have changed.

A job may run more than once (a retry, a worker that died and a sweep that picks up
after it), so it must be safe to repeat: mail it queues carries an idempotency key
naming its cause, and a message is claimed before it is sent.

To add a periodic job (reminders, digests, link checks, survey retention), write the
service, then a function here:

    @periodic(crontab(minute="0", hour="6"))   # every day at 06:00 UTC
    def send_digests():
        digests.send_due_digests()

The consumer (`python run.py`, or `flask worker`) runs it on schedule; nothing else
needs to be set up. Periodic jobs should pick up everything that is due since they
last ran, so a missed run (the worker was down) is caught up by the next one.
"""

from __future__ import annotations

from playbook import mail
from playbook.auth import services as auth_services
from playbook.digests import services as digest_services
from playbook.jobs import crontab, job, periodic
from playbook.playbooks import services as playbook_services
from playbook.playbooks import sharing
from playbook.results import services as results_services
from playbook.work import reminders

# --- mail --------------------------------------------------------------------------


@job()
def deliver_message(message_id: int) -> None:
    """Send one queued message, unless another worker has it or it was sent already."""
    mail.deliver_message(message_id)


@periodic(crontab())  # every minute
def deliver_due_mail() -> None:
    """Everything due: retries after their backoff, and messages whose job was lost
    (the queue was down when they were queued, or a worker died while sending)."""
    mail.deliver_due(limit=500)


@job(retries=3, retry_delay=30)
def send_password_reset(email: str, request_key: str) -> None:
    auth_services.send_password_reset(email, request_key)


@job(retries=3, retry_delay=30)
def announce_invitation(token: str) -> None:
    sharing.announce_invitation(token)


# --- the weekly digest ----------------------------------------------------------------


@periodic(crontab(minute="5"))  # every hour, at five past
def send_digests() -> None:
    """This week's digests, for everyone due one (from the configured weekday and hour
    on, once per ISO week); a run the worker missed is caught up by the next."""
    digest_services.send_due_digests()


# --- reminders ---------------------------------------------------------------------


@periodic(crontab(minute="5"))  # every hour, at five past
def send_reminders() -> None:
    """Remind owners of their items due soon and overdue. Daily would do; hourly
    catches up soon after a worker was down, and each reminder goes out only once."""
    reminders.send_due_reminders()


# --- housekeeping ------------------------------------------------------------------


@periodic(crontab(minute="30", hour="3"))  # every day at 03:30 UTC
def purge_bin() -> None:
    """Delete for good the playbooks that have been in the bin for over 30 days."""
    playbook_services.purge_deleted_playbooks()


@periodic(crontab(minute="45", hour="3"))  # every day at 03:45 UTC
def purge_survey_answers() -> None:
    """Remove the raw answers of survey rounds closed more than
    PLAYBOOK_SURVEY_RETENTION_DAYS ago, keeping their aggregates."""
    results_services.purge_expired_rounds()
