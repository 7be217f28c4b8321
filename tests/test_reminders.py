"""Reminders of items due soon and overdue (playbook/work/reminders.py), sent by the
periodic `send_reminders` job: each once per item, kind and target date, in the app
always and by e-mail unless the person turned that kind off."""

from __future__ import annotations

import html as html_lib
import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from playbook import create_app, jobs
from playbook.extensions import db
from playbook.models import (
    EmailOptOut,
    Membership,
    Notification,
    NotificationKind,
    OutgoingMail,
    SentReminder,
    User,
    utcnow,
)
from playbook.playbooks import schedule
from playbook.playbooks import services as playbook_services
from playbook.work import reminders
from tests import factories
from tests.factories import make_playbook, reload
from tests.fixtures_mail import outbox
from tests.helpers import check_page, client_for, field_error, form_posting_to
from tests.test_work import note, own

DUE_SOON, OVERDUE = NotificationKind.ITEM_DUE_SOON, NotificationKind.ITEM_OVERDUE


def reminders_of(user, kind: NotificationKind | None = None) -> list[str]:
    db.session.expire_all()
    kinds = [kind] if kind else [DUE_SOON, OVERDUE]
    return list(
        db.session.scalars(
            select(Notification.message)
            .where(Notification.user_id == user.id, Notification.kind.in_(kinds))
            .order_by(Notification.id)
        )
    )


def reminder_mail_to(user) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutgoingMail.subject)
            .where(
                OutgoingMail.to == user.email,
                OutgoingMail.subject.contains(" due ") | OutgoingMail.subject.contains(" overdue"),
            )
            .order_by(OutgoingMail.id)
        )
    )


@pytest.fixture
def today(app):
    return schedule.today()


@pytest.fixture
def team(app, member, other_member):
    return make_playbook(member, title="Reading plan", members=(other_member,))


def days(n: int):
    return timedelta(days=n)


# --- when ---------------------------------------------------------------------------


def test_a_due_soon_reminder_goes_out_the_chosen_number_of_days_before(
    app, member, other_member, team, today
):
    note(member, team.id, "Three days out", member, 3)
    note(member, team.id, "Four days out", member, 4)
    assert reminders.send_due_reminders(today) == 1
    assert reminders_of(member) == [
        f"“Three days out” in “Reading plan” is due in 3 days ({today + days(3):%A %-d %B %Y})."
    ]
    assert reminder_mail_to(member) == [reminders_of(member)[0]]
    # The next day, the other one's turn.
    assert reminders.send_due_reminders(today + days(1)) == 1
    assert "“Four days out” in “Reading plan” is due in 3 days" in reminders_of(member)[1]

    # Omar wants ten days' notice.
    other_member.reminder_days = 10
    db.session.commit()
    note(member, team.id, "Ten days out", other_member, 10)
    note(member, team.id, "Eleven days out", other_member, 11)
    reminders.send_due_reminders(today)
    assert [m.split("”")[0] for m in reminders_of(other_member)] == ["“Ten days out"]


def test_an_overdue_reminder_goes_out_the_day_after_the_target_date(app, member, team, today):
    note(member, team.id, "Book list", member, 0)
    reminders.send_due_reminders(today)
    assert reminders_of(member, OVERDUE) == []
    assert reminders_of(member, DUE_SOON) == [
        f"“Book list” in “Reading plan” is due today ({today:%A %-d %B %Y})."
    ]
    assert reminders.send_due_reminders(today + days(1)) == 1
    assert reminders_of(member, OVERDUE) == [
        f"“Book list” in “Reading plan” is overdue: its target date was {today:%A %-d %B %Y}."
    ]
    assert reminders.send_due_reminders(today + days(2)) == 0
    assert len(reminder_mail_to(member)) == 2


def test_a_missed_day_is_caught_up_but_long_overdue_items_are_left_alone(app, member, team, today):
    note(member, team.id, "A week late", member, -7)
    note(member, team.id, "Eight days late", member, -8)
    note(member, team.id, "Due in two days", member, 2)  # its day-3 run was missed
    assert reminders.send_due_reminders(today) == 2
    sent = " ".join(reminders_of(member))
    assert "A week late" in sent and "Due in two days" in sent and "Eight days late" not in sent


# --- once -----------------------------------------------------------------------------


def test_a_job_that_runs_twice_sends_each_reminder_once(app, member, team, today):
    note(member, team.id, "Book list", member, 3)
    note(member, team.id, "Tutoring rota", member, -1)
    assert reminders.send_due_reminders(today) == 2
    assert reminders.send_due_reminders(today) == 0
    assert len(reminders_of(member)) == 2 and len(reminder_mail_to(member)) == 2
    assert db.session.scalar(select(func.count()).select_from(SentReminder)) == 2


def test_two_runs_that_found_the_same_reminder_send_it_once(app, member, team, today):
    note(member, team.id, "Book list", member, 3)
    first = reminders.due_reminders(today)
    second = reminders.due_reminders(today)  # another worker, reading at the same time
    assert len(first) == len(second) == 1
    assert reminders.send_reminder(first[0], today) is True
    assert reminders.send_reminder(second[0], today) is False
    assert len(reminders_of(member)) == 1 and len(reminder_mail_to(member)) == 1


def test_an_item_changed_between_finding_and_sending_is_left_to_the_next_run(
    app, member, team, today
):
    item_id = note(member, team.id, "Book list", member, 3)
    found = reminders.due_reminders(today)
    own(member, team.id, item_id, member, 3, status="adopted")  # done meanwhile
    assert [reminders.send_reminder(due, today) for due in found] == [False]
    assert reminders.send_due_reminders(today) == 0
    assert reminders_of(member) == []


def test_an_item_whose_date_moved_is_reminded_of_its_new_date(app, member, team, today):
    item_id = note(member, team.id, "Book list", member, 3)
    reminders.send_due_reminders(today)
    own(member, team.id, item_id, member, 2)  # brought forward
    assert reminders.send_due_reminders(today) == 1
    assert "due in 2 days" in reminders_of(member)[-1]
    own(member, team.id, item_id, member, 3)  # back to the date already reminded of
    assert reminders.send_due_reminders(today) == 0
    assert len(reminders_of(member)) == 2


# --- who ------------------------------------------------------------------------------


def test_an_opted_out_kind_is_shown_in_the_app_but_not_e_mailed(app, member, team, today):
    db.session.add(EmailOptOut(user_id=member.id, kind=DUE_SOON))
    db.session.commit()
    note(member, team.id, "Book list", member, 3)
    note(member, team.id, "Tutoring rota", member, -1)
    assert reminders.send_due_reminders(today) == 2
    assert len(reminders_of(member, DUE_SOON)) == 1
    assert reminder_mail_to(member) == [reminders_of(member, OVERDUE)[0]]


def test_no_reminders_for_binned_playbooks_former_members_done_or_unowned_items(
    app, member, other_member, make_user, team, today
):
    binned = make_playbook(member, title="Thrown away")
    note(member, binned.id, "Binned", member, 3)
    playbook_services.delete_playbook(member, reload(binned.id))
    note(member, team.id, "Omar's, who left", other_member, 3)
    db.session.execute(
        delete(Membership).where(
            Membership.playbook_id == team.id, Membership.user_id == other_member.id
        )
    )
    note(member, team.id, "Adopted", member, 3, status="adopted")
    note(member, team.id, "Retired", member, -1, status="retired")
    note(member, team.id, "Nobody's", None, 3)
    gone = make_user(display_name="Gone Away")
    team_now = reload(team.id)
    db.session.add(Membership(playbook_id=team_now.id, user_id=gone.id, role="editor"))
    db.session.commit()
    note(member, team.id, "Of a closed account", gone, 3)
    db.session.get(User, gone.id).is_active_account = False
    db.session.commit()
    assert reminders.send_due_reminders(today) == 0
    assert db.session.scalar(select(func.count()).select_from(SentReminder)) == 0


def test_the_reminder_links_to_the_item_in_its_playbook(app, member, team, today):
    item_id = note(member, team.id, "Book list", member, 3)
    reminders.send_due_reminders(today)
    db.session.expire_all()
    notification = db.session.scalar(select(Notification).where(Notification.kind == DUE_SOON))
    assert notification.link == f"/playbooks/{team.id}#item-{item_id}"
    assert notification.playbook_id == team.id


# --- the setting ------------------------------------------------------------------------


def save_days(browser, value: str):
    page = check_page(browser.get("/notifications/settings"))
    fields = form_posting_to(page, "/notifications/settings")
    data = {
        "csrf_token": fields["csrf_token"],
        "kinds": [k.value for k in NotificationKind],
        "reminder_days": value,
    }
    return browser.post("/notifications/settings", data=data)


def test_the_number_of_days_is_set_on_the_e_mail_choices_page(app, member):
    browser = client_for(app, member)
    page = html_lib.unescape(check_page(browser.get("/notifications/settings")))
    assert "An item you own is due soon" in page and "An item you own is overdue" in page
    assert 'name="reminder_days"' in page and 'value="3"' in page
    response = save_days(browser, "10")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).reminder_days == 10
    assert 'value="10"' in browser.get("/notifications/settings").text


@pytest.mark.parametrize("value", ["0", "31", "soon"])
def test_a_number_of_days_out_of_range_is_refused_with_nothing_changed(app, member, value):
    browser = client_for(app, member)
    response = save_days(browser, value)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "reminder_days")
    db.session.expire_all()
    assert db.session.get(User, member.id).reminder_days == 3


# --- the job ----------------------------------------------------------------------------


def test_the_reminders_job_runs_every_hour(app):
    huey = jobs.queue_of(app).huey
    schedules = {task.__name__: task for task in huey._registry._periodic_tasks}
    minutes = [utcnow().replace(hour=h, minute=m) for h in range(24) for m in range(60)]
    runs = [t for t in minutes if schedules["send_reminders"]().validate_datetime(t)]
    assert [(t.hour, t.minute) for t in runs] == [(h, 5) for h in range(24)]


def test_the_job_mails_a_reminder_through_the_outgoing_queue(app, member, team, outbox):
    item_id = note(member, team.id, "Book list", member, 3)
    jobs.queue_of(app).tasks["send_reminders"].call_local()
    jobs.queue_of(app).tasks["send_reminders"].call_local()
    sent = [m for m in outbox if "due in 3 days" in m["Subject"]]
    assert len(sent) == 1 and sent[0]["To"] == member.email
    body = sent[0].get_content()
    assert f"/notifications/open?next=/playbooks/{team.id}%23item-{item_id}" in body
    db.session.expire_all()
    row = db.session.scalar(select(OutgoingMail).where(OutgoingMail.subject.contains("due in")))
    assert row.sent_at is not None


def test_links_in_reminders_name_the_sites_address_when_no_request_gives_it(app, member, team):
    """A periodic job has no request to take the address from: PLAYBOOK_BASE_URL."""
    note(member, team.id, "Book list", member, 3)
    app.config.update(SERVER_NAME=None, PLAYBOOK_BASE_URL="https://playbook.example.org")
    jobs.queue_of(app).tasks["send_reminders"].call_local()
    db.session.expire_all()
    body = db.session.scalar(select(OutgoingMail.body).where(OutgoingMail.subject.contains("due")))
    assert "https://playbook.example.org/notifications/open?next=/playbooks/" in body


# --- two workers at once, on a database both can open -----------------------------------


@pytest.fixture
def shared_app(tmp_path):
    """The app on a database file (or the PostgreSQL test database) that two threads
    open with connections of their own, as two workers would."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path}/app.sqlite"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    shared = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with shared.app_context():
        db.drop_all()
        db.create_all()
        yield shared
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def test_two_workers_running_the_job_at_the_same_moment_send_each_reminder_once(
    shared_app, monkeypatch
):
    owner = factories.make_user(display_name="Maria Member")
    playbook = make_playbook(owner, title="Reading plan")
    for n in range(3):
        note(owner, playbook.id, f"Task {n}", owner, 3)
    on, owner_id = schedule.today(), owner.id
    db.session.remove()

    # Both read what is due before either sends anything.
    both_read = threading.Barrier(2)
    read_once = threading.local()
    find = reminders.due_reminders

    def find_then_wait(on, limit=reminders.BATCH):
        found = find(on, limit)
        if not getattr(read_once, "done", False):
            read_once.done = True
            both_read.wait(timeout=10)
        return found

    monkeypatch.setattr(reminders, "due_reminders", find_then_wait)
    sent, errors = [], []

    def worker():
        try:
            with shared_app.app_context():
                sent.append(reminders.send_due_reminders(on))
        except Exception as error:  # pragma: no cover (reported below)
            errors.append(error)

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=30)
    assert errors == [] and sum(sent) == 3, (sent, errors)
    owner = db.session.get(User, owner_id)
    assert len(reminders_of(owner, DUE_SOON)) == 3
    assert len(reminder_mail_to(owner)) == 3
    assert db.session.scalar(select(func.count()).select_from(SentReminder)) == 3


def test_the_send_reminders_command_queues_what_the_job_would_and_only_once(
    app, runner, member, team, outbox
):
    """`flask send-reminders` runs the job's service now (an operator's catch-up, or a
    demonstration); running it again sends nothing new."""
    note(member, team.id, "Book list", member, 3)
    first = runner.invoke(args=["send-reminders"])
    again = runner.invoke(args=["send-reminders"])
    assert first.exit_code == 0 and "Queued 1 reminder." in first.output
    assert again.exit_code == 0 and "Queued 0 reminders." in again.output
    assert len(reminder_mail_to(member)) == 1


def test_the_send_reminders_command_links_to_the_site_when_no_server_name_is_set(
    app, runner, member, team, outbox
):
    """In production no SERVER_NAME is set: the command, run outside any request,
    takes the site's address from PLAYBOOK_BASE_URL for the mail's link instead of
    failing to build it."""
    app.config.update(SERVER_NAME=None, PLAYBOOK_BASE_URL="https://playbook.district.example")
    note(member, team.id, "Book list", member, 3)
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "Queued 1 reminder." in result.output
    mail = db.session.scalars(select(OutgoingMail).where(OutgoingMail.to == member.email)).all()
    bodies = [m.body for m in mail if "Book list" in m.subject]
    assert len(bodies) == 1
    assert "https://playbook.district.example/notifications/" in bodies[0]
    assert f"playbooks%2F{team.id}" in bodies[0] or f"/playbooks/{team.id}" in bodies[0]
