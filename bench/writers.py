"""Concurrent writers on PostgreSQL: commits per second, and who waits on whom.

    .venv/bin/python bench/writers.py postgresql://postgres@127.0.0.1:5432/pb_writers_bench

The database is emptied and rebuilt (drop_all, create_all, the starter library) for
each run: give it a scratch database. Each writer is a thread with its own session
and connection and its own member and public playbook (with 8 library plays); it
commits edits through the playbook services for --seconds (adding a note, and every fourth time renaming the
playbook), so writers never touch the same playbook and any waiting among them comes
from what all of them write. A sampler reads pg_stat_activity every 10 ms and counts
the writers waiting on a lock (a row lock shows as "transactionid" or "tuple").

Two runs: "cache on" (what the app does, recording what each commit retires) and
"cache off" (PLAYBOOK_PAGE_CACHE_BYTES=0 and the page cache's write tracking
removed: what the same writes cost without it). It runs against any checkout of the
app (the script finds playbook/ next to its own folder), so the numbers of two
versions can be put side by side."""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from playbook import create_app, pagecache  # noqa: E402
from playbook.auth import services as auth_services  # noqa: E402
from playbook.extensions import db  # noqa: E402
from playbook.library.seed import seed_library  # noqa: E402
from playbook.models import Play, Scope, User  # noqa: E402
from playbook.playbooks import services, sharing  # noqa: E402

PASSWORD = "bench writer passphrase 2026"
PLAYS_EACH = 8  # library plays in each writer's playbook, as a team's playbook has


def _app(url: str, writers: int, cache: bool):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://" + url.split("://", 1)[1],
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": writers + 2, "max_overflow": 0},
            "PLAYBOOK_PAGE_CACHE_BYTES": 32 * 1024 * 1024 if cache else 0,
        }
    )


def _stop_tracking(engine) -> None:
    """Take the page cache's write tracking off, whichever version of it is here."""
    listeners = [
        (engine, name, getattr(pagecache, fn))
        for name, fn in (
            ("begin", "_forget_writes"),  # before scopes: a cursor hook and a commit hook
            ("after_cursor_execute", "_after_cursor_execute"),
            ("commit", "_on_commit"),
            ("rollback", "_forget_writes"),
        )
        if hasattr(pagecache, fn)
    ] + [
        (Session, name, getattr(pagecache, fn))
        for name, fn in (
            ("before_flush", "_before_flush"),
            ("after_flush", "_after_flush"),
            ("do_orm_execute", "_on_execute"),
            ("before_commit", "_before_commit"),
            ("after_transaction_end", "_forget"),
        )
        if hasattr(pagecache, fn)
    ]
    for target, name, fn in listeners:
        if event.contains(target, name, fn):
            event.remove(target, name, fn)


def _prepare(app, writers: int) -> list[tuple[int, int]]:
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_library()
        plays = list(db.session.scalars(select(Play.id).order_by(Play.id)))
        people = []
        for n in range(writers):
            user = auth_services.register_user(
                f"writer{n}@example.org", f"Writer {n}", PASSWORD, open_session=False
            )
            db.session.commit()
            playbook = services.create_playbook(
                user, title=f"Writer {n}'s playbook", scope=Scope.SCHOOL.value
            )
            for play_id in plays[n % len(plays) :][:PLAYS_EACH]:
                playbook = services.load_playbook_for_change(playbook.id)
                services.add_item(user, playbook, playbook.sections[0], kind="play", ref_id=play_id)
            sharing.set_visibility(user, services.load_playbook_for_change(playbook.id), "public")
            people.append((user.id, playbook.id))
        return people


def _write(app, user_id: int, playbook_id: int, until: float, counts: list) -> None:
    commits = errors = 0
    latencies = []
    with app.app_context():
        user = db.session.get(User, user_id)
        n = 0
        while time.monotonic() < until:
            n += 1
            started = time.monotonic()
            try:
                playbook = services.load_playbook_for_change(playbook_id)
                if n % 4:
                    section = playbook.sections[n % len(playbook.sections)]
                    services.add_item(user, playbook, section, kind="note", title=f"Note {n}")
                else:
                    services.update_playbook(
                        user,
                        playbook,
                        base_version=playbook.version,
                        title=f"Writer {user_id}'s playbook, take {n}",
                        scope=playbook.scope.value,
                        organization=playbook.organization,
                        vision=playbook.vision,
                        framework_id=playbook.framework_id,
                    )
                commits += 1
                latencies.append(time.monotonic() - started)
            except Exception:
                db.session.rollback()
                errors += 1
            db.session.expire_all()
        db.session.remove()
    counts.append((commits, errors, latencies))


def _sample(url: str, stop: threading.Event, samples: list) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        while not stop.is_set():
            rows = connection.execute(
                "SELECT wait_event, count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid() GROUP BY wait_event"
            ).fetchall()
            samples.append(dict(rows))
            time.sleep(0.01)


def run(url: str, writers: int, seconds: float, cache: bool) -> dict:
    app = _app(url, writers, cache)
    people = _prepare(app, writers)
    if not cache:
        with app.app_context():
            _stop_tracking(db.engine)
    counts: list = []
    samples: list = []
    stop = threading.Event()
    sampler = threading.Thread(target=_sample, args=(url, stop, samples))
    sampler.start()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_write, args=(app, user_id, playbook_id, until, counts))
        for user_id, playbook_id in people
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    commits = sum(c for c, _, _ in counts)
    latencies = sorted(x for _, _, lat in counts for x in lat)
    by_event: collections.Counter = collections.Counter()
    for sample in samples:
        by_event.update(sample)
    waiting = [sum(sample.values()) for sample in samples]
    return {
        "cache": "on" if cache else "off",
        "commits": commits,
        "errors": sum(e for _, e, _ in counts),
        "per_second": commits / elapsed,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0,
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0,
        "samples": len(samples),
        "samples_with_a_wait": sum(1 for w in waiting if w),
        "mean_waiting": statistics.mean(waiting) if waiting else 0,
        "by_event": dict(by_event),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="a scratch PostgreSQL database (it is emptied)")
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--only", choices=["on", "off"], help="run one of the two only")
    args = parser.parse_args()
    results = [
        run(args.url, args.writers, args.seconds, cache)
        for cache in (True, False)
        if args.only is None or args.only == ("on" if cache else "off")
    ]
    print(f"{args.writers} writers, {args.seconds:g} s each run, code at {ROOT}")
    print(
        f"{'cache':6} {'commits':>8} {'errors':>6} {'per s':>8} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'waits':>7} {'waiting':>8}  lock waits by event (samples x waiters)"
    )
    for r in results:
        share = r["samples_with_a_wait"] / r["samples"] if r["samples"] else 0
        print(
            f"{r['cache']:6} {r['commits']:8d} {r['errors']:6d} {r['per_second']:8.1f} "
            f"{r['p50_ms']:7.1f} {r['p95_ms']:7.1f} {share:7.0%} {r['mean_waiting']:8.2f}  "
            f"{r['by_event'] or '-'}"
        )


if __name__ == "__main__":
    main()
