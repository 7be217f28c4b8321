"""The application factory.

Each step below imports what it sets up when it runs, not at the top: Python runs
this file before any `playbook.<module>`, so imports here would load every feature
(and the CLI, and the benchmark page) for each single module that is imported, as
migrations, scripts and tests do."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from playbook.config import Config, TestingConfig, config_from_env

PACKAGE_DIR = Path(__file__).resolve().parent


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Build the app from a config class, or from a dict of overrides on TestingConfig."""
    app = Flask(
        __name__,
        template_folder=str(PACKAGE_DIR.parent / "templates"),
        static_folder=str(PACKAGE_DIR.parent / "static"),
        instance_relative_config=True,
    )
    load_config(app, config)
    init_request_class(app)
    init_url_converters(app)
    init_extensions(app)
    init_jobs(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_cli(app)
    init_jinja(app)
    init_http(app)
    return app


def load_config(app: Flask, config: type[Config] | dict | None) -> None:
    if isinstance(config, dict):
        app.config.from_object(TestingConfig)
        app.config.update(config)
        config_class: type[Config] = TestingConfig
    else:
        config_class = config or config_from_env()
        app.config.from_object(config_class)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "playbook.sqlite"
        )
    config_class.check(app.config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(app)
    if app.config.get("PLAYBOOK_PROXY_COUNT"):
        count = app.config["PLAYBOOK_PROXY_COUNT"]
        # Flask's own recipe for middleware; Flask types wsgi_app as a plain method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count
        )


def _instance_secret_key(app: Flask) -> str:
    """Development only: a random key kept in the instance folder, so sessions
    survive restarts and no key is ever committed."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def init_request_class(app: Flask) -> None:
    from playbook.clean_request import CleanRequest

    app.request_class = CleanRequest


def init_url_converters(app: Flask) -> None:
    """Ids in URLs must fit the database's integer column: a larger number does not
    match the route at all (404), rather than failing in the query."""
    from playbook.urls import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter


def init_extensions(app: Flask) -> None:
    from playbook import clean_request, database, errors, i18n, pagecache
    from playbook.auth.sessions import load_user_from_session_token
    from playbook.extensions import babel, csrf, db, login_manager, migrate
    from playbook.models import AnonymousUser

    db.init_app(app)
    database.configure_engine_events(app)
    pagecache.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR.parent / "migrations"))
    app.before_request(clean_request.refuse_duplicate_csrf_tokens)  # before CSRFProtect's check
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.unauthorized_handler(errors.unauthorized)
    login_manager.anonymous_user = AnonymousUser
    login_manager.user_loader(load_user_from_session_token)
    babel.init_app(app, locale_selector=i18n.select_locale)


def init_jobs(app: Flask) -> None:
    """The background job queue; no consumer starts here (see run.py, `flask worker`)."""
    from playbook import (
        jobs,
        tasks,  # noqa: F401  (defining the jobs registers them)
    )

    jobs.init_app(app)


def register_blueprints(app: Flask) -> None:
    from playbook import (
        accounts,
        admin,
        auth,
        calendars,
        comments,
        digests,
        gallery,
        home,
        library,
        moderation,
        notifications,
        playbooks,
        respond,
        rounds,
        results,
        surveys,
        work,
    )

    for module in (
        home,
        auth,
        accounts,
        library,
        playbooks,
        work,
        gallery,
        comments,
        moderation,
        notifications,
        digests,
        calendars,
        surveys,
        rounds,
        respond,
        results,
        admin,
    ):
        app.register_blueprint(module.bp)
    if app.config.get("PLAYBOOK_BENCH_ROUTES"):
        from playbook.devdata import benchpage

        app.register_blueprint(benchpage.bp)


def register_error_handlers(app: Flask) -> None:
    from playbook import errors

    errors.register(app)


def register_cli(app: Flask) -> None:
    from playbook import cli

    for command in (
        cli.setup_command,
        cli.seed_library_command,
        cli.reindex_command,
        cli.create_user_command,
        cli.set_role_command,
        cli.purge_bin_command,
        cli.import_playbook_command,
        cli.deliver_mail_command,
        cli.send_reminders_command,
        cli.send_digests_command,
        cli.worker_command,
        cli.backup_command,
        cli.restore_command,
        cli.generate_data_command,
    ):
        app.cli.add_command(command)


def init_jinja(app: Flask) -> None:
    from playbook import jinja

    jinja.register(app)


def init_http(app: Flask) -> None:
    from playbook import headers

    headers.register(app)
