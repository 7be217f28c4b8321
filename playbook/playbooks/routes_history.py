"""Routes for a playbook's history (compare, restore), exports, print view and import."""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from playbook.pagination import page_arg
from playbook.permissions import Action, access, can, checked_or_404
from playbook.playbooks import (
    document,
    huddle_queries,
    importer,
    imports,
    queries,
    revisions,
    route_helpers,
)
from playbook.playbooks.forms import ImportForm, RestoreForm
from playbook.playbooks.routes import bp
from playbook.slugs import slugify


def _page_playbook(playbook_id: int, action: Action = Action.PLAYBOOK_VIEW):
    return checked_or_404(queries.load_playbook_page(playbook_id, current_user), action)


@bp.route("/<int:playbook_id>/history")
@access(Action.PLAYBOOK_HISTORY)
def history_index(playbook_id: int):
    playbook = _page_playbook(playbook_id, Action.PLAYBOOK_HISTORY)
    page_of_revisions = revisions.list_revisions(playbook, page=page_arg())
    return render_template(
        "playbooks/history_index.html",
        title=f"History of {playbook.title}",
        playbook=playbook,
        revisions=page_of_revisions,
    )


@bp.route("/<int:playbook_id>/history/<int:number>")
@access(Action.PLAYBOOK_HISTORY)
def revision(playbook_id: int, number: int):
    playbook = _page_playbook(playbook_id, Action.PLAYBOOK_HISTORY)
    revision = revisions.get_revision(playbook, number) or abort(404)
    return render_template(
        "playbooks/revision.html",
        title=f"Version {number} of {playbook.title}",
        playbook=playbook,
        revision=revision,
        markdown=document.to_markdown(revision.snapshot),
        form=RestoreForm(version=playbook.version),
    )


@bp.route("/<int:playbook_id>/history/compare")
@access(Action.PLAYBOOK_HISTORY)
def compare(playbook_id: int):
    playbook = _page_playbook(playbook_id, Action.PLAYBOOK_HISTORY)
    old_number = request.args.get("from", type=int)
    new_number = request.args.get("to", type=int) or playbook.version
    old = revisions.get_revision(playbook, old_number) if old_number else None
    new = revisions.get_revision(playbook, new_number)
    if old is None or new is None:
        abort(404)
    return render_template(
        "playbooks/compare.html",
        title=f"Compare versions of {playbook.title}",
        playbook=playbook,
        old=old,
        new=new,
        diff=revisions.compare(old.snapshot, new.snapshot),
    )


@bp.route("/<int:playbook_id>/history/<int:number>/restore", methods=["POST"])
@access(Action.PLAYBOOK_EDIT)
def revision_restore(playbook_id: int, number: int):
    playbook = route_helpers.load(playbook_id)
    revision = revisions.get_revision(playbook, number) or abort(404)
    form = RestoreForm()
    if not form.validate_on_submit():
        abort(400)
    revisions.restore_revision(current_user, playbook, revision, base_version=form.base_version())
    flash(
        f"Restored version {number}. The version before the restore is still in the revisions.",
        "success",
    )
    return redirect(url_for("playbooks.detail", playbook_id=playbook.id))


def _download(body: str, filename: str, content_type: str) -> Response:
    # The full Content-Type as given: a mimetype would get a second "; charset=utf-8".
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filename(playbook, extension: str) -> str:
    return f"{slugify(playbook.title, 60)}.{extension}"


@bp.route("/<int:playbook_id>/export.md")
@access(Action.PLAYBOOK_VIEW)
def export_markdown(playbook_id: int):
    playbook = _page_playbook(playbook_id)
    return _download(
        document.to_markdown(document.snapshot(playbook)),
        _filename(playbook, "md"),
        "text/markdown; charset=utf-8",
    )


@bp.route("/<int:playbook_id>/export.json")
@access(Action.PLAYBOOK_VIEW)
def export_json(playbook_id: int):
    playbook = _page_playbook(playbook_id)
    body = json.dumps(
        document.strip_internal(document.snapshot(playbook)), indent=2, ensure_ascii=False
    )
    return _download(body + "\n", _filename(playbook, "json"), "application/json")


@bp.route("/<int:playbook_id>/print")
@access(Action.PLAYBOOK_VIEW)
def print_view(playbook_id: int):
    playbook = _page_playbook(playbook_id)
    items = queries.all_items(playbook)
    # Huddles are the team's: readers by link or in the gallery print without them.
    team = can(current_user, Action.HUDDLE_VIEW, playbook)
    return render_template(
        "playbooks/print.html",
        title=playbook.title,
        playbook=playbook,
        coverage=queries.coverage(playbook),
        progress=queries.progress(items),
        huddles=huddle_queries.recent_huddles(playbook.id) if team else [],
    )


@bp.route("/import", methods=["GET", "POST"])
@access(Action.PLAYBOOK_CREATE)
def import_file():
    form = ImportForm()
    if form.validate_on_submit():
        try:
            doc = importer.parse_document(form.file.data.read())
        except importer.DocumentError as error:
            form.file.errors.extend(error.problems)
        else:
            playbook, warnings = imports.import_playbook(current_user, doc)
            for warning in warnings:
                flash(warning, "warning")
            flash(f"Imported “{playbook.title}”.", "success")
            return redirect(url_for("playbooks.detail", playbook_id=playbook.id))
    return render_template(
        "playbooks/import.html", title="Import a playbook", form=form
    ), 422 if form.errors else 200
