"""Routes for /work: the person's items across their playbooks, and changing an
item's status from there."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from playbook.models import ItemStatus
from playbook.pagination import page_arg
from playbook.permissions import Action, access, access_login, checked_or_404
from playbook.playbooks import schedule
from playbook.playbooks import services as playbook_services
from playbook.work import queries, services
from playbook.work.forms import StatusForm

bp = Blueprint("work", "playbook.work", url_prefix="/work")


@bp.route("/")
@access_login
def index():
    on = schedule.today()
    page, rows = queries.my_items(
        current_user, on, page=page_arg(), per_page=current_app.config["PLAYBOOK_WORK_PER_PAGE"]
    )
    return render_template(
        "work/index.html", title="My work", page=page, rows=rows, statuses=ItemStatus
    )


@bp.route("/<int:playbook_id>/items/<int:item_id>/status", methods=["POST"])
@access(Action.PLAYBOOK_EDIT)
def status(playbook_id: int, item_id: int):
    playbook = checked_or_404(
        playbook_services.load_playbook_for_change(playbook_id), Action.PLAYBOOK_EDIT
    )
    form = StatusForm()
    back = redirect(url_for("work.index", page=form.page.data or None, _anchor=f"work-{item_id}"))
    item = services.item_in(playbook, item_id)
    if item is None:
        if services.item_exists(item_id):
            abort(404)  # an item of another playbook
        flash("That item was removed from its playbook meanwhile.", "info")
        return back
    if not form.validate_on_submit():
        flash("Choose one of the statuses.", "error")
        return back
    outcome = services.change_status(
        current_user, playbook, item, form.base_version(), form.status.data
    )
    flash(outcome.message, "success" if outcome.saved else "error")
    return back
