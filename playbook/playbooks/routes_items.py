"""Routes for sections and items of a playbook, and "Add to playbook" from the library."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from playbook.errors import wants_json
from playbook.forms import options
from playbook.permissions import Action, access
from playbook.playbooks import queries, route_helpers, services
from playbook.playbooks.forms import (
    AddItemForm,
    ItemForm,
    MoveForm,
    MoveToForm,
    NoteForm,
    SectionForm,
    VersionedForm,
)
from playbook.playbooks.routes import bp


def _back(playbook, anchor: str = ""):
    return redirect(url_for("playbooks.detail", playbook_id=playbook.id) + anchor)


@bp.route("/<int:playbook_id>/sections", methods=["POST"])
@access(Action.PLAYBOOK_EDIT)
def section_new(playbook_id: int):
    playbook = route_helpers.load(playbook_id)
    form = SectionForm()
    if not form.validate_on_submit():
        problem = form.title.errors[-1] if "Section title" in str(form.title.errors) else None
        flash(problem or "A section needs a title of up to 120 characters.", "error")
        return _back(playbook)
    try:
        section = services.add_section(current_user, playbook, title=form.title.data)
    except services.PlaybookError as error:
        flash(str(error), "error")
        return _back(playbook)
    return _back(playbook, f"#section-{section.id}")


@bp.route("/<int:playbook_id>/sections/<int:section_id>/edit", methods=["GET", "POST"])
@access(Action.PLAYBOOK_EDIT)
def section_edit(playbook_id: int, section_id: int):
    playbook = route_helpers.load(playbook_id)
    section = route_helpers.section_of(playbook, section_id)
    form = SectionForm(obj=section, data={"version": playbook.version})
    action = url_for("playbooks.section_edit", playbook_id=playbook.id, section_id=section.id)
    if form.validate_on_submit():
        try:
            revision = services.rename_section(
                current_user,
                playbook,
                section,
                base_version=form.base_version(),
                title=form.title.data,
            )
        except services.Conflict as conflict:
            return route_helpers.conflict_page(
                conflict,
                form,
                "playbooks/_section_form.html",
                action=action,
            )
        route_helpers.flash_saved(
            playbook, form.base_version(), revision, "Saved.", at=f"section-{section.id}"
        )
        return _back(playbook, f"#section-{section.id}")
    return render_template(
        "playbooks/section_edit.html",
        title=f"Rename {section.title}",
        playbook=playbook,
        section=section,
        form=form,
        action=action,
    ), 422 if form.errors else 200


@bp.route("/<int:playbook_id>/sections/<int:section_id>/delete", methods=["POST"])
@access(Action.PLAYBOOK_EDIT)
def section_delete(playbook_id: int, section_id: int):
    playbook = route_helpers.load(playbook_id)
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    if route_helpers.removed_meanwhile(playbook, form.base_version(), section_id=section_id):
        flash("That section was already removed.", "info")
        return _back(playbook)
    section = route_helpers.section_of(playbook, section_id)
    services.remove_section(current_user, playbook, section, base_version=form.base_version())
    flash(
        f"Removed “{section.title}”. Its items are kept in the history if you need them back.",
        "info",
    )
    return _back(playbook)


@bp.route("/<int:playbook_id>/sections/<int:section_id>/move", methods=["POST"])
@access(Action.PLAYBOOK_EDIT)
def section_move(playbook_id: int, section_id: int):
    playbook = route_helpers.load(playbook_id)
    form = MoveForm()
    if not form.validate_on_submit():
        return _move_refused(playbook, form)
    section = route_helpers.section_for_change(playbook, section_id, form.base_version())
    services.move_section(
        current_user,
        playbook,
        section,
        base_version=form.base_version(),
        position=form.position.data,
    )
    return _moved(playbook, f"#section-{section.id}")


@bp.route("/<int:playbook_id>/items/<int:item_id>/move", methods=["GET", "POST"])
@access(Action.PLAYBOOK_EDIT)
def item_move(playbook_id: int, item_id: int):
    playbook = route_helpers.load(playbook_id)
    if request.method == "GET":
        return _move_page(playbook, route_helpers.item_of(playbook, item_id))
    form = MoveForm()
    if not form.validate_on_submit():
        return _move_refused(playbook, form)
    item = route_helpers.item_for_change(playbook, item_id, form.base_version())
    target = (
        route_helpers.section_for_change(playbook, form.section_id.data, form.base_version())
        if form.section_id.data
        else item.section
    )
    services.move_item(
        current_user,
        playbook,
        item,
        base_version=form.base_version(),
        section=target,
        position=form.position.data,
    )
    return _moved(playbook, f"#item-{item.id}")


def _move_page(playbook, item):
    """Where the item's "Move to another section…" link leads: the move as a form."""
    form = MoveToForm(
        [(s.id, s.title) for s in playbook.sections],
        data={"version": playbook.version, "section_id": str(item.section_id)},
    )
    return render_template(
        "playbooks/item_move.html",
        title=f"Move {item.display_title}",
        playbook=playbook,
        item=item,
        form=form,
    )


def _moved(playbook, anchor: str):
    if wants_json():
        return jsonify(ok=True, version=playbook.version)
    return _back(playbook, anchor)


def _move_refused(playbook, form):
    if wants_json():
        return jsonify(ok=False, error="That move is not possible.", errors=form.errors), 400
    flash("That move is not possible.", "error")
    return _back(playbook)


@bp.route("/<int:playbook_id>/sections/<int:section_id>/notes/new", methods=["GET", "POST"])
@access(Action.PLAYBOOK_EDIT)
def note_new(playbook_id: int, section_id: int):
    playbook = route_helpers.load(playbook_id)
    section = route_helpers.section_of(playbook, section_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            item = services.add_item(
                current_user,
                playbook,
                section,
                kind="note",
                title=form.title.data,
                notes=form.notes.data,
            )
        except services.Conflict as conflict:
            return route_helpers.conflict_page(
                conflict,
                form,
                "playbooks/_note_form.html",
                section=section,
            )
        except services.PlaybookError as error:
            form.form_errors.append(str(error))
        else:
            return _back(playbook, f"#item-{item.id}")
    return render_template(
        "playbooks/note_new.html", title="Add a note", playbook=playbook, section=section, form=form
    ), 422 if form.errors else 200


@bp.route("/<int:playbook_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@access(Action.PLAYBOOK_EDIT)
def item_edit(playbook_id: int, item_id: int):
    playbook = route_helpers.load(playbook_id)
    # A save for an item that no longer exists at all was most likely typed while a
    # teammate removed it: keep the text (an item of another playbook is still a 404).
    item = route_helpers.item_of(
        playbook,
        item_id,
        missing_ok=request.method == "POST" and not route_helpers.item_exists(item_id),
    )
    if item is None:
        return route_helpers.item_gone_page(playbook)
    form = ItemForm(
        route_helpers.owner_choices(playbook),
        route_helpers.element_choices(playbook),
        obj=item,
        data={"version": playbook.version},
    )
    action = url_for("playbooks.item_edit", playbook_id=playbook.id, item_id=item.id)
    if form.validate_on_submit():
        fields = {
            k: form[k].data
            for k in ("title", "notes", "status", "owner_id", "target_date", "element_id")
        }
        try:
            revision = services.update_item(
                current_user, playbook, item, base_version=form.base_version(), **fields
            )
        except services.Conflict as conflict:
            return route_helpers.conflict_page(
                conflict,
                form,
                "playbooks/_item_form.html",
                action=action,
                item=item,
            )
        except services.PlaybookError as error:
            form.form_errors.append(str(error))
        else:
            route_helpers.flash_saved(
                playbook,
                form.base_version(),
                revision,
                f"Saved “{item.display_title}”.",
                at=f"item-{item.id}",
            )
            return _back(playbook, f"#item-{item.id}")
    return render_template(
        "playbooks/item_edit.html",
        title=f"Edit {item.display_title}",
        playbook=playbook,
        item=item,
        form=form,
        action=action,
    ), 422 if form.errors else 200


@bp.route("/<int:playbook_id>/items/<int:item_id>/delete", methods=["POST"])
@access(Action.PLAYBOOK_EDIT)
def item_delete(playbook_id: int, item_id: int):
    playbook = route_helpers.load(playbook_id)
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    if route_helpers.removed_meanwhile(playbook, form.base_version(), item_id=item_id):
        flash("That item was already removed.", "info")
        return _back(playbook)
    item = route_helpers.item_of(playbook, item_id)
    services.remove_item(current_user, playbook, item, base_version=form.base_version())
    flash(f"Removed “{item.display_title}”. The history keeps it if you need it back.", "info")
    return _back(playbook)


@bp.route("/add", methods=["GET", "POST"])
@access(Action.ITEM_ADD)
def item_add():
    kind, ref_id = request.values.get("kind", ""), request.values.get("ref_id", "")
    try:
        target = services.load_target(kind, ref_id)
    except services.PlaybookError:
        abort(404)
    choices = [
        (str(s.id), f"{p.title} › {s.title}")
        for p, sections in queries.editable_sections(current_user)
        for s in sections
    ]
    form = AddItemForm(options(choices), data={"kind": kind, "ref_id": ref_id})
    if form.validate_on_submit():
        section = services.section_for_add(int(form.section_id.data))
        playbook = route_helpers.load(section.playbook_id, Action.ITEM_ADD)
        try:
            item = services.add_item(
                current_user,
                playbook,
                route_helpers.section_of(playbook, section.id),
                kind=kind,
                ref_id=target.id,
            )
        except services.Conflict as conflict:
            return route_helpers.conflict_page(conflict, None, None)
        except services.PlaybookError as error:
            form.section_id.errors.append(str(error))
        else:
            flash(f"Added “{item.display_title}” to “{playbook.title}”.", "success")
            return _back(playbook, f"#item-{item.id}")
    return render_template(
        "playbooks/item_add.html", title="Add to a playbook", form=form, target=target, kind=kind
    ), 422 if form.errors else 200
