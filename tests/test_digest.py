"""The weekly digest: what it tells a member and a library follower, that nobody gets
an empty one, once per week whatever the worker does, its text and HTML parts, and
the unsubscribe link that works without signing in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template
from sqlalchemy import func, select

from playbook import jobs, mail
from playbook.database import count_statements
from playbook.digests import services as digests
from playbook.extensions import db
from playbook.models import (
    CommentStatus,
    Component,
    DigestMode,
    DigestSubscription,
    OutgoingMail,
    Play,
    Playbook,
    Resource,
    User,
    utcnow,
)
from playbook.playbooks import schedule, sharing
from playbook.playbooks import services as playbook_services
from playbook.tokens import signed_token
from tests import factories
from tests.factories import (
    add_comment,
    add_members,
    add_note,
    make_play,
    make_playbook,
    make_resource,
    reload,
)
from tests.fixtures_mail import outbox
from tests.helpers import check_page, client_for, csrf_token_from, post

MONDAY_NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def any_hour(app):
    """Due from Monday 00:00 on, so a test run on any day and hour is in the window."""
    app.config.update(PLAYBOOK_DIGEST_WEEKDAY=1, PLAYBOOK_DIGEST_HOUR=0)


# --- helpers ------------------------------------------------------------------------


def mails_to(messages, user) -> list:
    return [m for m in messages if m["To"] == user.email]


def the_digest_of(messages, user):
    found = mails_to(messages, user)
    assert len(found) == 1, [m["Subject"] for m in found]
    return found[0]


def parts(message) -> tuple[str, str]:
    """(text, html) of a received digest, read with the email package."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    return text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def queued_digests(user) -> list[OutgoingMail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutgoingMail).where(
                OutgoingMail.to == user.email, OutgoingMail.idempotency_key.like("digest:%")
            )
        )
    )


def subscription_of(user) -> DigestSubscription | None:
    db.session.expire_all()
    return db.session.get(DigestSubscription, user.id)


def unsubscribe_path(message) -> str:
    url = message["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://localhost/digest/unsubscribe/"), url
    return url.removeprefix("http://localhost")


def give_item(owner, playbook_id: int, title: str, days_from_today: int):
    """A note assigned to `owner` with a target date relative to today."""
    factories.add_dated_note(
        owner, playbook_id, title, target_date=factories.days_from_today(days_from_today)
    )


# --- what it tells ----------------------------------------------------------------------


def test_member_digest_tells_teammates_changes_new_comments_due_items_and_library_news(
    app, member, other_member, intruder, outbox
):
    playbook = make_playbook(member, title="Reading plan", members=(other_member,))
    add_note(other_member, playbook.id, title="Family reading night")
    add_note(member, playbook.id, title="My own tweak")
    give_item(member, playbook.id, "Book fair", days_from_today=3)
    give_item(member, playbook.id, "Survey parents", days_from_today=-2)
    give_item(member, playbook.id, "Spring showcase", days_from_today=30)

    playbook = db.session.get(Playbook, playbook.id)
    add_comment(other_member, playbook, "Teammate thinks we should start in March")
    add_comment(other_member, playbook, "Pending words nobody approved", CommentStatus.PENDING)
    add_comment(other_member, playbook, "Hidden words under review", CommentStatus.HIDDEN)
    elsewhere = make_playbook(intruder, title="Someone else's plan")
    add_comment(intruder, elsewhere, "Words in a playbook she is not in")
    play = make_play(title="Morning meetings")
    mine = add_comment(member, play, "We tried this in grade 3")
    add_comment(intruder, play, "Reply to Maria about grade 3", parent=mine)
    add_comment(member, playbook, "My own comment")
    make_resource(title="Fresh family rubric", organization="Reading Lab")
    make_resource(title="Retired old rubric", retired=True)

    assert digests.send_due_digests() >= 1

    message = the_digest_of(outbox, member)
    text, html = parts(message)
    for body in (text, html):
        assert "Reading plan" in body
        assert "Family reading night" in body and "Omar Other" in body
        assert "My own tweak" not in body  # her own change
        assert "Teammate thinks we should start in March" in body
        assert "Reply to Maria about grade 3" in body
        assert "Pending words" not in body and "Hidden words" not in body
        assert "Words in a playbook she is not in" not in body
        assert "My own comment" not in body
        assert "Book fair" in body and "Survey parents" in body
        assert "Spring showcase" not in body  # a month away
        assert "Fresh family rubric" in body and "Morning meetings" in body
        assert "Retired old rubric" not in body
    overdue, due_soon = text.index("OVERDUE"), text.index("NEXT 7 DAYS")
    assert overdue < text.index("Survey parents") < due_soon < text.index("Book fair")
    assert (
        "- Resource: Fresh family rubric (Reading Lab)\n  http://localhost/library/resources/"
        in text
    )
    assert message["List-Unsubscribe"].startswith("<http://localhost/digest/unsubscribe/")
    assert f"/digest/unsubscribe/{signed_token(digests.UNSUBSCRIBE, member.id)}" in text


def test_library_follower_without_a_playbook_gets_library_news(app, make_user, outbox):
    follower = make_user(display_name="Lee Follower")
    browser = client_for(app, follower)
    page = check_page(browser.get("/notifications/settings"))
    assert 'name="digest-mode"' in page
    response = browser.post(
        "/notifications/settings/digest",
        data={"digest-csrf_token": csrf_token_from(page), "digest-mode": "library"},
    )
    assert response.status_code == 302
    assert subscription_of(follower).mode is DigestMode.LIBRARY
    make_resource(title="Choice boards kit")
    make_play(title="Gallery walk")
    retired = make_play(title="Retired walk", retired=True)

    digests.send_due_digests()

    text, html = parts(the_digest_of(outbox, follower))
    assert "Choice boards kit" in text and "Gallery walk" in html
    assert retired.title not in text
    assert "CHANGES IN YOUR PLAYBOOKS" not in text


def test_library_only_follower_is_not_told_about_their_playbooks(app, member, other_member, outbox):
    playbook = make_playbook(member, title="Team plan", members=(other_member,))
    add_note(other_member, playbook.id, title="Teammate's note")
    db.session.add(DigestSubscription(user_id=member.id, mode=DigestMode.LIBRARY))
    db.session.commit()

    digests.send_due_digests()

    assert mails_to(outbox, member) == []  # library news only, and there is none
    assert subscription_of(member).last_week == digests.iso_week(schedule.today())


def test_playbooks_only_leaves_library_news_out(app, member, other_member, outbox):
    playbook = make_playbook(member, title="Team plan", members=(other_member,))
    db.session.add(DigestSubscription(user_id=member.id, mode=DigestMode.PLAYBOOKS))
    db.session.commit()
    make_resource(title="Library news she does not want")
    add_note(other_member, playbook.id, title="What she does want")

    digests.send_due_digests()

    text, _ = parts(the_digest_of(outbox, member))
    assert "What she does want" in text and "Library news" not in text


def test_nobody_gets_an_empty_digest(app, member, other_member, outbox):
    make_playbook(member, title="Quiet plan")  # only her own changes; nothing for Omar
    assert digests.send_due_digests() == 0
    assert outbox == []
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 0


def test_person_who_turned_the_digest_off_gets_nothing(app, member, other_member, outbox):
    playbook = make_playbook(member, members=(other_member,))
    browser = client_for(app, member)
    page = check_page(browser.get("/notifications/settings"))
    browser.post(
        "/notifications/settings/digest",
        data={"digest-csrf_token": csrf_token_from(page), "digest-mode": "off"},
    )
    add_note(other_member, playbook.id, title="Something new")
    make_resource(title="Something for the library")

    digests.send_due_digests()

    assert mails_to(outbox, member) == [] and queued_digests(member) == []
    assert mails_to(outbox, other_member)  # the teammate still gets library news


def test_settings_refuse_an_unknown_digest_choice(app, member):
    browser = client_for(app, member)
    page = check_page(browser.get("/notifications/settings"))
    response = browser.post(
        "/notifications/settings/digest",
        data={"digest-csrf_token": csrf_token_from(page), "digest-mode": "hourly"},
    )
    assert "Choose what your weekly digest tells you." in browser.get(response.location).text
    assert subscription_of(member) is None


# --- once a week --------------------------------------------------------------------------


def test_running_the_job_twice_sends_one_digest(app, member, other_member, outbox):
    playbook = make_playbook(member, members=(other_member,))
    add_note(other_member, playbook.id, title="Only once")

    digests.send_due_digests()
    assert digests.send_due_digests() == 0

    assert len(mails_to(outbox, member)) == 1
    assert len(queued_digests(member)) == 1
    week = digests.iso_week(schedule.today())
    assert queued_digests(member)[0].idempotency_key == f"digest:{member.id}:{week}"


def test_a_worker_that_dies_after_queueing_leaves_one_digest_for_the_mail_queue(
    app, member, other_member, outbox, monkeypatch
):
    playbook = make_playbook(member, members=(other_member,))
    add_note(other_member, playbook.id, title="Survives a restart")
    monkeypatch.setattr(mail, "deliver_message", lambda message_id: None)  # dies before sending

    digests.send_due_digests()
    assert outbox == [] and len(queued_digests(member)) == 1

    monkeypatch.undo()  # the worker is back: the job runs again, then the mail sweep
    assert digests.send_due_digests() == 0
    mail.deliver_due()
    assert len(mails_to(outbox, member)) == 1
    assert "Survives a restart" in parts(mails_to(outbox, member)[0])[0]


def test_a_worker_that_dies_before_committing_leaves_nothing_and_the_next_run_sends(
    app, member, other_member, outbox, monkeypatch
):
    playbook = make_playbook(member, members=(other_member,))
    add_note(other_member, playbook.id, title="Caught up later")
    queue_mail = mail.queue_mail

    def queue_then_die(*args, **kwargs):
        queue_mail(*args, **kwargs)
        raise RuntimeError("the worker died")

    monkeypatch.setattr(mail, "queue_mail", queue_then_die)
    assert digests.send_due_digests() == 0
    assert queued_digests(member) == [] and subscription_of(member) is None

    monkeypatch.undo()
    digests.send_due_digests()
    assert len(mails_to(outbox, member)) == 1


def test_nothing_is_sent_before_the_configured_weekday_and_hour(app, member, other_member):
    playbook = make_playbook(member, members=(other_member,))
    add_note(other_member, playbook.id, title="Wait for Friday")
    app.config.update(PLAYBOOK_DIGEST_WEEKDAY=5, PLAYBOOK_DIGEST_HOUR=7)
    friday = MONDAY_NOON.replace(hour=0) + timedelta(days=4)
    assert digests.send_due_digests(now=MONDAY_NOON) == 0
    assert digests.send_due_digests(now=friday + timedelta(hours=6, minutes=59)) == 0
    assert subscription_of(member) is None
    assert digests.send_due_digests(now=friday + timedelta(hours=7)) >= 1
    assert subscription_of(member).last_week == "2026-W50"


def test_next_weeks_digest_starts_where_the_last_one_ended(app, member, other_member, outbox):
    playbook = make_playbook(member, members=(other_member,))
    add_note(other_member, playbook.id, title="Last week's note")
    digests.send_due_digests()
    add_note(other_member, playbook.id, title="This week's note")

    digests.send_due_digests(now=utcnow() + timedelta(days=7))

    first, second = mails_to(outbox, member)
    assert "Last week's note" in parts(first)[0]
    text = parts(second)[0]
    assert "This week's note" in text and "Last week's note" not in text


# --- escaping ---------------------------------------------------------------------------


def test_the_html_part_escapes_what_people_typed(app, member, other_member, outbox):
    playbook = make_playbook(member, title="<script>alert(1)</script>", members=(other_member,))
    add_note(other_member, playbook.id, title="<b>bold</b> & <img src=x onerror=alert(2)>")

    digests.send_due_digests()

    text, html = parts(the_digest_of(outbox, member))
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" in text  # plain text stays as typed


# --- the unsubscribe link ---------------------------------------------------------------


def reload_first_playbook(user) -> Playbook:
    db.session.expire_all()
    return db.session.scalars(select(Playbook).order_by(Playbook.id)).first()


def digest_with_link(member, other_member, outbox) -> str:
    playbook = make_playbook(member, members=(other_member,))
    add_note(other_member, playbook.id, title="Something to tell")
    digests.send_due_digests()
    return unsubscribe_path(the_digest_of(outbox, member))


def test_unsubscribe_link_works_without_signing_in(app, member, other_member, outbox):
    path = digest_with_link(member, other_member, outbox)
    visitor = app.test_client()

    page = check_page(visitor.get(path))
    assert "Stop the weekly digest" in page
    assert subscription_of(member).mode is DigestMode.EVERYTHING  # GET changes nothing

    response = post(visitor, path, {}, page_url=path)
    assert response.status_code == 302
    assert subscription_of(member).mode is DigestMode.OFF
    assert "no more weekly digests" in visitor.get(response.location).text

    add_note(other_member, reload_first_playbook(member).id, title="After unsubscribing")
    outbox.clear()
    digests.send_due_digests(now=utcnow() + timedelta(days=7))
    assert mails_to(outbox, member) == []


def test_unsubscribe_needs_the_pages_csrf_token(app, member, other_member, outbox):
    path = digest_with_link(member, other_member, outbox)
    response = app.test_client().post(path, data={})
    assert response.status_code == 400
    assert subscription_of(member).mode is DigestMode.EVERYTHING


@pytest.mark.parametrize("change", ["tampered", "other_purpose", "garbage"])
def test_a_changed_unsubscribe_link_is_refused_and_changes_nothing(
    app, member, other_member, outbox, change
):
    path = digest_with_link(member, other_member, outbox)
    token = path.rsplit("/", 1)[1]
    bad = {
        "tampered": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "other_purpose": signed_token("password-reset", member.id),
        "garbage": "not-a-token",
    }[change]
    visitor = app.test_client()
    response = visitor.get(f"/digest/unsubscribe/{bad}")
    assert response.status_code == 404
    assert "This unsubscribe link does not work" in response.text
    good_page = visitor.get(path).text
    response = visitor.post(
        f"/digest/unsubscribe/{bad}", data={"csrf_token": csrf_token_from(good_page)}
    )
    assert response.status_code == 404
    assert subscription_of(member).mode is DigestMode.EVERYTHING


def test_one_persons_link_cannot_unsubscribe_another(app, member, other_member, outbox):
    path = digest_with_link(member, other_member, outbox)
    visitor = app.test_client()
    post(visitor, path, {}, page_url=path)
    assert subscription_of(member).mode is DigestMode.OFF
    assert subscription_of(other_member) is None or (
        subscription_of(other_member).mode is DigestMode.EVERYTHING
    )


def test_digest_for_someone_who_left_the_team_leaves_that_playbook_out(
    app, member, other_member, intruder, outbox
):
    playbook = make_playbook(other_member, title="Left behind", members=(member,))
    add_members(playbook.id, intruder)
    sharing.leave_playbook(member, reload(playbook.id))
    add_note(intruder, playbook.id, title="Said after she left")
    add_comment(intruder, db.session.get(Playbook, playbook.id), "Comment after she left")
    make_resource(title="Something new")

    digests.send_due_digests()

    text, _ = parts(the_digest_of(outbox, member))
    assert "Something new" in text
    assert "Left behind" not in text and "Comment after she left" not in text


def test_a_lost_marker_does_not_send_the_week_again(app, member, other_member, outbox):
    playbook = make_playbook(member, members=(other_member,))
    add_note(other_member, playbook.id, title="Once is enough")
    digests.send_due_digests()
    db.session.delete(subscription_of(member))  # the week's record is gone, the mail is not
    db.session.commit()

    digests.send_due_digests()

    assert len(mails_to(outbox, member)) == 1 and len(queued_digests(member)) == 1
    assert subscription_of(member).last_week == digests.iso_week(schedule.today())


def test_the_hourly_job_sends_the_digests(app, member, other_member, outbox):
    queue = jobs.queue_of(app)
    schedules = {task.__name__: task for task in queue.huey._registry._periodic_tasks}
    minutes = [utcnow().replace(hour=h, minute=m) for h in range(24) for m in range(60)]
    runs = [t for t in minutes if schedules["send_digests"]().validate_datetime(t)]
    assert [(t.hour, t.minute) for t in runs] == [(h, 5) for h in range(24)]

    playbook = make_playbook(member, members=(other_member,))
    add_note(other_member, playbook.id, title="From the job")
    queue.tasks["send_digests"].call_local()
    assert "From the job" in parts(the_digest_of(outbox, member))[0]


def test_a_moderator_in_the_team_is_not_told_about_comments_waiting_for_review(
    app, moderator, other_member, outbox
):
    playbook = make_playbook(moderator, title="Moderated plan", members=(other_member,))
    playbook = db.session.get(Playbook, playbook.id)
    add_comment(other_member, playbook, "Published for the team")
    add_comment(other_member, playbook, "Waiting words", CommentStatus.PENDING)
    add_comment(other_member, playbook, "Spam words", CommentStatus.REJECTED)

    digests.send_due_digests()

    text, _ = parts(the_digest_of(outbox, moderator))
    assert "Published for the team" in text
    assert "Waiting words" not in text and "Spam words" not in text


def test_settings_page_shows_the_current_digest_choice(app, member):
    db.session.add(DigestSubscription(user_id=member.id, mode=DigestMode.PLAYBOOKS))
    db.session.commit()
    page = check_page(client_for(app, member).get("/notifications/settings"))
    checked = re.findall(r'<input checked[^>]*name="digest-mode"[^>]*value="(\w+)"', page)
    assert checked == ["playbooks"]
    assert "Library news only" in page


# --- cost -------------------------------------------------------------------------------


def statements_for_digest(user_id: int) -> int:
    """Statements to build and render one person's digest (fresh session, as a job)."""
    db.session.remove()
    user = db.session.get(User, user_id)
    since, until = utcnow() - timedelta(days=7), utcnow()
    with count_statements() as statements:
        digest = digests.build_digest(user, DigestMode.EVERYTHING, since, until)
        context = dict(digest=digest, week="2026-W50", unsubscribe_link="", settings_url="")
        render_template("emails/digest.txt", **context)
        render_template("emails/digest.html", **context)
    assert not digest.is_empty
    return len(statements)


def busy_week(owner, teammate, library, n: int) -> None:
    playbook = make_playbook(owner, members=(teammate,))
    for i in range(n):
        add_note(teammate, playbook.id, title=f"Note {i}")
        give_item(owner, playbook.id, f"Due {i}", days_from_today=i % 5 - 2)
    plays = db.session.scalars(select(Play).limit(n)).all()
    resources = db.session.scalars(select(Resource).limit(n)).all()
    components = db.session.scalars(select(Component).limit(n)).all()
    for target in [*plays, *resources, *components]:
        mine = add_comment(owner, target, "Mine")
        add_comment(teammate, target, f"Reply on {target.id}", parent=mine)
    pb = db.session.get(Playbook, playbook.id)
    for i in range(n):
        add_comment(teammate, pb, f"Team comment {i}")
        make_resource(title=f"New resource {i}")


def test_a_digest_costs_the_same_statements_for_a_quiet_or_a_busy_week(app, library, make_user):
    quiet, busy, teammate = make_user(), make_user(), make_user()
    quiet_id, busy_id = quiet.id, busy.id
    busy_week(quiet, teammate, library, 1)
    busy_week(busy, teammate, library, 8)
    assert statements_for_digest(quiet_id) == statements_for_digest(busy_id)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"PLAYBOOK_BASE_URL": "https://playbook.district.org"}, "https://playbook.district.org/"),
        ({"TRUSTED_HOSTS": [".district.org", "plans.district.org"]}, "https://plans.district.org/"),
    ],
)
def test_links_point_at_the_configured_site_when_no_request_caused_the_job(
    app, member, other_member, outbox, settings, expected
):
    app.config.update(SERVER_NAME=None, **settings)
    playbook = make_playbook(member, members=(other_member,))
    add_note(other_member, playbook.id, title="Linked")
    digests.send_due_digests()
    message = the_digest_of(outbox, member)
    assert message["List-Unsubscribe"].startswith(f"<{expected}digest/unsubscribe/")
    assert f"{expected}playbooks/{playbook.id}" in parts(message)[0]


def test_an_unsubscribe_address_that_could_add_a_header_is_never_sent(app, member, outbox):
    message = mail.queue_mail(
        member.email,
        "Hello",
        "notification",
        key="test:header",
        unsubscribe_url="https://example.org/u>\r\nBcc: someone@example.net",
        user=member,
        message="Hi",
        link="",
    )
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(OutgoingMail, message.id)
    assert outbox == [] and kept.sent_at is None
    assert "not a URL for a header" in kept.last_error


def test_the_send_digests_command_queues_this_weeks_digest_once(app, runner, make_user, outbox):
    """`flask send-digests` does what the hourly job does: this week's digest, once."""
    follower = make_user(display_name="Lee Follower")
    make_resource(title="Choice boards kit")
    first = runner.invoke(args=["send-digests"])
    again = runner.invoke(args=["send-digests"])
    assert first.exit_code == 0 and "Queued 1 digest." in first.output
    assert again.exit_code == 0 and "Queued 0 digests." in again.output
    text, _ = parts(the_digest_of(outbox, follower))
    assert "Choice boards kit" in text
