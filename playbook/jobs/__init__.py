"""Background jobs, on a Huey queue.

Every job and every schedule is in playbook/tasks.py. A service asks for a job
with enqueue("name", *args): the job is queued when the service's transaction
commits, and dropped if it rolls back, so a job never sees (or acts on) a change
that did not happen. Jobs run inside an app context; one enqueued during a request
also gets that request's host, so the links it writes point where the person was.

Where jobs wait (PLAYBOOK_QUEUE_URL):
- unset: a SQLite file in the instance folder (`python run.py`, one machine);
- redis://host:6379/0: Redis (production);
- sqlite:////absolute/path.sqlite: another SQLite file.

Who runs them: `python run.py` starts a consumer (threads) in its own process;
production runs `flask worker` beside gunicorn. Creating the app never starts one,
so gunicorn workers only enqueue.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_request_context, request
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from redis import ConnectionPool
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction

from playbook.extensions import db
from playbook.urls import site_base_url

__all__ = ["crontab", "enqueue", "job", "periodic"]

EXTENSION = "playbook.jobs"
_PENDING = "playbook.jobs.pending"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[..., Any]
    schedule: crontab | None = None
    retries: int = 0
    retry_delay: int = 0


_JOBS: dict[str, Job] = {}
JobFunc = Callable[..., Any]


def job(*, retries: int = 0, retry_delay: int = 0) -> Callable[[JobFunc], JobFunc]:
    """Make a function a job that services can enqueue by its name. `retries` are for
    errors worth another try (the database was briefly away); the function stays an
    ordinary function that can also be called directly."""

    def register(func: JobFunc) -> JobFunc:
        _JOBS[func.__name__] = Job(func.__name__, func, retries=retries, retry_delay=retry_delay)
        return func

    return register


def periodic(schedule: crontab) -> Callable[[JobFunc], JobFunc]:
    """Make a function a job that the consumer runs on `schedule` (a huey crontab, in UTC)."""

    def register(func: JobFunc) -> JobFunc:
        _JOBS[func.__name__] = Job(func.__name__, func, schedule=schedule)
        return func

    return register


# --- the queue, from the configuration ----------------------------------------------


def init_app(app: Flask) -> None:
    """Build this app's Huey from its configuration and register every job on it (the
    jobs are defined in playbook.tasks, which the factory imports first: they call the
    features' services, so the queue itself must not import them)."""
    huey = build_huey(app)
    tasks_by_name = {}
    for registered in _JOBS.values():
        tasks_by_name[registered.name] = _bind(huey, app, registered)
    app.extensions[EXTENSION] = Queue(huey, tasks_by_name)


@dataclass
class Queue:
    huey: Huey
    tasks: dict[str, Any]


def build_huey(app: Flask) -> Huey:
    config = app.config
    name = config.get("PLAYBOOK_QUEUE_NAME") or _name_for(config["SQLALCHEMY_DATABASE_URI"])
    options: dict[str, Any] = {"results": False, "utc": True}
    if config.get("PLAYBOOK_QUEUE_IMMEDIATE"):
        return Huey(name, immediate=True, **options)
    url = config.get("PLAYBOOK_QUEUE_URL") or ""
    if not url:
        return SqliteHuey(name, filename=os.path.join(app.instance_path, "jobs.sqlite"), **options)
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Bounded waits: a Redis that does not answer must not hold a request up
        # (the message waits in outgoing_mail for the next sweep). A worker's
        # blocking read waits 1 second, well within the socket timeout.
        pool = ConnectionPool.from_url(url, socket_connect_timeout=5, socket_timeout=10)
        return RedisHuey(name, connection_pool=pool, **options)
    if url.startswith("sqlite:///"):
        return SqliteHuey(name, filename=url[len("sqlite:///") :], **options)
    raise RuntimeError(
        "PLAYBOOK_QUEUE_URL must start with redis://, rediss://, unix:// or sqlite:///"
    )


def _name_for(database_url: str) -> str:
    """A queue name of this database (its address without the password), so two
    databases that share a queue file or a Redis never run each other's jobs."""
    url = make_url(database_url)
    where = f"{url.get_backend_name()}:{url.username}@{url.host}:{url.port}/{url.database}"
    digest = hashlib.sha256(where.encode()).hexdigest()
    return f"playbook-{digest[:12]}"


def _bind(huey: Huey, app: Flask, registered: Job) -> Any:
    def run(base_url: str | None = None, args: tuple[Any, ...] = ()) -> None:
        with _job_context(app, base_url):
            registered.func(*args)

    run.__name__ = run.__qualname__ = registered.name
    if registered.schedule is not None:
        return huey.periodic_task(registered.schedule, name=registered.name)(run)
    return huey.task(
        name=registered.name, retries=registered.retries, retry_delay=registered.retry_delay
    )(run)


@contextmanager
def _job_context(app: Flask, base_url: str | None) -> Iterator[None]:
    """A fresh app context, and so a database session of the job's own (also when the
    job runs at once, inside the commit that enqueued it); with the enqueuing
    request's address (for a periodic job, the site's configured one), a request
    context too, for url_for(_external=True)."""
    base_url = base_url or site_base_url(app.config)
    with app.app_context():
        if base_url:
            with app.test_request_context("/", base_url=base_url):
                yield
        else:
            yield


def queue_of(app: Flask | None = None) -> Queue:
    queue: Queue = (app or current_app).extensions[EXTENSION]
    return queue


# --- enqueue on commit --------------------------------------------------------------


@dataclass
class _Pending:
    task: Any
    args: tuple[Any, ...]
    base_url: str | None
    transaction: SessionTransaction


def enqueue(name: str, *args: Any) -> None:
    """Run job `name` with `args` (plain values: ids, strings) once the current
    database transaction commits. If it rolls back, the job is dropped."""
    queue = queue_of()
    if name not in queue.tasks:
        raise LookupError(f"No job is called {name!r}")
    session = db.session()
    # Begin the transaction now if none is open, so that closing the session without
    # a commit drops the job too.
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    base_url = request.url_root if has_request_context() else None
    session.info.setdefault(_PENDING, []).append(
        _Pending(queue.tasks[name], args, base_url, transaction)
    )


def pending_in(session: Session) -> int:
    """How many jobs wait for this session's commit (for tests and logging)."""
    return len(session.info.get(_PENDING, ()))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the jobs wait for the real commit
    for pending in session.info.pop(_PENDING, ()):
        try:
            pending.task(base_url=pending.base_url, args=pending.args)
        except Exception:
            # The change is committed; the periodic sweeps find what it left undone
            # (a message that waits in outgoing_mail is delivered by the next one).
            log.exception("Could not enqueue job %s%r", pending.task.name, pending.args)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    if _PENDING not in session.info:
        return
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
        return
    session.info[_PENDING] = [
        pending
        for pending in session.info[_PENDING]
        if not _within(pending.transaction, previous_transaction)
    ]


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # A session closed without committing: what it enqueued never happened.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


# --- consumers ----------------------------------------------------------------------


class _EmbeddedConsumer(Consumer):
    """A consumer that shares its process with the web server: it leaves the signal
    handlers (Ctrl+C) to the server."""

    def _set_signal_handlers(self) -> None:
        pass


def consumer_options(workers: int, periodic: bool = True) -> dict[str, Any]:
    # Threads: jobs wait on SMTP and the database, not on the CPU. An idle worker
    # looks for new jobs at least every 2 seconds (Redis hands them over at once).
    return {
        "workers": workers,
        "worker_type": "thread",
        "periodic": periodic,
        "initial_delay": 0.1,
        "backoff": 1.15,
        "max_delay": 2.0,
        "shutdown_timeout": 30,
    }


def start_embedded_consumer(app: Flask, workers: int | None = None) -> Consumer:
    """Start a consumer in this process's threads and return it (call stop() at exit)."""
    queue = queue_of(app)
    consumer = _EmbeddedConsumer(
        queue.huey, **consumer_options(workers or app.config["PLAYBOOK_QUEUE_WORKERS"])
    )
    consumer.start()
    return consumer


def run_consumer(app: Flask, workers: int, periodic: bool = True) -> None:
    """Run a consumer in the foreground. SIGTERM (what service managers send) lets
    running jobs finish first, for up to 30 seconds; SIGINT stops at once."""
    queue = queue_of(app)
    Consumer(queue.huey, graceful_signal="TERM", **consumer_options(workers, periodic)).run()
