"""Routes for resource suggestions: suggest (with a duplicate check), revise."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from playbook.comments.forms import SuggestionForm
from playbook.comments.routes import bp
from playbook.comments.services import CommentError, TooSoon
from playbook.comments.suggestions import (
    find_duplicates,
    revise_suggestion,
    submission_fields,
    suggest_resource,
)
from playbook.extensions import db
from playbook.models import Comment, Submission
from playbook.permissions import Action, access, can, load_or_404


def _own_comment(comment_id: int | None) -> Comment | None:
    """The comment a suggestion comes from, when the suggester may tie it to it."""
    comment = db.session.get(Comment, comment_id) if comment_id else None
    return comment if can(current_user, Action.SUGGESTION_FROM_COMMENT, comment) else None


def _render(form, comment, duplicates, error=None, status=200, submission=None):
    title = "Revise your suggestion" if submission else "Suggest a resource"
    return render_template(
        "comments/suggest.html",
        title=title,
        form=form,
        comment=comment,
        duplicates=duplicates,
        error=error,
        submission=submission,
    ), status


@bp.route("/suggest", methods=["GET", "POST"])
@access(Action.SUGGESTION_CREATE)
def suggest():
    form = SuggestionForm()
    if request.method == "GET":
        form.comment_id.data = request.args.get("comment_id", type=int)
    comment = _own_comment(form.comment_id.data)
    if not form.validate_on_submit():
        return _render(form, comment, [], status=422 if form.errors else 200)
    duplicates = find_duplicates(form.title.data, form.url.data)
    if duplicates and form.confirmed.data != "yes":
        form.confirmed.data = "yes"
        return _render(form, comment, duplicates)
    try:
        suggest_resource(current_user, form.fields_dict(), comment)
    except TooSoon as error:
        return _render(form, comment, [], str(error), 429)
    flash(
        "Thank you! A moderator will look at your suggestion; you will hear back either way.",
        "success",
    )
    return redirect(url_for("comments.mine"))


@bp.route("/suggestions/<int:submission_id>/revise", methods=["GET", "POST"])
@access(Action.SUGGESTION_REVISE)
def revise(submission_id: int):
    submission = load_or_404(Submission, submission_id, Action.SUGGESTION_REVISE)
    form = (
        SuggestionForm(data=submission_fields(submission))
        if request.method == "GET"
        else SuggestionForm()
    )
    if not form.validate_on_submit():
        return _render(form, None, [], status=422 if form.errors else 200, submission=submission)
    duplicates = find_duplicates(form.title.data, form.url.data, exclude_submission=submission.id)
    if duplicates and form.confirmed.data != "yes":
        form.confirmed.data = "yes"
        return _render(form, None, duplicates, submission=submission)
    try:
        revise_suggestion(current_user, submission, form.fields_dict())
    except (TooSoon, CommentError) as error:
        return _render(form, None, [], str(error), 429, submission=submission)
    flash("Your revised suggestion is back with the moderators.", "success")
    return redirect(url_for("comments.mine"))
