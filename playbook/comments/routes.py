"""Routes for /comments: post (with a preview), reply, edit, delete, flag, permalink."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from playbook import sanitize
from playbook.comments import services
from playbook.comments.forms import CommentForm, EditCommentForm, FlagForm
from playbook.comments.queries import my_contributions, page_of
from playbook.comments.services import CommentError, TooSoon, target_page
from playbook.extensions import db
from playbook.forms import ConfirmForm
from playbook.models import Comment, CommentStatus, Component, Play, Playbook, Resource, TargetKind
from playbook.models.comment import CommentTarget
from playbook.pagination import page_arg
from playbook.permissions import Action, access, access_login, can, checked_or_404, load_or_404

bp = Blueprint("comments", "playbook.comments", url_prefix="/comments")


_MODELS = {
    TargetKind.PLAY: Play,
    TargetKind.RESOURCE: Resource,
    TargetKind.COMPONENT: Component,
    TargetKind.PLAYBOOK: Playbook,
}
KINDS = "any(play, resource, component, playbook)"


def _target(kind_value: str, target_id: int) -> tuple[TargetKind, CommentTarget]:
    kind = TargetKind(kind_value)
    target = checked_or_404(db.session.get(_MODELS[kind], target_id), Action.COMMENT_POST)
    # _MODELS maps each kind to the model of its targets.
    return kind, cast("CommentTarget", target)


def _quoted(kind, target, parent_id):
    """The comment being answered, quoted only when it is in this thread and the
    reader may see it (an id in the URL must not reveal someone else's text)."""
    parent = db.session.get(Comment, parent_id) if parent_id else None
    in_thread = parent is not None and parent.target_kind is kind and parent.target_id == target.id
    return parent if in_thread and can(current_user, Action.COMMENT_VIEW, parent) else None


def _at(comment: Comment) -> str:
    """The comment on the page of its thread where the current reader finds it."""
    return target_page(comment, page_of(comment, current_user))


def _compose(kind, target, form, error=None, status=200):
    parent = _quoted(kind, target, form.parent_id.data)
    preview_html = (
        sanitize.render_markdown(form.body.data) if form.preview.data and form.body.data else None
    )
    return render_template(
        "comments/compose.html",
        title="Write a comment",
        kind=kind,
        target=target,
        form=form,
        parent=parent,
        preview_html=preview_html,
        error=error,
    ), status


@bp.route(f"/<{KINDS}:kind>/<int:target_id>/new", methods=["GET", "POST"])
@access(Action.COMMENT_POST)
def new(kind: str, target_id: int):
    target_kind, target = _target(kind, target_id)
    form = CommentForm()
    reply_to = request.args.get("reply_to", type=int)
    if request.method == "GET" and reply_to:
        form.parent_id.data = reply_to
    if not form.validate_on_submit() or form.preview.data:
        return _compose(target_kind, target, form, status=422 if form.errors else 200)
    parent = db.session.get(Comment, form.parent_id.data) if form.parent_id.data else None
    if form.parent_id.data and parent is None:
        return _compose(
            target_kind, target, form, "The comment you replied to no longer exists.", 422
        )
    try:
        comment = services.post_comment(current_user, target_kind, target, form.body.data, parent)
    except TooSoon as error:
        return _compose(target_kind, target, form, str(error), 429)
    except CommentError as error:
        return _compose(target_kind, target, form, str(error), 422)
    if comment.status is CommentStatus.PENDING:
        flash(
            "Thanks! Your comment will appear once a moderator approves it. Until then only you can see it.",
            "info",
        )
    else:
        flash("Your comment is posted.", "success")
    if form.suggest.data:
        return redirect(url_for("comments.suggest", comment_id=comment.id))
    return redirect(_at(comment))


@bp.route("/<int:comment_id>")
@access(Action.COMMENT_VIEW)
def detail(comment_id: int):
    """A comment's permanent link: its place on the page it belongs to."""
    comment = load_or_404(Comment, comment_id, Action.COMMENT_VIEW)
    return redirect(_at(comment))


@bp.route("/<int:comment_id>/edit", methods=["GET", "POST"])
@access(Action.COMMENT_EDIT)
def edit(comment_id: int):
    comment = load_or_404(Comment, comment_id, Action.COMMENT_EDIT)
    form = EditCommentForm(obj=comment)
    error, status = None, 200
    if form.validate_on_submit() and not form.preview.data:
        try:
            services.edit_comment(current_user, comment, form.body.data)
        except CommentError as problem:
            error, status = str(problem), 422
        else:
            flash(
                "Your comment is saved."
                if comment.is_published
                else "Saved. It will appear once a moderator approves it.",
                "success",
            )
            return redirect(_at(comment))
    preview_html = (
        sanitize.render_markdown(form.body.data) if form.preview.data and form.body.data else None
    )
    return render_template(
        "comments/edit.html",
        title="Edit your comment",
        comment=comment,
        form=form,
        preview_html=preview_html,
        error=error,
    ), 422 if form.errors else status


@bp.route("/<int:comment_id>/delete", methods=["GET", "POST"])
@access(Action.COMMENT_DELETE)
def delete(comment_id: int):
    comment = load_or_404(Comment, comment_id, Action.COMMENT_DELETE)
    form = ConfirmForm()
    if form.validate_on_submit():
        back = _at(comment)
        services.delete_comment(current_user, comment)
        flash("Your comment is deleted.", "success")
        return redirect(back.split("#")[0] + "#comments")
    return render_template(
        "comments/delete.html", title="Delete your comment?", comment=comment, form=form
    )


@bp.route("/<int:comment_id>/flag", methods=["GET", "POST"])
@access(Action.COMMENT_FLAG)
def flag(comment_id: int):
    comment = load_or_404(Comment, comment_id, Action.COMMENT_FLAG)
    form = FlagForm()
    error, status = None, 200
    if form.validate_on_submit():
        back = _at(comment).split("#")[0] + "#comments"
        try:
            services.flag_comment(current_user, comment, form.reason.data, form.note.data)
        except TooSoon as problem:
            error, status = str(problem), 429
        except CommentError as problem:
            error, status = str(problem), 422
        else:
            flash("Thank you. The moderators will look at it.", "success")
            return redirect(back)
    return render_template(
        "comments/flag.html", title="Flag a comment", comment=comment, form=form, error=error
    ), 422 if form.errors else status


@bp.route("/mine")
@access_login
def mine():
    """Everything the member wrote, in every state, with reasons and a way to revise."""
    page = page_arg()
    contributions, has_next = my_contributions(current_user, page)
    if page > 1 and not contributions:
        abort(404)
    return render_template(
        "comments/mine.html",
        title="Your contributions",
        contributions=contributions,
        page=page,
        has_next=has_next,
    )
