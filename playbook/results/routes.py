"""Survey results pages: a round's results, its exports and the switch that makes them
public; a playbook's scores across its rounds."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from playbook.forms import ConfirmForm
from playbook.permissions import Action, access, can, checked_or_404
from playbook.results import charts, queries, services

bp = Blueprint("results", __name__, url_prefix="/results")


def _round(round_id: int, action: Action = Action.SURVEY_RESULTS):
    return checked_or_404(queries.load_round(round_id), action)


def _csv(body: str, filename: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:round_id>")
@access(Action.SURVEY_RESULTS)
def detail(round_id: int):
    survey_round = _round(round_id)
    results = queries.round_results(survey_round)
    playbook = queries.load_playbook(survey_round.playbook_id) or abort(404)
    member = can(current_user, Action.SURVEY_RESULTS, playbook)
    weakest = results.weakest() if member else []
    return render_template(
        "results/detail.html",
        title=f"Results: {survey_round.title}",
        survey_round=survey_round,
        playbook=playbook,
        results=results,
        option_labels=queries.OPTION_LABELS,
        member=member,
        serving=queries.serving_items(playbook) if member else {},
        weakest=weakest,
        plays=queries.plays_to_add(playbook, weakest),
        open_answers=queries.open_answers(survey_round, results)
        if can(current_user, Action.SURVEY_OPEN_ANSWERS, survey_round)
        else {},
    )


@bp.route("/<int:round_id>/results.csv")
@access(Action.SURVEY_RESULTS)
def export(round_id: int):
    survey_round = _round(round_id)
    body = services.aggregate_csv(queries.round_results(survey_round))
    return _csv(body, f"survey-round-{survey_round.id}-results.csv")


@bp.route("/<int:round_id>/answers.csv")
@access(Action.SURVEY_RAW_EXPORT)
def raw_export(round_id: int):
    survey_round = _round(round_id, Action.SURVEY_RAW_EXPORT)
    body = services.raw_csv(survey_round, queries.round_results(survey_round))
    return _csv(body, f"survey-round-{survey_round.id}-answers.csv")


@bp.route("/<int:round_id>/public", methods=["POST"])
@access(Action.SURVEY_RAW_EXPORT)
def publish(round_id: int):
    survey_round = _round(round_id, Action.SURVEY_RAW_EXPORT)
    if ConfirmForm().validate_on_submit():
        public = request.form.get("public") == "1"
        services.set_public(current_user, survey_round, public)
        flash(
            "Everyone who may read the playbook now sees these results (aggregates only)."
            if public
            else "Only the playbook's team sees these results now.",
            "success",
        )
    return redirect(url_for("results.detail", round_id=survey_round.id))


@bp.route("/playbooks/<int:playbook_id>")
@access(Action.SURVEY_RESULTS)
def trend(playbook_id: int):
    playbook = checked_or_404(queries.load_playbook(playbook_id), Action.SURVEY_RESULTS)
    rounds = queries.playbook_rounds(playbook)
    serving = queries.serving_items(playbook)
    labels = [r.title for r in rounds]
    rows = [
        (t, charts.line_chart(labels, t.lines, [(c.after_round, c.label) for c in t.changes]))
        for t in queries.trends(playbook, rounds, serving)
    ]
    return render_template(
        "results/trend.html",
        title=f"Survey results over time: {playbook.title}",
        playbook=playbook,
        rounds=rounds,
        rows=rows,
    )
