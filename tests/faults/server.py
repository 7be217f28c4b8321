"""A real server for fault and load tests: gunicorn from this virtualenv on a free
port of 127.0.0.1, over a database of its own (a temporary SQLite file, or a fresh
PostgreSQL database when TEST_DATABASE_URL is set), prepared with `flask setup`.

The test process reaches the same database directly (`server.app_context()`), to
make test data with the app's own services and to check what the requests left."""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.helpers import server_log_excerpt

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 30
COMMAND_SECONDS = 60
STOP_SECONDS = 10


def on_postgres() -> bool:
    return bool(os.environ.get("TEST_DATABASE_URL"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _driver_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass
class Database:
    """The server's database. `url` is how the test reaches it directly; a test may
    hand the server another address for it (a proxy in between)."""

    url: str
    path: Path | None = None  # the SQLite file
    name: str | None = None  # the PostgreSQL database

    @property
    def is_sqlite(self) -> bool:
        return self.path is not None

    @classmethod
    def create(cls, workdir: Path) -> Database:
        if not on_postgres():
            path = workdir / "server.sqlite"
            return cls(url=f"sqlite:///{path}", path=path)
        admin_url = os.environ["TEST_DATABASE_URL"]
        name = f"pb_faults_{uuid.uuid4().hex[:12]}"
        _admin_sql(admin_url, f'CREATE DATABASE "{name}"')
        url = make_url(_driver_url(admin_url)).set(database=name)
        return cls(url=url.render_as_string(hide_password=False), name=name)

    def drop(self) -> None:
        if self.name:
            _admin_sql(
                os.environ["TEST_DATABASE_URL"],
                f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
            )


def _admin_sql(admin_url: str, sql: str) -> None:
    import psycopg

    with closing(
        psycopg.connect(
            admin_url.replace("postgresql+psycopg://", "postgresql://"),
            autocommit=True,
            connect_timeout=10,
        )
    ) as connection:
        connection.execute(sql)


def _queue_file(database_url: str) -> Path:
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"playbook-faults-jobs-{digest}.sqlite"


def server_env(database_url: str, secret_key: str | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "TEST_DATABASE_URL" and not k.startswith("FLASK_")
    }
    env.update(
        {
            "PLAYBOOK_CONFIG": "development",
            "DATABASE_URL": database_url,
            # Jobs wait in a file of this database's own, not in the checkout's instance
            # folder (the server and the flask commands for one database share it).
            "PLAYBOOK_QUEUE_URL": f"sqlite:///{_queue_file(database_url)}",
            "SECRET_KEY": secret_key or secrets.token_hex(32),
            "FLASK_APP": "run:app",
            # Cheaper password hashing keeps signing in quick; the code path is the same.
            "PLAYBOOK_ARGON2_TIME_COST": "1",
            "PLAYBOOK_ARGON2_MEMORY_KIB": "8192",
            "PLAYBOOK_MAIL_SERVER": "",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def flask_command(database: Database, *args: str) -> str:
    """Run a `flask` command against the database in a subprocess; its output."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=server_env(database.url),
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
    )
    assert result.returncode == 0, (
        f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout + result.stderr


@dataclass
class LiveServer:
    """gunicorn serving run:app. `start()` returns once the site answers."""

    database: Database
    workdir: Path
    workers: int = 2
    database_url: str | None = None  # what the server is told; the database's own URL by default
    timeout: int = 30  # gunicorn's worker timeout
    # The server's key; app_context() uses it too, so keyed hashes made there (survey
    # codes) match the server's.
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    _app: object = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"gunicorn-{self.port}.log"

    def start(self) -> LiveServer:
        env = server_env(self.database_url or self.database.url, self.secret_key)
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--workers",
                    str(self.workers),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--timeout",
                    str(self.timeout),
                    "--graceful-timeout",
                    "3",
                    "--no-control-socket",
                    "run:app",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_until_up()
        return self

    def wait_until_up(self, seconds: float = START_SECONDS) -> None:
        """Until the site answers and every worker is running (after a start or a kill)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (
                f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}"
            )
            try:
                with urllib.request.urlopen(self.url + "/auth/login", timeout=5) as response:
                    if response.status == 200 and len(self.worker_pids()) == self.workers:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not answer within {seconds}s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        """The live worker processes (children of the gunicorn master)."""
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                children.append(int(entry.name))
        return sorted(children)

    def kill_worker(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)

    def log_tail(self, lines: int = 40) -> str:
        return server_log_excerpt(self.log_path, lines)

    @contextmanager
    def app_context(self):
        """The app in this process, on the server's database (directly, never through a
        proxy): for making test data with the services and for checking the outcome."""
        from playbook import create_app
        from playbook.extensions import db

        if self._app is None:
            self._app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": _driver_url(self.database.url),
                    "SECRET_KEY": self.secret_key,
                }
            )
        with self._app.app_context():
            try:
                yield
            finally:
                db.session.remove()

    def close_app(self) -> None:
        if self._app is not None:
            from playbook.extensions import db

            with self._app.app_context():
                db.engine.dispose()
            self._app = None
