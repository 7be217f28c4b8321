"""Routes for editing the library (admins): add, edit, retire and restore entries."""

from __future__ import annotations

from typing import Any, cast

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from playbook.forms import ConfirmForm
from playbook.library import queries, services
from playbook.library.forms import ComponentForm, FrameworkForm, PlayForm, ResourceForm
from playbook.library.routes import bp
from playbook.models import Component, Framework, Play, Resource
from playbook.permissions import Action, access, load_or_404

ENTRY_KINDS = {
    "plays": (Play, "play_detail", "play_id"),
    "resources": (Resource, "resource_detail", "resource_id"),
    "frameworks": (Framework, "framework_detail", "framework_id"),
}


def _form_page(template: str, title: str, form, **context):
    return render_template(template, title=title, form=form, **context), 422 if form.errors else 200


def _play_fields(form: PlayForm) -> dict:
    return {
        name: form[name].data
        for name in (
            "title",
            "summary",
            "body",
            "stage",
            "grade_band",
            "effort",
            "audiences",
            "component_ids",
        )
    }


@bp.route("/plays/new", methods=["GET", "POST"])
@access(Action.LIBRARY_EDIT)
def play_new():
    form = PlayForm(queries.component_choices())
    if form.validate_on_submit():
        try:
            play = services.create_play(current_user, **_play_fields(form))
        except services.LibraryError as error:
            form.component_ids.errors.append(str(error))
        else:
            flash("The play is in the library.", "success")
            return redirect(url_for("library.play_detail", play_id=play.id))
    return _form_page("library/play_form.html", "New play", form)


@bp.route("/plays/<int:play_id>/edit", methods=["GET", "POST"])
@access(Action.LIBRARY_EDIT)
def play_edit(play_id: int):
    play = load_or_404(Play, play_id, Action.LIBRARY_EDIT)
    form = PlayForm(
        queries.component_choices(),
        obj=play,
        data={
            "component_ids": [c.id for c in play.components],
            "audiences": [a.value for a in play.audiences],
        },
    )
    if form.validate_on_submit():
        try:
            services.update_play(current_user, play, **_play_fields(form))
        except services.LibraryError as error:
            form.component_ids.errors.append(str(error))
        else:
            flash("The play is saved.", "success")
            return redirect(url_for("library.play_detail", play_id=play.id))
    return _form_page("library/play_form.html", f"Edit {play.title}", form, play=play)


def _resource_fields(form: ResourceForm) -> dict:
    return {
        name: form[name].data
        for name in (
            "title",
            "organization",
            "url",
            "description",
            "resource_type",
            "ideal_users",
            "why_use_it",
            "who_is_using",
        )
    }


@bp.route("/resources/new", methods=["GET", "POST"])
@access(Action.LIBRARY_EDIT)
def resource_new():
    form = ResourceForm()
    if form.validate_on_submit():
        resource = services.create_resource(current_user, **_resource_fields(form))
        flash("The resource is in the library.", "success")
        return redirect(url_for("library.resource_detail", resource_id=resource.id))
    return _form_page("library/resource_form.html", "New resource", form)


@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
@access(Action.LIBRARY_EDIT)
def resource_edit(resource_id: int):
    resource = load_or_404(Resource, resource_id, Action.LIBRARY_EDIT)
    form = ResourceForm(obj=resource, data={"ideal_users": [u.value for u in resource.ideal_users]})
    if form.validate_on_submit():
        services.update_resource(current_user, resource, **_resource_fields(form))
        flash("The resource is saved.", "success")
        return redirect(url_for("library.resource_detail", resource_id=resource.id))
    return _form_page(
        "library/resource_form.html", f"Edit {resource.title}", form, resource=resource
    )


def _framework_fields(form: FrameworkForm) -> dict:
    return {
        name: form[name].data or "" for name in ("name", "edition", "publisher", "url", "summary")
    }


@bp.route("/frameworks/new", methods=["GET", "POST"])
@access(Action.LIBRARY_EDIT)
def framework_new():
    form = FrameworkForm()
    if form.validate_on_submit():
        framework = services.create_framework(current_user, **_framework_fields(form))
        flash("The framework is in the library. Now add its components.", "success")
        return redirect(url_for("library.component_new", framework_id=framework.id))
    return _form_page("library/framework_form.html", "New framework", form)


@bp.route("/frameworks/<int:framework_id>/edit", methods=["GET", "POST"])
@access(Action.LIBRARY_EDIT)
def framework_edit(framework_id: int):
    framework = load_or_404(Framework, framework_id, Action.LIBRARY_EDIT)
    form = FrameworkForm(obj=framework)
    if form.validate_on_submit():
        services.update_framework(current_user, framework, **_framework_fields(form))
        flash("The framework is saved.", "success")
        return redirect(url_for("library.framework_detail", framework_id=framework.id))
    return _form_page(
        "library/framework_form.html", f"Edit {framework.name}", form, framework=framework
    )


def _component_fields(form: ComponentForm) -> dict:
    return {
        "name": form.name.data,
        "summary": form.summary.data or "",
        "elements": form.elements.data or "",
    }


@bp.route("/frameworks/<int:framework_id>/components/new", methods=["GET", "POST"])
@access(Action.LIBRARY_EDIT)
def component_new(framework_id: int):
    framework = load_or_404(Framework, framework_id, Action.LIBRARY_EDIT)
    form = ComponentForm()
    if form.validate_on_submit():
        services.add_component(current_user, framework, **_component_fields(form))
        flash("The component is added.", "success")
        return redirect(url_for("library.framework_detail", framework_id=framework.id))
    return _form_page(
        "library/component_form.html",
        f"New component of {framework.name}",
        form,
        framework=framework,
    )


@bp.route("/components/<int:component_id>/edit", methods=["GET", "POST"])
@access(Action.LIBRARY_EDIT)
def component_edit(component_id: int):
    component = load_or_404(Component, component_id, Action.LIBRARY_EDIT)
    elements = "\n".join(
        f"{e.name}: {e.description}" if e.description else e.name for e in component.elements
    )
    # All as data: WTForms prefers an `obj` attribute over `data`, and component.elements
    # holds rows, not the lines the field edits.
    form = ComponentForm(
        data={"name": component.name, "summary": component.summary, "elements": elements}
    )
    if form.validate_on_submit():
        try:
            services.update_component(current_user, component, **_component_fields(form))
        except services.LibraryError as error:
            form.elements.errors.append(str(error))
        else:
            flash("The component is saved.", "success")
            return redirect(url_for("library.component_detail", component_id=component.id))
    return _form_page(
        "library/component_form.html",
        f"Edit {component.name}",
        form,
        framework=component.framework,
        component=component,
    )


@bp.route(
    "/<any(plays, resources, frameworks):kind>/<int:entry_id>/<any(retire, restore):verb>",
    methods=["POST"],
)
@access(Action.LIBRARY_EDIT)
def retire(kind: str, entry_id: int, verb: str):
    model, endpoint, arg = ENTRY_KINDS[kind]
    # ENTRY_KINDS holds only the library's retirable models.
    entry = cast("Play | Resource | Framework", load_or_404(model, entry_id, Action.LIBRARY_EDIT))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.set_retired(current_user, entry, verb == "retire")
    flash(
        "Retired: it no longer shows in lists and search."
        if verb == "retire"
        else "Restored to the library.",
        "info",
    )
    values: dict[str, Any] = {arg: entry.id}
    return redirect(url_for(f"library.{endpoint}", **values))
