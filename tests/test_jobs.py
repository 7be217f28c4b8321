"""The job queue on real storage (a SQLite file and the machine's Redis): jobs are
queued only when their transaction commits, consumers run them, and a worker
killed in the middle of sending leaves a message that the next worker sends once."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey
from sqlalchemy import select, update

from playbook import create_app, jobs, mail
from playbook.extensions import db
from playbook.models import OutgoingMail, PasswordResetToken, Playbook, utcnow
from tests import factories
from tests.factories import make_playbook, reload
from tests.fixtures_mail import SMTPServer

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"
CLAIM_SECONDS = 3


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"gave up after {seconds}s waiting for {what}")


def database_url(tmp_path: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path}/app.sqlite"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request, tmp_path) -> str:
    return f"sqlite:///{tmp_path}/jobs.sqlite" if request.param == "sqlite" else REDIS_URL


@pytest.fixture
def queue_app(tmp_path, queue_url):
    """The app on a database file (or the PostgreSQL test database) that other
    processes can open too, with a queue of its own on real storage."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
            "PLAYBOOK_QUEUE_IMMEDIATE": False,
            "PLAYBOOK_QUEUE_URL": queue_url,
            "PLAYBOOK_QUEUE_NAME": f"playbook-test-{uuid.uuid4().hex[:12]}",
            "PLAYBOOK_MAIL_CLAIM_SECONDS": CLAIM_SECONDS,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
        jobs.queue_of(app).huey.storage.flush_all()


@pytest.fixture
def mail_server(queue_app):
    server = SMTPServer()
    queue_app.config.update(PLAYBOOK_MAIL_SERVER="127.0.0.1", PLAYBOOK_MAIL_PORT=server.port)
    yield server
    server.stop()


def huey_of(app):
    return jobs.queue_of(app).huey


def queued_keys() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutgoingMail.idempotency_key).order_by(OutgoingMail.id)))


def queue_one_message(user, key: str = "test:one") -> int:
    message = mail.queue_mail(
        user.email, "A note for you", "notification", key=key, user=user, message="Hello."
    )
    db.session.commit()
    return message.id


# --- where jobs wait ------------------------------------------------------------------


def test_without_a_queue_url_jobs_wait_in_a_sqlite_file_in_the_instance_folder(tmp_path):
    app = create_app({"PLAYBOOK_QUEUE_IMMEDIATE": False, "PLAYBOOK_QUEUE_URL": ""})
    huey = huey_of(app)
    assert isinstance(huey, SqliteHuey)
    assert huey.storage.filename == os.path.join(app.instance_path, "jobs.sqlite")
    assert not huey.immediate


def test_a_redis_url_puts_jobs_in_redis_and_a_sqlite_url_in_that_file(tmp_path):
    redis_app = create_app({"PLAYBOOK_QUEUE_IMMEDIATE": False, "PLAYBOOK_QUEUE_URL": REDIS_URL})
    assert isinstance(huey_of(redis_app), RedisHuey)
    file_app = create_app(
        {"PLAYBOOK_QUEUE_IMMEDIATE": False, "PLAYBOOK_QUEUE_URL": f"sqlite:///{tmp_path}/q.sqlite"}
    )
    assert huey_of(file_app).storage.filename == f"{tmp_path}/q.sqlite"
    with pytest.raises(RuntimeError, match="PLAYBOOK_QUEUE_URL"):
        create_app({"PLAYBOOK_QUEUE_IMMEDIATE": False, "PLAYBOOK_QUEUE_URL": "amqp://x"})


def test_each_database_gets_a_queue_of_its_own_whatever_its_password():
    def name(url):
        return huey_of(create_app({"SQLALCHEMY_DATABASE_URI": url})).name

    first = name("postgresql+psycopg://app:one@db.example/playbook")
    assert first == name("postgresql+psycopg://app:two@db.example/playbook")
    assert first != name("postgresql+psycopg://app:one@db.example/other")
    assert "one" not in first


def test_periodic_jobs_deliver_mail_every_minute_and_purge_the_bin_daily(app):
    huey = huey_of(app)
    schedules = {task.__name__: task for task in huey._registry._periodic_tasks}
    assert set(schedules) >= {"deliver_due_mail", "purge_bin"}
    minutes = [utcnow().replace(hour=h, minute=m) for h in range(24) for m in range(60)]
    due_mail = [t for t in minutes if schedules["deliver_due_mail"]().validate_datetime(t)]
    assert len(due_mail) == 24 * 60
    purges = [t for t in minutes if schedules["purge_bin"]().validate_datetime(t)]
    assert [(t.hour, t.minute) for t in purges] == [(3, 30)]


def test_the_purge_job_empties_the_bin_as_purge_bin_does(app, member):
    old = make_playbook(member, title="Thrown away long ago")
    kept = make_playbook(member, title="Still here").id
    old_id = old.id
    db.session.execute(
        update(Playbook)
        .where(Playbook.id == old_id)
        .values(deleted_at=utcnow() - timedelta(days=31))
    )
    db.session.commit()
    jobs.queue_of(app).tasks["purge_bin"].call_local()
    assert reload(old_id) is None
    assert reload(kept) is not None


def test_the_sweep_delivers_a_message_whose_job_was_lost(app, member):
    from tests.fixtures_mail import SMTPServer

    server = SMTPServer()
    app.config.update(PLAYBOOK_MAIL_SERVER="127.0.0.1", PLAYBOOK_MAIL_PORT=server.port)
    try:
        # Queued straight into the table: no job was ever enqueued for it.
        db.session.add(
            OutgoingMail(idempotency_key="lost:1", to=member.email, subject="S", body="B")
        )
        db.session.commit()
        jobs.queue_of(app).tasks["deliver_due_mail"].call_local()
        assert [m["To"] for m in server.messages] == [member.email]
        jobs.queue_of(app).tasks["deliver_due_mail"].call_local()
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_creating_the_app_starts_no_consumer_so_gunicorn_workers_only_enqueue(tmp_path):
    """What gunicorn does: import run:app. No job thread may start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PLAYBOOK_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path}/app.sqlite",
        SECRET_KEY="x" * 32,
        PLAYBOOK_QUEUE_URL=f"sqlite:///{tmp_path}/jobs.sqlite",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import threading, run; print(sorted(t.name for t in threading.enumerate()))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['MainThread']"


# --- enqueue on commit ----------------------------------------------------------------


def test_a_job_of_a_transaction_that_rolls_back_never_runs(queue_app, mail_server):
    user = factories.make_user(email="ana@example.org", display_name="Ana")
    huey = huey_of(queue_app)

    jobs.enqueue("send_password_reset", user.email, "rolled-back")
    db.session.rollback()
    assert huey.pending_count() == 0

    db.session.add(OutgoingMail(to=user.email, subject="S", body="B"))  # some change
    db.session.flush()
    savepoint = db.session.begin_nested()
    jobs.enqueue("send_password_reset", user.email, "savepoint")
    savepoint.rollback()
    jobs.enqueue("send_password_reset", user.email, "committed")
    assert jobs.pending_in(db.session()) == 1
    assert huey.pending_count() == 0  # nothing is queued before the commit
    db.session.commit()
    assert huey.pending_count() == 1

    consumer = jobs.start_embedded_consumer(queue_app, workers=2)
    try:
        wait_until(lambda: len(mail_server.messages) >= 2, 30, "the committed job's e-mail")
        wait_until(lambda: huey.pending_count() == 0, 10, "an empty queue")
    finally:
        consumer.stop(graceful=True)
    keys = queued_keys()
    assert "password-reset:committed" in keys
    assert not any(k in keys for k in ("password-reset:rolled-back", "password-reset:savepoint"))
    assert len(db.session.scalars(select(PasswordResetToken)).all()) == 1
    subjects = sorted(m["Subject"] for m in mail_server.messages)
    assert subjects == ["Reset your Playbook password", "S"]


def test_a_session_closed_without_commit_drops_its_jobs(queue_app):
    jobs.enqueue("deliver_due_mail")
    db.session.close()
    db.session.commit()
    assert huey_of(queue_app).pending_count() == 0


def test_an_unknown_job_name_fails_where_it_is_enqueued(app):
    with pytest.raises(LookupError):
        jobs.enqueue("deliver_mesage", 1)


# --- exactly once ---------------------------------------------------------------------


def test_two_workers_never_both_send_a_message(queue_app, mail_server, member_of_queue):
    message_id = queue_one_message(member_of_queue)
    mail_server.stall()
    outcomes = {}

    def deliver(name):
        with queue_app.app_context():
            outcomes[name] = mail.deliver_message(message_id)

    first = threading.Thread(target=deliver, args=("first",))
    first.start()
    try:
        assert mail_server.stalled.wait(10), "the first worker never reached the server"
        deliver("second")  # while the first is still sending
        assert outcomes["second"] is None
    finally:
        mail_server.release()
        first.join(20)
    assert outcomes["first"] is False  # the stalled server refused it: retried later
    db.session.expire_all()
    message = db.session.get(OutgoingMail, message_id)
    assert message.attempts == 1 and message.sent_at is None

    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert mail.deliver_message(message_id) is True
    assert mail.deliver_message(message_id) is None
    assert mail.deliver_due() == (0, 0)
    assert len(mail_server.messages) == 1


@pytest.fixture
def member_of_queue(queue_app):
    return factories.make_user(email="maria@example.org", display_name="Maria Member")


def worker_env(app, server: SMTPServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PLAYBOOK_"))}
    env.update(
        PLAYBOOK_CONFIG="development",
        FLASK_APP="run:app",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="a-secret-key-for-the-worker-under-test",
        PLAYBOOK_QUEUE_URL=app.config["PLAYBOOK_QUEUE_URL"],
        PLAYBOOK_QUEUE_NAME=app.config["PLAYBOOK_QUEUE_NAME"],
        PLAYBOOK_MAIL_SERVER="127.0.0.1",
        PLAYBOOK_MAIL_PORT=str(server.port),
        PLAYBOOK_MAIL_CLAIM_SECONDS=str(CLAIM_SECONDS),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def start_worker(env, log_path: Path) -> subprocess.Popen:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "worker", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        process.wait(40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def test_a_worker_killed_while_sending_is_followed_by_exactly_one_message(
    queue_app, mail_server, member_of_queue, tmp_path
):
    message_id = queue_one_message(member_of_queue, key="test:killed")
    env = worker_env(queue_app, mail_server)
    log_path = tmp_path / "worker.log"
    mail_server.stall()

    first = start_worker(env, log_path)
    try:
        if not mail_server.stalled.wait(60):
            pytest.fail("the first worker never reached the mail server:\n" + log_path.read_text())
        stop(first, signal.SIGKILL)  # mid-send: the server has not answered yet
    finally:
        stop(first, signal.SIGKILL)
    mail_server.release()
    assert mail_server.messages == []
    db.session.expire_all()
    claimed = db.session.get(OutgoingMail, message_id)
    assert claimed.attempts == 1 and claimed.sent_at is None
    # The dead worker's claim runs out; then the message is due again.
    wait_until(lambda: utcnow() > claimed.next_attempt_at, CLAIM_SECONDS + 5, "the claim to end")

    second = start_worker(env, log_path)
    try:
        wait_until(lambda: len(mail_server.messages) >= 1, 60, "the second worker's delivery")

        def sent() -> bool:
            db.session.expire_all()
            return db.session.get(OutgoingMail, message_id).sent_at is not None

        wait_until(sent, 20, "the message to be marked sent")
        time.sleep(1.5)  # room for a duplicate to show up, if there were one
        assert second.poll() is None, log_path.read_text()
    finally:
        stop(second)
    assert second.returncode == 0, log_path.read_text()

    [message] = mail_server.messages
    assert message["To"] == member_of_queue.email and "Hello." in message.get_content()
    assert message["Message-ID"] == mail.message_id_for(
        "test:killed", queue_app.config["PLAYBOOK_MAIL_SENDER"]
    )
    delivered = db.session.get(OutgoingMail, message_id)
    assert delivered.attempts == 2
    assert mail.deliver_due() == (0, 0)
    assert len(mail_server.messages) == 1


def test_a_queue_that_is_down_fails_no_request_and_loses_no_message(tmp_path, caplog):
    from tests.fixtures_mail import free_port
    from tests.helpers import post_form

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
            "PLAYBOOK_QUEUE_IMMEDIATE": False,
            "PLAYBOOK_QUEUE_URL": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens
        }
    )
    server = SMTPServer()
    app.config.update(PLAYBOOK_MAIL_SERVER="127.0.0.1", PLAYBOOK_MAIL_PORT=server.port)
    with app.app_context():
        db.drop_all()
        db.create_all()
        try:
            user = factories.make_user(email="ana@example.org")
            with caplog.at_level(logging.ERROR, logger="playbook.jobs"):
                post_form(app.test_client(), "/auth/reset", {"email": user.email}, 302)
                message_id = queue_one_message(user, key="test:queue-down")
            logged = [r.getMessage() for r in caplog.records]
            assert any("Could not enqueue job send_password_reset" in m for m in logged)
            assert any("Could not enqueue job deliver_message" in m for m in logged)
            # The message waits in its table; the next sweep sends it.
            assert mail.deliver_due() == (1, 0)
            assert [m["To"] for m in server.messages] == [user.email]
            assert db.session.get(OutgoingMail, message_id).sent_at is not None
        finally:
            server.stop()
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
