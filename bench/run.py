"""The benchmark: the hot pages of a district-scale Playbook under load.

    .venv/bin/python bench/run.py                 # SQLite, full scale
    .venv/bin/python bench/run.py --postgres postgresql://postgres@127.0.0.1:5432/pb_bench

It builds a database with `flask setup` and `flask generate-data` (the SQLite file
is cached under bench/results/cache/ and copied for each run), creates a moderator
and a member with `flask create-user`, counts SQL statements per page in-process
(bench/statements.py), serves the app with gunicorn (2 sync workers) on 127.0.0.1
and drives it with wrk at 16 connections. Each page runs in several short rounds,
alternating with an in-memory page of the same size (PLAYBOOK_BENCH_ROUTES=1), so
the result reads as a ratio that holds on a noisy machine. It prints a table and
writes bench/results/<timestamp>.json. See the README's "Benchmark" section."""

from __future__ import annotations

import argparse
import hashlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results"
CACHE = RESULTS / "cache"
LUA = ROOT / "bench" / "report.lua"
SEARCH_TERMS = [
    "student voice",
    "rubric",
    "family engagement",
    "goal setting",
    "math fluency",
    "portfolios",
]
PEOPLE = {
    "moderator": {
        "email": "bench-moderator@example.org",
        "name": "Bench Moderator",
        "role": "moderator",
        "password": "bench moderator passphrase 2026",
    },
    "member": {
        "email": "bench-member@example.org",
        "name": "Bench Member",
        "role": "member",
        "password": "bench member passphrase 2026",
    },
    "editor": {
        "email": "bench-editor@example.org",
        "name": "Bench Editor",
        "role": "member",
        "password": "bench editor passphrase 2026",
        "team_role": "editor",  # of the Benchmark playbook
    },
}
PAGE_NAMES = (
    "in_memory",
    "playbook",
    "playbook_signed_in",
    "playbook_editor",
    "search",
    "search_uncached",
    "gallery",
    "moderation",
    "survey_results",
)
TARGETS = {
    "ratio": 0.60,  # a visitor's playbook page, against the in-memory page
    "signed_in_ratio": 0.25,  # a signed-in member's
    "editor_ratio": 0.20,  # the team's editor's, with the editing controls
    "playbook_p99_ms": 100,
    "search_p99_ms": 50,
    "moderation_p99_ms": 200,
    "survey_results_p99_ms": 100,  # a round of 5,000 responses (issue 14)
    "playbook_statements": 6,
    "worker_rss_mb": 120,
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="benchmark on this PostgreSQL database (dropped and "
        "filled again unless --reuse); SQLite otherwise",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="with --postgres: keep the data if it is there"
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="generate-data --scale (default 1: full scale)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="generate the SQLite data again")
    parser.add_argument(
        "--duration", type=float, default=30, help="seconds of load per page (default 30)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds the duration is split into (default 3)"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="wrk threads (default 1: leave the cores to gunicorn)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument(
        "--only",
        metavar="NAMES",
        help="comma-separated pages to measure (the in-memory yardstick always runs): "
        + ", ".join(PAGE_NAMES[1:]),
    )
    args = parser.parse_args()
    args.only = {n.strip() for n in args.only.split(",") if n.strip()} if args.only else None
    unknown = (args.only or set()) - set(PAGE_NAMES)
    if unknown:
        parser.error(f"unknown page(s): {', '.join(sorted(unknown))}")
    return args


# --- tools and data ------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing wrk with apt-get ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
        )
        if not shutil.which("wrk"):
            subprocess.run(
                ["apt-get", "update", "-qq"], env=env, check=False, stdout=subprocess.DEVNULL
            )
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "wrk"],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        return shutil.which("wrk")
    raise SystemExit(
        "The benchmark needs wrk (the HTTP load tool). Install it, e.g. `sudo apt-get install wrk`, "
        "and run again."
    )


def flask(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "run:app", *args],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        check=check,
    )


def base_env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLAYBOOK_", "TEST_DATABASE"))}
    env.update(
        DATABASE_URL=database_url,
        PLAYBOOK_CONFIG="production",
        PLAYBOOK_SECURE_COOKIES="0",
        PLAYBOOK_BENCH_ROUTES="1",
        PLAYBOOK_TRUSTED_HOSTS="127.0.0.1,localhost",
        SECRET_KEY=secrets.token_hex(32),
    )
    return env


def fingerprint(args) -> str:
    """What the cached data depends on: the generator, the schema and the scale."""
    digest = hashlib.sha256(f"{args.scale}:{args.seed}".encode())
    # The benchmark's in-memory page lives beside the generator but writes no data.
    sources = [*ROOT.glob("playbook/devdata/*.py"), *ROOT.glob("migrations/versions/*.py")]
    for path in sorted(p for p in sources if p.name != "benchpage.py"):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def generate(env: dict, args) -> str:
    print("Applying migrations and loading the starter library (flask setup) ...", flush=True)
    flask(env, "setup")
    print(
        f"Generating district-scale data (flask generate-data --scale {args.scale}) ...", flush=True
    )
    started = time.monotonic()
    done = flask(env, "generate-data", "--scale", str(args.scale), "--seed", str(args.seed))
    print(done.stdout.strip().splitlines()[-2], f"({time.monotonic() - started:.0f} s)", flush=True)
    return done.stdout


def sqlite_database(args, workdir: Path) -> str:
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"district-{args.scale:g}-{fingerprint(args)}.sqlite"
    if args.rebuild or not cached.exists():
        for old in CACHE.glob("district-*.sqlite*"):
            old.unlink()
        building = CACHE / "building.sqlite"
        for leftover in CACHE.glob("building.sqlite*"):
            leftover.unlink()
        generate(base_env(f"sqlite:///{building}"), args)
        with sqlite3.connect(building) as connection:
            # Fold the write-ahead log into the file, so the file alone holds all the data.
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA journal_mode=DELETE")
        connection.close()
        building.rename(cached)
    else:
        print(f"Using the cached data in {cached.relative_to(ROOT)}", flush=True)
    work = workdir / "bench.sqlite"
    with sqlite3.connect(cached) as source, sqlite3.connect(work) as target:
        source.backup(target)  # a consistent copy, whatever state the cache file's journal is in
    return f"sqlite:///{work}"


def postgres_database(args) -> str:
    from sqlalchemy import create_engine, text

    url = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
        if exists and not args.reuse:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))  # nosec B608 - name from the bench's own option
        if not exists or not args.reuse:
            connection.execute(text(f'CREATE DATABASE "{name}"'))  # nosec B608 - name from the bench's own option
    admin.dispose()
    if not (exists and args.reuse):
        generate(base_env(args.postgres), args)
    return args.postgres


def ensure_people(env: dict) -> None:
    for who, person in PEOPLE.items():
        made = flask(
            env,
            "create-user",
            person["email"],
            "--name",
            person["name"],
            "--role",
            person["role"],
            "--password",
            person["password"],
            check=False,
        )
        if made.returncode != 0 and "already exists" not in made.stderr + made.stdout:
            raise SystemExit(f"could not create the benchmark {who}:\n{made.stderr}")


def ensure_team_roles(env: dict, playbook_id: int) -> None:
    """Make the people with a `team_role` members of the Benchmark playbook, through the
    app's own models (a person signed in as the team's editor sees the editing controls)."""
    wanted = {p["email"]: p["team_role"] for p in PEOPLE.values() if p.get("team_role")}
    script = (
        "import json, sys\n"
        "from playbook import create_app\n"
        "from playbook.extensions import db\n"
        "from playbook.models import Membership, MemberRole, User\n"
        "from sqlalchemy import select\n"
        "wanted, playbook_id = json.loads(sys.argv[1]), int(sys.argv[2])\n"
        "with create_app().app_context():\n"
        "    for email, role in wanted.items():\n"
        "        user = db.session.scalar(select(User).where(User.email == email))\n"
        "        found = db.session.scalar(select(Membership).where(\n"
        "            Membership.playbook_id == playbook_id, Membership.user_id == user.id))\n"
        "        if found is None:\n"
        "            db.session.add(Membership(playbook_id=playbook_id, user_id=user.id,\n"
        "                                      role=MemberRole(role)))\n"
        "    db.session.commit()\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, json.dumps(wanted), str(playbook_id)],
        cwd=ROOT,
        env=env,
        check=True,
    )


def search_words() -> list[str]:
    """Words the generated library is written in, for searches no cache has seen."""
    sys.path.insert(0, str(ROOT))
    from playbook.devdata import text as words

    found: set[str] = set()
    for group in (words.TOPICS, words.SUBJECTS, words.NOUNS, words.ADJECTIVES, words.ARTIFACTS):
        for phrase in group:
            found.update(w for w in re.findall(r"[a-z]+", phrase.lower()) if len(w) >= 4)
    return sorted(found)


def benchmark_playbook_id(env: dict) -> int:
    from sqlalchemy import create_engine, text

    url = env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT id FROM playbook WHERE title = :t ORDER BY id LIMIT 1"),
            {"t": "Benchmark playbook"},
        ).scalar()
    engine.dispose()
    if found is None:
        raise SystemExit(
            "the database has no “Benchmark playbook”: was it made with flask generate-data?"
        )
    return found


# --- the server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env: dict, port: int, workers: int, log: Path) -> subprocess.Popen:
    handle = open(log, "w")  # noqa: SIM115 (the server writes to it until stopped)
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "run:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=handle,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(
                f"gunicorn stopped (exit {server.returncode}):\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                if response.status == 200 and len(worker_pids(server.pid)) == workers:
                    return server
        except OSError:
            pass
        time.sleep(0.3)
    stop(server)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()  # the master we started; it stops its own workers
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def worker_pids(master: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def memory_mb(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    value = lambda key: int(re.search(rf"^{key}:\s+(\d+) kB", status, re.M).group(1)) / 1024  # noqa: E731
    return {"pid": pid, "rss_mb": round(value("VmRSS"), 1), "peak_rss_mb": round(value("VmHWM"), 1)}


def sign_in(base: str, person: dict) -> str:
    """Sign `person` in through the form, as a browser does; the Cookie header to send."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/auth/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrf_token": token, "email": person["email"], "password": person["password"]}
    ).encode()
    opener.open(f"{base}/auth/login", data=form, timeout=30).read()
    if person["name"] not in opener.open(f"{base}/", timeout=10).read().decode():
        raise SystemExit(f"{person['name']} could not sign in over HTTP")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def status_of(url: str, cookie: str) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# --- load -----------------------------------------------------------------------------


def run_wrk(wrk: str, base: str, page: dict, seconds: float, args) -> dict:
    env = {
        **os.environ,
        "BENCH_PATHS": "|".join(page["paths"]),
        "BENCH_COOKIE": page.get("cookie", ""),
    }
    if page.get("words"):
        # A new pair of words for every request: each run starts where the last one
        # stopped, so no request of the whole benchmark repeats an earlier search.
        env["BENCH_WORDS"] = "|".join(page["words"])
        env["BENCH_OFFSET"] = str(page.setdefault("offset", secrets.randbelow(1000)))
        page["offset"] += round(seconds * 500)  # more than a run of this page can send
    done = subprocess.run(
        [
            wrk,
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            base + page["paths"][0],
        ],
        env=env,
        text=True,
        capture_output=True,
        check=True,
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON "))
    settle(base)
    return json.loads(line[len("BENCH_JSON ") :])


def settle(base: str, limit: float = 120) -> None:
    """Requests wrk left behind when it closed its connections are still in the
    workers' queue: wait until a small page answers at once before measuring on."""
    deadline, quick = time.monotonic() + limit, 0
    while quick < 3 and time.monotonic() < deadline:
        started = time.monotonic()
        status_of(f"{base}/_bench/page?bytes=2000", "")
        quick = quick + 1 if time.monotonic() - started < 0.05 else 0
        time.sleep(0.1)


def combine(rounds: list[dict]) -> dict:
    """Requests per second over all rounds; the median round's p50 and the worst
    round's p95 and p99 (percentiles of separate runs cannot be merged exactly)."""
    requests = sum(r["requests"] for r in rounds)
    seconds = sum(r["duration_us"] for r in rounds) / 1e6
    errors = {key: sum(r["errors"][key] for r in rounds) for key in rounds[0]["errors"]}
    return {
        "requests": requests,
        "seconds": round(seconds, 1),
        "rps": round(requests / seconds, 1),
        "p50_ms": round(statistics.median(r["p50_us"] for r in rounds) / 1000, 1),
        "p95_ms": round(max(r["p95_us"] for r in rounds) / 1000, 1),
        "p99_ms": round(max(r["p99_us"] for r in rounds) / 1000, 1),
        "errors": errors,
        "rounds": rounds,
    }


def benchmark_round_id(env: dict) -> int | None:
    """The generated survey round of 5,000 responses (playbook/devdata/surveys.py)."""
    from sqlalchemy import create_engine, text

    url = env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT id FROM survey_round WHERE title = :t ORDER BY id LIMIT 1"),
            {"t": "Benchmark survey round"},
        ).scalar()
    engine.dispose()
    return found


def pages_for(
    playbook_id: int, cookies: dict[str, str], only: set[str] | None, round_id: int | None = None
) -> list[dict]:
    search = [f"/library/search?{urllib.parse.urlencode({'q': term})}" for term in SEARCH_TERMS]
    words = search_words()
    fresh = [
        f"/library/search?{urllib.parse.urlencode({'q': f'{a} {b}'})}"
        for a, b in zip(words[:6], words[-6:], strict=True)
    ]
    pages = [
        {
            "name": "playbook",
            "label": "Playbook page (50 items, 100 comments), visitor",
            "paths": [f"/playbooks/{playbook_id}"],
        },
        {
            "name": "playbook_signed_in",
            "label": "The same page, a signed-in member",
            "paths": [f"/playbooks/{playbook_id}"],
            "cookie": cookies.get("member", ""),
            "as": "member",
        },
        {
            "name": "playbook_editor",
            "label": "The same page, the team's editor",
            "paths": [f"/playbooks/{playbook_id}"],
            "cookie": cookies.get("editor", ""),
            "as": "editor",
        },
        {
            "name": "search",
            "label": f"Library search ({len(SEARCH_TERMS)} terms), visitor",
            "paths": search,
        },
        {
            "name": "search_uncached",
            "label": "Library search, new words every request, visitor",
            "paths": fresh,  # counted in-process; wrk makes up a new pair each request
            "words": words,
        },
        {"name": "gallery", "label": "Gallery, visitor", "paths": ["/gallery/"]},
        {
            "name": "moderation",
            "label": "Moderation queue (pending), moderator",
            "paths": ["/moderation/?tab=pending"],
            "cookie": cookies.get("moderator", ""),
            "as": "moderator",
        },
        {
            "name": "survey_results",
            "label": "Survey round results (5,000 responses), the team's editor",
            "paths": [f"/results/{round_id}"],
            "cookie": cookies.get("editor", ""),
            "as": "editor",
        },
    ]
    return [page for page in pages if only is None or page["name"] in only]


# --- report ---------------------------------------------------------------------------


def check_targets(pages: dict, workers: list[dict]) -> list[dict]:
    checks = []

    def check(name, value, target, ok, unit=""):
        checks.append(
            {"target": name, "value": value, "limit": target, "met": bool(ok), "unit": unit}
        )

    playbook, memory = pages.get("playbook"), pages.get("in_memory")
    if playbook and memory:
        ratio = playbook["rps"] / memory["rps"] if memory["rps"] else 0.0
        check(
            "playbook page req/s vs the in-memory page",
            round(ratio, 3),
            TARGETS["ratio"],
            ratio >= TARGETS["ratio"],
        )
        check(
            "playbook page p99",
            playbook["p99_ms"],
            TARGETS["playbook_p99_ms"],
            playbook["p99_ms"] <= TARGETS["playbook_p99_ms"],
            "ms",
        )
        check(
            "playbook page SQL statements",
            playbook["statements"],
            TARGETS["playbook_statements"],
            playbook["statements"] <= TARGETS["playbook_statements"],
        )
    for name, label, ratio_target in (
        ("playbook_signed_in", "signed-in member's", TARGETS["signed_in_ratio"]),
        ("playbook_editor", "editor's", TARGETS["editor_ratio"]),
    ):
        page = pages.get(name)
        if not (page and memory):
            continue
        ratio = page["rps"] / memory["rps"] if memory["rps"] else 0.0
        check(
            f"{label} playbook page req/s vs the in-memory page",
            round(ratio, 3),
            ratio_target,
            ratio >= ratio_target,
        )
        check(
            f"{label} playbook page p99",
            page["p99_ms"],
            TARGETS["playbook_p99_ms"],
            page["p99_ms"] <= TARGETS["playbook_p99_ms"],
            "ms",
        )
        check(
            f"{label} playbook page SQL statements",
            page["statements"],
            TARGETS["playbook_statements"],
            page["statements"] <= TARGETS["playbook_statements"],
        )
    if pages.get("moderation"):
        check(
            "moderation queue p99",
            pages["moderation"]["p99_ms"],
            TARGETS["moderation_p99_ms"],
            pages["moderation"]["p99_ms"] <= TARGETS["moderation_p99_ms"],
            "ms",
        )
    if pages.get("survey_results", {}).get("p99_ms") is not None:
        check(
            "survey results page p99 (5,000 responses)",
            pages["survey_results"]["p99_ms"],
            TARGETS["survey_results_p99_ms"],
            pages["survey_results"]["p99_ms"] <= TARGETS["survey_results_p99_ms"],
            "ms",
        )
    if pages.get("search_uncached"):
        check(
            "library search p99, new words every request",
            pages["search_uncached"]["p99_ms"],
            TARGETS["search_p99_ms"],
            pages["search_uncached"]["p99_ms"] <= TARGETS["search_p99_ms"],
            "ms",
        )
    if pages.get("search"):
        check(
            "library search p99",
            pages["search"]["p99_ms"],
            TARGETS["search_p99_ms"],
            pages["search"]["p99_ms"] <= TARGETS["search_p99_ms"],
            "ms",
        )
    for worker in workers:
        check(
            f"worker {worker['pid']} resident memory",
            worker["rss_mb"],
            TARGETS["worker_rss_mb"],
            worker["rss_mb"] <= TARGETS["worker_rss_mb"],
            "MB",
        )
    return checks


def _sql(page: dict) -> str:
    """Statements to render the page, and to serve it when that differs (a visitor's page cache)."""
    rendered, served = page["statements"], page.get("statements_served", page["statements"])
    return str(rendered) if served == rendered else f"{rendered}/{served}"


def print_table(report: dict) -> None:
    print(
        f"\n{report['database']} · {report['settings']['workers']} gunicorn sync workers · "
        f"{report['settings']['connections']} connections · {report['settings']['duration']} s per page "
        f"in {report['settings']['rounds']} rounds · {report['machine']['cpus']} CPUs"
    )
    print(
        f"{'page':<52} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'SQL':>7} {'KB':>6} {'errors':>6}"
    )
    for page in report["pages"].values():
        if "skipped" in page:
            print(f"{page['label']:<52} skipped: {page['skipped']}")
            continue
        errors = sum(page["errors"].values())
        print(
            f"{page['label']:<52} {page['rps']:>8.1f} {page['p50_ms']:>7.1f} {page['p95_ms']:>7.1f} "
            f"{page['p99_ms']:>7.1f} {_sql(page):>7} {page['bytes'] / 1024:>6.1f} {errors:>6}"
        )
    print(
        "SQL: statements per request; a/b: a to render the page, b to serve it from the page cache"
    )
    print(
        "workers: "
        + ", ".join(
            f"pid {w['pid']} {w['rss_mb']} MB (peak {w['peak_rss_mb']} MB)"
            for w in report["workers"]
        )
    )
    for item in report["targets"]:
        mark = "met   " if item["met"] else "MISSED"
        print(
            f"  {mark} {item['target']}: {item['value']}{item['unit']} (limit {item['limit']}{item['unit']})"
        )
    print(f"\nWritten to {report['file']}")
    if report.get("server_log"):
        print(f"Some requests failed: the server's log is in {report['server_log']}")


def main() -> None:
    args = parse_args()
    wrk = ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="playbook-bench-"))
    try:
        database_url = postgres_database(args) if args.postgres else sqlite_database(args, workdir)
        env = base_env(database_url)
        ensure_people(env)
        playbook_id = benchmark_playbook_id(env)
        ensure_team_roles(env, playbook_id)
        report = measure(wrk, env, playbook_id, args, workdir)
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
        report["file"] = str(path.relative_to(ROOT))
        if any(sum(page["errors"].values()) for page in report["pages"].values()):
            # a request that failed: keep what the server said about it
            server_log = path.with_suffix(".gunicorn.log")
            shutil.copyfile(workdir / "gunicorn.log", server_log)
            report["server_log"] = str(server_log.relative_to(ROOT))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)


def measure(wrk: str, env: dict, playbook_id: int, args, workdir: Path) -> dict:
    round_id = benchmark_round_id(env)
    pages = pages_for(playbook_id, {}, args.only, round_id)
    counted = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "statements.py"),
            json.dumps(
                {
                    "pages": [
                        {"name": p["name"], "paths": p["paths"], "as": p.get("as", "visitor")}
                        for p in pages
                    ],
                    "people": PEOPLE,
                }
            ),
        ],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        check=True,
    )
    statements = json.loads(
        next(line for line in counted.stdout.splitlines() if line.startswith("BENCH_STATEMENTS "))[
            len("BENCH_STATEMENTS ") :
        ]
    )
    size = statements.get("playbook", statements.get("playbook_signed_in", {})).get("bytes", 56_000)
    yardstick = {
        "name": "in_memory",
        "label": f"In-memory page of the same size ({size / 1024:.0f} KB)",
        "paths": [f"/_bench/page?bytes={size}"],
    }
    statements["in_memory"] = {
        "statements": 0,
        "statements_served": 0,
        "bytes": size,
        "status": 200,
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(env, port, args.workers, workdir / "gunicorn.log")
    results: dict[str, dict] = {}
    try:
        cookies = {who: sign_in(base, person) for who, person in PEOPLE.items()}
        pages = [yardstick] + pages_for(playbook_id, cookies, args.only, round_id)
        live = []
        for page in pages:
            code = status_of(base + page["paths"][0], page.get("cookie", ""))
            if code != 200:
                results[page["name"]] = {
                    "label": page["label"],
                    "skipped": f"{page['paths'][0]} answered {code}",
                }
                continue
            live.append(page)
            run_wrk(wrk, base, page, 2, args)  # warm-up, not counted
        rounds: dict[str, list[dict]] = {page["name"]: [] for page in live}
        for round_number in range(args.rounds):
            for page in live:
                print(f"round {round_number + 1}/{args.rounds}: {page['label']}", flush=True)
                rounds[page["name"]].append(
                    run_wrk(wrk, base, page, args.duration / args.rounds, args)
                )
        for page in live:
            counts = statements.get(page["name"], {})
            results[page["name"]] = {
                "label": page["label"],
                "paths": page["paths"],
                **combine(rounds[page["name"]]),
                "statements": counts.get("statements"),
                "bytes": counts.get("bytes", 0),
                "statements_each": counts.get("statements_each"),
                "statements_served": counts.get("statements_served", counts.get("statements")),
            }
        workers = [memory_mb(pid) for pid in worker_pids(server.pid)]
    finally:
        stop(server)
    ordered = {name: results[name] for name in PAGE_NAMES if name in results}
    import sqlalchemy

    return {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "PostgreSQL"
        if "postgresql" in env["DATABASE_URL"]
        else f"SQLite {sqlite3.sqlite_version}",
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "sqlalchemy": sqlalchemy.__version__,
            "load": os.getloadavg(),
        },
        "settings": {
            "scale": args.scale,
            "seed": args.seed,
            "workers": args.workers,
            "connections": args.connections,
            "wrk_threads": args.threads,
            "duration": args.duration,
            "rounds": args.rounds,
            "only": sorted(args.only) if args.only else None,
        },
        "benchmark_playbook_id": playbook_id,
        "pages": ordered,
        "workers": workers,
        "targets": check_targets(ordered, workers),
    }


if __name__ == "__main__":
    main()
