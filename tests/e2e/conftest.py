"""Browser fixtures: a real gunicorn server on 127.0.0.1 over its own SQLite file,
Debian's chromium driven by Playwright, and screenshots of every open page when a
test fails (saved in tests/artifacts/)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e import pages
from tests.e2e.availability import CHROMIUM, CI_FAILURE, SKIP_LINE, action_here
from tests.fixtures_mail import SMTPServer
from tests.helpers import server_log_excerpt

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "tests" / "artifacts"
SERVER_START_SECONDS = 40
COMMAND_SECONDS = 120


@pytest.hookimpl(tryfirst=True)  # before -m selects by marker
def pytest_collection_modifyitems(config, items):
    """Every test in tests/e2e is a browser test; CI runs the suite twice (SQLite,
    then PostgreSQL) and the browser tests, which bring their own SQLite server,
    belong to the first pass only."""
    on_postgres = bool(os.environ.get("TEST_DATABASE_URL"))
    no_browser = action_here() == "skip"
    for item in items:
        if E2E_DIR not in Path(item.path).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if no_browser and not on_postgres:
            config.stash[_SKIPPED_FOR_BROWSER] = True
            item.add_marker(pytest.mark.skip(reason=SKIP_LINE))
        elif on_postgres:
            item.add_marker(
                pytest.mark.skip(
                    reason="browser tests run in the SQLite pass only (TEST_DATABASE_URL is set); "
                    "they start their own server on a temporary SQLite file"
                )
            )


_SKIPPED_FOR_BROWSER = pytest.StashKey[bool]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line at the end of the run when the browser tests were skipped for want
    of chromium, so that a fresh machine says what to install."""
    if config.stash.get(_SKIPPED_FOR_BROWSER, False):
        terminalreporter.write_line(SKIP_LINE, yellow=True)


@dataclass
class LiveServer:
    url: str
    admin_email: str
    admin_password: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        return server_log_excerpt(self.log_path, lines)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(database: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "TEST_DATABASE_URL" and not k.startswith("FLASK_")
    }
    env.update(
        {
            "PLAYBOOK_CONFIG": "development",
            "DATABASE_URL": f"sqlite:///{database}",
            "PLAYBOOK_QUEUE_URL": f"sqlite:///{database.with_name('jobs.sqlite')}",
            "SECRET_KEY": secrets.token_hex(32),
            "FLASK_APP": "run:app",
            # Cheaper password hashing keeps registering and signing in quick; the
            # algorithm (argon2id) and every code path stay the same.
            "PLAYBOOK_ARGON2_TIME_COST": "1",
            "PLAYBOOK_ARGON2_MEMORY_KIB": "8192",
            "PLAYBOOK_MAIL_SERVER": "",
            "PYTHONDONTWRITEBYTECODE": "1",
            # An open playbook page asks for news every second, not every ten, so the
            # test of the live notice waits for one short interval.
            "PLAYBOOK_LIVE_POLL_SECONDS": "1",
        }
    )
    return env


def _flask(env: dict, log, *args: str, input: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        input=input,
        text=True,
        capture_output=True,
        timeout=COMMAND_SECONDS,
    )
    log.write(
        f"$ flask {' '.join(a if not a.startswith('--password=') else '--password=…' for a in args)}\n"
        f"{result.stdout}{result.stderr}\n"
    )
    log.flush()
    if result.returncode != 0:
        pytest.fail(
            f"`flask {args[0]}` failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def _wait_until_up(url: str, process: subprocess.Popen, server_log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"gunicorn exited with {process.returncode}:\n{server_log.read_text(errors='replace')}"
            )
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(
        f"the server did not answer within {SERVER_START_SECONDS}s:\n{server_log.read_text(errors='replace')}"
    )


ADMIN_EMAIL, ADMIN_PASSWORD = (
    "ada.admin@district.example.org",
    "admin passphrase for the browser tests",
)


@contextlib.contextmanager
def _serve(workdir: Path, env: dict[str, str], port: int | None = None) -> Iterator[LiveServer]:
    """Set up a fresh database with `flask setup` (migrations and the starter library)
    and an admin made with `flask create-user`, then serve the app with gunicorn (2
    workers, as in production) on a free port of 127.0.0.1 until the block ends."""
    server_log = workdir / "server.log"
    with server_log.open("w") as log:
        _flask(env, log, "setup")
        _flask(
            env,
            log,
            "create-user",
            ADMIN_EMAIL,
            "--name",
            "Ada Admin",
            "--role",
            "admin",
            f"--password={ADMIN_PASSWORD}",
        )
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    with server_log.open("a") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--graceful-timeout",
                "5",
                "--no-control-socket",
                "run:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(url, process, server_log)
        yield LiveServer(url, ADMIN_EMAIL, ADMIN_PASSWORD, server_log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app served by gunicorn over a fresh SQLite file (see _serve), sending no
    e-mail and running no background jobs."""
    workdir = tmp_path_factory.mktemp("e2e-server")
    with _serve(workdir, _server_env(workdir / "e2e.sqlite")) as server:
        yield server


@dataclass
class MailingServer:
    """A live server whose mail goes to `smtp`, a local SMTP server; `flask(...)` runs
    a command of the app (send-reminders, deliver-mail ...) against the same database
    and settings, as an operator or the job queue would, and returns what it printed."""

    server: LiveServer
    smtp: SMTPServer
    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    def flask(self, *args: str) -> str:
        with self.server.log_path.open("a") as log:
            return _flask(self.env, log, *args)


@pytest.fixture(scope="module")
def mailing_server(tmp_path_factory):
    """A second live server, for journeys that need e-mail: its mail goes to an SMTP
    server on 127.0.0.1 (aiosmtpd), links in mail point at it, and the weekly digest
    is due any day of the week. No job consumer runs: the test sends reminders,
    digests and queued mail itself with the app's commands."""
    workdir = tmp_path_factory.mktemp("e2e-mailing-server")
    smtp = SMTPServer()
    port = _free_port()
    env = _server_env(workdir / "e2e.sqlite")
    env.update(
        {
            "PLAYBOOK_MAIL_SERVER": "127.0.0.1",
            "PLAYBOOK_MAIL_PORT": str(smtp.port),
            "PLAYBOOK_BASE_URL": f"http://127.0.0.1:{port}",
            "PLAYBOOK_DIGEST_WEEKDAY": "1",
            "PLAYBOOK_DIGEST_HOUR": "0",
        }
    )
    try:
        with _serve(workdir, env, port) as server:
            yield MailingServer(server, smtp, env)
    finally:
        smtp.stop()


@pytest.fixture(scope="session")
def browser():
    if action_here() == "fail":
        pytest.fail(CI_FAILURE, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


class Contexts:
    """Browser contexts opened by one test (one per person: separate cookies). All are
    closed at the end of the test, and their pages photographed if it failed."""

    def __init__(self, browser, base_url: str):
        self.browser, self.base_url, self.opened = browser, base_url, []

    def __call__(self, **options):
        options.setdefault("base_url", self.base_url)
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = self.browser.new_context(**options)
        context.set_default_timeout(pages.TIMEOUT_MS)
        self.opened.append(context)
        return context

    def screenshots(self, name: str) -> list[str]:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        saved = []
        for c, context in enumerate(self.opened):
            for p, page in enumerate(context.pages):
                path = ARTIFACTS / f"{name}-context{c}-page{p}.png"
                try:
                    page.screenshot(path=str(path), full_page=True, timeout=10_000)
                except Exception as error:  # a crashed page must not hide the test's own failure
                    saved.append(f"could not photograph {page.url}: {error}")
                else:
                    saved.append(f"{path.relative_to(ROOT)}  ({page.url})")
        return saved

    def close(self) -> None:
        for context in self.opened:
            context.close()


@pytest.fixture
def new_context(browser, live_server):
    """Call it to open a browser context on the live server."""
    contexts = Contexts(browser, live_server.url)
    yield contexts
    contexts.close()


@pytest.fixture
def mailing_context(browser, mailing_server):
    """Call it to open a browser context on the mailing server."""
    contexts = Contexts(browser, mailing_server.url)
    yield contexts
    contexts.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, save a full-page screenshot of each of its open pages."""
    outcome = yield
    report = outcome.get_result()
    funcargs = getattr(item, "funcargs", {})
    contexts = funcargs.get("new_context") or funcargs.get("mailing_context")
    if report.failed and report.when in ("setup", "call") and isinstance(contexts, Contexts):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])[:120]
        report.sections.append(
            ("screenshots", "\n".join(contexts.screenshots(name)) or "no page was open")
        )
        server = funcargs.get("live_server")
        if isinstance(funcargs.get("mailing_server"), MailingServer):
            server = funcargs["mailing_server"].server
        if isinstance(server, LiveServer):
            report.sections.append(("server log (last lines)", server.log_tail()))
