"""Routes for /playbooks: the list, creating, the playbook page, editing, bin, fork."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from playbook import fragments
from playbook.comments.queries import load_thread
from playbook.forms import ConfirmForm
from playbook.library import queries as library_queries
from playbook.models import ItemStatus, Playbook, TargetKind
from playbook.pagecache import cached_for_visitors
from playbook.pagination import page_arg
from playbook.permissions import (
    Action,
    access,
    access_login,
    can,
    checked_or_404,
    load_or_404,
    thread_reader_key,
)
from playbook.playbooks import forks, queries, route_helpers, services
from playbook.playbooks.forms import NewPlaybookForm, PlaybookForm, SectionForm
from playbook.surveys import scores

bp = Blueprint("playbooks", "playbook.playbooks", url_prefix="/playbooks")


@bp.route("/")
@access_login
def index():
    playbooks = queries.list_my_playbooks(current_user, page=page_arg())
    counts = queries.item_counts([p.id for p in playbooks.items])
    return render_template(
        "playbooks/index.html", title="Your playbooks", playbooks=playbooks, counts=counts
    )


@bp.route("/new", methods=["GET", "POST"])
@access(Action.PLAYBOOK_CREATE)
def new():
    form = NewPlaybookForm(library_queries.framework_choices())
    if form.validate_on_submit():
        fields = {
            k: form[k].data for k in ("title", "scope", "organization", "vision", "framework_id")
        }
        try:
            playbook = services.create_playbook(current_user, **fields)
        except services.PlaybookError as error:
            form.framework_id.errors.append(str(error))
        else:
            flash("Your playbook is ready. Add plays and resources from the library.", "success")
            return redirect(url_for("playbooks.detail", playbook_id=playbook.id))
    return render_template(
        "playbooks/new.html", title="Start a playbook", form=form
    ), 422 if form.errors else 200


@bp.route("/<int:playbook_id>")
@cached_for_visitors
@access(Action.PLAYBOOK_VIEW)
def detail(playbook_id: int):
    view = queries.load_playbook_view(playbook_id, current_user) or abort(404)
    playbook = checked_or_404(view.playbook, Action.PLAYBOOK_VIEW)
    editable = can(current_user, Action.PLAYBOOK_EDIT, playbook)
    round_id = view.scores_round(team=can(current_user, Action.SURVEY_RESULTS, playbook))
    document = fragments.shared(
        f"playbook-document:{playbook.id}:{'edit' if editable else 'read'}:{round_id or 0}",
        view.document_fingerprint(round_id),
        lambda: _render_document(playbook, editable, round_id),
    )
    document, placed = route_helpers.place_saved_notices(document)
    return render_template(
        "playbooks/detail.html",
        title=playbook.title,
        playbook=playbook,
        editable=editable,
        document=document,
        placed_notices=placed,
        fork_count=view.fork_count,
        my_role=playbook.role_of(current_user),
        thread=fragments.shared(
            f"playbook-thread:{playbook.id}:{thread_reader_key(current_user, playbook)}:"
            f"{request.query_string.decode('latin-1')}",
            view.thread_fingerprint,
            lambda: _render_thread(playbook),
        ),
    )


def _render_thread(playbook) -> str:
    """The playbook's comment thread, as the reader sees it."""
    thread = load_thread(TargetKind.PLAYBOOK, playbook.id, current_user, page_arg("comments"))
    return render_template(
        "comments/_thread_part.html", thread=thread, target=playbook, kind=TargetKind.PLAYBOOK
    )


def _render_document(playbook, editable: bool, round_id: int | None) -> str:
    """The shared part of the playbook page (templates/playbooks/_document.html), with
    the scores of survey round `round_id` (one the reader may see) in its coverage map."""
    queries.load_sections(playbook)
    return render_template(
        "playbooks/_document.html",
        playbook=playbook,
        editable=editable,
        coverage=queries.coverage(playbook),
        scores=scores.latest_scores(round_id) if round_id else None,
        progress=queries.progress(queries.all_items(playbook)),
        section_progress={s.id: queries.progress(s.items) for s in playbook.sections},
        statuses=list(ItemStatus),
        # Forms (and so a CSRF token) only for those who may edit: a visitor's page then
        # sets no cookie and reads the same every time, so its ETag can match.
        section_form=SectionForm(version=playbook.version) if editable else None,
    )


@bp.route("/<int:playbook_id>/edit", methods=["GET", "POST"])
@access(Action.PLAYBOOK_EDIT)
def edit(playbook_id: int):
    playbook = route_helpers.load(playbook_id)
    form = PlaybookForm(
        library_queries.framework_choices(), obj=playbook, data={"version": playbook.version}
    )
    if form.validate_on_submit():
        fields = {
            k: form[k].data for k in ("title", "scope", "organization", "vision", "framework_id")
        }
        try:
            revision = services.update_playbook(
                current_user, playbook, base_version=form.base_version(), **fields
            )
        except services.Conflict as conflict:
            return route_helpers.conflict_page(
                conflict,
                form,
                "playbooks/_playbook_form.html",
                action=url_for("playbooks.edit", playbook_id=playbook.id),
            )
        except services.PlaybookError as error:
            form.framework_id.errors.append(str(error))
        else:
            route_helpers.flash_saved(playbook, form.base_version(), revision, "Saved.")
            return redirect(url_for("playbooks.detail", playbook_id=playbook.id))
    return render_template(
        "playbooks/edit.html", title=f"Edit {playbook.title}", playbook=playbook, form=form
    ), 422 if form.errors else 200


@bp.route("/<int:playbook_id>/delete", methods=["GET", "POST"])
@access(Action.PLAYBOOK_DELETE)
def delete(playbook_id: int):
    playbook = load_or_404(Playbook, playbook_id, Action.PLAYBOOK_DELETE)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.delete_playbook(current_user, playbook)
        flash(
            f"“{playbook.title}” is in the bin. You can restore it for {services.BIN_DAYS} days.",
            "info",
        )
        return redirect(url_for("playbooks.bin"))
    return render_template(
        "playbooks/delete.html",
        title=f"Delete {playbook.title}?",
        playbook=playbook,
        form=form,
        bin_days=services.BIN_DAYS,
    )


@bp.route("/bin")
@access_login
def bin():
    playbooks = queries.list_my_playbooks(current_user, page=page_arg(), deleted=True)
    return render_template(
        "playbooks/bin.html", title="Bin", playbooks=playbooks, bin_days=services.BIN_DAYS
    )


@bp.route("/<int:playbook_id>/restore", methods=["POST"])
@access(Action.PLAYBOOK_RESTORE)
def restore(playbook_id: int):
    playbook = load_or_404(Playbook, playbook_id, Action.PLAYBOOK_RESTORE)
    services.restore_playbook(current_user, playbook)
    flash(f"“{playbook.title}” is back.", "success")
    return redirect(url_for("playbooks.detail", playbook_id=playbook.id))


@bp.route("/<int:playbook_id>/fork", methods=["POST"])
@access(Action.PLAYBOOK_FORK)
def fork(playbook_id: int):
    original = route_helpers.load(playbook_id, Action.PLAYBOOK_FORK)
    playbook = forks.fork_playbook(current_user, original)
    flash("This is your own copy. Change anything; the original stays as it is.", "success")
    return redirect(url_for("playbooks.detail", playbook_id=playbook.id))
