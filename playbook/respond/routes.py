"""Routes for /respond: type a code (or open a group's shared link), answer one page
per framework component, send once, and see a thank-you page. No account, no state on
the server before the final submit: each page posts the code or link and every answer
given so far, and the language in `lang` (playbook/i18n.py)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import format_date, gettext, ngettext

from playbook import text
from playbook.i18n import requested_language
from playbook.models.survey import PREFER_NOT_TO_ANSWER
from playbook.permissions import access_public
from playbook.respond import services

bp = Blueprint("respond", __name__, url_prefix="/respond")


@dataclass(frozen=True)
class Carried:
    """How the pages reach the survey again: a code, or a shared link's token."""

    code: str = ""
    link: str = ""


@bp.after_request
def _private(response: Response) -> Response:
    """Pages hold a code and answers: no cache keeps them, no link leaks the address."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _address() -> str:
    return text.without_controls(request.remote_addr or "")[:100] or "unknown"


def _page(template: str, status: int = 200, **context):
    return render_template(template, lang=requested_language(), **context), status


def _code_page(error: str = "", typed: str = "", status: int = 200):
    return _page("respond/index.html", status, error=error, typed=typed[:40])


def _message(message: str, status: int):
    return _page("respond/message.html", status, message=message)


def _refused(refused: services.Refused, typed: str = ""):
    """The plain message for each refusal, in the respondent's language; nothing stored."""
    if isinstance(refused, services.TooManyCodes):
        wait = ngettext(
            "Too many codes were tried from here. Please wait %(num)s minute and try again.",
            "Too many codes were tried from here. Please wait %(num)s minutes and try again.",
            refused.minutes,
        )
        return _code_page(wait, typed, 429)
    if isinstance(refused, services.CodeRefused):
        return _code_page(
            gettext(
                "This code does not work. Check each letter and number and try again. "
                "If it still does not work, ask your teacher for help."
            ),
            typed,
            422,
        )
    if isinstance(refused, services.NotOpen):
        if refused.not_yet:
            when = format_date(refused.opens_on, format="long")
            return _message(
                gettext("This survey opens on %(date)s. Please come back then.", date=when), 403
            )
        return _message(gettext("This survey is closed. Thank you for your help!"), 403)
    if isinstance(refused, services.LinkUnknown):
        return _message(gettext("This survey link does not work. Ask for a new one."), 404)
    if isinstance(refused, services.ValueOutOfRange):
        return _message(
            gettext(
                "One answer is not one of the choices, so nothing was saved. Please start again."
            ),
            422,
        )
    return _message(
        gettext(
            "This form asks about a question that is not in the survey, so nothing was saved. "
            "Please start again."
        ),
        422,
    )


def _survey_page(
    survey: services.Survey,
    carried: Carried,
    answers: dict[int, int],
    open_answer: str = "",
    step: int = 0,
    missing: list[int] | None = None,
    status: int = 200,
):
    return _page(
        "respond/survey.html",
        status,
        survey=survey,
        carried=carried,
        answers=answers,
        open_answer=open_answer,
        step=step,
        missing=missing or [],
        prefer=PREFER_NOT_TO_ANSWER,
    )


@bp.route("/", methods=["GET", "POST"])
@access_public
def index():
    if request.method == "GET":
        return _code_page()
    typed = request.form.get("code", "")
    if not typed.strip():
        return _code_page(gettext("Type the code from your paper slip."), status=422)
    try:
        survey = services.open_with_code(typed, _address())
    except services.Refused as refused:
        return _refused(refused, typed)
    return _survey_page(survey, Carried(code=typed.strip()[:40]), {})


@bp.route("/link/<token>")
@access_public
def link(token: str):
    try:
        survey = services.open_with_link(token[:100])
    except services.Refused as refused:
        return _refused(refused)
    return _survey_page(survey, Carried(link=token), {})


@bp.route("/survey", methods=["POST"])
@access_public
def survey():
    form = request.form
    carried = Carried(code=form.get("code", "")[:40], link=form.get("link", "")[:100])
    try:
        if carried.link:
            opened = services.open_with_link(carried.link)
        else:
            opened = services.open_with_code(carried.code, _address())
        answers = services.read_answers(opened, form)
    except services.Refused as refused:
        return _refused(refused, carried.code)
    open_answer = services.clean_open_answer(form.get("open", ""))
    try:
        if form.get("go") == "submit":
            code = carried.code or None
            services.submit(opened, answers, open_answer, code=code, address=_address())
            return redirect(url_for("respond.thanks", lang=requested_language()))
        step = services.step_after(opened, answers, form.get("step", ""), form.get("go", ""))
    except services.MissingAnswers as missing:
        return _survey_page(
            opened, carried, answers, open_answer, missing.first_part, missing.numbers, 422
        )
    except services.Refused as refused:
        return _refused(refused, carried.code)
    return _survey_page(opened, carried, answers, open_answer, step)


@bp.route("/thanks")
@access_public
def thanks():
    return _page("respond/thanks.html")
