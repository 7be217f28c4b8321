"""Routes for /rounds: a playbook's survey rounds. Its members see the list; its
owners and editors open, change and delete rounds, print codes and make shared
links. The parent preview of a round that asks sensitive questions is public."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from playbook.extensions import db
from playbook.forms import ConfirmForm
from playbook.models import Playbook, SurveyAudience, SurveyGroup, SurveyRound
from playbook.permissions import Action, access, access_public, can, checked_or_404
from playbook.rounds import queries, services
from playbook.rounds.forms import EditRoundForm, MoreGroupsForm, RoundForm, filled_groups

bp = Blueprint("rounds", __name__, url_prefix="/rounds")


def _playbook(playbook_id: int, action: Action) -> Playbook:
    return checked_or_404(db.session.get(Playbook, playbook_id), action)


def _round(round_id: int) -> SurveyRound:
    return checked_or_404(queries.load_round(round_id), Action.SURVEY_RUN)


def _group(group_id: int) -> SurveyGroup:
    group = db.session.get(SurveyGroup, group_id) or abort(404)
    checked_or_404(group.round, Action.SURVEY_RUN)
    return group


def _show(form, error: services.RoundError) -> None:
    """A service's refusal on the form: by its field when it names one."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, str(error)]
    else:
        form.form_errors.append(str(error))


def _results_url(round_id: int) -> str:
    return url_for("results.detail", round_id=round_id)


def _sheet(survey_round: SurveyRound, issued: list[services.Issued], heading: str):
    """The codes and links just made: shown this once, never stored in plain form."""
    response = current_app.make_response(
        render_template(
            "rounds/sheet.html",
            title=f"Codes for {survey_round.title}",
            heading=heading,
            survey_round=survey_round,
            issued=issued,
            respond_url=request.host_url + "respond/",
            link_url=lambda token: request.host_url + f"respond/link/{token}",
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/playbooks/<int:playbook_id>")
@access(Action.SURVEY_RESULTS)
def index(playbook_id: int):
    playbook = _playbook(playbook_id, Action.SURVEY_RESULTS)
    return render_template(
        "rounds/index.html",
        title=f"Surveys of {playbook.title}",
        playbook=playbook,
        rows=queries.round_list(playbook),
        running=can(current_user, Action.SURVEY_RUN, playbook),
        results_url=_results_url,
    )


@bp.route("/playbooks/<int:playbook_id>/new", methods=["GET", "POST"])
@access(Action.SURVEY_RUN)
def new(playbook_id: int):
    playbook = _playbook(playbook_id, Action.SURVEY_RUN)
    instruments = queries.latest_instruments(playbook)
    form = RoundForm(queries.instrument_choices(instruments))
    if request.method == "GET" and not form.instruments.data:
        form.instruments.data = [i.id for i in instruments]
    if form.validate_on_submit():
        chosen = [i for i in instruments if i.id in form.instruments.data]
        try:
            survey_round, issued = services.open_round(
                current_user,
                playbook,
                title=form.title.data,
                opens_on=form.opens_on.data,
                closes_on=form.closes_on.data,
                instruments=chosen,
                groups=filled_groups(form.groups),
            )
        except services.RoundError as error:
            _show(form, error)
        else:
            return _sheet(survey_round, issued, "Your round is open: print the codes now")
    return render_template(
        "rounds/new.html",
        title="Open a survey round",
        playbook=playbook,
        form=form,
        instruments=instruments,
    ), 422 if request.method == "POST" else 200


def _detail_page(survey_round: SurveyRound, more: MoreGroupsForm, status: int = 200):
    return render_template(
        "rounds/detail.html",
        title=survey_round.title,
        survey_round=survey_round,
        state=queries.state_of(survey_round),
        rows=queries.group_rows(survey_round),
        more=more,
        sensitive=[i for i in survey_round.instruments if i.has_sensitive_items],
        results_url=_results_url(survey_round.id),
    ), status


def _more_form(survey_round: SurveyRound) -> MoreGroupsForm:
    return MoreGroupsForm(
        {g.label for g in survey_round.groups}, {i.audience for i in survey_round.instruments}
    )


@bp.route("/<int:round_id>")
@access(Action.SURVEY_RUN)
def detail(round_id: int):
    survey_round = _round(round_id)
    return _detail_page(survey_round, _more_form(survey_round))


@bp.route("/<int:round_id>/groups", methods=["POST"])
@access(Action.SURVEY_RUN)
def groups_new(round_id: int):
    survey_round = _round(round_id)
    more = _more_form(survey_round)
    if more.validate_on_submit():
        try:
            issued = services.add_groups(current_user, survey_round, filled_groups(more.groups))
        except services.RoundError as error:
            more.form_errors.append(str(error))
        else:
            return _sheet(survey_round, issued, "New groups added: print their codes now")
    return _detail_page(survey_round, more, 422)


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@access(Action.SURVEY_RUN)
def edit(round_id: int):
    survey_round = _round(round_id)
    form = EditRoundForm(obj=survey_round)
    if form.validate_on_submit():
        try:
            services.update_round(
                current_user,
                survey_round,
                title=form.title.data,
                opens_on=form.opens_on.data,
                closes_on=form.closes_on.data,
            )
        except services.RoundError as error:
            _show(form, error)
        else:
            flash("The round is saved.", "success")
            return redirect(url_for("rounds.detail", round_id=survey_round.id))
    return render_template(
        "rounds/edit.html",
        title=f"Change {survey_round.title}",
        survey_round=survey_round,
        form=form,
    ), 422 if request.method == "POST" else 200


@bp.route("/<int:round_id>/delete", methods=["GET", "POST"])
@access(Action.SURVEY_RUN)
def delete(round_id: int):
    survey_round = _round(round_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        playbook_id = survey_round.playbook_id
        title = survey_round.title
        services.delete_round(current_user, survey_round)
        flash(f"“{title}” is deleted, with its codes and every answer given.", "success")
        return redirect(url_for("rounds.index", playbook_id=playbook_id))
    return render_template(
        "rounds/delete.html",
        title=f"Delete {survey_round.title}",
        survey_round=survey_round,
        rows=queries.group_rows(survey_round),
    )


@bp.route("/groups/<int:group_id>/codes", methods=["POST"])
@access(Action.SURVEY_RUN)
def codes_new(group_id: int):
    group = _group(group_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        issued = services.new_codes(current_user, group)
    except services.RoundError as error:
        flash(str(error), "error")
        return redirect(url_for("rounds.detail", round_id=group.round_id))
    return _sheet(group.round, [issued], f"New codes for “{group.label}”: print them now")


@bp.route("/groups/<int:group_id>/link", methods=["POST"])
@access(Action.SURVEY_RUN)
def link_new(group_id: int):
    group = _group(group_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        issued = services.new_link(current_user, group)
    except services.RoundError as error:
        flash(str(error), "error")
        return redirect(url_for("rounds.detail", round_id=group.round_id))
    return _sheet(group.round, [issued], f"A new shared link for “{group.label}”")


PREVIEW_TEXT = {
    "en": {
        "title": "Questions for parents and guardians to see first",
        "intro": (
            "{org} will ask {audience} the questions below in a short, anonymous survey "
            "from {opens} to {closes}. No names are asked and answers cannot be traced to "
            "a child."
        ),
        "sensitive": "Sensitive question",
        "sensitive_note": "Questions marked “Sensitive question” touch on topics such as "
        "health, family or income.",
        "opt_out": (
            "If you do not want your child to take part, tell {org} before {opens}: "
            "contact your child's teacher or the school office. Your child can also skip "
            "any question by choosing “Prefer not to answer”."
        ),
        "dates": "Dates",
        "open_question": "Optional open question",
        "print": "Print this page",
        "other": "En español",
    },
    "es": {
        "title": "Preguntas para que los padres y tutores las vean primero",
        "intro": (
            "{org} hará a {audience} las preguntas siguientes en una encuesta breve y "
            "anónima del {opens} al {closes}. No se piden nombres y las respuestas no "
            "se pueden relacionar con ningún niño."
        ),
        "sensitive": "Pregunta delicada",
        "sensitive_note": "Las preguntas marcadas “Pregunta delicada” tratan temas como "
        "la salud, la familia o los ingresos.",
        "opt_out": (
            "Si no desea que su hijo o hija participe, avise a {org} antes del {opens}: "
            "comuníquese con el maestro de su hijo o hija o con la oficina de la escuela. También puede "
            "saltarse cualquier pregunta eligiendo “Prefiero no responder”."
        ),
        "dates": "Fechas",
        "open_question": "Pregunta abierta opcional",
        "print": "Imprimir esta página",
        "other": "In English",
    },
}
AUDIENCE_WORDS = {
    "en": {
        SurveyAudience.TEACHERS: "teachers",
        SurveyAudience.STUDENTS_3_5: "students in grades 3–5",
        SurveyAudience.STUDENTS_6_12: "students in grades 6–12",
    },
    "es": {
        SurveyAudience.TEACHERS: "los docentes",
        SurveyAudience.STUDENTS_3_5: "los estudiantes de 3.º a 5.º grado",
        SurveyAudience.STUDENTS_6_12: "los estudiantes de 6.º a 12.º grado",
    },
}


@bp.route("/<int:round_id>/preview")
@access_public
def preview(round_id: int):
    """The questions of a round that asks sensitive ones, for parents: public, since
    it shows only the questions, the dates and how to opt out."""
    survey_round = queries.preview_round(round_id) or abort(404)
    lang = "es" if request.args.get("lang") == "es" else "en"
    words = AUDIENCE_WORDS[lang]
    audiences = (" y " if lang == "es" else " and ").join(
        words[i.audience] for i in survey_round.instruments
    )
    org = survey_round.playbook.organization or survey_round.playbook.title
    fill = {
        "org": org,
        "audience": audiences,
        "opens": survey_round.opens_on.isoformat(),
        "closes": survey_round.closes_on.isoformat(),
    }
    text = {key: value.format(**fill) for key, value in PREVIEW_TEXT[lang].items()}
    return render_template(
        "rounds/preview.html",
        title=text["title"],
        survey_round=survey_round,
        lang=lang,
        text=text,
    )
