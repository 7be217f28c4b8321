"""Routes of the team huddle: the page that prepares it (agenda, past huddles), its
printable agenda, recording a huddle and planning the next."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from playbook.forms import ConfirmForm
from playbook.pagination import page_arg, per_page
from playbook.permissions import Action, access, can, checked_or_404
from playbook.playbooks import huddle_queries, huddles, queries, route_helpers, services
from playbook.playbooks.huddle_forms import HuddleForm, PlanHuddleForm
from playbook.playbooks.routes import bp


def _page_playbook(playbook_id: int, action: Action):
    return checked_or_404(queries.load_playbook_page(playbook_id, current_user), action)


def _record_form(playbook, items, **kwargs) -> HuddleForm:
    return HuddleForm(
        route_helpers.owner_choices(playbook),
        [(i.id, f"{i.display_title} ({i.status.label})") for i in items],
        **kwargs,
    )


def _when_defaults(today) -> dict:
    return {"held_on": today, "time_zone": current_app.config.get("PLAYBOOK_TIMEZONE") or "UTC"}


def _huddle_page(playbook, record_form=None, plan_form=None, status: int = 200):
    items = queries.all_items(playbook)
    agenda = huddle_queries.agenda(playbook, items, current_user)
    may_record = can(current_user, Action.HUDDLE_RECORD, playbook)
    if may_record and record_form is None:
        record_form = _record_form(
            playbook,
            items,
            data={"version": playbook.version, **_when_defaults(agenda.today)},
        )
    if may_record and plan_form is None:
        planned = agenda.planned
        plan_form = PlanHuddleForm(
            formdata=None,
            obj=planned,
            data=None if planned else _when_defaults(agenda.today),
        )
    return render_template(
        "playbooks/huddle.html",
        title=f"Team huddle · {playbook.title}",
        playbook=playbook,
        agenda=agenda,
        past=huddle_queries.past_huddles(playbook.id, page_arg(), per_page()),
        record_form=record_form,
        plan_form=plan_form,
        cancel_form=ConfirmForm(),
        may_record=may_record,
    ), status


@bp.route("/<int:playbook_id>/huddle")
@access(Action.HUDDLE_VIEW)
def huddle(playbook_id: int):
    return _huddle_page(_page_playbook(playbook_id, Action.HUDDLE_VIEW))


@bp.route("/<int:playbook_id>/huddle/agenda")
@access(Action.HUDDLE_VIEW)
def huddle_agenda(playbook_id: int):
    playbook = _page_playbook(playbook_id, Action.HUDDLE_VIEW)
    return render_template(
        "playbooks/huddle_agenda.html",
        title=f"Huddle agenda · {playbook.title}",
        playbook=playbook,
        agenda=huddle_queries.agenda(playbook, queries.all_items(playbook), current_user),
    )


@bp.route("/<int:playbook_id>/huddle", methods=["POST"])
@access(Action.HUDDLE_RECORD)
def huddle_record(playbook_id: int):
    playbook = route_helpers.load(playbook_id, Action.HUDDLE_RECORD)
    form = _record_form(playbook, queries.all_items(playbook))
    if not form.validate_on_submit():
        return _huddle_page(
            _page_playbook(playbook_id, Action.HUDDLE_RECORD), record_form=form, status=422
        )
    try:
        huddle = huddles.record_huddle(
            current_user, playbook, base_version=form.base_version(), **form.record()
        )
    except services.Conflict as conflict:
        return route_helpers.conflict_page(
            conflict,
            form,
            "playbooks/_huddle_form.html",
            action=url_for("playbooks.huddle_record", playbook_id=playbook_id),
        )
    except services.PlaybookError as error:
        form.form_errors.append(str(error))
        return _huddle_page(
            _page_playbook(playbook_id, Action.HUDDLE_RECORD), record_form=form, status=422
        )
    flash(f"Recorded the huddle of {huddles.huddle_day(huddle.held_on)}.", "success")
    return redirect(url_for("playbooks.huddle", playbook_id=playbook_id) + "#past-huddles")


@bp.route("/<int:playbook_id>/huddle/plan", methods=["POST"])
@access(Action.HUDDLE_RECORD)
def huddle_plan(playbook_id: int):
    playbook = _page_playbook(playbook_id, Action.HUDDLE_RECORD)
    form = PlanHuddleForm()
    if not form.validate_on_submit():
        return _huddle_page(playbook, plan_form=form, status=422)
    try:
        planned = huddles.plan_huddle(current_user, playbook, **form.when())
    except services.PlaybookError as error:
        form.form_errors.append(str(error))
        return _huddle_page(playbook, plan_form=form, status=422)
    flash(f"The next huddle is planned for {huddles.huddle_day(planned.held_on)}.", "success")
    return redirect(url_for("playbooks.huddle", playbook_id=playbook_id))


@bp.route("/<int:playbook_id>/huddle/plan/cancel", methods=["POST"])
@access(Action.HUDDLE_RECORD)
def huddle_plan_cancel(playbook_id: int):
    playbook = _page_playbook(playbook_id, Action.HUDDLE_RECORD)
    if ConfirmForm().validate_on_submit() and huddles.cancel_planned_huddle(current_user, playbook):
        flash("The planned huddle is off the calendar.", "info")
    return redirect(url_for("playbooks.huddle", playbook_id=playbook_id))
