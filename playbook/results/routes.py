"""Survey results pages: a round's results, its exports and the switch that makes them
public; a playbook's scores across its rounds."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from playbook import fragments
from playbook.forms import ConfirmForm
from playbook.pagination import page_arg
from playbook.permissions import Action, access, can, checked_or_404
from playbook.results import charts, queries, services
from playbook.surveys import scores

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
    survey_round = checked_or_404(queries.load_round_head(round_id), Action.SURVEY_RESULTS)
    rights = {
        "member": can(current_user, Action.SURVEY_RESULTS, survey_round.playbook),
        "edit": can(current_user, Action.PLAYBOOK_EDIT, survey_round.playbook),
        "open": can(current_user, Action.SURVEY_OPEN_ANSWERS, survey_round),
        "owner": can(current_user, Action.SURVEY_RAW_EXPORT, survey_round),
    }
    # Open answers come a page at a time, inside the shared part: the page number is
    # part of its key, so page 2 is never served page 1's part. Without the right to
    # read them, every page number is the same part.
    page = page_arg() if rights["open"] else 1
    key = f"results:{survey_round.id}:{scores.min_respondents()}:{page}:" + "".join(
        "1" if v else "0" for v in rights.values()
    )
    part = fragments.shared(
        key,
        queries.results_fingerprint(survey_round),
        lambda: _render_results(round_id, rights, page),
    )
    return render_template(
        "results/detail.html",
        title=f"Results: {survey_round.title}",
        survey_round=survey_round,
        part=part,
    )


def _render_results(round_id: int, rights: dict[str, bool], page: int) -> str:
    """The shared part of the results page, the same for everyone with the same rights
    on the same page of open answers (kept by fragments.shared while
    results_fingerprint holds)."""
    survey_round = queries.load_round(round_id) or abort(404)
    results = scores.round_figures(survey_round)
    playbook = queries.load_playbook(survey_round.playbook_id) or abort(404)
    weakest = results.weakest() if rights["member"] else []
    open_answers = queries.open_answers(survey_round, results, page) if rights["open"] else {}
    return render_template(
        "results/_results.html",
        survey_round=survey_round,
        playbook=playbook,
        results=results,
        rights=rights,
        option_labels=queries.OPTION_LABELS,
        scale_labels=queries.figure_option_labels(results),
        open_min=max(queries.OPEN_ANSWERS_MIN, results.threshold),
        open_page=queries.OPEN_ANSWERS_PER_PAGE,
        serving=queries.serving_items(playbook) if rights["member"] else {},
        weakest=weakest,
        plays=queries.plays_to_add(playbook, weakest),
        open_answers=open_answers,
        open_page_number=page,
        open_pages=queries.open_answer_pages(open_answers),
    )


@bp.route("/<int:round_id>/results.csv")
@access(Action.SURVEY_RESULTS)
def export(round_id: int):
    survey_round = _round(round_id)
    body = services.aggregate_csv(scores.round_figures(survey_round))
    return _csv(body, f"survey-round-{survey_round.id}-results.csv")


@bp.route("/<int:round_id>/answers.csv")
@access(Action.SURVEY_RAW_EXPORT)
def raw_export(round_id: int):
    survey_round = _round(round_id, Action.SURVEY_RAW_EXPORT)
    body = services.raw_csv(survey_round, scores.round_figures(survey_round))
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
