"""Routes for /digest: the unsubscribe link of the weekly digest, which works without
signing in (the signed token in the link names the person)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from playbook.digests import services
from playbook.forms import ConfirmForm
from playbook.models import DigestMode
from playbook.notifications import services as notification_services
from playbook.permissions import access_public

bp = Blueprint("digests", "playbook.digests", url_prefix="/digest")


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@access_public
def unsubscribe(token: str):
    """GET asks to confirm (and changes nothing); the confirming POST turns it off."""
    user = services.subscriber_for(token)
    if user is None:
        return render_template(
            "errors/error.html",
            code=404,
            title="This unsubscribe link does not work",
            message="It may have been cut short or changed. Nothing was changed. You can "
            "turn the weekly digest off in your account's e-mail choices.",
        ), 404
    form = ConfirmForm()
    if form.validate_on_submit():
        services.unsubscribe(user)
        flash("You will get no more weekly digests.", "success")
        return redirect(url_for("digests.unsubscribe", token=token))
    is_off = notification_services.digest_mode(user) is DigestMode.OFF
    return render_template(
        "digests/unsubscribe.html", title="Weekly digest", form=form, token=token, is_off=is_off
    )
