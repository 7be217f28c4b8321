"""Routes for /moderation: the queue with its tabs, decisions, undo, suggestion
edits and reason templates. Everything here needs the moderate permission."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from playbook import fragments
from playbook.comments.forms import SuggestionForm
from playbook.comments.suggestions import find_duplicates, submission_fields
from playbook.extensions import db
from playbook.forms import ConfirmForm
from playbook.models import Decision, ReasonTemplate, SubjectKind, Submission
from playbook.moderation import queries, services
from playbook.moderation.forms import DecisionForm, QueueFilterForm, ReasonTemplateForm
from playbook.pagination import page_arg
from playbook.permissions import Action, access

bp = Blueprint("moderation", "playbook.moderation", url_prefix="/moderation")


def _queue_url(**args) -> str:
    """Back to the queue the decision was made from (same tab, filters and page)."""
    keep = {
        key: request.form.get(key)
        for key in ("tab", "kind", "age", "author", "page")
        if request.form.get(key)
    }
    return url_for("moderation.index", **{**keep, **args})


@bp.route("/")
@access(Action.MODERATE)
def index():
    tab = request.args.get("tab", "pending")
    if tab == "decided":  # its undo buttons depend on who reads it
        part = Markup(_render_queue())  # nosec B704 - rendered by our own template
    else:
        # The other tabs read the same for every moderator: kept under everything the
        # template reads from the address, while nothing they show changed (the
        # moderation scope: comments, flags, suggestions, reasons, playbooks, names).
        address = urlencode([(key, request.args.get(key, "")) for key in QUEUE_ARGS])
        part = fragments.shared(
            f"moderation-queue:{address}", queries.queue_fingerprint(), _render_queue
        )
    return render_template("moderation/index.html", title="Moderation", part=part)


QUEUE_ARGS = ("tab", "kind", "age", "author", "page")


def _render_queue() -> str:
    """The queue's page body for the tab, filters and page in the address."""
    filters_form = QueueFilterForm(request.args)
    filters_form.validate()
    tab = filters_form.tab.data if filters_form.tab.data in queries.TABS else "pending"
    filters = queries.QueueFilters(
        kind=filters_form.kind.data or "",
        age=filters_form.age.data or "",
        author=(filters_form.author.data or "")[:100],
    )
    per_page = current_app.config["PLAYBOOK_QUEUE_PER_PAGE"]
    details: dict[str, object] = {}
    if tab == "decided":
        page, details["names"] = queries.decided_page(filters, page_arg(), per_page)
    else:
        page = queries.queue_page(tab, filters, page_arg(), per_page)
    if tab in ("pending", "flagged"):
        details["flags"] = queries.flags_for([c.id for c in page.items])
    return render_template(
        "moderation/_queue.html",
        tab=tab,
        page=page,
        filters=filters,
        filters_form=filters_form,
        counts=queries.counts(),
        form=DecisionForm(),
        templates=queries.reason_templates(),
        undo_form=ConfirmForm(),
        **details,
    )


@bp.route("/decide", methods=["POST"])
@access(Action.MODERATE)
def decide():
    """The bulk form: selected rows and one decision; a row's own button decides
    only that row. An empty reason takes the chosen template's text."""
    form = DecisionForm()
    if not form.validate_on_submit():
        flash("Choose a decision for the selected items.", "error")
        return redirect(_queue_url())
    decision, subjects = form.decision.data, request.form.getlist("subject")
    single = request.form.get("single", "")
    if single:
        decision, _, subject = single.partition(":")
        subjects = [subject]
    parsed = [s for s in (services.parse_subject(v) for v in subjects) if s]
    template = db.session.get(ReasonTemplate, request.form.get("template", type=int) or 0)
    reason = form.reason.data or (template.body if template else "")
    try:
        outcome = services.decide(current_user, parsed, decision, reason)
    except (services.ModerationError, ValueError) as error:
        flash(
            str(error)
            if isinstance(error, services.ModerationError)
            else "That decision is not known.",
            "error",
        )
        return redirect(_queue_url())
    if outcome.done:
        flash(f"Decided {len(outcome.done)}: " + " ".join(outcome.done), "success")
    for message in outcome.skipped:
        flash(f"Not changed: {message}", "warning")
    return redirect(_queue_url())


@bp.route("/actions/<int:action_id>/undo", methods=["POST"])
@access(Action.MODERATE)
def undo(action_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            flash(services.undo(current_user, action_id), "success")
        except services.ModerationError as error:
            flash(str(error), "error")
    return redirect(url_for("moderation.index", tab="decided"))


@bp.route("/suggestions/<int:submission_id>/edit", methods=["GET", "POST"])
@access(Action.MODERATE)
def edit_suggestion(submission_id: int):
    """Correct a suggestion's details, then save (it stays pending) or approve."""
    submission = db.get_or_404(Submission, submission_id)
    form = (
        SuggestionForm(data=submission_fields(submission))
        if request.method == "GET"
        else SuggestionForm()
    )
    error = None
    if form.validate_on_submit():
        try:
            services.edit_submission(current_user, submission, form.fields_dict())
            if request.form.get("then") == "approve":
                outcome = services.decide(
                    current_user, [(SubjectKind.SUBMISSION, submission.id)], Decision.APPROVE
                )
                for message in outcome.done:
                    flash(message, "success")
                for message in outcome.skipped:
                    flash(f"Not changed: {message}", "warning")
            else:
                flash("The suggestion is updated.", "success")
            return redirect(url_for("moderation.index", tab="suggestions"))
        except services.ModerationError as problem:
            error = str(problem)
    duplicates = find_duplicates(
        form.title.data or "", form.url.data or "", exclude_submission=submission.id
    )
    return render_template(
        "moderation/suggestion_edit.html",
        title=f"Edit suggestion: {submission.title}",
        submission=submission,
        form=form,
        duplicates=duplicates,
        error=error,
    ), 422 if form.errors or error else 200


def _saved_reason(form, template: ReasonTemplate | None, message: str) -> bool:
    """Save the reason form into `template` (a new one when None); False when the
    form or the save refused, with the error on the form."""
    if not form.validate_on_submit():
        return False
    try:
        services.save_reason_template(current_user, template, form.title.data, form.body.data)
    except services.ModerationError as error:
        form.title.errors.append(str(error))
        return False
    flash(message, "success")
    return True


@bp.route("/reasons", methods=["GET", "POST"])
@access(Action.MODERATE)
def reasons():
    form = ReasonTemplateForm()
    if _saved_reason(form, None, "Reason added."):
        return redirect(url_for("moderation.reasons"))
    return render_template(
        "moderation/reasons.html",
        title="Reasons",
        form=form,
        templates=queries.reason_templates(),
        delete_form=ConfirmForm(),
    ), 422 if form.errors else 200


@bp.route("/reasons/<int:template_id>/edit", methods=["GET", "POST"])
@access(Action.MODERATE)
def edit_reason(template_id: int):
    template = db.get_or_404(ReasonTemplate, template_id)
    form = ReasonTemplateForm(obj=template)
    if _saved_reason(form, template, "Reason saved."):
        return redirect(url_for("moderation.reasons"))
    return render_template(
        "moderation/reason_form.html",
        title=f"Edit reason: {template.title}",
        form=form,
        template=template,
    ), 422 if form.errors else 200


@bp.route("/reasons/<int:template_id>/delete", methods=["POST"])
@access(Action.MODERATE)
def delete_reason(template_id: int):
    template = db.session.get(ReasonTemplate, template_id)
    if ConfirmForm().validate_on_submit():
        if template is None:  # another moderator deleted it first
            flash("That reason was already deleted.", "info")
        else:
            services.delete_reason_template(current_user, template)
            flash("Reason deleted.", "success")
    return redirect(url_for("moderation.reasons"))
