"""Command-line tasks: set up the database, load the library, manage people."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from playbook import backup, jobs, mail, text
from playbook.admin import services as admin_services
from playbook.auth import services as auth_services
from playbook.auth.passwords import password_problem
from playbook.digests import services as digest_services
from playbook.library import services as library_services
from playbook.library.seed import seed_library
from playbook.models import SiteRole
from playbook.playbooks import importer, imports
from playbook.playbooks import services as playbook_services
from playbook.surveys.seed import seed_instruments
from playbook.work import reminders


@click.command("setup")
@with_appcontext
def setup_command():
    """Apply pending migrations and load the starter library (safe to run again)."""
    upgrade()
    report = seed_library()
    instruments = seed_instruments()
    click.echo(
        f"Database is up to date; starter library: {report}; {instruments} survey instruments added."
    )


@click.command("seed-library")
@with_appcontext
def seed_library_command():
    """Load the starter framework, plays, resources and survey instruments; existing
    entries are kept."""
    report = seed_library()
    click.echo(f"Starter library: {report}; {seed_instruments()} survey instruments added.")


@click.command("reindex")
@with_appcontext
def reindex_command():
    """Rebuild the library's full-text search index."""
    click.echo(f"Indexed {library_services.reindex_library()} entries.")


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="Display name shown on the site.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in SiteRole]),
    default="member",
    show_default=True,
    help="Site role: member, moderator or admin.",
)
@click.password_option(help="The password (asked for when not given).")
@with_appcontext
def create_user_command(email, name, role, password):
    """Create an account, for example the first admin or moderator."""
    try:
        email = text.check_single_line(email, "The e-mail address")
    except text.TextRefused as error:
        raise click.ClickException(str(error)) from None
    if auth_services.find_user_by_email(email):
        raise click.ClickException(
            f"An account with {email} already exists; use set-role to change its role."
        )
    try:
        name = text.check_single_line(name, "The name")
    except text.TextRefused as error:
        raise click.ClickException(str(error)) from None
    if not name:
        raise click.ClickException("The name cannot be empty.")
    problem = password_problem(password, email=email, display_name=name)
    if problem:
        raise click.ClickException(problem)
    user = auth_services.register_user(email, name, password, open_session=False)
    admin_services.set_site_role(None, user, role)
    click.echo(f"Created {user.email} as {user.site_role.value}.")


@click.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in SiteRole]))
@with_appcontext
def set_role_command(email, role):
    """Give an existing account a site role (member, moderator or admin)."""
    user = auth_services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    admin_services.set_site_role(None, user, role)
    click.echo(f"{user.email} is now {user.site_role.value}.")


@click.command("purge-bin")
@with_appcontext
def purge_bin_command():
    """Delete for good the playbooks that have been in the bin for over 30 days now
    (the job queue does it every day on its own)."""
    count = playbook_services.purge_deleted_playbooks()
    click.echo(f"Purged {count} playbook{'s' if count != 1 else ''} from the bin.")


@click.command("import-playbook")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--owner",
    "owner_email",
    required=True,
    help="E-mail of the account that will own the new playbook.",
)
@with_appcontext
def import_playbook_command(path, owner_email):
    """Import a playbook from a JSON file made with "Export as JSON"."""
    owner = auth_services.find_user_by_email(owner_email)
    if owner is None:
        raise click.ClickException(f"No account uses {owner_email}.")
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        doc = importer.parse_document(raw)
    except importer.DocumentError as error:
        raise click.ClickException(
            "The file cannot be imported: " + " ".join(error.problems)
        ) from None
    playbook, warnings = imports.import_playbook(owner, doc)
    for warning in warnings:
        click.echo(f"Warning: {warning}")
    click.echo(f"Imported “{playbook.title}” as playbook {playbook.id}, owned by {owner.email}.")


@click.command("deliver-mail")
@with_appcontext
def deliver_mail_command():
    """Send queued e-mail that is due now, retrying messages the mail server refused
    before (the job queue does it every minute on its own)."""
    sent, failed = mail.deliver_due(limit=500, seconds=600)
    click.echo(
        f"Sent {sent} message{'s' if sent != 1 else ''}; {failed} still waiting for a retry."
    )


@click.command("send-reminders")
@with_appcontext
def send_reminders_command():
    """Remind owners of their items due soon and overdue now, as the hourly job does
    (each reminder still goes once); the mail leaves with the queue or deliver-mail."""
    sent = reminders.send_due_reminders()
    click.echo(f"Queued {sent} reminder{'s' if sent != 1 else ''}.")


@click.command("send-digests")
@with_appcontext
def send_digests_command():
    """Queue this week's digests now, as the hourly job does from the configured
    weekday and hour on (each person still gets one a week)."""
    queued = digest_services.send_due_digests()
    click.echo(f"Queued {queued} digest{'s' if queued != 1 else ''}.")


@click.command("worker")
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Jobs run at once (threads); most jobs wait on the mail server or the database.",
)
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Also run the scheduled jobs; turn off in every worker but one.",
)
@with_appcontext
def worker_command(workers, periodic):
    """Run background jobs (e-mail, the daily bin purge) until stopped. Production
    runs one beside gunicorn; `python run.py` runs its own."""
    if current_app.config.get("PLAYBOOK_QUEUE_IMMEDIATE"):
        raise click.ClickException(
            "PLAYBOOK_QUEUE_IMMEDIATE is on: jobs run where they are enqueued."
        )
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the app, not its proxy
    jobs.run_consumer(app, workers=workers, periodic=periodic)


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(destination):
    """Copy the SQLite database to DESTINATION (a new file) while the app keeps
    running. For PostgreSQL use pg_dump instead."""
    try:
        report = backup.backup_database(destination)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up {report.rows} rows in {report.tables} tables to {report.path}.")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(source, yes):
    """Replace everything in the SQLite database with the backup SOURCE, made by
    `flask backup` with this version of Playbook. The data as it was is kept in a
    backup beside the database first."""
    try:
        backup.live_database_path()  # refuses PostgreSQL before looking at the file
        report = backup.check_backup(source)
        if not yes:
            click.confirm(
                f"Replace all data in the database with {report.path} ({report.rows} rows)?",
                abort=True,
            )
        report, kept = backup.restore_database(report.path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {report.rows} rows in {report.tables} tables from {report.path}.")
    if kept:
        click.echo(f"The data as it was before is in {kept}.")


@click.command("generate-data")
@click.option(
    "--users", default=2000, show_default=True, type=click.IntRange(2), help="Accounts to create."
)
@click.option(
    "--resources",
    default=10000,
    show_default=True,
    type=click.IntRange(0),
    help="Library resources.",
)
@click.option(
    "--plays", default=300, show_default=True, type=click.IntRange(0), help="Library plays."
)
@click.option(
    "--frameworks", default=3, show_default=True, type=click.IntRange(0), help="Extra frameworks."
)
@click.option(
    "--playbooks", default=1000, show_default=True, type=click.IntRange(1), help="Playbooks."
)
@click.option(
    "--items-per-playbook",
    default=50,
    show_default=True,
    type=click.IntRange(0),
    help="Items in each playbook (the benchmark playbook always has 50).",
)
@click.option(
    "--comments",
    default=100000,
    show_default=True,
    type=click.IntRange(0),
    help="Comments and replies (the benchmark playbook gets 100 of them).",
)
@click.option(
    "--distinct-comments",
    default=3000,
    show_default=True,
    type=click.IntRange(1),
    help="Distinct comment texts (each rendered to HTML once, then reused).",
)
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.0001, 10),
    help="Multiply every count above except items per playbook, e.g. 0.01 for a quick try.",
)
@click.option("--seed", default=1, show_default=True, help="The same seed gives the same data.")
@with_appcontext
def generate_data_command(
    users,
    resources,
    plays,
    frameworks,
    playbooks,
    items_per_playbook,
    comments,
    distinct_comments,
    scale,
    seed,
):
    """Fill a fresh database (after `flask setup`) with district-scale data for the
    benchmark or for trying the app. Refuses a database that already has accounts."""
    # Imported when the command runs: the generator is for development and benchmarks,
    # and the running site has no reason to load it.
    from playbook import devdata

    def scaled(n: int, least: int = 0) -> int:
        return max(least, round(n * scale))

    sizes = devdata.Scale(
        users=scaled(users, 2),
        resources=scaled(resources),
        plays=scaled(plays),
        frameworks=scaled(frameworks),
        playbooks=scaled(playbooks, 1),
        items_per_playbook=items_per_playbook,
        comments=scaled(comments),
        distinct_comments=scaled(distinct_comments, 1),
        seed=seed,
    )
    try:
        report = devdata.generate(sizes, progress=click.echo)
    except devdata.DatabaseNotEmpty as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Generated in {report.seconds} s: "
        + ", ".join(f"{n} {name}" for name, n in report.counts.items())
    )
    click.echo(f"Benchmark playbook: {report.benchmark_playbook_id} (“{devdata.BENCHMARK_TITLE}”)")
