"""Routes for /notifications: the list, marking read, e-mail choices."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from playbook.forms import ConfirmForm
from playbook.models import DigestMode
from playbook.notifications import services
from playbook.notifications.forms import DigestForm, EmailChoicesForm
from playbook.pagination import page_arg
from playbook.permissions import access_login
from playbook.urls import safe_next_path

bp = Blueprint("notifications", "playbook.notifications", url_prefix="/notifications")


@bp.route("/")
@access_login
def index():
    notifications = services.list_notifications(current_user, page=page_arg())
    return render_template(
        "notifications/index.html",
        title="Notifications",
        notifications=notifications,
        form=ConfirmForm(),
    )


@bp.route("/<int:notification_id>/read", methods=["POST"])
@access_login
def read(notification_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user, notification_id)
    target = safe_next_path(request.form.get("next"))
    return redirect(target or url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@access_login
def read_all():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user)
    flash("All notifications are marked as read.", "info")
    return redirect(url_for("notifications.index"))


@bp.route("/open")
@access_login
def open_link():
    """Where e-mailed links point: a path on this site, reached after signing in."""
    return redirect(safe_next_path(request.args.get("next")) or url_for("notifications.index"))


@bp.route("/settings", methods=["GET", "POST"])
@access_login
def settings():
    choices = services.email_choices(current_user)
    form = EmailChoicesForm(
        data={
            "kinds": [k.value for k, on in choices.items() if on],
            "reminder_days": current_user.reminder_days,
        }
    )
    if form.validate_on_submit():
        services.set_email_choices(
            current_user, set(form.kinds.data or []), reminder_days=form.reminder_days.data
        )
        flash("Your e-mail choices are saved.", "success")
        return redirect(url_for("notifications.settings"))
    return render_template(
        "notifications/settings.html",
        title="E-mail choices",
        form=form,
        digest_form=DigestForm(
            prefix="digest", data={"mode": services.digest_mode(current_user).value}
        ),
    ), 422 if form.errors else 200


@bp.route("/settings/digest", methods=["POST"])
@access_login
def digest():
    form = DigestForm(prefix="digest")
    if not form.validate_on_submit():
        flash("Choose what your weekly digest tells you.", "error")
        return redirect(url_for("notifications.settings"))
    services.set_digest_mode(current_user, DigestMode(form.mode.data))
    flash("Your weekly digest choice is saved.", "success")
    return redirect(url_for("notifications.settings"))
