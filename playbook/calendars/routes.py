"""Routes for /calendars: a person's calendar addresses (shown once, made anew) and
the feeds themselves, which a calendar program fetches with no session: the token
in the address is the credential."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from playbook.calendars import feeds, services
from playbook.extensions import db
from playbook.forms import ConfirmForm
from playbook.models import Playbook
from playbook.permissions import Action, access, access_login, access_public, checked_or_404

bp = Blueprint("calendars", "playbook.calendars", url_prefix="/calendars")

# The address just made, shown once on the next page (only its hash is kept).
NEW_ADDRESS_KEY = "new_calendar_address"


def _remember(token: str, playbook: Playbook | None) -> None:
    session[NEW_ADDRESS_KEY] = {
        "url": url_for("calendars.feed", token=token, _external=True),
        "playbook": playbook.title if playbook else None,
    }


@bp.route("/")
@access_login
def index():
    return render_template(
        "calendars/index.html",
        title="Calendar",
        feeds=services.my_feeds(current_user),
        new_address=session.pop(NEW_ADDRESS_KEY, None),
    )


@bp.route("/mine/new", methods=["POST"])
@access_login
def mine_new():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _remember(services.new_feed(current_user), None)
    flash("Your new calendar address is ready; the old one no longer works.", "success")
    return redirect(url_for("calendars.index"))


@bp.route("/playbooks/<int:playbook_id>/new", methods=["POST"])
@access(Action.CALENDAR_SUBSCRIBE)
def playbook_feed_new(playbook_id: int):
    playbook = checked_or_404(db.session.get(Playbook, playbook_id), Action.CALENDAR_SUBSCRIBE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _remember(services.new_feed(current_user, playbook), playbook)
    flash(f"A new calendar address of “{playbook.title}” is ready.", "success")
    return redirect(url_for("calendars.index"))


@bp.route("/<token>.ics")
@access_public
def feed(token: str):
    """The token is the credential (checked in services.subscription_for); an unknown,
    replaced or no longer valid one is a 404 that tells nothing."""
    found = services.subscription_for(token) or abort(404)
    host = urlsplit(request.host_url).hostname or "playbook"
    if found.playbook is None:
        body = feeds.person_calendar(found.user, host)
    else:
        body = feeds.playbook_calendar(found.playbook, host)
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Disposition"] = 'inline; filename="playbook.ics"'
    return response
