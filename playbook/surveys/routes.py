"""Survey instruments: the list and each instrument for anyone signed in; creating,
editing, importing and exporting for admins."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from playbook.forms import ConfirmForm
from playbook.models import Framework, InstrumentItem, SurveyAudience
from playbook.permissions import Action, access, can, checked_or_404, load_or_404
from playbook.surveys import document, importer, queries, services
from playbook.surveys.forms import ImportForm, InstrumentForm, ItemForm, NewInstrumentForm

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

ITEM_FIELDS = ("element_id", "text_en", "text_es", "scale", "sensitive")


def _form_page(template: str, title: str, form, **context):
    return render_template(template, title=title, form=form, **context), 422 if form.errors else 200


def _instrument(instrument_id: int, action: Action = Action.INSTRUMENT_VIEW):
    return checked_or_404(queries.load_instrument(instrument_id), action)


def _done(saved: services.Saved, message: str):
    """Flash what happened (saying so when a new version was made) and show the result."""
    if saved.new_version:
        message += (
            f" Survey rounds use the earlier version, so the change made version "
            f"{saved.instrument.version}; the earlier one stays as it was."
        )
    flash(message, "success")
    return redirect(url_for("surveys.detail", instrument_id=saved.instrument.id))


@bp.route("/instruments")
@access(Action.INSTRUMENT_VIEW)
def index():
    framework_id = request.args.get("framework", type=int)
    framework = load_or_404(Framework, framework_id, Action.LIBRARY_VIEW) if framework_id else None
    rows = queries.instrument_list(
        framework_id, include_retired=can(current_user, Action.INSTRUMENT_EDIT)
    )
    return render_template(
        "surveys/index.html", title="Survey instruments", rows=rows, framework=framework
    )


@bp.route("/instruments/<int:instrument_id>")
@access(Action.INSTRUMENT_VIEW)
def detail(instrument_id: int):
    instrument = _instrument(instrument_id)
    return render_template(
        "surveys/detail.html",
        title=f"{instrument.title_en} (version {instrument.version})",
        instrument=instrument,
        groups=queries.grouped(instrument),
        newest=queries.newest_version(instrument),
    )


@bp.route("/instruments/new", methods=["GET", "POST"])
@access(Action.INSTRUMENT_EDIT)
def new():
    form = NewInstrumentForm(
        queries.framework_choices(),
        data={"framework_id": request.args.get("framework", "")}
        if request.method == "GET"
        else None,
    )
    if form.validate_on_submit():
        framework = load_or_404(Framework, int(form.framework_id.data), Action.LIBRARY_EDIT)
        instrument = services.create_instrument(
            current_user,
            framework,
            SurveyAudience(form.audience.data),
            **{name: form[name].data for name in services.TEXT_FIELDS},
        )
        flash(f"Version {instrument.version} is ready for its questions.", "success")
        return redirect(url_for("surveys.item_new", instrument_id=instrument.id))
    return _form_page("surveys/instrument_form.html", "New survey instrument", form)


@bp.route("/instruments/<int:instrument_id>/edit", methods=["GET", "POST"])
@access(Action.INSTRUMENT_EDIT)
def edit(instrument_id: int):
    instrument = _instrument(instrument_id, Action.INSTRUMENT_EDIT)
    form = InstrumentForm(obj=instrument)
    if form.validate_on_submit():
        saved = services.update_instrument(
            current_user, instrument, **{name: form[name].data for name in services.TEXT_FIELDS}
        )
        return _done(saved, "The instrument is saved.")
    return _form_page(
        "surveys/instrument_form.html",
        f"Edit {instrument.title_en}",
        form,
        instrument=instrument,
    )


@bp.route("/instruments/<int:instrument_id>/items/new", methods=["GET", "POST"])
@access(Action.INSTRUMENT_EDIT)
def item_new(instrument_id: int):
    instrument = _instrument(instrument_id, Action.INSTRUMENT_EDIT)
    form = ItemForm(queries.element_choices(instrument))
    if form.validate_on_submit():
        try:
            saved = services.add_item(
                current_user, instrument, **{name: form[name].data for name in ITEM_FIELDS}
            )
        except services.InstrumentError as error:
            form.element_id.errors.append(str(error))
        else:
            return _done(saved, "The question is added.")
    return _form_page(
        "surveys/item_form.html", "Add a question", form, instrument=instrument, item=None
    )


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@access(Action.INSTRUMENT_EDIT)
def item_edit(item_id: int):
    item = load_or_404(InstrumentItem, item_id, Action.INSTRUMENT_EDIT)
    instrument = _instrument(item.instrument_id, Action.INSTRUMENT_EDIT)
    form = ItemForm(
        queries.element_choices(instrument),
        obj=item,
        data={"scale": item.scale.value, "element_id": str(item.element_id)},
    )
    if form.validate_on_submit():
        try:
            saved = services.update_item(
                current_user, item, **{name: form[name].data for name in ITEM_FIELDS}
            )
        except services.InstrumentError as error:
            form.element_id.errors.append(str(error))
        else:
            return _done(saved, "The question is saved.")
    return _form_page(
        "surveys/item_form.html", "Edit a question", form, instrument=instrument, item=item
    )


@bp.route("/items/<int:item_id>/move/<any(up, down):direction>", methods=["POST"])
@access(Action.INSTRUMENT_EDIT)
def item_move(item_id: int, direction: str):
    item = load_or_404(InstrumentItem, item_id, Action.INSTRUMENT_EDIT)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    saved = services.move_item(current_user, item, -1 if direction == "up" else 1)
    return _done(saved, "The question is moved.")


@bp.route("/items/<int:item_id>/delete", methods=["POST"])
@access(Action.INSTRUMENT_EDIT)
def item_delete(item_id: int):
    item = load_or_404(InstrumentItem, item_id, Action.INSTRUMENT_EDIT)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    saved = services.remove_item(current_user, item)
    return _done(saved, "The question is removed.")


@bp.route("/instruments/<int:instrument_id>/export.json")
@access(Action.INSTRUMENT_EDIT)
def export_json(instrument_id: int):
    instrument = _instrument(instrument_id, Action.INSTRUMENT_EDIT)
    body = json.dumps(document.snapshot(instrument), indent=2, ensure_ascii=False) + "\n"
    filename = f"{instrument.framework.slug}-{instrument.audience.value}-v{instrument.version}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/instruments/import", methods=["GET", "POST"])
@access(Action.INSTRUMENT_EDIT)
def import_file():
    form = ImportForm()
    if form.validate_on_submit():
        try:
            instrument = services.import_instrument(
                current_user, importer.parse_document(form.file.data.read())
            )
        except importer.DocumentError as error:
            form.file.errors.extend(error.problems)
        else:
            flash(f"Imported as version {instrument.version}.", "success")
            return redirect(url_for("surveys.detail", instrument_id=instrument.id))
    return _form_page("surveys/import.html", "Import a survey instrument", form)
